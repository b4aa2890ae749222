"""Usage actions: check-in, check-out, walk-up and corrected use; the system's auto check-out
and no-show marking. Each is one write transaction with its audit event."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from facility import audit
from facility.accounts.models import User
from facility.bookings.models import Booking
from facility.bookings.rules import Violation
from facility.bookings.services import change_status, get_booking, request_check_violations, status_snapshot
from facility.bookings.states import COMPLETED, NO_SHOW, can_change
from facility.catalog.models import Facility, Resource
from facility.catalog.services import get_facility, get_resource
from facility.core.access import require_manager_of
from facility.core.database import MAX_ID, write_transaction
from facility.core.errors import ServiceError, invalid, not_found, rule_violations
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.core.words import N_
from facility.usage.models import UsageRecord

CHECK_IN_EARLY = timedelta(minutes=15)
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=ZoneInfo("UTC"))
MAX_USAGE_WINDOW = timedelta(days=400)
# Further checks of a check-in that other modules add at start-up (the GMP records' line
# clearance): each takes (booking, now) and returns the rules it breaks; usage imports none of them.
CHECK_IN_GUARDS: list[Callable[[Booking, datetime], list[Violation]]] = []


def usage_snapshot(record: UsageRecord) -> dict:
    return {
        "resource": record.resource.key,
        "user": record.user.email,
        "booking": record.booking_id,
        "start": record.start_at.isoformat(),
        "end": record.end_at.isoformat() if record.end_at else None,
        "source": record.source,
        **({"product": record.product, "batch": record.batch} if record.product or record.batch else {}),
        "flagged": record.flagged,
        "superseded": record.superseded,
    }


def open_record_of(booking: Booking) -> Optional[UsageRecord]:
    return db.session.scalar(
        select(UsageRecord).where(
            UsageRecord.booking_id == booking.id, UsageRecord.end_at.is_(None), UsageRecord.superseded.is_(False)
        )
    )


# --- check-in and check-out --------------------------------------------------------------


def check_in_opens_at(booking: Booking) -> datetime:
    """The first instant a booking can be checked in: ``CHECK_IN_EARLY`` before its start."""
    return booking.start_at - CHECK_IN_EARLY


def check_in_window(booking: Booking, now: datetime) -> Optional[str]:
    """Where ``now`` falls for checking ``booking`` in: 'too_early', 'open' or 'too_late'
    (from its end on). The one statement of the window, for the check-in and for the pages."""
    if now < check_in_opens_at(booking):
        return "too_early"
    if now >= booking.end_at:
        return "too_late"
    return "open"


def check_in(actor: User, booking_id: int, *, now: Optional[datetime] = None) -> UsageRecord:
    """Open the usage record of a confirmed booking, from shortly before its start to its end."""
    now = now or utcnow()
    with write_transaction():
        booking = get_booking(actor, booking_id)
        if booking.status != "confirmed":
            raise invalid("invalid_state", f"A {booking.status} booking cannot be checked in.", "status")
        if open_record_of(booking) is not None:
            raise invalid("already_checked_in", N_("This booking is already checked in."))
        window = check_in_window(booking, now)
        if window == "too_early":
            raise invalid(
                "too_early",
                N_("Check-in opens %(minutes)s minutes before the start."),
                minutes=CHECK_IN_EARLY.seconds // 60,
            )
        if window == "too_late":
            raise invalid("too_late", N_("The booking has ended; ask a manager to record the use."))
        problems = [problem for guard in CHECK_IN_GUARDS for problem in guard(booking, now)]
        if problems:
            raise rule_violations(problems)
        record = UsageRecord(
            booking=booking,
            resource=booking.resource,
            user=booking.user,
            organisation_id=booking.user.organisation_id,
            start_at=now,
            source="booking",
            product=booking.project,
            batch=booking.batch,
            created_by=actor,
            created_at=now,
        )
        db.session.add(record)
        audit.record(actor, "usage.checked_in", record, after=usage_snapshot(record), facility=booking.facility)
    return record


def check_out(actor: User, booking_id: int, *, now: Optional[datetime] = None) -> UsageRecord:
    """Close the open usage record of a booking; the booking is completed."""
    now = now or utcnow()
    with write_transaction():
        booking = get_booking(actor, booking_id)
        record = open_record_of(booking)
        if record is None:
            raise invalid("not_checked_in", N_("This booking is not checked in."))
        _close(actor, record, booking, max(now, record.start_at), flagged=False)
    return record


def _close(actor: Optional[User], record: UsageRecord, booking: Booking, end: datetime, *, flagged: bool) -> None:
    before = usage_snapshot(record)
    record.end_at, record.flagged = end, flagged
    audit.record(
        actor,
        "usage.auto_checked_out" if flagged else "usage.checked_out",
        record,
        before=before,
        after=usage_snapshot(record),
        facility=booking.facility,
    )
    if can_change(booking.status, COMPLETED):  # a booking cancelled while checked in stays cancelled
        change_status(booking, COMPLETED, actor, action="booking.completed", snapshot_of=status_snapshot)


# --- the system's jobs --------------------------------------------------------------------


def auto_check_out(now: datetime) -> int:
    """Close records of bookings checked in and not checked out by their end: at the end, flagged."""
    with write_transaction():
        rows = db.session.execute(
            select(UsageRecord, Booking)
            .join(Booking, UsageRecord.booking_id == Booking.id)
            .where(UsageRecord.end_at.is_(None), UsageRecord.superseded.is_(False), Booking.end_at <= now)
        ).all()
        for record, booking in rows:
            _close(None, record, booking, booking.end_at, flagged=True)
    return len(rows)


def mark_no_shows(now: datetime) -> int:
    """Confirmed bookings without a check-in by the facility's grace period after their start
    become ``no_show``: no longer active, so the rest of the slot is free again."""
    marked = []
    with write_transaction():
        for facility in db.session.scalars(select(Facility)):
            cutoff = now - timedelta(minutes=facility.no_show_grace_minutes or 0)
            checked_in = select(UsageRecord.id).where(UsageRecord.booking_id == Booking.id)
            bookings = db.session.scalars(
                select(Booking)
                .join(Booking.resource)
                .where(
                    Resource.facility_id == facility.id,
                    Booking.status == "confirmed",
                    Booking.start_at <= cutoff,
                    ~checked_in.exists(),
                )
            )
            for booking in bookings:
                change_status(
                    booking,
                    NO_SHOW,
                    None,
                    action="booking.no_show",
                    now=now,
                    reason="no check-in within the grace period",
                    snapshot_of=status_snapshot,
                )
                marked.append(booking)
    return len(marked)


# --- manager's records --------------------------------------------------------------------


def record_usage(
    actor: User,
    resource_key: str,
    user_email: str,
    start: datetime,
    end: datetime,
    reason: str,
    *,
    corrects: Optional[int] = None,
    product: Optional[str] = None,
    batch: Optional[str] = None,
) -> UsageRecord:
    """A walk-up use, or (with ``corrects``) a correction that supersedes an earlier record.
    A correction keeps the product and batch of the record it corrects unless it gives its own."""
    with write_transaction():
        resource = get_resource(resource_key, "resource")
        require_manager_of(actor, resource.facility, "record usage")
        problems = []
        user = db.session.scalar(select(User).where(func.lower(User.email) == (user_email or "").strip().lower()))
        if user is None:
            raise not_found("user", "user")
        if end <= start:
            problems.append(Violation.worded("end_before_start", N_("The end must be after the start."), "end"))
        if not (reason or "").strip():
            problems.append(Violation.worded("reason_required", N_("Say why the use is recorded by hand."), "reason"))
        if end > utcnow() + timedelta(minutes=1):
            problems.append(
                Violation.worded("in_future", N_("Usage can only be recorded for time that has passed."), "end")
            )
        original = _correctable(resource, corrects) if corrects is not None else None
        if original is not None:
            product, batch = product or original.product, batch or original.batch
        problems += request_check_violations("use", user, resource, start, end, product, batch)
        if problems:
            raise ServiceError(422, problems)
        _refuse_overlap(resource, start, end, exclude_id=original.id if original else None)
        record = UsageRecord(
            resource=resource,
            user=user,
            organisation_id=user.organisation_id,
            start_at=start,
            end_at=end,
            source="manual" if original else "walk-up",
            product=(product or "").strip() or None,
            batch=(batch or "").strip() or None,
            reason=reason,
            booking_id=original.booking_id if original else None,
            corrects_id=original.id if original else None,
            created_by=actor,
        )
        db.session.add(record)
        if original is not None:
            before = usage_snapshot(original)
            original.superseded = True
            audit.record(
                actor,
                "usage.superseded",
                original,
                before=before,
                after=usage_snapshot(original),
                reason=reason,
                facility=resource.facility,
            )
        audit.record(
            actor,
            "usage.corrected" if original else "usage.recorded",
            record,
            after=usage_snapshot(record),
            reason=reason,
            facility=resource.facility,
        )
    return record


def _correctable(resource: Resource, record_id: int) -> UsageRecord:
    original = db.session.get(UsageRecord, record_id) if 0 < record_id <= MAX_ID else None
    if original is None or original.resource.facility_id != resource.facility_id:
        raise not_found("usage record", "corrects")
    if original.superseded:
        raise invalid("invalid_state", N_("That record has already been corrected."), "corrects")
    if original.resource_id != resource.id:
        raise invalid(
            "invalid", N_("A correction must be for the same resource as the record it corrects."), "resource"
        )
    return original


def _refuse_overlap(resource: Resource, start: datetime, end: datetime, *, exclude_id: Optional[int]) -> None:
    query = select(UsageRecord).where(
        UsageRecord.resource_id == resource.id,
        UsageRecord.superseded.is_(False),
        UsageRecord.start_at < end,
        or_(UsageRecord.end_at.is_(None), UsageRecord.end_at > start),
    )
    if exclude_id is not None:
        query = query.where(UsageRecord.id != exclude_id)
    clash = db.session.scalars(query.limit(1)).first()
    if clash is not None:
        raise ServiceError(
            409,
            [
                Violation.worded(
                    "overlap",
                    N_("This time overlaps usage record %(record)s of %(resource)s; correct that record instead."),
                    "start",
                    record=clash.id,
                    resource=resource.key,
                )
            ],
        )


def list_usage(actor: User, facility_key: str, start: Optional[datetime], end: Optional[datetime]) -> list[UsageRecord]:
    """Usage records (not superseded) of a facility that meet [start, end)."""
    facility = get_facility(facility_key, "facility")
    require_manager_of(actor, facility, "see its usage")
    if start and end and end <= start:
        raise invalid("end_before_start", "'to' must be after 'from'.", "to")
    query = (
        select(UsageRecord)
        .join(UsageRecord.resource)
        .where(Resource.facility_id == facility.id, UsageRecord.superseded.is_(False))
        .order_by(UsageRecord.start_at, UsageRecord.id)
    )
    if start:
        query = query.where(or_(UsageRecord.end_at.is_(None), UsageRecord.end_at > start))
    if end:
        query = query.where(UsageRecord.start_at < end)
    return list(db.session.scalars(query))


def correctable_record(actor: User, record_id: str) -> Optional[UsageRecord]:
    """The record ``record_id`` (as typed) if it is current and ``actor`` manages its facility, else None."""
    if not (record_id.strip().isascii() and record_id.strip().isdigit()) or int(record_id) > MAX_ID:
        return None
    record = db.session.get(UsageRecord, int(record_id))
    if record is None or record.superseded or not actor.manages(record.resource.facility):
        return None
    return record
