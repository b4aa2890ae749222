"""The waiting list: wait for taken time, be offered it when it frees up, accept or decline.

When time frees up on a resource (bookings.services.SLOT_FREED, told after the freeing change
has committed), ``offer_free_time`` walks the resource's waiting entries in order (first come,
first in line) and offers each the first booking its wish takes that every rule allows *for
that user*. The offer is a ``held`` booking, an active claim on the time (the overlap checks
and PostgreSQL's exclusion constraint cover it), made in its own write transaction: if anyone
took the time in between, the hold is refused like any other booking and nothing is offered.
Accepting turns the hold into a request (confirmed, or pending where the resource needs
approval) through ``bookings.services.change_status``; declining, or the hold running out
(``expire_offers``, a scheduled job), cancels it and offers the time to the next in line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import select

from facility import audit
from facility.accounts.models import User
from facility.bookings import rules as booking_rules
from facility.bookings import services as bookings
from facility.bookings.models import Booking
from facility.bookings.states import BookingStatus
from facility.catalog.models import Resource
from facility.catalog.services import get_facility, get_resource
from facility.core.access import require_a_manager, require_manager_of
from facility.core.database import write_transaction
from facility.core.errors import ServiceError, invalid, not_found, rule_violations
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.core.words import N_
from facility.waitlist import rules
from facility.waitlist.models import WaitlistEntry

DEFAULT_HOLD_MINUTES = 120


def parse_hold_minutes(value) -> int:
    """FACILITY_WAITLIST_HOLD_MINUTES: a whole number of minutes, at least 1 (a bad value stops the start)."""
    if value is None or value == "":
        return DEFAULT_HOLD_MINUTES
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = 0
    if minutes < 1:
        raise RuntimeError(
            f"FACILITY_WAITLIST_HOLD_MINUTES must be a whole number of minutes, at least 1; not {value!r}"
        )
    return minutes


def hold_minutes() -> int:
    return current_app.config["FACILITY_WAITLIST_HOLD_MINUTES"]


def snapshot(entry: WaitlistEntry) -> dict:
    return {
        "resource": entry.resource.key,
        "user": entry.user.email,
        "start": entry.start_at.isoformat(),
        "end": entry.end_at.isoformat(),
        "minutes": entry.minutes,
        "status": entry.state,
        "booking": entry.booking_id,
    }


# --- joining ---------------------------------------------------------------------------------


def join(
    actor: User,
    resource_key: str,
    start: datetime,
    end: datetime,
    *,
    minutes: Optional[int] = None,
    purpose: str = "",
    project: Optional[str] = None,
    batch: Optional[str] = None,
    now: Optional[datetime] = None,
) -> WaitlistEntry:
    """Wait for the slot [start, end) of ``resource_key`` (``minutes`` None), or for any booking
    of ``minutes`` inside that window. Refused, with nothing written: a wish in the past or past
    the horizon, one the user could never be offered (not qualified, a length the resource does
    not allow...), the same wish twice, and one that is free now (``slot_free``: book it)."""
    now = now or utcnow()
    resource = get_resource(resource_key, "resource")
    policy = bookings.policy_for(resource)
    latest_end = now + timedelta(days=policy.horizon_days)
    problems = rules.check_wish(start, end, minutes, now=now, latest_end=latest_end)
    if problems:
        raise ServiceError(422, problems)
    # Judged before the write lock (a window's search is not short): a booking made meanwhile
    # only means one waits for time that has just been taken, which is what waiting is for.
    fit, lasting = _first_fit(actor, resource, start, end, minutes, project, batch, now)
    if lasting:
        raise rule_violations(lasting)
    if fit is not None:
        raise invalid("slot_free", N_("This time is free now: book it instead of waiting for it."), "start")
    with write_transaction():
        if _same_wish(actor, resource, start, end, minutes):
            raise invalid("already_waiting", N_("You are already waiting for this time."), "start")
        entry = WaitlistEntry(
            user=actor, resource=resource, start_at=start, end_at=end, minutes=minutes, purpose=purpose or "",
            project=project or None, batch=batch or None, state="waiting", created_at=now, updated_at=now,
        )  # fmt: skip
        db.session.add(entry)
        audit.record(actor, "waitlist.joined", entry, after=snapshot(entry), facility=resource.facility)
    return entry


def _same_wish(actor: User, resource: Resource, start, end, minutes) -> bool:
    query = select(WaitlistEntry.id).where(
        WaitlistEntry.user_id == actor.id,
        WaitlistEntry.resource_id == resource.id,
        WaitlistEntry.start_at == start,
        WaitlistEntry.end_at == end,
        WaitlistEntry.minutes.is_(None) if minutes is None else WaitlistEntry.minutes == minutes,
        WaitlistEntry.state.in_(rules.OPEN),
    )
    return db.session.scalar(query) is not None


def _first_fit(user: User, resource: Resource, start, end, minutes, project, batch, now):
    """(the first booking of the wish that every rule allows for ``user`` now, or None;
    the broken rules that freed time would never mend, judged on the wish's first booking)."""
    ctx = bookings.context_for(resource, start, end, now=now, user=user)
    others = bookings.request_check_violations("booking", user, resource, start, end, project, batch)
    first = None
    slots = rules.candidates(
        start, end, minutes, slot_minutes=ctx.policy.slot_minutes, tz=ctx.tz, earliest=booking_rules.earliest_start(ctx)
    )
    if minutes is not None:  # only what lies in free time can pass: skip the rest unchecked
        free = booking_rules.bookable_time((start, end), ctx).free
        slots = (slot for slot in slots if booking_rules.covers(free, slot))
    for slot in slots:
        violations = booking_rules.check_booking(*slot, ctx)
        if first is None:
            first = violations
        if not violations and not others:
            return slot, []
    if first is None and minutes is not None:  # no booking of that length starts in the window
        first = booking_rules.check_booking(start, start + timedelta(minutes=minutes), ctx)
    return None, rules.lasting_problems(first or []) + others


# --- offering --------------------------------------------------------------------------------


def on_slot_freed(facility_id: int, resource_id: Optional[int]) -> None:
    """bookings.services.SLOT_FREED: after time came free, offer it to those who wait for it."""
    now = utcnow()
    for waiting_resource in _resources_waited_for(facility_id, resource_id):
        offer_free_time(waiting_resource, now)


def _resources_waited_for(facility_id: int, resource_id: Optional[int]) -> list[int]:
    query = select(WaitlistEntry.resource_id).where(WaitlistEntry.state == "waiting").distinct()
    if resource_id is not None:
        query = query.where(WaitlistEntry.resource_id == resource_id)
    else:
        query = query.join(WaitlistEntry.resource).where(Resource.facility_id == facility_id)
    return list(db.session.scalars(query))


def offer_free_time(resource_id: int, now: datetime) -> list[WaitlistEntry]:
    """Offer free time of the resource to its waiting entries, first in line first, each in its
    own write transaction; then tell each by mail. Returns the entries offered."""
    _settle_lost_holds(resource_id, now)
    line = db.session.scalars(
        select(WaitlistEntry.id)
        .where(WaitlistEntry.resource_id == resource_id, WaitlistEntry.state == "waiting")
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    ).all()
    offered = [entry for entry in (_offer(entry_id, now) for entry_id in line) if entry is not None]
    for entry in offered:
        _mail_offer(entry)
    return offered


def _settle_lost_holds(resource_id: int, now: datetime) -> None:
    """An offer whose hold was cancelled by the bookings' own path (its user or a manager cancelled
    the held booking) is declined: it no longer holds anything."""
    with write_transaction():
        lost = db.session.scalars(
            select(WaitlistEntry)
            .join(WaitlistEntry.booking)
            .where(
                WaitlistEntry.resource_id == resource_id,
                WaitlistEntry.state == "offered",
                Booking.status != BookingStatus.HOLD.value,
            )
            .with_for_update()
        )
        for entry in list(lost):
            before = snapshot(entry)
            entry.state, entry.updated_at = "declined", now
            audit.record(None, "waitlist.declined", entry, before=before, after=snapshot(entry),
                         reason="the held booking was cancelled", facility=entry.facility)  # fmt: skip


def _offer(entry_id: int, now: datetime) -> Optional[WaitlistEntry]:
    """Offer entry ``entry_id`` the first booking of its wish the rules allow: searched without
    the write lock, then claimed under it (``bookings.hold`` checks that booking again there)."""
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.state != "waiting":
        return None
    fit, _lasting = _first_fit(entry.user, entry.resource, entry.start_at, entry.end_at, entry.minutes,
                               entry.project, entry.batch, now)  # fmt: skip
    if fit is None:
        return None
    try:
        with write_transaction():
            entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.id == entry_id).with_for_update())
            if entry is None or entry.state != "waiting":
                return None  # another process offered it, or the user withdrew
            user, resource = entry.user, entry.resource
            before = snapshot(entry)
            booking = bookings.hold(
                user, resource, *fit, now=now, purpose=entry.purpose, project=entry.project, batch=entry.batch,
                reason=f"offered from the waiting list (entry {entry.id})",
            )  # fmt: skip
            entry.state, entry.booking, entry.updated_at = "offered", booking, now
            entry.offered_at, entry.hold_until = now, rules.hold_until(now, hold_minutes(), fit[0])
            audit.record(None, "waitlist.offered", entry, before=before, after=snapshot(entry),
                         facility=resource.facility)  # fmt: skip
            return entry
    except ServiceError:
        return None  # the time was taken in between: nothing is offered, nothing written


def _mail_offer(entry: WaitlistEntry) -> None:
    from facility.core.mail import send_template

    try:
        base = current_app.config.get("FACILITY_BASE_URL", "")
        send_template([entry.user.email], "waitlist/mail/offer", entry=entry, booking=entry.booking,
                      hold_until=entry.hold_until, url=f"{base}/waitlist")  # fmt: skip
    except Exception:  # mail never undoes the offer: the page shows it too
        db.session.rollback()
        current_app.logger.exception("mail for waiting-list offer %s failed", entry.id)


# --- answering an offer -------------------------------------------------------------------------


def _own_entry(actor: User, entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != actor.id:
        raise not_found("waiting-list entry")
    return entry


def accept(actor: User, entry_id: int, now: Optional[datetime] = None) -> WaitlistEntry:
    """Take the offered time: the hold becomes a request, confirmed or (where the resource needs
    approval) pending, and is mailed like any request."""
    now = now or utcnow()
    with write_transaction():
        entry = _own_entry(actor, entry_id)
        rules.check_transition(entry.state, "accepted")
        if entry.hold_until <= now:
            raise invalid("offer_expired", N_("The offer has run out; the time went to the next in line."), "status")
        before, booking = snapshot(entry), entry.booking
        target = BookingStatus.PENDING if booking.resource.requires_approval else BookingStatus.CONFIRMED
        bookings.change_status(booking, target, actor, action="booking.requested", now=now,
                               reason="accepted from the waiting list")  # fmt: skip
        entry.state, entry.updated_at = "accepted", now
        audit.record(actor, "waitlist.accepted", entry, before=before, after=snapshot(entry), facility=entry.facility)
    return entry


def decline(actor: User, entry_id: int, now: Optional[datetime] = None) -> WaitlistEntry:
    """Give the offered time back: the hold is cancelled and the next in line is offered it."""
    now = now or utcnow()
    with write_transaction():
        entry = _own_entry(actor, entry_id)
        rules.check_transition(entry.state, "declined")
        _release(entry, actor, "declined", now)
    offer_free_time(entry.resource_id, now)
    return entry


def _release(entry: WaitlistEntry, actor: Optional[User], to: str, now: datetime) -> None:
    """End an offer (declined or expired) inside the caller's transaction: the hold is cancelled."""
    before = snapshot(entry)
    if entry.booking is not None and entry.booking.status == BookingStatus.HOLD.value:
        bookings.change_status(entry.booking, BookingStatus.CANCELLED, actor, action=f"booking.hold_{to}",
                               reason=f"waiting-list offer {to}", now=now, decided=True,
                               snapshot_of=bookings.status_snapshot)  # fmt: skip
    entry.state, entry.updated_at = to, now
    audit.record(actor, f"waitlist.{to}", entry, before=before, after=snapshot(entry), facility=entry.facility)


def withdraw(actor: User, entry_id: int, now: Optional[datetime] = None) -> WaitlistEntry:
    """Stop waiting (an offer is declined instead)."""
    now = now or utcnow()
    with write_transaction():
        entry = _own_entry(actor, entry_id)
        rules.check_transition(entry.state, "withdrawn")
        before = snapshot(entry)
        entry.state, entry.updated_at = "withdrawn", now
        audit.record(actor, "waitlist.withdrawn", entry, before=before, after=snapshot(entry), facility=entry.facility)
    return entry


def expire_offers(now: datetime) -> int:
    """The scheduled job: offers whose hold has run out are cancelled and go to the next in line;
    waiting entries whose time has passed expire; then any free time is offered again (which
    also catches time freed while an offer after the freeing change failed). Returns how many
    entries changed."""
    with write_transaction():
        ran_out = list(db.session.scalars(
            select(WaitlistEntry).where(WaitlistEntry.state == "offered", WaitlistEntry.hold_until <= now)
            .order_by(WaitlistEntry.id).with_for_update()
        ))  # fmt: skip
        for entry in ran_out:
            _release(entry, None, "expired", now)
        waiting = db.session.scalars(
            select(WaitlistEntry).where(WaitlistEntry.state == "waiting").order_by(WaitlistEntry.id).with_for_update()
        )
        too_late = [entry for entry in waiting if latest_start(entry) < now]
        for entry in too_late:
            before = snapshot(entry)
            entry.state, entry.updated_at = "expired", now
            audit.record(None, "waitlist.expired", entry, before=before, after=snapshot(entry), facility=entry.facility)
    waited_for = db.session.scalars(
        select(WaitlistEntry.resource_id).where(WaitlistEntry.state == "waiting").distinct()
    )
    offered = sum(len(offer_free_time(resource_id, now)) for resource_id in list(waited_for))
    return len(ran_out) + len(too_late) + offered


def latest_start(entry: WaitlistEntry) -> datetime:
    """The latest start a wish still allows: the slot's start, or the window's end less its length."""
    if entry.minutes is None:
        return entry.start_at
    return entry.end_at - timedelta(minutes=entry.minutes)


# --- reading the list ------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """An entry as its reader may see it, with its place in line while it waits."""

    entry: WaitlistEntry
    place: Optional[int]
    details: bool  # whether the reader may see who waits (the user themselves, the managers)


def list_entries(
    actor: User, *, resource_key: Optional[str] = None, facility_key: Optional[str] = None, open_only: bool = False
) -> list[Listed]:
    """The caller's own entries; with ``resource_key`` or ``facility_key``, a manager of that
    facility sees everyone's there (403 for others). A scientist learns their place in line,
    never who else waits."""
    query = select(WaitlistEntry).join(WaitlistEntry.resource).order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    if resource_key or facility_key:
        require_a_manager(actor, "Only lab managers can see who waits.")
        if resource_key:
            resource = get_resource(resource_key, "resource")
            require_manager_of(actor, resource.facility, "see its waiting list")
            query = query.where(WaitlistEntry.resource_id == resource.id)
        if facility_key:
            facility = get_facility(facility_key, "facility")
            require_manager_of(actor, facility, "see its waiting list")
            query = query.where(Resource.facility_id == facility.id)
    else:
        query = query.where(WaitlistEntry.user_id == actor.id)
    if open_only:
        query = query.where(WaitlistEntry.state.in_(rules.OPEN))
    entries = list(db.session.scalars(query))
    places = places_in_line({e.resource_id for e in entries if e.state == "waiting"})
    return [Listed(e, places.get(e.id), True) for e in entries]


def places_in_line(resource_ids: set[int]) -> dict[int, int]:
    """entry id -> its place (1 = next) among the waiting entries of its resource."""
    if not resource_ids:
        return {}
    rows = db.session.execute(
        select(WaitlistEntry.id, WaitlistEntry.resource_id)
        .where(WaitlistEntry.resource_id.in_(resource_ids), WaitlistEntry.state == "waiting")
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    )
    places, counts = {}, {}
    for entry_id, resource_id in rows:
        counts[resource_id] = counts.get(resource_id, 0) + 1
        places[entry_id] = counts[resource_id]
    return places


def open_offers(user: User) -> list[WaitlistEntry]:
    """The offers waiting for ``user``'s answer, soonest running out first (the start page)."""
    query = (
        select(WaitlistEntry)
        .where(WaitlistEntry.user_id == user.id, WaitlistEntry.state == "offered")
        .order_by(WaitlistEntry.hold_until, WaitlistEntry.id)
    )
    return list(db.session.scalars(query))


def get_entry(actor: User, entry_id: int) -> Listed:
    """One entry: its user, or a manager of its facility; 404 for everyone else."""
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or not (entry.user_id == actor.id or actor.manages(entry.facility)):
        raise not_found("waiting-list entry")
    return Listed(entry, places_in_line({entry.resource_id}).get(entry.id), True)
