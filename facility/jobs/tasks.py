"""The scheduled jobs as plain functions of ``now``, so tests run them at chosen times.

Mail that a job sends is remembered in `notifications_sent` under a key, so each reminder,
nudge or warning goes out once, however often (and by however many processes) the job runs.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from facility.accounts.models import User, UserQualification, managed_facilities
from facility.bookings import services as booking_services
from facility.bookings.models import Booking
from facility.catalog.models import Facility, Resource
from facility.core.config import default_zone
from facility.core.database import write_transaction
from facility.core.extensions import db
from facility.core.mail import send_template
from facility.jobs.models import NotificationSent
from facility.usage import reports
from facility.usage import services as usage_services

log = logging.getLogger("facility.jobs")
DEFAULT_REMINDER_HOURS = (24, 1)
PENDING_NUDGE_AFTER = timedelta(hours=24)
QUALIFICATION_WARNING_DAYS = 30
MONTHLY_REPORT_AT = time(7, 0)


# --- bookkeeping of sent mail ------------------------------------------------------------


def already_sent(key: str) -> bool:
    return db.session.scalar(select(NotificationSent.id).where(NotificationSent.key == key)) is not None


def send_once(key: str, now: datetime, send: Callable[[], bool]) -> bool:
    """Send unless ``key`` was sent before; remember it only if the mail went out."""
    if already_sent(key):
        return False
    if not send():
        return False
    try:
        with write_transaction():
            db.session.add(NotificationSent(key=key, sent_at=now))
    except IntegrityError:
        log.warning("%s was sent twice by two processes at once", key)
    return True


def managers_of(facility_ids) -> list[str]:
    """E-mail addresses of the active managers of the facilities: a list of ids, or a select of them."""
    return list(
        db.session.scalars(
            select(User.email)
            .distinct()
            .join(managed_facilities, managed_facilities.c.user_id == User.id)
            .where(managed_facilities.c.facility_id.in_(facility_ids), User.role == "manager", User.active.is_(True))
            .order_by(User.email)
        )
    )


def booking_url(booking: Booking) -> str:
    return f"{current_app.config.get('FACILITY_BASE_URL', '')}/bookings/{booking.id}"


# --- reminders ----------------------------------------------------------------------------


def send_reminders(now: datetime) -> int:
    """One reminder per confirmed booking and threshold (24 h and 1 h before the start by
    default; FACILITY_REMINDER_HOURS). When several apply, only the nearest is sent."""
    thresholds = sorted(current_app.config.get("FACILITY_REMINDER_HOURS") or DEFAULT_REMINDER_HOURS)
    horizon = now + timedelta(hours=max(thresholds))
    bookings = db.session.scalars(
        select(Booking).where(Booking.status == "confirmed", Booking.start_at > now, Booking.start_at <= horizon)
    )
    sent = 0
    for booking in list(bookings):
        hours_left = (booking.start_at - now).total_seconds() / 3600
        nearest = min(h for h in thresholds if hours_left <= h)
        key = f"reminder-{nearest}h:{booking.id}:{booking.start_at.isoformat()}"
        if any(
            already_sent(f"reminder-{h}h:{booking.id}:{booking.start_at.isoformat()}")
            for h in thresholds
            if h <= nearest
        ):
            continue
        sent += send_once(
            key,
            now,
            lambda b=booking, h=nearest: send_template(
                [b.user.email], "reminder", booking=b, hours=h, url=booking_url(b)
            ),
        )
    return sent


def nudge_managers(now: datetime) -> int:
    """Once a day, tell a facility's managers about requests pending for more than 24 h."""
    rows = db.session.execute(
        select(Booking, Resource.facility_id)
        .join(Booking.resource)
        .where(Booking.status == "pending", Booking.created_at <= now - PENDING_NUDGE_AFTER)
    ).all()
    sent = 0
    for booking, facility_id in rows:
        key = f"nudge:{booking.id}:{now.date().isoformat()}"
        sent += send_once(
            key,
            now,
            lambda b=booking, f=facility_id: send_template(managers_of([f]), "nudge", booking=b, url=booking_url(b)),
        )
    return sent


# --- state changes ------------------------------------------------------------------------


def expire_pending(now: datetime) -> int:
    """Pending requests whose start has passed are cancelled with the reason "expired"."""
    return len(booking_services.expire_pending(now))


def mark_no_shows(now: datetime) -> int:
    return usage_services.mark_no_shows(now)


def auto_check_out(now: datetime) -> int:
    return usage_services.auto_check_out(now)


# --- qualifications -------------------------------------------------------------------------


def warn_expiring_qualifications(now: datetime) -> int:
    """Warn each user once, 30 days before a qualification of theirs lapses."""
    today = now.astimezone(default_zone()).date()
    rows = db.session.scalars(
        select(UserQualification).where(
            UserQualification.valid_until >= today,
            UserQualification.valid_until <= today + timedelta(days=QUALIFICATION_WARNING_DAYS),
        )
    )
    sent = 0
    for held in list(rows):
        key = f"qualification-expiry:{held.id}:{held.valid_until.isoformat()}"
        sent += send_once(
            key,
            now,
            lambda q=held: send_template(
                [q.user.email],
                "qualification_expiry",
                qualification=q.qualification.name,
                valid_until=q.valid_until.isoformat(),
            ),
        )
    return sent


# --- monthly reports ------------------------------------------------------------------------


def mail_monthly_reports(now: datetime) -> int:
    """From the 1st 07:00 local time, mail last month's report (XLSX) to each facility's managers, once."""
    sent = 0
    for facility in list(db.session.scalars(select(Facility).order_by(Facility.id))):
        local = now.astimezone(ZoneInfo(facility.timezone))
        if local.day != 1 or local.time() < MONTHLY_REPORT_AT:
            continue
        month = reports.previous_month(local.date())
        key = f"monthly-report:{facility.key}:{month}"
        sent += send_once(key, now, lambda f=facility, m=month: _mail_report(f, m))
    return sent


def _mail_report(facility: Facility, month: str) -> bool:
    recipients = managers_of([facility.id])
    if not recipients:
        return False
    report = reports.monthly_report(None, month, facility.key)
    body, content_type, filename = reports.render(report, "xlsx")
    return send_template(
        recipients,
        "monthly_report",
        facility=facility,
        month=month,
        resources=report["facilities"][0]["resources"],
        attachment=(f"{facility.key}-{filename}", content_type, body),
    )


# --- external calendars ------------------------------------------------------------------------


def refresh_calendar_sources(now: datetime) -> int:
    try:
        from facility.feeds.sources import refresh_all_sources  # provided by the calendar-feeds module, if present
    except ImportError:
        log.info("no facility.feeds.sources.refresh_all_sources: skipping the calendar refresh")
        return 0
    result = refresh_all_sources()
    return int(result) if isinstance(result, int) else 0


def warn_state_aid(now: datetime) -> int:
    from facility.aid.services import warn_state_aid as warn  # the aid module builds on usage

    return warn(now)


JOBS: dict[str, tuple[Callable[[datetime], int], int]] = {
    # name: (function, interval in seconds)
    "auto_check_out": (auto_check_out, 60),
    "mark_no_shows": (mark_no_shows, 60),
    "expire_pending": (expire_pending, 60),
    "send_reminders": (send_reminders, 60),
    "nudge_managers": (nudge_managers, 3600),
    "warn_expiring_qualifications": (warn_expiring_qualifications, 3600),
    "mail_monthly_reports": (mail_monthly_reports, 600),
    "refresh_calendar_sources": (refresh_calendar_sources, 900),
    "warn_state_aid": (warn_state_aid, 3600),
}
