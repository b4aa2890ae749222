"""What the interactive calendar shows of a facility (or one of its resources) in a window:
bookings (the viewer's own and those they may see in detail, the others' only as busy), the
changeover after each, blackouts, closed days and the free time where a booking may go.

A fixed number of SQL statements whatever the number of events: the facility, its resources
(with their qualification), the bookings of all of them in one statement, the blackouts in
another; the free time is then worked out per resource from those rows by the same rules
``availability`` and ``request_booking`` use. The JSON calendar and the pages' server-drawn
calendar both draw from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from facility.accounts.models import User
from facility.bookings import rules, states
from facility.bookings.models import ACTIVE_STATUSES, Blackout, Booking
from facility.bookings.services import MAX_AVAILABILITY_DAYS, hours_for, policy_for
from facility.catalog.models import Facility, Resource
from facility.catalog.services import closed_days_for, get_facility, get_resource
from facility.core.access import may_see_details
from facility.core.errors import invalid
from facility.core.extensions import db
from facility.core.time import utcnow

# Bookings drawn: those that hold time, and those that were used (the past of the calendar).
SHOWN_STATUSES = (*ACTIVE_STATUSES, "completed")
MOVABLE_STATUSES = states.values(states.REQUESTED)


@dataclass(slots=True)
class CalendarBooking:
    id: int
    resource: str
    start: datetime
    end: datetime
    status: str
    own: bool
    details: bool  # whether the viewer may see who and why (core.access.may_see_details)
    owner: str  # empty unless ``details``
    purpose: str  # empty unless ``details``
    movable: bool  # the viewer's own, still to come and holding its time


@dataclass(slots=True)
class CalendarBlackout:
    id: int
    resource: Optional[str]  # None: the whole facility
    kind: str
    reason: str
    start: datetime
    end: datetime


@dataclass
class CalendarData:
    facility: Facility
    resources: list[Resource]
    window: rules.Interval
    now: datetime
    bookings: list[CalendarBooking] = field(default_factory=list)
    changeovers: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    blackouts: list[CalendarBlackout] = field(default_factory=list)
    bookable: dict[str, rules.Bookable] = field(default_factory=dict)  # by resource key
    policies: dict[str, rules.Policy] = field(default_factory=dict)  # by resource key
    closed: list[date] = field(default_factory=list)  # closed days in the window, local dates

    @property
    def free(self) -> dict[str, list[rules.Interval]]:
        """The free time of each resource, by key."""
        return {key: bookable.free for key, bookable in self.bookable.items()}

    def first_booking(self, resource_key: str, within: rules.Interval) -> Optional[rules.Interval]:
        """The earliest, shortest booking of the resource that the free time offers, starting ``within``."""
        zone = ZoneInfo(self.facility.timezone)
        return rules.first_booking(self.bookable[resource_key], self.policies[resource_key], zone, within=within)

    def closed_names(self, language: str, unnamed: str) -> list[tuple[date, str]]:
        """Each closed day with its holiday's (or closure's) name in ``language``."""
        closed = closed_days_for(self.facility)
        return [(day, closed.name(day, language, unnamed=unnamed) or unnamed) for day in self.closed]


def calendar_data(
    viewer: User,
    facility_key: Optional[str],
    resource_key: Optional[str],
    start: datetime,
    end: datetime,
    *,
    now: Optional[datetime] = None,
    with_free: bool = True,
    free_reaching: bool = False,
) -> CalendarData:
    """The calendar of one resource (``resource_key``) or of a whole facility in [start, end);
    without the free time if not ``with_free`` (a month view does not draw it).

    ``free_reaching``: each resource's free time worked out as far as a booking that starts in
    the window reaches (``rules.reach``), as ``availability`` of that span would, so that the
    earliest booking offered late in the window may end after it (the pages' "Book" links)."""
    if not facility_key and not resource_key:
        raise invalid("required", "Name a facility or a resource.", "facility")
    if end <= start:
        raise invalid("end_before_start", "'to' must be after 'from'.", "to")
    if end - start > timedelta(days=MAX_AVAILABILITY_DAYS):
        raise invalid("window_too_large", f"Ask for at most {MAX_AVAILABILITY_DAYS} days at a time.", "to")
    if resource_key:
        resource = get_resource(resource_key, "resource")
        if facility_key and resource.facility.key != facility_key:
            raise invalid("mismatch", f"Resource '{resource_key}' is not at facility '{facility_key}'.", "resource")
        facility, resources = resource.facility, _resources(resource.facility, resource.id)
    else:
        facility = get_facility(facility_key, "facility")
        resources = _resources(facility)
    data = CalendarData(facility, resources, (start, end), now or utcnow())
    if not resources:
        return data
    data.policies = {r.key: policy_for(r) for r in resources}
    free_windows = {
        key: rules.reach((start, end), policy) if free_reaching else (start, end)
        for key, policy in data.policies.items()
    }
    read_end = max(
        rules.blocked_until(rules.reach(free_windows[key], policy)[1], policy) for key, policy in data.policies.items()
    )
    rows = _booking_rows([r.id for r in resources], start, read_end)
    blackouts = _blackout_rows(facility, start, read_end)
    keys = {r.id: r.key for r in resources}
    _add_bookings(data, viewer, rows, keys)
    _add_blackouts(data, blackouts, keys)
    if with_free:
        _add_free(data, rows, blackouts, free_windows)
    _add_closed(data)
    return data


def _resources(facility: Facility, only: Optional[int] = None) -> list[Resource]:
    query = (
        select(Resource)
        .where(Resource.facility_id == facility.id, Resource.retired_at.is_(None))
        .options(joinedload(Resource.qualification))
        .order_by(Resource.id)
    )
    if only is not None:
        query = query.where(Resource.id == only)
    return list(db.session.scalars(query).unique())


def _booking_rows(resource_ids: list[int], start: datetime, end: datetime):
    """The bookings' plain columns, in the order ``_add_bookings`` unpacks them."""
    query = (
        select(
            Booking.id,
            Booking.resource_id,
            Booking.user_id,
            Booking.start_at,
            Booking.end_at,
            Booking.blocked_until,
            Booking.status,
            Booking.purpose,
            User.name.label("owner"),
        )
        .join(User, User.id == Booking.user_id)
        .where(
            Booking.resource_id.in_(resource_ids),
            Booking.status.in_(SHOWN_STATUSES),
            Booking.start_at < end,
            Booking.blocked_until > start,
        )
        .order_by(Booking.start_at, Booking.id)
    )
    # Plain columns through the connection: the ORM's row handling would double the time of a
    # month of thousands (issue 15), and no object is wanted.
    return db.session.connection().execute(query).all()


def _blackout_rows(facility: Facility, start: datetime, end: datetime):
    query = (
        select(Blackout.id, Blackout.resource_id, Blackout.kind, Blackout.reason, Blackout.start_at, Blackout.end_at)
        .where(Blackout.facility_id == facility.id, Blackout.start_at < end, Blackout.end_at > start)
        .order_by(Blackout.start_at)
    )
    return list(db.session.execute(query))


def _add_bookings(data: CalendarData, viewer: User, rows, keys: dict[int, str]) -> None:
    (lo, hi), seen, viewer_id, now = data.window, {}, viewer.id, data.now
    active, movable = frozenset(ACTIVE_STATUSES), frozenset(MOVABLE_STATUSES)
    # Unpacked as tuples: a month of a busy facility is thousands of rows (issue 15: < 50 ms).
    for booking_id, resource_id, user_id, start_at, end_at, blocked_until, status, purpose, owner in rows:
        if start_at >= hi or max(end_at, blocked_until) <= lo:
            continue
        own = user_id == viewer_id
        details = seen.get(user_id)
        if details is None:  # the privacy rule, asked once per person
            details = seen[user_id] = may_see_details(viewer, user_id, data.facility)
        resource = keys[resource_id]
        if end_at > lo:
            data.bookings.append(
                CalendarBooking(
                    booking_id,
                    resource,
                    start_at,
                    end_at,
                    status,
                    own,
                    details,
                    owner if details else "",
                    purpose if details else "",
                    own and status in movable and start_at > now,  # a hold is answered, not moved
                )
            )
        if status in active and blocked_until > end_at:
            data.changeovers.append((resource, end_at, blocked_until))


def _add_blackouts(data: CalendarData, rows, keys: dict[int, str]) -> None:
    for row in rows:
        if row.resource_id is not None and row.resource_id not in keys:
            continue  # another resource of the facility than the one asked for
        if rules.overlaps((row.start_at, row.end_at), data.window):
            resource = keys.get(row.resource_id) if row.resource_id is not None else None
            data.blackouts.append(CalendarBlackout(row.id, resource, row.kind, row.reason, row.start_at, row.end_at))


def _add_free(data: CalendarData, rows, blackouts, windows: dict[str, rules.Interval]) -> None:
    """The free time of each resource in its window: ``rules.bookable_time`` over the rows read once for all."""
    hours = hours_for(data.facility)
    taken: dict[int, list[rules.Interval]] = {}
    for _id, resource_id, _user, start_at, _end, blocked_until, status, _purpose, _owner in rows:
        if status in ACTIVE_STATUSES:
            taken.setdefault(resource_id, []).append((start_at, blocked_until))
    for resource in data.resources:
        ctx = rules.BookingContext(
            policy=data.policies[resource.key],
            hours=hours,
            now=data.now,
            blackouts=[
                (b.start_at, b.end_at) for b in blackouts if b.resource_id is None or b.resource_id == resource.id
            ],
            taken=taken.get(resource.id, []),
        )
        data.bookable[resource.key] = rules.bookable_time(windows[resource.key], ctx)


def _add_closed(data: CalendarData) -> None:
    closed = closed_days_for(data.facility)
    tz = hours_for(data.facility).tz
    day, last = data.window[0].astimezone(tz).date(), (data.window[1] - timedelta(microseconds=1)).astimezone(tz).date()
    while day <= last:
        if day in closed:
            data.closed.append(day)
        day += timedelta(days=1)
