"""Recurring booking series: preview, request, cancel, move, approve and reject a whole series.

A series is an RFC 5545 RRULE expanded in the facility's wall-clock time (``recurrence``); each
occurrence is an ordinary ``Booking`` (``series_id`` set) checked by the same rules as a single
booking (``rules.check_booking`` and the ``REQUEST_CHECKS``), so the calendar, feeds, check-in and
reports treat it as any other. Every action is one write transaction with an audit event per
booking changed and one for the series.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from facility import audit
from facility.accounts.models import User
from facility.bookings import recurrence, rules, services
from facility.bookings.models import ACTIVE_STATUSES, Booking, BookingSeries
from facility.bookings.states import BookingStatus
from facility.catalog.models import Resource
from facility.catalog.services import get_resource
from facility.core.access import may_see_details, require_manager_of
from facility.core.database import MAX_ID, write_transaction
from facility.core.errors import ServiceError, Violation, invalid, not_found
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.core.words import N_

ON_CONFLICT = ("skip", "none")  # book the accepted occurrences, or nothing if any is refused
SCOPES = ("all", "following")
SERIES_CONFLICTS = "series_conflicts"


def max_occurrences() -> int:
    """``FACILITY_SERIES_MAX_OCCURRENCES`` (default 104: two years of weekly occurrences)."""
    return int(current_app.config.get("FACILITY_SERIES_MAX_OCCURRENCES") or recurrence.DEFAULT_MAX_OCCURRENCES)


# --- the time of a series -----------------------------------------------------------------


def wall_clock(value: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall-clock time in ``zone``: a naive ``value`` is one already, an aware one
    is converted."""
    return value if value.tzinfo is None else value.astimezone(zone).replace(tzinfo=None)


def series_time(
    start: datetime, zone: ZoneInfo, *, end: Optional[datetime] = None, duration_minutes: Optional[int] = None
) -> tuple[datetime, timedelta]:
    """The first occurrence's local start and the wall-clock length of each occurrence, from
    ``end`` (the first occurrence's end) or ``duration_minutes``, exactly one of them."""
    if (end is None) == (duration_minutes is None):
        raise invalid("end_or_duration", N_("Give either the end of the first occurrence or a duration."), "end")
    local_start = wall_clock(start, zone)
    duration = wall_clock(end, zone) - local_start if end is not None else timedelta(minutes=duration_minutes)
    if duration <= timedelta(0):
        raise invalid("end_before_start", N_("The end must be after the start."), "end")
    return local_start, duration


# --- the plan: every occurrence with every rule it breaks ---------------------------------


@dataclass(frozen=True)
class PlannedOccurrence:
    index: int
    occurrence: recurrence.Occurrence
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def start(self) -> datetime:
        return self.occurrence.start

    @property
    def end(self) -> datetime:
        return self.occurrence.end


@dataclass(frozen=True)
class SeriesPlan:
    resource: Resource
    rule: str
    local_start: datetime
    duration: timedelta
    occurrences: list[PlannedOccurrence]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.resource.facility.timezone)

    @property
    def accepted(self) -> list[PlannedOccurrence]:
        return [o for o in self.occurrences if o.ok]

    @property
    def refused(self) -> list[PlannedOccurrence]:
        return [o for o in self.occurrences if not o.ok]


def plan_series(
    actor: User,
    resource_key: str,
    rule: str,
    local_start: datetime,
    duration: timedelta,
    *,
    project: Optional[str] = None,
    batch: Optional[str] = None,
    now: datetime,
) -> SeriesPlan:
    """Expand ``rule`` and check every occurrence as a booking by ``actor``: the rules broken,
    overlap included (with other bookings, and with the series' own earlier occurrences and their
    changeover); the quota counts the earlier accepted occurrences. A rule that cannot make a
    series (malformed, unbounded, too many, past the horizon, empty) is a 422 here."""
    resource = get_resource(resource_key, "resource")
    zone = ZoneInfo(resource.facility.timezone)
    horizon = now + timedelta(days=resource.horizon_days)
    expansion = recurrence.expand(rule, local_start, duration, zone, max_occurrences=max_occurrences(), horizon=horizon)
    if not expansion.ok:
        raise ServiceError(422, expansion.violations)
    found = expansion.occurrences
    ctx = services.context_for(resource, found[0].start, found[-1].end, now=now, user=actor)
    taken, own = list(ctx.taken), list(ctx.own_bookings)
    planned = []
    for index, occurrence in enumerate(found):
        start, end = occurrence.start, occurrence.end
        violations = list(occurrence.problems)
        violations += rules.check_booking(start, end, replace(ctx, taken=taken, own_bookings=own))
        violations += services.request_check_violations("booking", actor, resource, start, end, project, batch)
        if not violations:  # the later occurrences keep clear of this one, and count it
            taken.append((start, rules.blocked_until(end, ctx.policy)))
            own.append((start, end))
        planned.append(PlannedOccurrence(index, occurrence, tuple(violations)))
    return SeriesPlan(resource, recurrence.rule_body(rule), local_start, duration, planned)


def preview_series(
    actor: User,
    resource_key: str,
    rule: str,
    start: datetime,
    *,
    end: Optional[datetime] = None,
    duration_minutes: Optional[int] = None,
    project: Optional[str] = None,
    batch: Optional[str] = None,
    now: Optional[datetime] = None,
) -> SeriesPlan:
    """Every occurrence the series would have, each with the rules it breaks. Writes nothing."""
    resource = get_resource(resource_key, "resource")
    local_start, duration = series_time(
        start, ZoneInfo(resource.facility.timezone), end=end, duration_minutes=duration_minutes
    )
    return plan_series(
        actor, resource_key, rule, local_start, duration, project=project, batch=batch, now=now or utcnow()
    )


def conflicts_error(refused: list[PlannedOccurrence], zone: ZoneInfo) -> ServiceError:
    """422 ``series_conflicts``: one error per rule broken by a refused occurrence; ``field``
    names the occurrence (its place in the series, from 0) and the field of the rule."""
    items = []
    for planned in refused:
        when = planned.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        for v in planned.violations:
            field = f"occurrences.{planned.index}" + (f".{v.field}" if v.field else "")
            text = N_("%(when)s: %(problem)s (%(code)s)")
            items.append(Violation.worded(SERIES_CONFLICTS, text, field, when=when, problem=v.wording, code=v.code))
    return ServiceError(422, items)


def _acceptable(plan: SeriesPlan, on_conflict: str) -> list[PlannedOccurrence]:
    if not plan.accepted or (on_conflict == "none" and plan.refused):
        raise conflicts_error(plan.refused, plan.zone)
    return plan.accepted


# --- request ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesResult:
    series: BookingSeries
    bookings: list[Booking]
    skipped: list[PlannedOccurrence]


def request_series(
    actor: User,
    resource_key: str,
    rule: str,
    start: datetime,
    *,
    end: Optional[datetime] = None,
    duration_minutes: Optional[int] = None,
    purpose: str = "",
    project: Optional[str] = None,
    batch: Optional[str] = None,
    on_conflict: str = "skip",
    now: Optional[datetime] = None,
) -> SeriesResult:
    """Book a series: with ``on_conflict="skip"`` exactly the occurrences the rules accept, with
    ``"none"`` all of them or nothing (422 ``series_conflicts`` naming each refused occurrence and
    why). A series with no acceptable occurrence is refused. One write transaction: the plan is
    checked again under the write lock (and PostgreSQL's exclusion constraint guards as well),
    then the series, its bookings and an audit event for each are written."""
    if on_conflict not in ON_CONFLICT:
        raise invalid("invalid", f"on_conflict must be one of {', '.join(ON_CONFLICT)}.", "on_conflict")
    now = now or utcnow()
    plan = preview_series(
        actor, resource_key, rule, start, end=end, duration_minutes=duration_minutes,
        project=project, batch=batch, now=now,
    )  # fmt: skip
    _acceptable(plan, on_conflict)  # refused before the write lock, as a single booking is
    with write_transaction():
        plan = plan_series(
            actor, resource_key, rule, plan.local_start, plan.duration, project=project, batch=batch, now=now
        )
        accepted = _acceptable(plan, on_conflict)
        series = _new_series(actor, plan, purpose, now)
        bookings = [_new_booking(actor, series, p, purpose, project, batch, now) for p in accepted]
        services._flush_refusing_overlap()
        for booking in bookings:
            audit.record(
                actor, "booking.requested", booking, after=services.snapshot(booking), facility=plan.resource.facility
            )
        audit.record(
            actor, "series.requested", series, after=series_snapshot(series, bookings), facility=plan.resource.facility
        )
    return SeriesResult(series, bookings, plan.refused)


def _new_series(actor: User, plan: SeriesPlan, purpose: str, now: datetime) -> BookingSeries:
    series = BookingSeries(
        user=actor,
        resource=plan.resource,
        rrule=plan.rule,
        local_start=plan.local_start.isoformat(timespec="seconds"),
        duration_minutes=int(plan.duration.total_seconds() // 60),
        timezone=plan.resource.facility.timezone,
        approval=plan.resource.series_approval,
        purpose=purpose or "",
        created_by=actor,
        created_at=now,
    )
    db.session.add(series)
    return series


def _new_booking(actor, series, planned: PlannedOccurrence, purpose, project, batch, now) -> Booking:
    policy = services.policy_for(series.resource)
    return services.new_booking(
        series.resource, actor, planned.start, planned.end, policy, rules.initial_status(policy),
        purpose=purpose, project=project, batch=batch, now=now, series=series,
    )  # fmt: skip


def series_snapshot(series: BookingSeries, bookings: list[Booking]) -> dict:
    """What the audit trail keeps of a series and the bookings an action concerned."""
    return {
        "resource": series.resource.key,
        "user": series.user.email,
        "rrule": series.rrule,
        "local_start": series.local_start,
        "duration_minutes": series.duration_minutes,
        "timezone": series.timezone,
        "approval": series.approval,
        "bookings": [b.id for b in bookings],
    }


# --- reading ------------------------------------------------------------------------------


def get_series(actor: User, series_id: int) -> BookingSeries:
    """The series if ``actor`` may see it (its owner, a manager of its facility, an admin);
    otherwise 404, which does not say it exists."""
    series = db.session.get(BookingSeries, series_id)
    if series is None or not may_see_details(actor, series.user_id, series.resource.facility):
        raise not_found("series")
    return series


def occurrences(series: BookingSeries) -> list[Booking]:
    return list(
        db.session.scalars(select(Booking).where(Booking.series_id == series.id).order_by(Booking.start_at, Booking.id))
    )


def in_scope(series: BookingSeries, scope: str, from_id: Optional[int], now: datetime) -> list[Booking]:
    """The active occurrences not yet begun that ``scope`` names: ``all``, or ``following``: the
    occurrence ``from_id`` and those after it."""
    if scope not in SCOPES:
        raise invalid("invalid", f"scope must be one of {', '.join(SCOPES)}.", "scope")
    found = [b for b in occurrences(series) if b.status in ACTIVE_STATUSES and b.start_at > now]
    if scope == "all":
        return found
    if from_id is None:
        raise invalid("from_required", "Name the occurrence ('from') from which on to change the series.", "from")
    first = db.session.get(Booking, from_id) if 1 <= from_id <= MAX_ID else None
    if first is None or first.series_id != series.id:
        raise invalid("not_in_series", "That booking is not an occurrence of this series.", "from")
    return [b for b in found if b.start_at >= first.start_at]


def _changeable(
    actor: User, series_id: int, scope: str, from_id: Optional[int], reason: str, now: datetime, why_needed: str
):
    series = get_series(actor, series_id)
    if series.user_id != actor.id and not (reason or "").strip():
        raise invalid("reason_required", why_needed, "reason")
    targets = in_scope(series, scope, from_id, now)
    if not targets:
        raise invalid("nothing_to_change", N_("No active occurrence of this series lies ahead in that scope."), "scope")
    return series, targets


# --- cancel and move ----------------------------------------------------------------------


def cancel_series(
    actor: User,
    series_id: int,
    *,
    scope: str = "all",
    from_id: Optional[int] = None,
    reason: str = "",
    now: Optional[datetime] = None,
) -> list[Booking]:
    """Cancel the occurrences ``scope`` names (``all``, or ``following`` from ``from_id``), in one
    transaction; each slot is free again at once. Returns the cancelled bookings."""
    now = now or utcnow()
    with write_transaction():
        series, targets = _changeable(
            actor,
            series_id,
            scope,
            from_id,
            reason,
            now,
            N_("A manager who cancels someone else's series must say why."),
        )
        for booking in targets:
            services.change_status(
                booking, BookingStatus.CANCELLED, actor, action="booking.cancelled", reason=reason, now=now,
                decided=booking.user_id != actor.id,
            )  # fmt: skip
        _record_series(actor, "series.cancelled", series, targets, reason, scope)
    services.freed_by(targets)
    return targets


def move_series(
    actor: User,
    series_id: int,
    shift: timedelta,
    *,
    scope: str = "all",
    from_id: Optional[int] = None,
    reason: str = "",
    now: Optional[datetime] = None,
) -> list[Booking]:
    """Shift each occurrence ``scope`` names by the same wall-clock ``shift`` (09:00 stays 09:00
    local across daylight saving, plus the shift), all or none: every new time is checked by the
    rules (422 ``series_conflicts`` naming each refused one). Where the resource needs approval
    and the owner moves, the moved occurrences wait for approval again."""
    now = now or utcnow()
    if not shift:
        raise invalid("invalid", N_("Give a shift other than zero."), "shift")
    with write_transaction():
        series, targets = _changeable(
            actor, series_id, scope, from_id, reason, now, N_("A manager who moves someone else's series must say why.")
        )
        zone = ZoneInfo(series.timezone)
        moves = [(b, _shifted(b, shift, zone)) for b in targets]
        refused = _check_moves(series, moves, now)
        if refused:
            raise conflicts_error(refused, zone)
        # Later ones first when moving later (earlier ones first when earlier), flushed one by
        # one: no two active occurrences overlap even for a moment (PostgreSQL checks each row).
        for booking, new in sorted(moves, key=lambda m: m[0].start_at, reverse=shift > timedelta(0)):
            _apply_move(actor, booking, new.start, new.end, reason, now)
            services._flush_refusing_overlap()
        _record_series(
            actor, "series.moved", series, targets, reason, scope, shift_minutes=shift // timedelta(minutes=1)
        )
    services.freed_by(targets)  # the time they left
    return targets


def _shifted(booking: Booking, shift: timedelta, zone: ZoneInfo) -> recurrence.Occurrence:
    local_start = booking.start_at.astimezone(zone).replace(tzinfo=None)
    local_end = booking.end_at.astimezone(zone).replace(tzinfo=None)
    return recurrence.occurrence(local_start + shift, local_end - local_start, zone)


def _check_moves(series: BookingSeries, moves, now: datetime) -> list[PlannedOccurrence]:
    """The moves the rules refuse, each with its violations and its place in the series; the
    moved occurrences' old times do not count as taken, their new times do."""
    resource, owner = series.resource, series.user
    place_of = {b.id: index for index, b in enumerate(occurrences(series))}
    moving = {b.id for b, _new in moves}
    window = (min(n.start for _b, n in moves), max(n.end for _b, n in moves))
    ctx = services.context_for(resource, *window, now=now, user=owner)
    others = services.active_bookings(resource, (window[0], rules.blocked_until(window[1], ctx.policy)))
    taken = [(b.start_at, b.blocked_until) for b in others if b.id not in moving]
    own_window = rules.quota_window(*window, ctx.policy, ctx.tz)
    own_rows = services.active_bookings(resource, own_window, user=owner) if own_window else []
    own = [(b.start_at, b.end_at) for b in own_rows if b.id not in moving]
    refused = []
    for booking, new in moves:
        violations = list(new.problems) + rules.check_booking(
            new.start, new.end, replace(ctx, taken=taken, own_bookings=own)
        )
        if violations:
            refused.append(PlannedOccurrence(place_of[booking.id], new, tuple(violations)))
        taken.append((new.start, rules.blocked_until(new.end, ctx.policy)))
        own.append((new.start, new.end))
    return refused


def _apply_move(actor: User, booking: Booking, start: datetime, end: datetime, reason: str, now: datetime) -> None:
    before = services.snapshot(booking)
    policy = services.policy_for(booking.resource)
    booking.start_at, booking.end_at = start, end
    booking.blocked_until = rules.blocked_until(end, policy)
    needs_approval = policy.requires_approval and not actor.manages(booking.facility)
    if needs_approval and booking.status != BookingStatus.PENDING:
        services.change_status(
            booking, BookingStatus.PENDING, actor, action="booking.rescheduled", before=before, reason=reason, now=now
        )
    else:
        services._record_change(
            booking, actor, "booking.rescheduled", before, services.snapshot(booking), now=now, reason=reason
        )


def _record_series(actor, action, series, bookings, reason, scope, **extra) -> None:
    after = {**series_snapshot(series, bookings), "scope": scope, **extra}
    audit.record(actor, action, series, after=after, reason=reason or "", facility=series.resource.facility)


# --- approval of a series -----------------------------------------------------------------


def _pending_for_decision(actor: User, series_id: int) -> tuple[BookingSeries, list[Booking]]:
    series = get_series(actor, series_id)
    require_manager_of(actor, series.resource.facility, "decide on this series")
    if series.approval != "series":
        raise invalid(
            "approval_per_occurrence", N_("This resource's series are decided one occurrence at a time."), "series"
        )
    pending = [b for b in occurrences(series) if b.status == BookingStatus.PENDING]
    if not pending:
        raise invalid("nothing_to_decide", N_("No occurrence of this series is waiting for a decision."), "series")
    return series, pending


def approve_series(actor: User, series_id: int, reason: str = "", *, now: Optional[datetime] = None) -> list[Booking]:
    """One decision for the series: every pending occurrence confirmed, one audit event each
    (and one for the series). At a GMP facility the approval needs a reason."""
    now = now or utcnow()
    with write_transaction():
        series, pending = _pending_for_decision(actor, series_id)
        if series.resource.facility.is_gmp and not (reason or "").strip():
            raise invalid("reason_required", N_("At a GMP facility an approval needs a reason."), "reason")
        for booking in pending:
            services.change_status(
                booking, BookingStatus.CONFIRMED, actor, action="booking.approved", reason=reason, now=now, decided=True
            )
        _record_series(actor, "series.approved", series, pending, reason, "all")
    return pending


def reject_series(actor: User, series_id: int, reason: str, *, now: Optional[datetime] = None) -> list[Booking]:
    """One decision for the series: every pending occurrence rejected, with a reason."""
    now = now or utcnow()
    with write_transaction():
        series, pending = _pending_for_decision(actor, series_id)
        if not (reason or "").strip():
            raise invalid("reason_required", N_("Say why the series is rejected."), "reason")
        for booking in pending:
            services.change_status(
                booking, BookingStatus.REJECTED, actor, action="booking.rejected", reason=reason, now=now, decided=True
            )
        _record_series(actor, "series.rejected", series, pending, reason, "all")
    services.freed_by(pending)
    return pending
