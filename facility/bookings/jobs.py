"""The bookings' scheduled jobs, as plain functions of ``now`` so tests run them at chosen times:
reminders before a booking, nudges to managers about old requests, expiry of pending requests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import select

from facility.accounts.services import managers_of
from facility.bookings import services as booking_services
from facility.bookings.models import Booking
from facility.bookings.notify import booking_url, send_booking_mails
from facility.catalog.models import Resource
from facility.core.extensions import db
from facility.core.mail import already_sent, send_once, send_template

DEFAULT_REMINDER_HOURS = (24, 1)
PENDING_NUDGE_AFTER = timedelta(hours=24)


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
                [b.user.email], "bookings/mail/reminder", booking=b, hours=h, url=booking_url(b)
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
            lambda b=booking, f=facility_id: send_template(
                managers_of([f]), "bookings/mail/nudge", booking=b, url=booking_url(b)
            ),
        )
    return sent


def expire_pending(now: datetime) -> int:
    """Pending requests whose start has passed are cancelled with the reason "expired"."""
    return len(booking_services.expire_pending(now))


JOBS: dict[str, tuple[Callable[[datetime], int], int]] = {
    # name: (function, interval in seconds)
    "booking_mails": (send_booking_mails, 5),
    "expire_pending": (expire_pending, 60),
    "send_reminders": (send_reminders, 60),
    "nudge_managers": (nudge_managers, 3600),
}
