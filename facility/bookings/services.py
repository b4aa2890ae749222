"""The booking actions: request, approve, reject, cancel, reschedule; and the queries behind them.

Every action is one write transaction that also writes its audit event. The HTML views,
the JSON API, the command line and the scheduled jobs all call these functions.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Callable, Iterable, Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Row, Select, and_, bindparam, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached, raiseload, selectinload

from facility import audit
from facility.accounts.models import User, UserQualification
from facility.audit import services as audit_services
from facility.audit import signatures
from facility.bookings import rules, states
from facility.bookings.models import ACTIVE_STATUSES, BLACKOUT_KINDS, BOOKING_STATUSES, Blackout, Booking
from facility.bookings.states import BookingStatus
from facility.catalog.models import RESOURCE_STATUSES, Facility, Resource
from facility.catalog.services import closed_days_for, get_facility, get_resource
from facility.core import time as clock_time
from facility.core.access import may_see_details, require_a_manager, require_manager_of
from facility.core.database import kept_after_commit, write_transaction
from facility.core.errors import ServiceError, Violation, invalid, not_found, rule_violations
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.core.words import N_

GMP_APPROVAL_MEANING = "approval"  # one of facility.audit.signatures.MEANINGS
MAX_AVAILABILITY_DAYS = 92
OVERLAP_CONSTRAINT = "bookings_no_overlap"


# --- facts for the rules ---------------------------------------------------------------


def policy_for(resource: Resource) -> rules.Policy:
    qualification = resource.qualification
    return rules.Policy(
        slot_minutes=resource.slot_minutes,
        min_minutes=resource.min_minutes,
        max_minutes=resource.max_minutes,
        lead_minutes=resource.lead_minutes,
        horizon_days=resource.horizon_days,
        changeover_minutes=resource.changeover_minutes,
        requires_approval=resource.requires_approval,
        runs_unattended=resource.runs_unattended,
        qualification=qualification.key if qualification else None,
        qualification_name=qualification.name if qualification else None,
        quota_hours_per_week=resource.quota_hours_per_week,
        status=resource.status,
        retired=resource.is_retired,
    )


def hours_for(facility: Facility) -> rules.OpeningHours:
    weekly = {
        index: tuple(clock_time.parse_hours(span) for span in facility.opening_hours.get(day, []))
        for index, day in enumerate(clock_time.WEEKDAYS)
    }
    return rules.OpeningHours(ZoneInfo(facility.timezone), weekly, closed_days_for(facility))


def active_bookings(
    resource: Resource, window: rules.Interval, *, exclude_id: Optional[int] = None, user: Optional[User] = None
) -> list[Booking]:
    """Active bookings of ``resource`` whose held time (changeover included) meets ``window``."""
    query = select(Booking).where(*Booking.holding(resource.id, *window)).order_by(Booking.start_at)
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    if user is not None:
        query = query.where(Booking.user_id == user.id)
    return list(db.session.scalars(query))


def blackouts_for(resource: Resource, window: rules.Interval) -> list[Blackout]:
    query = select(Blackout).where(*Blackout.covering(resource.facility_id, resource.id, *window))
    query = query.order_by(Blackout.start_at)
    return list(db.session.scalars(query))


def qualifications_of(user: User) -> dict[str, date]:
    rows = db.session.scalars(select(UserQualification).where(UserQualification.user_id == user.id))
    return {row.qualification.key: row.valid_until for row in rows}


def held_rows(
    resource: Resource, start: datetime, end: datetime, *, exclude_id: Optional[int] = None
) -> tuple[list[Row], list[Row]]:
    """The active bookings (start_at, end_at, blocked_until, status) and the blackouts
    (start_at, end_at) that a booking of ``resource`` in [start, end) must keep clear of (its
    changeover included): plain rows, as many as a month of a busy resource holds."""
    held = (start, rules.blocked_until(max(start, end), policy_for(resource)))
    bookings = (
        select(Booking.start_at, Booking.end_at, Booking.blocked_until, Booking.status)
        .where(*Booking.holding(resource.id, *held))
        .order_by(Booking.start_at)
    )
    if exclude_id is not None:
        bookings = bookings.where(Booking.id != exclude_id)
    blackouts = (
        select(Blackout.start_at, Blackout.end_at)
        .where(*Blackout.covering(resource.facility_id, resource.id, start, max(start, end)))
        .order_by(Blackout.start_at)
    )
    return list(db.session.execute(bookings)), list(db.session.execute(blackouts))


def context_for(
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    user: Optional[User] = None,
    exclude_id: Optional[int] = None,
    rows: Optional[tuple[list[Row], list[Row]]] = None,
) -> rules.BookingContext:
    """The facts the rules need for a booking of ``resource`` in [start, end): by ``user`` (their
    qualifications and quota), or by anyone, which is what availability asks. ``rows``: the
    ``held_rows`` of that window, when the caller has them already."""
    taken, blackouts = rows if rows is not None else held_rows(resource, start, end, exclude_id=exclude_id)
    own, qualifications = [], {}
    policy, hours = policy_for(resource), hours_for(resource.facility)
    if user is not None:
        quota_window = rules.quota_window(start, end, policy, hours.tz)
        if quota_window is not None:
            own = active_bookings(resource, quota_window, exclude_id=exclude_id, user=user)
        qualifications = qualifications_of(user)
    return rules.BookingContext(
        policy=policy,
        hours=hours,
        now=now,
        blackouts=[(b.start_at, b.end_at) for b in blackouts],
        taken=[(b.start_at, b.blocked_until) for b in taken],
        own_bookings=[(b.start_at, b.end_at) for b in own],
        qualifications=qualifications,
    )


# --- lookups and visibility --------------------------------------------------------------


def can_see(actor: User, booking: Booking) -> bool:
    """Whether ``actor`` may open ``booking`` and see who holds it and why (core.access)."""
    return may_see_details(actor, booking.user_id, booking.facility)


def get_booking(actor: User, booking_id: int) -> Booking:
    """The booking if ``actor`` may see it; otherwise 404, which does not reveal that it exists."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not can_see(actor, booking):
        raise not_found("booking")
    return booking


@dataclass(frozen=True)
class BookingFilter:
    mine: bool = False
    resource: Optional[str] = None
    facility: Optional[str] = None
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    status: Optional[str] = None


def list_bookings(actor: User, flt: BookingFilter) -> list[Booking]:
    """The caller's own bookings; a manager also sees every booking of the facilities they manage."""
    query = (
        select(Booking)
        .join(Booking.resource)
        .order_by(Booking.start_at, Booking.id)
        # What a listing shows of each (resource, facility's zone, owner) comes in two more
        # statements, once per resource and person (not once per row: a resource's row carries
        # its facility's JSON), a fixed cost however many bookings the window holds.
        .options(selectinload(Booking.resource).joinedload(Resource.facility), selectinload(Booking.user))
    )
    if flt.mine or not (actor.is_admin or actor.manages_any):
        query = query.where(Booking.user_id == actor.id)
    elif not actor.is_admin:
        managed = [f.id for f in actor.facilities]
        query = query.where(or_(Booking.user_id == actor.id, Resource.facility_id.in_(managed)))
    if flt.resource:
        query = query.where(Resource.id == get_resource(flt.resource, "resource").id)
    if flt.facility:
        query = query.where(Resource.facility_id == get_facility(flt.facility, "facility").id)
    if flt.status:
        if flt.status not in BOOKING_STATUSES:
            raise invalid("invalid", f"Unknown status '{flt.status}'; one of {', '.join(BOOKING_STATUSES)}.", "status")
        query = query.where(Booking.status == flt.status)
    if flt.start:
        query = query.where(Booking.end_at > flt.start)
    if flt.end:
        query = query.where(Booking.start_at < flt.end)
    return list(db.session.scalars(query))


# --- availability ------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    resource: Resource
    busy: list[rules.BusySpan]
    bookable: rules.Bookable

    @property
    def free(self) -> list[rules.Interval]:
        return self.bookable.free


def availability(resource: Resource, start: datetime, end: datetime, *, now: Optional[datetime] = None) -> Availability:
    """Busy time of ``resource`` in [start, end), which names nobody, and where a booking may go:
    computed from the same facts and rules that ``request_booking`` checks."""
    if end <= start:
        raise invalid("end_before_start", "'to' must be after 'from'.", "to")
    if end - start > timedelta(days=MAX_AVAILABILITY_DAYS):
        raise invalid("window_too_large", f"Ask for at most {MAX_AVAILABILITY_DAYS} days at a time.", "to")
    reach = rules.reach((start, end), policy_for(resource))
    rows = held_rows(resource, *reach)  # read once: for the rules, and (inside the window) for busy
    ctx = context_for(resource, *reach, now=now or utcnow(), rows=rows)
    return Availability(resource, busy_spans(*rows, (start, end)), rules.bookable_time((start, end), ctx))


def busy_spans(bookings: list[Row], blackouts: list[Row], window: rules.Interval) -> list[rules.BusySpan]:
    """The busy time that ``bookings`` and ``blackouts`` make in ``window``; no names."""
    spans = []
    for booking in bookings:
        if not rules.overlaps((booking.start_at, booking.blocked_until), window):
            continue
        kind = "booking" if booking.status == "confirmed" else "pending"
        spans.append(rules.BusySpan(booking.start_at, booking.end_at, kind))
        if booking.blocked_until > booking.end_at:
            spans.append(rules.BusySpan(booking.end_at, booking.blocked_until, "changeover"))
    for blackout in blackouts:
        if not rules.overlaps((blackout.start_at, blackout.end_at), window):
            continue
        spans.append(rules.BusySpan(blackout.start_at, blackout.end_at, "blackout"))
    return sorted(spans, key=lambda s: (s.start, s.end))


# --- actions -----------------------------------------------------------------------------


def snapshot(booking: Booking) -> dict:
    """What the audit trail keeps of a booking's state (a batch only where there is one, so
    that what signatures of bookings without one signed stays the same)."""
    return {
        "resource": booking.resource.key,
        "user": booking.user.email if booking.user else None,
        "start": booking.start_at.isoformat(),
        "end": booking.end_at.isoformat(),
        "status": booking.status,
        "purpose": booking.purpose,
        "project": booking.project,
        **({"batch": booking.batch} if booking.batch else {}),
    }


# Further checks of a request for a resource's time (a booking, a walk-up use) that other
# modules add at start-up (the GMP records: product and batch, calibration): each takes
# (what: "booking" or "use", the user whose time it is, resource, start, end, project, batch)
# and returns the rules it breaks; bookings imports none of them.
REQUEST_CHECKS: list[Callable[..., list[rules.Violation]]] = []


def request_check_violations(
    what: str, user: User, resource: Resource, start, end, project, batch
) -> list[rules.Violation]:
    return [v for check in REQUEST_CHECKS for v in check(what, user, resource, start, end, project, batch)]


@dataclass(frozen=True)
class RequestFacts:
    """What the rules need of a resource to judge a request, read in one statement."""

    resource: Resource  # with its facility and qualification loaded; nothing else may load lazily
    policy: rules.Policy
    hours: rules.OpeningHours
    blackouts: list[rules.Interval]
    qualifications: dict[str, date]

    def context(self, now: datetime, taken=(), own_bookings=(), blackouts=None) -> rules.BookingContext:
        return rules.BookingContext(
            policy=self.policy,
            hours=self.hours,
            now=now,
            blackouts=self.blackouts if blackouts is None else blackouts,
            taken=list(taken),
            own_bookings=list(own_bookings),
            qualifications=self.qualifications,
        )


# The create path's two reads are built once, with bound parameters: building a statement
# of this size costs SQLAlchemy about five times as much as running it (issue 12).


@cache
def _facts_statement() -> Select:
    window_start, window_end = bindparam("start"), bindparam("end")
    return (
        select(Resource, Blackout.start_at, Blackout.end_at, UserQualification.valid_until)
        .outerjoin(
            UserQualification,
            and_(
                UserQualification.qualification_id == Resource.qualification_id,
                UserQualification.user_id == bindparam("user_id"),
            ),
        )
        .outerjoin(
            Blackout,
            and_(*Blackout.covering(Resource.facility_id, Resource.id, window_start, window_end)),
        )
        .where(Resource.key == bindparam("resource_key"))
        .order_by(Blackout.start_at)
        .options(joinedload(Resource.facility), joinedload(Resource.qualification), raiseload("*"))
    )


def request_facts(actor: User, resource_key: str, start: datetime, end: datetime) -> RequestFacts:
    """The resource ``resource_key`` with its facility and qualification, the blackouts that meet
    [start, end), and until when ``actor`` holds the qualification it needs: one statement (the
    resource row repeats once per blackout). Any other relationship of the resource raises if
    touched (``raiseload``), so that no lazy load creeps into a booking request."""
    parameters = {"user_id": actor.id, "resource_key": resource_key, "start": start, "end": max(start, end)}
    rows = db.session.execute(_facts_statement(), parameters).all()
    if not rows:
        raise not_found("resource", "resource")
    resource, valid_until = rows[0][0], rows[0][3]
    qualification = resource.qualification
    held = {qualification.key: valid_until} if qualification is not None and valid_until is not None else {}
    return RequestFacts(
        resource=resource,
        policy=policy_for(resource),
        hours=hours_for(resource.facility),
        blackouts=[(row[1], row[2]) for row in rows if row[1] is not None],
        qualifications=held,
    )


@cache
def _held_statement(with_own: bool) -> Select:
    """Branches of one UNION ALL, each reading its own range of the (resource, start) index."""
    resource_id = bindparam("resource_id")

    def active(kind: str, *where):
        window = (bindparam(f"{kind}_start"), bindparam(f"{kind}_end"))
        return select(
            literal(kind).label("kind"), Booking.start_at, Booking.end_at, Booking.blocked_until.label("until")
        ).where(*Booking.holding(resource_id, *window), *where)

    branches = [active("taken")]
    if with_own:
        branches.append(active("own", Booking.user_id == bindparam("user_id")))
    covering = Blackout.covering(bindparam("facility_id"), resource_id, bindparam("taken_start"), bindparam("end"))
    branches.append(
        select(
            literal("blackout").label("kind"), Blackout.start_at, Blackout.end_at, Blackout.end_at.label("until")
        ).where(*covering)
    )
    union = union_all(*branches).subquery()
    return select(union).order_by(union.c.start_at)


def taken_and_own(
    facts: RequestFacts, user_id: int, start: datetime, end: datetime
) -> tuple[list[rules.Interval], list[rules.Interval], list[rules.Interval]]:
    """In one statement: the held time of the active bookings of the resource that a booking of
    [start, end) must keep clear of (changeover included), the requester's own active bookings
    there in the weeks the quota counts (none read when the resource has no quota), and the
    blackouts that meet it. The same windows as ``context_for``; plain values, no objects."""
    quota_window = rules.quota_window(start, end, facts.policy, facts.hours.tz)
    parameters = {
        "resource_id": facts.resource.id,
        "facility_id": facts.resource.facility_id,
        "taken_start": start,
        "taken_end": rules.blocked_until(max(start, end), facts.policy),
        "end": max(start, end),
    }
    if quota_window is not None:
        parameters.update(user_id=user_id, own_start=quota_window[0], own_end=quota_window[1])
    rows = db.session.connection().execute(_held_statement(quota_window is not None), parameters).all()
    taken = [(row.start_at, row.until) for row in rows if row.kind == "taken"]
    own = [(row.start_at, row.end_at) for row in rows if row.kind == "own"]
    blackouts = [(row.start_at, row.end_at) for row in rows if row.kind == "blackout"]
    return taken, own, blackouts


def request_booking(
    actor: User,
    resource_key: str,
    start: datetime,
    end: datetime,
    purpose: str = "",
    project: Optional[str] = None,
    *,
    batch: Optional[str] = None,
    now: Optional[datetime] = None,
    for_user: Optional[User] = None,
) -> Booking:
    """Book ``resource_key`` for [start, end): confirmed at once, or pending where approval is required.

    ``for_user``: a manager of the resource's facility books on behalf of that user: the rules
    are judged for them (qualification, quota, GMP labels), the booking is theirs (and so is the
    mail), and the audit event names both (the actor, and the user as the booking's owner).

    Cheap and short under the write lock (issue 12): the resource, its facility, qualification
    and blackouts and the requester's qualification are read in one statement before the lock,
    and every rule is checked on them (a request they refuse never takes the lock). Under the
    lock one statement reads what can change concurrently (other bookings: overlap; the
    requester's own: quota; blackouts), the rules are checked again in full on those facts,
    and the booking and its audit event are inserted. The objects stay loaded after the commit
    (nothing is read again to answer).
    """
    now = now or utcnow()
    owner = for_user if for_user is not None else actor
    with kept_after_commit():
        facts = request_facts(owner, resource_key, start, end)
        resource = facts.resource
        if owner is not actor:
            require_booking_for(actor, resource)
        others = request_check_violations("booking", owner, resource, start, end, project, batch)
        if others or rules.check_booking(start, end, facts.context(now)):
            # Refused without the write lock; still name every rule broken, overlap included.
            taken, own, blackouts = taken_and_own(facts, owner.id, start, end)
            raise rule_violations(rules.check_booking(start, end, facts.context(now, taken, own, blackouts)) + others)
        with write_transaction():
            taken, own, blackouts = taken_and_own(facts, owner.id, start, end)
            ctx = facts.context(now, taken, own, blackouts)
            violations = rules.check_booking(start, end, ctx)
            if violations:
                raise rule_violations(violations)
            booking = new_booking(
                resource, owner, start, end, ctx.policy, rules.initial_status(ctx.policy),
                purpose=purpose, project=project, batch=batch, now=now, at_once=True,
            )  # fmt: skip
            after = snapshot(booking) if owner is actor else {**snapshot(booking), "booked_by": actor.email}
            audit.record(actor, "booking.requested", booking, after=after, facility=resource.facility)
    return booking


def new_booking(
    resource: Resource,
    user: User,
    start: datetime,
    end: datetime,
    policy: rules.Policy,
    status: str,
    *,
    purpose: str = "",
    project: Optional[str] = None,
    batch: Optional[str] = None,
    now: datetime,
    at_once: bool = False,
    **part_of,
) -> Booking:
    """A new booking of [start, end) added to the session (the one place a booking row is made:
    a request, a hold, a series' occurrence, a bundle's member): it holds its resource until the
    changeover after it. ``part_of``: its ``series`` or ``bundle``.

    ``at_once``: written now with one INSERT (an overlap refused as the ``overlap`` rule) and
    made persistent in the session as it is, instead of waiting for the unit of work's flush,
    which costs a single booking request several times the insert itself (issue 12)."""
    booking = Booking(
        resource=resource,
        user=user,
        start_at=start,
        end_at=end,
        blocked_until=rules.blocked_until(end, policy),
        status=status,
        purpose=purpose or "",
        project=project or None,
        batch=batch or None,
        created_at=now,
        updated_at=now,
        sequence=0,
        decision_reason="",
        **part_of,
    )
    if at_once:
        _insert_at_once(booking)
    else:
        db.session.add(booking)
    return booking


_BOOKING_INSERT = Booking.__table__.insert()
_BOOKING_COLUMNS = tuple(column.key for column in Booking.__table__.columns if column.key != "id")


def _insert_at_once(booking: Booking) -> None:
    booking.resource_id, booking.user_id = booking.resource.id, booking.user.id
    row = {key: getattr(booking, key) for key in _BOOKING_COLUMNS}
    with _refusing_overlap():
        # The new id: RETURNING on PostgreSQL, the row id on SQLite (any version).
        booking.id = db.session.connection().execute(_BOOKING_INSERT, row).inserted_primary_key[0]
    for key, value in row.items():  # every column loaded: None where nothing was given
        setattr(booking, key, value)
    make_transient_to_detached(booking)  # as though just read: no change pending, nothing to flush
    db.session.add(booking)


def require_booking_for(actor: User, resource: Resource) -> None:
    """Only a manager of the resource's facility books on behalf of someone else (403)."""
    _require_booking_for_others(actor)
    if not actor.manages(resource.facility):
        raise ServiceError(
            403,
            [
                Violation.worded(
                    "not_manager_of_facility", N_("You can book for others only at the facilities you manage."), "user"
                )
            ],
        )


def _require_booking_for_others(actor: User) -> None:
    """403 ``not_a_manager``: only a lab manager books on behalf of another user."""
    if not actor.manages_any:
        raise ServiceError(
            403,
            [Violation.worded("not_a_manager", N_("Only a lab manager can book on behalf of another user."), "user")],
        )


def people_to_book_for(actor: User) -> list[User]:
    """Whom a manager's booking form offers to book for: the people who have booked at the
    facilities they manage (everyone for an administrator); others by e-mail."""
    if not actor.manages_any:
        return []
    query = select(User).where(User.active.is_(True)).order_by(User.name, User.email)
    if not actor.is_admin:
        managed = [f.id for f in actor.facilities]
        booked = select(Booking.user_id).join(Booking.resource).where(Resource.facility_id.in_(managed))
        query = query.where(User.id.in_(booked))
    return list(db.session.scalars(query))


def person_to_book_for(actor: User, email: str) -> User:
    """The user a manager books for, by e-mail (403 for a non-manager, 404 for an unknown user)."""
    _require_booking_for_others(actor)
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise not_found("user", "user")
    return user


# --- holds: time offered from a waiting list ------------------------------------------------


def hold(
    user: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    purpose: str = "",
    project: Optional[str] = None,
    batch: Optional[str] = None,
    reason: str = "",
) -> Booking:
    """Claim [start, end) of ``resource`` for ``user`` as a ``held`` booking (an offer from a
    waiting list), inside the caller's write transaction, if every rule allows it for that user
    (409/422 otherwise). Being active, the hold keeps everyone else out while the offer stands."""
    ctx = context_for(resource, start, end, now=now, user=user)
    violations = rules.check_booking(start, end, ctx)
    violations += request_check_violations("booking", user, resource, start, end, project, batch)
    if violations:
        raise rule_violations(violations)
    booking = new_booking(
        resource, user, start, end, ctx.policy, BookingStatus.HOLD.value,
        purpose=purpose, project=project, batch=batch, now=now,
    )  # fmt: skip
    _flush_refusing_overlap()
    audit.record(None, "booking.held", booking, after=snapshot(booking), reason=reason, facility=resource.facility)
    return booking


# Callables told after a change that gave time back on a resource has committed (a booking
# cancelled, rejected, expired or moved, a blackout removed or changed): each takes
# (facility_id, resource_id), resource_id None for the whole facility. The waiting list
# registers here at start-up; bookings imports none of them. A failing callable is logged and
# never undoes the change (the waiting list's job sweeps again).
SLOT_FREED: list[Callable[[int, Optional[int]], None]] = []


def slot_freed(facility_id: int, resource_id: Optional[int]) -> None:
    for callback in SLOT_FREED:
        try:
            callback(facility_id, resource_id)
        except Exception:
            db.session.rollback()
            current_app.logger.exception("after freeing time on resource %s: %s failed", resource_id, callback)


def freed_by(bookings: Iterable[Booking]) -> None:
    """Tell ``SLOT_FREED`` of the time ``bookings`` gave back (cancelled, rejected, expired or
    moved away), once per resource, after their change has committed."""
    for facility_id, resource_id in dict.fromkeys((b.resource.facility_id, b.resource_id) for b in bookings):
        slot_freed(facility_id, resource_id)


def decided_together(actor: User, booking: Booking, *, as_manager: bool) -> list[Booking]:
    """The bookings an action on ``booking`` decides: itself, or every member of its bundle
    (bookings/bundles.py: a suite with its equipment is approved, rejected and cancelled as
    one). ``as_manager``: ``actor`` must manage the facility of each (an administrator all)."""
    members = [booking]
    if booking.bundle_id is not None:
        query = select(Booking).where(Booking.bundle_id == booking.bundle_id).order_by(Booking.id)
        members = list(db.session.scalars(query))
    if as_manager:
        for member in members:
            require_manager_of(actor, member.facility, "decide on this booking (a bundle needs a manager of each)")
    return members


def approve(actor: User, booking_id: int, reason: str = "", *, signed: bool = False) -> Booking:
    """Confirm a pending booking (with the other members of its bundle). At a GMP facility the
    approval needs a reason, and a signed approval (password re-entered on the page) records
    what the signature means."""
    with write_transaction():
        booking = _booking_for_manager(actor, booking_id)
        members = decided_together(actor, booking, as_manager=True)
        for member in members:
            states.require(member.status, (BookingStatus.PENDING,), "approved")  # a hold is its user's to accept
        if any(m.facility.is_gmp for m in members) and not reason.strip():
            raise invalid("reason_required", N_("At a GMP facility an approval needs a reason."), "reason")
        for member in members:
            gmp = member.facility.is_gmp
            change_status(
                member,
                BookingStatus.CONFIRMED,
                actor,
                action="booking.approved",
                reason=reason,
                decided=True,
                signature_meaning=GMP_APPROVAL_MEANING if gmp and signed else None,
            )
    return booking


def reject(actor: User, booking_id: int, reason: str) -> Booking:
    with write_transaction():
        booking = _booking_for_manager(actor, booking_id)
        members = decided_together(actor, booking, as_manager=True)
        for member in members:
            states.check_transition(member.status, BookingStatus.REJECTED)
        if not (reason or "").strip():
            raise invalid("reason_required", N_("Say why the request is rejected."), "reason")
        for member in members:
            change_status(member, BookingStatus.REJECTED, actor, action="booking.rejected", reason=reason, decided=True)
    freed_by(members)
    return booking


def cancel(actor: User, booking_id: int, reason: str = "") -> Booking:
    """Cancel an active booking (with the other members of its bundle); its slot is free again at once."""
    with write_transaction():
        booking = get_booking(actor, booking_id)
        acting_as_manager = booking.user_id != actor.id
        members = decided_together(actor, booking, as_manager=acting_as_manager)
        for member in members:
            states.check_transition(member.status, BookingStatus.CANCELLED)
        if acting_as_manager:
            _require_reason(reason, N_("A manager who cancels someone else's booking must say why."))
        for member in members:
            change_status(
                member,
                BookingStatus.CANCELLED,
                actor,
                action="booking.cancelled",
                reason=reason,
                decided=acting_as_manager,
            )
    freed_by(members)
    return booking


def reschedule(
    actor: User,
    booking_id: int,
    *,
    start: Optional[datetime] = None,
    end: Optional[datetime] = None,
    purpose: Optional[str] = None,
    reason: str = "",
    now: Optional[datetime] = None,
) -> Booking:
    """Change a booking's time or purpose. A new time is checked like a new booking; where the
    resource needs approval and the owner moves it, it goes back to ``pending``. A manager
    changing someone else's booking must give a reason. The audit event names what changed:
    ``booking.rescheduled`` for a new time, ``booking.purpose_changed`` for the purpose alone."""
    with write_transaction():
        booking = get_booking(actor, booking_id)
        states.require(booking.status, states.REQUESTED, "changed")
        if booking.user_id != actor.id:
            _require_reason(reason, N_("A manager who changes someone else's booking must say why."))
        before = snapshot(booking)
        new_start, new_end = start or booking.start_at, end or booking.end_at
        needs_approval = moved = False
        if (new_start, new_end) != (booking.start_at, booking.end_at):
            if booking.bundle_id is not None:
                raise invalid(
                    "part_of_bundle",
                    N_("This booking is part of bundle %(bundle)s: move the bundle, all its bookings at once."),
                    "start",
                    bundle=booking.bundle_id,
                )
            needs_approval = _move(actor, booking, new_start, new_end, now or utcnow())
            moved = True
        if purpose is not None:
            booking.purpose = purpose
        if snapshot(booking) == before:
            return booking
        _flush_refusing_overlap()
        action = "booking.rescheduled" if moved else "booking.purpose_changed"
        if needs_approval and booking.status != BookingStatus.PENDING:
            change_status(booking, BookingStatus.PENDING, actor, action=action, before=before, reason=reason)
        else:
            _record_change(booking, actor, action, before, snapshot(booking), now=utcnow(), reason=reason)
    if moved:
        freed_by([booking])
    return booking


def add_blackout(
    actor: User,
    facility_key: str,
    start: datetime,
    end: datetime,
    *,
    resource_key: Optional[str] = None,
    kind: str = "maintenance",
    reason: str = "",
) -> tuple[Blackout, list[Booking]]:
    """Take time out of service (one resource, or the whole facility). New bookings are refused
    there; the active bookings it collides with are returned for the manager to deal with."""
    with write_transaction():
        facility = get_facility(facility_key, "facility")
        require_manager_of(actor, facility)
        resource = get_resource(resource_key, "resource") if resource_key else None
        if resource is not None and resource.facility_id != facility.id:
            raise invalid("invalid", N_("That resource belongs to another facility."), "resource")
        if end <= start:
            raise invalid("end_before_start", N_("The end must be after the start."), "end")
        if kind not in BLACKOUT_KINDS:
            raise invalid("invalid", f"Kind must be one of {', '.join(BLACKOUT_KINDS)}.", "kind")
        if not reason.strip():
            raise invalid("reason_required", N_("Say why the time is taken out of service."), "reason")
        blackout = Blackout(
            facility=facility, resource=resource, start_at=start, end_at=end, kind=kind, reason=reason, created_by=actor
        )
        db.session.add(blackout)
        audit.record(
            actor,
            "blackout.created",
            blackout,
            reason=reason,
            facility=facility,
            after={
                "resource": resource.key if resource else None,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "kind": kind,
            },
        )
        return blackout, colliding_bookings(blackout)


def blackout_snapshot(blackout: Blackout) -> dict:
    """What the audit trail keeps of a blackout."""
    return {
        "resource": blackout.resource.key if blackout.resource else None,
        "start": blackout.start_at.isoformat(),
        "end": blackout.end_at.isoformat(),
        "kind": blackout.kind,
        "reason": blackout.reason,
    }


def get_blackout(actor: User, blackout_id: int) -> Blackout:
    """A blackout of a facility ``actor`` manages; otherwise 404 (which does not say it exists)."""
    blackout = db.session.get(Blackout, blackout_id)
    if blackout is None or not actor.manages(blackout.facility):
        raise not_found("blackout")
    return blackout


def _editable_blackout(actor: User, blackout_id: int) -> Blackout:
    blackout = get_blackout(actor, blackout_id)
    if blackout.source_id is not None:
        raise invalid(
            "from_calendar_source",
            N_("This blackout comes from a calendar source; change it there (its next refresh replaces it)."),
            "blackout",
        )
    return blackout


def update_blackout(
    actor: User,
    blackout_id: int,
    *,
    start: Optional[datetime] = None,
    end: Optional[datetime] = None,
    kind: Optional[str] = None,
    reason: Optional[str] = None,
) -> tuple[Blackout, list[Booking]]:
    """Change a blackout's time, kind or reason (audited, before and after); returns it with the
    active bookings it now collides with."""
    with write_transaction():
        blackout = _editable_blackout(actor, blackout_id)
        before = blackout_snapshot(blackout)
        start = start if start is not None else blackout.start_at
        end = end if end is not None else blackout.end_at
        kind = kind if kind is not None else blackout.kind
        reason = (reason if reason is not None else blackout.reason).strip()
        problems = []
        if end <= start:
            problems.append(Violation.worded("end_before_start", N_("The end must be after the start."), "end"))
        if kind not in BLACKOUT_KINDS:
            problems.append(Violation("invalid", f"Kind must be one of {', '.join(BLACKOUT_KINDS)}.", "kind"))
        if not reason:
            problems.append(
                Violation.worded("reason_required", N_("Say why the time is taken out of service."), "reason")
            )
        if problems:
            raise ServiceError(422, problems)
        blackout.start_at, blackout.end_at, blackout.kind, blackout.reason = start, end, kind, reason
        audit.record(
            actor,
            "blackout.changed",
            blackout,
            before=before,
            after=blackout_snapshot(blackout),
            reason=reason,
            facility=blackout.facility,
        )
        colliding = colliding_bookings(blackout)
    slot_freed(blackout.facility_id, blackout.resource_id)
    return blackout, colliding


def remove_blackout(actor: User, blackout_id: int, reason: str) -> Blackout:
    """Give the time back: the blackout is deleted, its last state kept in the audit trail."""
    with write_transaction():
        blackout = _editable_blackout(actor, blackout_id)
        if not reason.strip():
            raise invalid("reason_required", N_("Say why the blackout is removed."), "reason")
        audit.record(
            actor,
            "blackout.removed",
            blackout,
            before=blackout_snapshot(blackout),
            reason=reason.strip(),
            facility=blackout.facility,
        )
        freed = blackout.facility_id, blackout.resource_id
        db.session.delete(blackout)
    slot_freed(*freed)
    return blackout


def colliding_bookings(blackout: Blackout) -> list[Booking]:
    """The active bookings that one blackout overlaps."""
    if blackout.id is None:
        db.session.flush()
    return bookings_under_blackouts(Blackout.id == blackout.id, blackout.facility_id, blackout.resource_id)


def bookings_under_blackouts(
    which, facility_id: int, resource_id: Optional[int], *, ending_after: Optional[datetime] = None
) -> list[Booking]:
    """Active bookings of a facility (or of its one resource ``resource_id``) that any blackout
    matching ``which`` (a condition on ``Blackout``) overlaps; with ``ending_after``, only those
    not yet over then. The one collision query: new blackouts and calendar sources both use it."""
    query = (
        select(Booking)
        .join(Booking.resource)
        .join(Blackout, which & (Booking.start_at < Blackout.end_at) & (Booking.end_at > Blackout.start_at))
        .where(Resource.facility_id == facility_id, Booking.status.in_(ACTIVE_STATUSES))
        .distinct()
        .order_by(Booking.start_at, Booking.id)
    )
    if resource_id is not None:
        query = query.where(Booking.resource_id == resource_id)
    if ending_after is not None:
        query = query.where(Booking.end_at > ending_after)
    return list(db.session.scalars(query))


def set_resource_status(actor: User, resource_key: str, status: str, reason: str = "") -> Resource:
    """Mark a resource available, under maintenance or out of service, with a reason."""
    with write_transaction():
        resource = get_resource(resource_key, "resource")
        require_manager_of(actor, resource.facility)
        if status not in RESOURCE_STATUSES:
            raise invalid("invalid", f"Status must be one of {', '.join(RESOURCE_STATUSES)}.", "status")
        if status != "available" and not reason.strip():
            raise invalid("reason_required", N_("Say why the resource cannot be booked."), "reason")
        before = {"status": resource.status, "reason": resource.status_reason}
        resource.status, resource.status_reason = status, reason
        audit.record(
            actor,
            "resource.status_changed",
            resource,
            before=before,
            after={"status": status, "reason": reason},
            reason=reason,
            facility=resource.facility,
        )
    return resource


def _require_reason(reason: str, why_needed: str) -> None:
    if not (reason or "").strip():
        raise invalid("reason_required", why_needed, "reason")


def _move(actor: User, booking: Booking, start: datetime, end: datetime, now: datetime) -> bool:
    """Move ``booking`` to [start, end) if the rules allow it; True if it needs approval again."""
    owner = booking.user
    ctx = context_for(booking.resource, start, end, now=now, user=owner, exclude_id=booking.id)
    violations = rules.check_booking(start, end, ctx)
    if violations:
        raise rule_violations(violations)
    booking.start_at, booking.end_at = start, end
    booking.blocked_until = rules.blocked_until(end, ctx.policy)
    return ctx.policy.requires_approval and not actor.manages(booking.facility)


def _booking_for_manager(actor: User, booking_id: int) -> Booking:
    booking = get_booking(actor, booking_id)
    require_manager_of(actor, booking.facility)
    return booking


# --- the one place a booking's status changes ----------------------------------------------


def status_snapshot(booking: Booking) -> dict:
    """What the audit trail keeps of the changes the system makes (completed, no-show, expired)."""
    return {"status": booking.status}


def change_status(
    booking: Booking,
    to: BookingStatus,
    actor: Optional[User],
    *,
    action: str,
    reason: str = "",
    now: Optional[datetime] = None,
    decided: bool = False,
    before: Optional[dict] = None,
    snapshot_of: Callable[[Booking], dict] = snapshot,
    signature_meaning: Optional[str] = None,
) -> BookingStatus:
    """Change ``booking`` to the state ``to``, inside the caller's write transaction.

    Refuses a change the state machine does not allow (``invalid_state``, 422, naming the
    current state); then sets the status, bumps ``sequence``, sets ``updated_at`` (``now``,
    default the present), records who decided, when and why if ``decided`` (``actor`` None is
    the system), and writes the audit event ``action`` with ``before`` (default
    ``snapshot_of(booking)`` before the change) and ``snapshot_of(booking)`` after it.
    """
    target = states.check_transition(booking.status, to)
    now = now or utcnow()
    if before is None:
        before = snapshot_of(booking)
    booking.status = target.value
    if decided:
        booking.decided_by, booking.decided_at, booking.decision_reason = actor, now, reason or ""
    _record_change(
        booking,
        actor,
        action,
        before,
        snapshot_of(booking),
        now=now,
        reason=reason,
        signature_meaning=signature_meaning,
    )
    return target


def _record_change(
    booking: Booking,
    actor: Optional[User],
    action: str,
    before: dict,
    after: dict,
    *,
    now: datetime,
    reason: str = "",
    signature_meaning: Optional[str] = None,
) -> None:
    """Every change of a booking: a new ``sequence`` (iCalendar), ``updated_at``, an audit event.
    A signed change (``signature_meaning``) binds the signer's printed name and the hash of the
    booking's signed fields (``signed_fields``) to the event."""
    booking.sequence += 1
    booking.updated_at = now
    signed = signature_meaning is not None and actor is not None
    audit.record(
        actor,
        action,
        booking,
        before=before,
        after=after,
        reason=reason,
        facility=booking.facility,
        signature_meaning=signature_meaning if signed else None,
        signer_name=actor.name if signed else None,
        signed_content=signed_fields(booking) if signed else None,
    )


def signed_fields(booking: Booking) -> dict:
    """What an electronic signature of a booking signs: which booking, resource, user, start,
    end, purpose, project and status (after the signed change)."""
    return {"booking": booking.id, **snapshot(booking)}


def signature_of(booking: Booking) -> Optional[signatures.Signature]:
    """The latest electronic signature of ``booking``, held against what the booking holds now."""
    signed = audit_services.signatures_of(Booking.__tablename__, booking.id)
    if not signed:
        return None
    event = signed[-1]
    return signatures.check(
        signer_name=event.signer_name or "",
        at=event.at,
        meaning=event.signature_meaning or "",
        signed_hash=event.signed_content_hash or "",
        signed={"booking": booking.id, **(event.after or {})},
        current=signed_fields(booking),
    )


EXPIRED_REASON = "expired"


def expire(booking: Booking, now: datetime) -> None:
    """Cancel a pending request whose start has passed, as the system, with the reason "expired";
    inside the caller's write transaction."""
    change_status(
        booking,
        BookingStatus.CANCELLED,
        None,
        action="booking.expired",
        reason=EXPIRED_REASON,
        now=now,
        decided=True,
        snapshot_of=status_snapshot,
    )


def expire_pending(now: datetime) -> list[Booking]:
    """Expire every pending request whose start has passed, in one write transaction."""
    with write_transaction():
        expired = list(
            db.session.scalars(
                select(Booking)
                .where(Booking.status == BookingStatus.PENDING.value, Booking.start_at <= now)
                .order_by(Booking.id)
            )
        )
        for booking in expired:
            expire(booking, now)
    freed_by(expired)
    return expired


def _flush_refusing_overlap() -> None:
    """Flush; the PostgreSQL exclusion constraint's refusal becomes the ``overlap`` rule."""
    with _refusing_overlap():
        db.session.flush()


@contextmanager
def _refusing_overlap():
    """The PostgreSQL exclusion constraint's refusal of what is written here becomes the ``overlap`` rule."""
    try:
        yield
    except IntegrityError as error:
        if OVERLAP_CONSTRAINT not in str(error.orig):
            raise
        raise rule_violations(
            [rules.Violation.worded("overlap", N_("This time is already booked."), "start")]
        ) from None


__all__ = [
    "Availability",
    "BookingFilter",
    "ServiceError",
    "add_blackout",
    "approve",
    "set_resource_status",
    "availability",
    "cancel",
    "get_booking",
    "list_bookings",
    "reject",
    "request_booking",
    "reschedule",
    "change_status",
    "expire",
    "expire_pending",
]


def upcoming_blackouts_of(actor: User, facility_key: Optional[str] = None) -> list[Blackout]:
    """``upcoming_blackouts`` for a manager (403 for others), of one facility when named."""
    require_a_manager(actor, "Only lab managers can list blackouts.")
    found = upcoming_blackouts(actor)
    if facility_key:
        facility = get_facility(facility_key, "facility")
        require_manager_of(actor, facility, "see its blackouts")
        found = [b for b in found if b.facility_id == facility.id]
    return found


def upcoming_blackouts(actor: User, now: Optional[datetime] = None) -> list[Blackout]:
    """Blackouts not yet over at the facilities ``actor`` manages, soonest first."""
    managed = [f.id for f in actor.facilities] if actor.role == "manager" else []
    query = select(Blackout).where(Blackout.end_at > (now or utcnow()))
    if not actor.is_admin:
        query = query.where(Blackout.facility_id.in_(managed))
    return list(db.session.scalars(query.order_by(Blackout.start_at, Blackout.id)))


def notify_blackout_collisions(actor: User, blackout_id: int, now: Optional[datetime] = None) -> list[Booking]:
    """Mail the owners of the active bookings (not yet over) that a blackout hits, once per
    booking and blackout time; the notice is audited. Returns the bookings whose owners were told."""
    from facility.bookings.notify import booking_url  # mail after the facts are read; no import cycle
    from facility.core.mail import send_once, send_template

    now = now or utcnow()
    blackout = db.session.get(Blackout, blackout_id)
    if blackout is None or not actor.manages(blackout.facility):
        raise not_found("blackout")
    hit = bookings_under_blackouts(
        Blackout.id == blackout.id, blackout.facility_id, blackout.resource_id, ending_after=now
    )
    told = []
    for booking in hit:
        key = f"blackout:{blackout.id}:{blackout.start_at.isoformat()}:{blackout.end_at.isoformat()}:{booking.id}"

        def send(booking=booking):
            return send_template(
                [booking.user.email], "bookings/mail/blackout_collision", blackout=blackout, booking=booking,
                url=booking_url(booking),
            )  # fmt: skip

        if send_once(key, now, send):
            told.append(booking)
    with write_transaction():
        audit.record(
            actor,
            "blackout.notified",
            db.session.get(Blackout, blackout_id),
            facility=blackout.facility,
            after={"bookings": [b.id for b in hit], "mailed": [b.id for b in told]},
        )
    return told
