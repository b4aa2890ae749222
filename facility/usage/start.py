"""The start page's facts for each role: a scientist's next bookings, requests, check-ins and
qualifications about to lapse; a manager's day (bookings, instruments in use), the requests
waiting for approval with the bookings around them, and the blackouts that hit bookings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from facility.accounts.models import User, UserQualification
from facility.accounts.qualifications import EXPIRY_WARNING_DAYS
from facility.accounts.services import facilities_managed_by
from facility.bookings import services as bookings
from facility.bookings.models import ACTIVE_STATUSES, Blackout, Booking
from facility.catalog.models import Resource
from facility.core.extensions import db
from facility.core.time import local_instant, utcnow
from facility.usage.models import UsageRecord
from facility.usage.services import check_in_window, open_record_of

NEXT_BOOKINGS = 5
AROUND = timedelta(days=1)  # the bookings of the same resource this close to a request are shown with it
REQUESTS_SHOWN = 10


@dataclass
class ScientistStart:
    next_bookings: list[Booking] = field(default_factory=list)
    pending: list[Booking] = field(default_factory=list)
    to_check_in: list[Booking] = field(default_factory=list)
    to_check_out: list[Booking] = field(default_factory=list)
    expiring: list[UserQualification] = field(default_factory=list)


@dataclass
class ManagerStart:
    today: list[Booking] = field(default_factory=list)
    in_use: list[UsageRecord] = field(default_factory=list)
    waiting: list[tuple[Booking, list[Booking]]] = field(default_factory=list)
    collisions: list[tuple[Blackout, list[Booking]]] = field(default_factory=list)


def scientist_start(user: User, now: datetime | None = None) -> ScientistStart:
    now = now or utcnow()
    mine = bookings.list_bookings(user, bookings.BookingFilter(mine=True, start=now))
    active = [b for b in mine if b.status in ACTIVE_STATUSES]
    start = ScientistStart(next_bookings=active[:NEXT_BOOKINGS], pending=[b for b in active if b.status == "pending"])
    for booking in active:
        if booking.status != "confirmed" or booking.start_at > now + timedelta(days=1):
            continue
        if open_record_of(booking) is not None:
            start.to_check_out.append(booking)
        elif check_in_window(booking, now) == "open":
            start.to_check_in.append(booking)
    today = now.date()
    start.expiring = list(
        db.session.scalars(
            select(UserQualification)
            .where(
                UserQualification.user_id == user.id,
                UserQualification.valid_until >= today,
                UserQualification.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS),
            )
            .order_by(UserQualification.valid_until)
        )
    )
    return start


def manager_start(user: User, now: datetime | None = None) -> ManagerStart:
    now = now or utcnow()
    managed = facilities_managed_by(user)
    start = ManagerStart()
    for facility in managed:
        tz = ZoneInfo(facility.timezone)
        day = now.astimezone(tz).date()
        window = (local_instant(day, 0, tz), local_instant(day + timedelta(days=1), 0, tz))
        flt = bookings.BookingFilter(facility=facility.key, start=window[0], end=window[1])
        start.today += [
            b for b in bookings.list_bookings(user, flt) if b.status in (*ACTIVE_STATUSES, "completed", "no_show")
        ]
    ids = [f.id for f in managed]
    start.in_use = list(
        db.session.scalars(
            select(UsageRecord)
            .join(Resource, Resource.id == UsageRecord.resource_id)
            .where(Resource.facility_id.in_(ids), UsageRecord.end_at.is_(None), UsageRecord.superseded.is_(False))
            .order_by(UsageRecord.start_at)
        )
    )
    pending = [
        b
        for b in bookings.list_bookings(user, bookings.BookingFilter(status="pending", start=now))
        if user.manages(b.facility)
    ]
    for request in sorted(pending, key=lambda b: (b.created_at, b.id))[:REQUESTS_SHOWN]:
        around = bookings.active_bookings(
            request.resource, (request.start_at - AROUND, request.end_at + AROUND), exclude_id=request.id
        )
        start.waiting.append((request, around))
    for blackout in bookings.upcoming_blackouts(user, now):
        hit = bookings.bookings_under_blackouts(
            Blackout.id == blackout.id, blackout.facility_id, blackout.resource_id, ending_after=now
        )
        if hit:
            start.collisions.append((blackout, hit))
    return start
