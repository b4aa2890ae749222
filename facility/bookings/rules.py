"""The rules of booking, as plain functions over plain values.

No Flask, no database: the service layer gathers the facts (the resource's policy, the
facility's opening hours, the time already taken, the requester's qualifications) into a
``BookingContext`` and asks ``check_booking`` for every rule the request breaks.

All instants are aware datetimes; intervals are half-open ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, Optional, Sequence
from zoneinfo import ZoneInfo

from facility.accounts.qualifications import valid_on as qualification_valid_on
from facility.core.errors import Violation
from facility.core.time import MINUTES_PER_DAY, local_instant
from facility.core.words import N_, Duration

Interval = tuple[datetime, datetime]


# --- interval arithmetic -------------------------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same time; touching intervals join."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def subtract(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """The parts of ``intervals`` not covered by any of ``holes``."""
    result: list[Interval] = []
    holes = merge(holes)
    for start, end in merge(intervals):
        cursor = start
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= end:
                continue
            if h_start > cursor:
                result.append((cursor, h_start))
            cursor = max(cursor, h_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    lo, hi = window
    return [(max(s, lo), min(e, hi)) for s, e in merge(intervals) if s < hi and e > lo]


def covers(intervals: Sequence[Interval], span: Interval) -> bool:
    """Whether one of the merged ``intervals`` contains the whole ``span``."""
    return any(s <= span[0] and span[1] <= e for s, e in merge(intervals))


def contains_instant(intervals: Sequence[Interval], instant: datetime, *, closing: bool = False) -> bool:
    """Whether ``instant`` lies inside an interval; ``closing`` admits the interval's end."""
    for s, e in merge(intervals):
        if (s < instant <= e) if closing else (s <= instant < e):
            return True
    return False


def minutes(span: Interval) -> int:
    return int((span[1] - span[0]).total_seconds() // 60)


# --- opening hours ---------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening hours in a facility's zone.

    ``weekly[0]`` (Monday) ... ``weekly[6]`` hold ``(open_minute, close_minute)`` pairs in
    minutes after local midnight; a close at or before the open crosses midnight, and
    ``(0, 1440)`` is the whole day. An interval belongs to the day on which it opens, so a
    closed day removes the intervals that open on it.
    """

    tz: ZoneInfo
    weekly: Mapping[int, tuple[tuple[int, int], ...]]
    closed_days: frozenset[date] = field(default_factory=frozenset)

    def intervals(self, window: Interval) -> list[Interval]:
        """The open time inside ``window``, merged, in UTC."""
        first = window[0].astimezone(self.tz).date() - timedelta(days=1)
        last = window[1].astimezone(self.tz).date()
        spans = []
        day = first
        while day <= last:
            if day not in self.closed_days:
                for open_minute, close_minute in self.weekly.get(day.weekday(), ()):
                    spans.append(self._span(day, open_minute, close_minute))
            day += timedelta(days=1)
        return clip(spans, window)

    def _span(self, day: date, open_minute: int, close_minute: int) -> Interval:
        if close_minute <= open_minute:
            close_minute += MINUTES_PER_DAY
        return (local_instant(day, open_minute, self.tz), local_instant(day, close_minute, self.tz))


# --- the booking policy ------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A resource's booking rules (facility defaults already applied)."""

    slot_minutes: int
    min_minutes: int
    max_minutes: int
    lead_minutes: int
    horizon_days: int
    changeover_minutes: int
    requires_approval: bool = False
    runs_unattended: bool = False
    qualification: Optional[str] = None
    qualification_name: Optional[str] = None
    quota_hours_per_week: Optional[int] = None
    status: str = "available"
    retired: bool = False


@dataclass(frozen=True)
class BookingContext:
    policy: Policy
    hours: OpeningHours
    now: datetime
    blackouts: Sequence[Interval] = ()
    taken: Sequence[Interval] = ()  # other active bookings: [start, blocked_until)
    own_bookings: Sequence[Interval] = ()  # the requester's other active bookings here (quota)
    qualifications: Mapping[str, date] = field(default_factory=dict)  # key -> valid until

    @property
    def tz(self) -> ZoneInfo:
        return self.hours.tz


def blocked_until(end: datetime, policy: Policy) -> datetime:
    """The end of the time a booking holds: its end plus the changeover (cleaning) after it."""
    return end + timedelta(minutes=policy.changeover_minutes)


def initial_status(policy: Policy) -> str:
    return "pending" if policy.requires_approval else "confirmed"


def check_booking(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    """Every rule that a booking of [start, end) breaks; empty if it may be made."""
    violations = _check_resource(ctx) + _check_qualification(end, ctx)
    if end <= start:
        return [Violation.worded("end_before_start", N_("The end must be after the start."), "end")] + violations
    checks = (
        _check_when,
        _check_duration,
        _check_granularity,
        _check_opening_hours,
        _check_blackouts,
        _check_quota,
        _check_overlap,
    )
    for check in checks:
        violations.extend(check(start, end, ctx))
    return violations


def _check_resource(ctx: BookingContext) -> list[Violation]:
    policy = ctx.policy
    if policy.retired:
        return [
            _about_resource("resource_unavailable", N_("This resource has been retired and can no longer be booked."))
        ]
    if policy.status == "maintenance":
        return [
            _about_resource("resource_unavailable", N_("This resource is under maintenance and cannot be booked now."))
        ]
    if policy.status != "available":
        return [
            _about_resource("resource_unavailable", N_("This resource is out of service and cannot be booked now."))
        ]
    return []


def _about_resource(code: str, text: str, **values) -> Violation:
    """A violation about the resource (its state, the requester's qualification for it)."""
    return Violation.worded(code, text, "resource", **values)


def _check_qualification(end: datetime, ctx: BookingContext) -> list[Violation]:
    key = ctx.policy.qualification
    if not key:
        return []
    name = ctx.policy.qualification_name or key
    valid_until = ctx.qualifications.get(key)
    if valid_until is None:
        return [
            _about_resource(
                "not_qualified", N_("You need the qualification '%(name)s' to book this resource."), name=name
            )
        ]
    last_day = (end - timedelta(microseconds=1)).astimezone(ctx.tz).date()
    if not qualification_valid_on(valid_until, last_day):
        return [
            _about_resource(
                "qualification_expired",
                N_("Your qualification '%(name)s' is valid until %(until)s, before this booking ends. Renew it first."),
                name=name,
                until=valid_until.isoformat(),
            )
        ]
    return []


def _check_when(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    policy = ctx.policy
    problems = []
    if start < ctx.now:
        problems.append(Violation.worded("in_past", N_("The start is in the past."), "start"))
    elif start < earliest_start(ctx):
        problems.append(
            Violation.worded(
                "lead_time",
                N_("This resource must be booked at least %(lead)s in advance (earliest start %(earliest)s)."),
                "start",
                lead=Duration(policy.lead_minutes),
                earliest=format_local(earliest_start(ctx), ctx.tz),
            )
        )
    if end > latest_end(ctx):
        problems.append(
            Violation.worded(
                "horizon",
                N_("This resource can be booked at most %(days)s days ahead (a booking must end by %(latest)s)."),
                "end",
                days=policy.horizon_days,
                latest=format_local(latest_end(ctx), ctx.tz),
            )
        )
    return problems


def _check_duration(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    policy, length = ctx.policy, minutes((start, end))
    if length < policy.min_minutes:
        return [
            Violation.worded(
                "too_short", N_("A booking must last at least %(length)s."), "end", length=Duration(policy.min_minutes)
            )
        ]
    if length > policy.max_minutes:
        return [
            Violation.worded(
                "too_long", N_("A booking may last at most %(length)s."), "end", length=Duration(policy.max_minutes)
            )
        ]
    return []


def _check_granularity(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    slot = ctx.policy.slot_minutes
    texts = {
        "start": N_("The start must fall on a %(step)s step of the clock (for example %(example)s)."),
        "end": N_("The end must fall on a %(step)s step of the clock (for example %(example)s)."),
    }
    misaligned = [name for name, instant in (("start", start), ("end", end)) if not _on_slot(instant, slot, ctx.tz)]
    return [
        Violation.worded("granularity", texts[name], name, step=Duration(slot), example=_example_slot(slot))
        for name in misaligned
    ]


def _on_slot(instant: datetime, slot: int, tz: ZoneInfo) -> bool:
    local = instant.astimezone(tz)
    if local.second or local.microsecond:
        return False
    return (local.hour * 60 + local.minute) % slot == 0


def _example_slot(slot: int) -> str:
    if slot >= MINUTES_PER_DAY:
        return "00:00"
    return ", ".join(f"{m // 60:02d}:{m % 60:02d}" for m in range(8 * 60, 8 * 60 + 3 * slot, slot))


def _check_opening_hours(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    open_time = ctx.hours.intervals((start - timedelta(days=1), end + timedelta(days=1)))
    if ctx.policy.runs_unattended:
        # Unattended runs (a bioreactor, a freezer) go on overnight: staff must be there to
        # start and finish them, so only the two ends must fall inside opening hours.
        problems = []
        if not may_start_at(start, open_time):
            problems.append(("start", start))
        if not may_end_at(end, open_time):
            problems.append(("end", end))
        texts = {
            "start": N_("The facility is closed at the start (%(at)s)."),
            "end": N_("The facility is closed at the end (%(at)s)."),
        }
        return [
            Violation.worded("outside_opening_hours", texts[name], name, at=format_local(at, ctx.tz))
            for name, at in problems
        ]
    if covers(open_time, (start, end)):
        return []
    return [
        Violation.worded(
            "outside_opening_hours",
            N_("The facility is not open for the whole time from %(start)s to %(end)s."),
            "start",
            start=format_local(start, ctx.tz),
            end=format_local(end, ctx.tz),
        )
    ]


def _check_blackouts(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    hits = [b for b in merge(ctx.blackouts) if overlaps(b, (start, end))]
    if not hits:
        return []
    first = hits[0]
    return [
        Violation.worded(
            "blackout",
            N_("The resource is out of service from %(start)s to %(end)s."),
            "start",
            start=format_local(first[0], ctx.tz),
            end=format_local(first[1], ctx.tz),
        )
    ]


def _check_quota(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    quota = ctx.policy.quota_hours_per_week
    if quota is None:
        return []
    new = minutes_per_week([(start, end)], ctx.tz)
    existing = minutes_per_week(ctx.own_bookings, ctx.tz)
    for week_start, added in sorted(new.items()):
        total = added + existing.get(week_start, 0)
        if total > quota * 60:
            return [
                Violation.worded(
                    "quota_exceeded",
                    N_(
                        "You may book this resource at most %(quota)s h a week; the week of %(week)s would have %(total)s."
                    ),
                    "end",
                    quota=quota,
                    week=week_start.isoformat(),
                    total=Duration(total),
                )
            ]
    return []


def quota_window(start: datetime, end: datetime, policy: Policy, tz: ZoneInfo) -> Optional[Interval]:
    """The local ISO weeks that [start, end) touches, from the Monday of the first to the Monday
    after the last: the requester's own bookings there are what the quota counts. None when the
    resource has no quota (nothing of theirs needs reading)."""
    if policy.quota_hours_per_week is None:
        return None
    first = start.astimezone(tz).date()
    last = max(start, end).astimezone(tz).date()
    monday = first - timedelta(days=first.weekday())
    next_monday = last - timedelta(days=last.weekday()) + timedelta(days=7)
    return local_instant(monday, 0, tz), local_instant(next_monday, 0, tz)


def minutes_per_week(intervals: Iterable[Interval], tz: ZoneInfo) -> dict[date, int]:
    """Minutes of ``intervals`` per local ISO week, keyed by the week's Monday."""
    totals: dict[date, int] = {}
    for start, end in intervals:
        cursor = start
        while cursor < end:
            monday = cursor.astimezone(tz).date() - timedelta(days=cursor.astimezone(tz).weekday())
            next_monday = local_instant(monday + timedelta(days=7), 0, tz)
            piece_end = min(end, next_monday)
            totals[monday] = totals.get(monday, 0) + minutes((cursor, piece_end))
            cursor = piece_end
    return totals


def _check_overlap(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    if not any(overlaps((start, end), clear) for clear in keep_clear(ctx)):
        return []
    if not ctx.policy.changeover_minutes:
        return [Violation.worded("overlap", N_("This time is already booked."), "start")]
    return [
        Violation.worded(
            "overlap",
            N_("This time is already booked (each booking is followed by %(changeover)s of changeover)."),
            "start",
            changeover=Duration(ctx.policy.changeover_minutes),
        )
    ]


# --- where a booking may lie, start and end ------------------------------------------------
# The checks above and the availability below share these definitions, so that what
# availability calls free is exactly what the checks accept (apart from the requester's own
# qualification and quota).


def earliest_start(ctx: BookingContext) -> datetime:
    return ctx.now + timedelta(minutes=ctx.policy.lead_minutes)


def latest_end(ctx: BookingContext) -> datetime:
    """The booking horizon: a booking must lie within the next ``horizon_days`` days."""
    return ctx.now + timedelta(days=ctx.policy.horizon_days)


def keep_clear(ctx: BookingContext) -> list[Interval]:
    """Time a new booking may not touch: each taken span, and the changeover before it that the
    new booking's own cleaning would need ([start, end) plus changeover must miss what is taken)."""
    changeover = timedelta(minutes=ctx.policy.changeover_minutes)
    return merge((start - changeover, held_until) for start, held_until in ctx.taken)


def may_start_at(instant: datetime, open_time: Sequence[Interval]) -> bool:
    return contains_instant(open_time, instant)


def may_end_at(instant: datetime, open_time: Sequence[Interval]) -> bool:
    return contains_instant(open_time, instant, closing=True)


# --- availability ------------------------------------------------------------------------


@dataclass(frozen=True)
class BusySpan:
    start: datetime
    end: datetime
    kind: str  # booking | pending | blackout | changeover


@dataclass(frozen=True)
class Bookable:
    """Where bookings may go in a window, on the resource's grid.

    ``free``: a booking must lie inside one of these. ``starts``: its start must fall in one of
    these, ``[start, end)``; ``ends``: its end in one of these, ``(start, end]``. For a resource
    that is attended throughout, both are the free windows themselves; for one that runs
    unattended they are the opening hours inside the free windows. A booking that keeps to all
    three, on the grid and of an allowed length, breaks no rule but the requester's own
    (qualification, quota); and every booking without such a problem keeps to all three.
    """

    free: list[Interval]
    starts: list[Interval]
    ends: list[Interval]


def bookable_time(window: Interval, ctx: BookingContext) -> Bookable:
    """Where in ``window`` a booking may lie, start and end under the rules of ``ctx``.

    A booking that starts in the window may run on after it, so the free time is worked out as
    far as the longest booking reaches and then cut at the window's last step: a run that may
    go on through the nights after the window is shown free up to the window's end (and a
    window cut there may be shorter than ``min_minutes``). ``ctx`` must hold what is taken
    that far (``reach``).
    """
    policy = ctx.policy
    lo, hi = max(window[0], earliest_start(ctx)), min(reach(window, policy)[1], latest_end(ctx))
    if policy.retired or policy.status != "available" or lo >= hi:
        return Bookable([], [], [])
    whole = _bookable_between(lo, hi, ctx)
    shown = (window[0], previous_slot(window[1], policy.slot_minutes, ctx.tz))
    return Bookable(clip(whole.free, shown), clip(whole.starts, shown), clip(whole.ends, shown))


def reach(window: Interval, policy: Policy) -> Interval:
    """How far the bookings that may start in ``window`` reach."""
    return window[0], window[1] + timedelta(minutes=policy.max_minutes)


def _bookable_between(lo: datetime, hi: datetime, ctx: BookingContext) -> Bookable:
    policy = ctx.policy
    open_time = ctx.hours.intervals((lo - timedelta(days=1), hi + timedelta(days=1)))
    base = [(lo, hi)] if policy.runs_unattended else clip(open_time, (lo, hi))
    unhindered = subtract(base, list(ctx.blackouts) + keep_clear(ctx))
    free, starts, ends = [], [], []
    for span in unhindered:
        open_in_span = clip(open_time, span)
        span_starts = _on_grid(open_in_span, ctx, closing=False)
        span_ends = _on_grid(open_in_span, ctx, closing=True)
        if not span_starts or not span_ends:
            continue
        first, last = span_starts[0][0], span_ends[-1][1]
        if minutes((first, last)) < policy.min_minutes:
            continue
        free.append((first, last))
        starts.extend(s for s in span_starts if s[0] < last)
        ends.extend(e for e in span_ends if e[1] > first)
    return Bookable(free, starts, ends)


def _on_grid(spans: Sequence[Interval], ctx: BookingContext, *, closing: bool) -> list[Interval]:
    """Spans whose open side is moved onto the grid: the start of a start span up to the next
    step, the end of an end span down to the last; spans holding no step are left out."""
    slot, tz, result = ctx.policy.slot_minutes, ctx.tz, []
    for start, end in spans:
        if closing:
            last = previous_slot(end, slot, tz)
            if last > start:
                result.append((start, last))
        else:
            first = next_slot(start, slot, tz)
            if first < end:
                result.append((first, end))
    return result


def first_booking(
    bookable: Bookable, policy: Policy, tz: ZoneInfo, *, within: Optional[Interval] = None
) -> Optional[Interval]:
    """The earliest booking of the shortest allowed length that ``bookable`` offers, or None.
    With ``within``, the booking starts there (it may end after it)."""
    for free in bookable.free:
        lo, hi = (max(free[0], within[0]), min(free[1], within[1])) if within else free
        for start_span in clip(bookable.starts, (lo, hi)):
            start = next_slot(start_span[0], policy.slot_minutes, tz)
            while start < start_span[1]:
                end = _first_end(start, bookable.ends, policy, tz, limit=free[1])
                if end is not None:
                    return start, end
                start = next_slot(start + timedelta(minutes=1), policy.slot_minutes, tz)
    return None


def _first_end(
    start: datetime, ends: Sequence[Interval], policy: Policy, tz: ZoneInfo, *, limit: datetime
) -> Optional[datetime]:
    shortest = start + timedelta(minutes=policy.min_minutes)
    longest = min(limit, start + timedelta(minutes=policy.max_minutes))
    for span_start, span_end in ends:
        if span_end < shortest:
            continue
        earliest = max(shortest, span_start + timedelta(minutes=1))
        end = next_slot(earliest, policy.slot_minutes, tz)
        if end <= span_end and end <= longest:
            return end
        if span_start >= longest:
            break
    return None


def next_slot(instant: datetime, slot: int, tz: ZoneInfo) -> datetime:
    """The first instant at or after ``instant`` on the resource's step of the local clock."""
    return _step_to_slot(instant, slot, tz, timedelta(minutes=1))


def previous_slot(instant: datetime, slot: int, tz: ZoneInfo) -> datetime:
    """The last instant at or before ``instant`` on the resource's step of the local clock."""
    return _step_to_slot(instant, slot, tz, timedelta(minutes=-1))


def _step_to_slot(instant: datetime, slot: int, tz: ZoneInfo, step: timedelta) -> datetime:
    whole = instant.replace(second=0, microsecond=0)
    cursor = whole if (whole == instant or step < timedelta(0)) else whole + step
    local = cursor.astimezone(tz)
    minute_of_day = local.hour * 60 + local.minute
    behind = minute_of_day % slot
    if not behind:
        return cursor
    # Jump straight to the step, unless a DST change lies between (the offset differs): then
    # walk minute by minute, so that the repeated and the skipped hour are walked as the clock
    # walks them (at most a slot and an hour of steps).
    jump = min(slot - behind, MINUTES_PER_DAY - minute_of_day) if step > timedelta(0) else -behind
    landed = cursor + timedelta(minutes=jump)
    if landed.astimezone(tz).utcoffset() == local.utcoffset():
        return landed
    while not _on_slot(cursor, slot, tz):
        cursor += step
    return cursor


# --- words -------------------------------------------------------------------------------


def format_local(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
