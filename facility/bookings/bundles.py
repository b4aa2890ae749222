"""Bundles: several resources booked together for the same [start, end), all of them or none.

A GMP cleanroom suite with its isolator and controlled-rate freezer is one request: a
``BookingBundle`` row (who, and which suite of the catalogue) and one ordinary ``Booking``
per resource pointing to it. Each member keeps its own rules and its own changeover
(``blocked_until``), so the per-resource guarantees against overlap hold unchanged: the
PostgreSQL exclusion constraint refuses a member that overlaps and the whole transaction
rolls back; on SQLite the write transaction is serialised.

Decisions are taken for the bundle (``services.decided_together``): approving, rejecting or
cancelling any member, or the bundle, decides every member in one transaction with one audit
event each, and approving needs a manager of every facility concerned (or an administrator).
A member's time cannot be moved alone (``part_of_bundle``); the bundle moves as one
(``reschedule_bundle``, all members or none). A resource that ``requires`` another cannot be booked on its own
(``requires_resource``, the ``REQUEST_CHECKS`` hook installed by ``init_app``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence

from sqlalchemy import select

from facility import audit
from facility.accounts.models import User
from facility.bookings import bundle_rules, rules, services, states
from facility.bookings.models import Booking, BookingBundle
from facility.catalog.models import Facility, Resource
from facility.core.database import kept_after_commit, write_transaction
from facility.core.errors import ServiceError, invalid, not_found, rule_violations
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.core.words import N_

MAX_MEMBERS = 10


def catalogue_bundles(facility: Optional[Facility] = None) -> list[tuple[Facility, dict]]:
    """The bundles ``instruments.yaml`` declares: ``(facility, {key, name, description, resources})``."""
    query = select(Facility).order_by(Facility.id)
    if facility is not None:
        query = query.where(Facility.id == facility.id)
    return [(f, b) for f in db.session.scalars(query) for b in f.bundles or []]


def catalogue_bundle(key: str) -> tuple[Facility, dict]:
    """The declared bundle ``key`` and its facility; 404 if there is none."""
    for facility, bundle in catalogue_bundles():
        if bundle["key"] == key:
            return facility, bundle
    raise not_found("bundle", "bundle")


def request_bundle(
    actor: User,
    resource_keys: Optional[Sequence[str]] = None,
    bundle_key: Optional[str] = None,
    *,
    start: datetime,
    end: datetime,
    purpose: str = "",
    project: Optional[str] = None,
    batch: Optional[str] = None,
    now: Optional[datetime] = None,
    for_user: Optional[User] = None,
) -> BookingBundle:
    """Book every resource of ``resource_keys`` (or of the catalogue's bundle ``bundle_key``)
    for [start, end), all or none, in one write transaction; for ``for_user`` when a manager of
    every facility concerned books on their behalf (as ``services.request_booking``).

    The facts are read and every rule checked before the lock (a refused request never takes
    it, and names every rule each member breaks); under the lock what may have changed (other
    bookings, the requester's own, blackouts) is read again and checked in full, then the
    members, the bundle and their audit events are written. Pending for all where any member
    needs approval, otherwise confirmed.
    """
    now = now or utcnow()
    keys = _keys(resource_keys, bundle_key)
    owner = for_user if for_user is not None else actor
    with kept_after_commit():
        facts = [services.request_facts(owner, key, start, end) for key in dict.fromkeys(keys)]
        if owner is not actor:
            for f in facts:
                services.require_booking_for(actor, f.resource)
        # Always written in the same order (by resource), so that two bundles racing on
        # PostgreSQL wait for each other on their first common resource and never deadlock.
        facts.sort(key=lambda f: f.resource.id)
        extra = [_request_checks(owner, f.resource, start, end, project, batch) for f in facts]
        members = [_member(f, f.context(now), e) for f, e in zip(facts, extra)]
        if bundle_rules.check_bundle(start, end, keys, members):
            held = _held(owner, facts, extra, start, end, now)
            raise rule_violations(bundle_rules.check_bundle(start, end, keys, held))
        with write_transaction():
            members = _held(owner, facts, extra, start, end, now)
            violations = bundle_rules.check_bundle(start, end, keys, members)
            if violations:
                raise rule_violations(violations)
            bundle = BookingBundle(key=bundle_key, user=owner, created_at=now)
            db.session.add(bundle)
            status = bundle_rules.initial_status(members)
            bookings = [
                _booking(bundle, owner, f, m, start, end, status, purpose, project, batch, now)
                for f, m in zip(facts, members)
            ]
            services._flush_refusing_overlap()
            for booking in bookings:
                after = services.snapshot(booking) | {"bundle": bundle.id}
                if owner is not actor:
                    after["booked_by"] = actor.email
                audit.record(actor, "booking.requested", booking, after=after, facility=booking.facility)
            audit.record(actor, "bundle.requested", bundle, after=bundle_snapshot(bundle, bookings),
                         facility=bookings[0].facility)  # fmt: skip
    return bundle


def _keys(resource_keys: Optional[Sequence[str]], bundle_key: Optional[str]) -> list[str]:
    if (resource_keys is None) == (bundle_key is None):
        raise invalid(
            "invalid", "Give either bundle (a suite of the catalogue) or resources (a list of keys).", "resources"
        )
    if bundle_key is not None:
        return list(catalogue_bundle(bundle_key)[1]["resources"])
    if len(resource_keys) > MAX_MEMBERS:
        raise invalid(
            "bundle_too_large", N_("A bundle holds at most %(most)s resources."), "resources", most=MAX_MEMBERS
        )
    return list(resource_keys)


def _request_checks(actor, resource, start, end, project, batch) -> tuple:
    """The other modules' checks of a request (GMP product and batch), for one member; the
    requirement of this module is the bundle's own rule, so it is left out here."""
    found = services.request_check_violations("booking", actor, resource, start, end, project, batch)
    return tuple(v for v in found if v.code != "requires_resource")


def _member(facts: services.RequestFacts, ctx: rules.BookingContext, extra: tuple) -> bundle_rules.Member:
    resource = facts.resource
    return bundle_rules.Member(resource.key, resource.name, tuple(resource.requires or ()), ctx, extra)


def _held(actor: User, facts: list, extra: list, start, end, now: datetime) -> list[bundle_rules.Member]:
    """The members with what is taken now: other bookings, the requester's own, blackouts."""
    return [
        _member(f, f.context(now, *services.taken_and_own(f, actor.id, start, end)), e) for f, e in zip(facts, extra)
    ]


def _booking(bundle, owner, facts, member, start, end, status, purpose, project, batch, now) -> Booking:
    return services.new_booking(
        facts.resource, owner, start, end, member.ctx.policy, status,
        purpose=purpose, project=project, batch=batch, now=now, bundle=bundle,
    )  # fmt: skip


def bundle_snapshot(bundle: BookingBundle, members: Sequence[Booking]) -> dict:
    """What the audit trail keeps of a bundle: its suite, its members and their time."""
    first = members[0]
    return {
        "key": bundle.key,
        "user": bundle.user.email,
        "bookings": [m.id for m in members],
        "resources": [m.resource.key for m in members],
        "start": first.start_at.isoformat(),
        "end": first.end_at.isoformat(),
    }


# --- reading and deciding -----------------------------------------------------------------


def members_of(bundle: BookingBundle) -> list[Booking]:
    query = select(Booking).where(Booking.bundle_id == bundle.id).order_by(Booking.id)
    return list(db.session.scalars(query))


def get_bundle(actor: User, bundle_id: int) -> BookingBundle:
    """The bundle if ``actor`` may see one of its bookings (its owner, a manager of a facility
    concerned, an administrator); otherwise 404, which does not say that it exists."""
    bundle = db.session.get(BookingBundle, bundle_id)
    if bundle is None or not any(services.can_see(actor, m) for m in members_of(bundle)):
        raise not_found("bundle")
    return bundle


def _first_member(actor: User, bundle_id: int) -> int:
    return members_of(get_bundle(actor, bundle_id))[0].id


def approve_bundle(actor: User, bundle_id: int, reason: str = "", *, signed: bool = False) -> BookingBundle:
    services.approve(actor, _first_member(actor, bundle_id), reason, signed=signed)
    return get_bundle(actor, bundle_id)


def reject_bundle(actor: User, bundle_id: int, reason: str) -> BookingBundle:
    services.reject(actor, _first_member(actor, bundle_id), reason)
    return get_bundle(actor, bundle_id)


def reschedule_bundle(
    actor: User, bundle_id: int, *, start: datetime, end: datetime, reason: str = "", now: Optional[datetime] = None
) -> BookingBundle:
    """Move every booking of the bundle to [start, end), all or none, in one write transaction.

    Each member is checked at the new time like a new booking of its resource (its own time
    left out of what is taken); any refusal moves nothing and names every member's problem. As
    for one booking, a manager moving someone else's bundle must give a reason, and where a
    member needs approval and the mover does not manage every facility concerned, every member
    goes back to ``pending`` (the bundle is decided once). One audit event per booking."""
    now = now or utcnow()
    with write_transaction():
        bundle = get_bundle(actor, bundle_id)
        members = members_of(bundle)
        for member in members:
            states.require(member.status, states.ACTIVE, "changed")
        if bundle.user_id != actor.id:
            services.decided_together(actor, members[0], as_manager=True)
            if not (reason or "").strip():
                raise invalid(
                    "reason_required", N_("A manager who changes someone else's booking must say why."), "reason"
                )
        if (start, end) == (members[0].start_at, members[0].end_at):
            return bundle
        before = {m.id: services.snapshot(m) for m in members}
        checked = [_moved_member(m, start, end, now) for m in members]
        violations = bundle_rules.check_bundle(start, end, [m.resource.key for m in members], checked)
        if violations:
            raise rule_violations(violations)
        for member, check in zip(members, checked):
            member.start_at, member.end_at = start, end
            member.blocked_until = rules.blocked_until(end, check.ctx.policy)
        services._flush_refusing_overlap()
        approval = bundle_rules.initial_status(checked) == "pending"
        again = approval and not all(actor.manages(m.facility) for m in members)
        for member in members:
            if again and member.status != states.PENDING:
                services.change_status(member, states.PENDING, actor, action="booking.rescheduled",
                                       before=before[member.id], reason=reason, now=now)  # fmt: skip
            else:
                services._record_change(member, actor, "booking.rescheduled", before[member.id],
                                        services.snapshot(member), now=now, reason=reason)  # fmt: skip
    services.freed_by(members)  # the time they left
    return bundle


def _moved_member(booking: Booking, start: datetime, end: datetime, now: datetime) -> bundle_rules.Member:
    resource = booking.resource
    ctx = services.context_for(resource, start, end, now=now, user=booking.user, exclude_id=booking.id)
    extra = _request_checks(booking.user, resource, start, end, booking.project, booking.batch)
    return bundle_rules.Member(resource.key, resource.name, tuple(resource.requires or ()), ctx, extra)


def cancel_bundle(actor: User, bundle_id: int, reason: str = "") -> BookingBundle:
    services.cancel(actor, _first_member(actor, bundle_id), reason)
    return get_bundle(actor, bundle_id)


# --- a resource that requires another is not booked on its own ------------------------------


def requires_check(what, user, resource: Resource, start, end, project, batch) -> list[rules.Violation]:
    """``REQUEST_CHECKS``: a single booking of a resource that ``requires`` others is refused
    (``requires_resource``); a bundle checks its members' requirements itself. Walk-up use
    (``what`` "use") is recorded as it happened."""
    if what != "booking" or not resource.requires:
        return []
    found = bundle_rules.requires_violation(resource.key, resource.name, list(resource.requires))
    return [rules.Violation(found.code, found.message, "resource")]


def install() -> None:
    if requires_check not in services.REQUEST_CHECKS:
        services.REQUEST_CHECKS.append(requires_check)


__all__ = ["ServiceError", "approve_bundle", "cancel_bundle", "get_bundle", "request_bundle", "reschedule_bundle"]
