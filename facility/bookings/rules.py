"""The rules of booking, as plain functions over plain values.

No Flask, no database: the service layer gathers the facts (the resource's policy, the
facility's opening hours, the time already taken, the requester's qualifications) into a
``BookingContext`` and asks ``check_booking`` for every rule the request breaks.

All instants are aware datetimes; intervals are half-open ``[start, end)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Mapping, Optional, Sequence
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
MINUTES_PER_DAY = 24 * 60
# Instants outside these years are refused at the edges: nobody books there, and the
# interval arithmetic (a week either side, a day's changeover) would overflow near year 9999.
FIRST_YEAR, LAST_YEAR = 2000, 2100
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    field: Optional[str] = None

    @property
    def http_status(self) -> int:
        return 409 if self.code == "overlap" else 422


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


def local_instant(day: date, minute_of_day: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time ``minute_of_day`` minutes after ``day``'s midnight.

    Wall time, not elapsed time: 07:00 is 07:00 on a day with a DST change too. A wall time
    inside the spring-forward gap maps to the instant an hour later on the clock.
    """
    day = day + timedelta(days=minute_of_day // MINUTES_PER_DAY)
    minute_of_day %= MINUTES_PER_DAY
    wall = datetime(day.year, day.month, day.day, minute_of_day // 60, minute_of_day % 60, tzinfo=tz)
    return wall.astimezone(timezone.utc)


def parse_hours(text: str) -> tuple[int, int]:
    """``"07:00-19:00"`` -> ``(420, 1140)``; ``"24:00"`` is accepted as an end."""
    try:
        opening, closing = (part.strip() for part in text.split("-"))
        open_minute, close_minute = _minute(opening), _minute(closing)
    except ValueError:
        raise ValueError(f"'{text}' is not a range like 07:00-19:00") from None
    if open_minute >= MINUTES_PER_DAY:
        raise ValueError(f"'{text}' opens at 24:00")
    if open_minute == close_minute:
        raise ValueError(f"'{text}' is empty")
    return open_minute, close_minute


def _minute(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    if len(hours) != 2 or len(mins) != 2 or not (hours + mins).isdigit():
        raise ValueError(hhmm)
    value = int(hours) * 60 + int(mins)
    if int(mins) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(hhmm)
    return value


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
        return [Violation("end_before_start", "The end must be after the start.", "end")] + violations
    checks = (_check_when, _check_duration, _check_granularity, _check_opening_hours,
              _check_blackouts, _check_quota, _check_overlap)
    for check in checks:
        violations.extend(check(start, end, ctx))
    return violations


def _check_resource(ctx: BookingContext) -> list[Violation]:
    policy = ctx.policy
    if policy.retired:
        return [Violation("resource_unavailable", "This resource has been retired and can no longer be booked.", "resource")]
    if policy.status != "available":
        state = "under maintenance" if policy.status == "maintenance" else "out of service"
        return [Violation("resource_unavailable", f"This resource is {state} and cannot be booked now.", "resource")]
    return []


def _check_qualification(end: datetime, ctx: BookingContext) -> list[Violation]:
    key = ctx.policy.qualification
    if not key:
        return []
    name = ctx.policy.qualification_name or key
    valid_until = ctx.qualifications.get(key)
    if valid_until is None:
        return [Violation("not_qualified", f"You need the qualification '{name}' to book this resource.", "resource")]
    last_day = (end - timedelta(microseconds=1)).astimezone(ctx.tz).date()
    if valid_until < last_day:
        return [Violation(
            "qualification_expired",
            f"Your qualification '{name}' is valid until {valid_until.isoformat()}, "
            "before this booking ends. Renew it first.",
            "resource",
        )]
    return []


def _check_when(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    policy = ctx.policy
    if start < ctx.now:
        return [Violation("in_past", "The start is in the past.", "start")]
    earliest = ctx.now + timedelta(minutes=policy.lead_minutes)
    if start < earliest:
        return [Violation(
            "lead_time",
            f"This resource must be booked at least {format_minutes(policy.lead_minutes)} in advance "
            f"(earliest start {format_local(earliest, ctx.tz)}).",
            "start",
        )]
    latest = ctx.now + timedelta(days=policy.horizon_days)
    if start > latest:
        return [Violation(
            "horizon",
            f"This resource can be booked at most {policy.horizon_days} days ahead "
            f"(latest start {format_local(latest, ctx.tz)}).",
            "start",
        )]
    return []


def _check_duration(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    policy, length = ctx.policy, minutes((start, end))
    if length < policy.min_minutes:
        return [Violation("too_short", f"A booking must last at least {format_minutes(policy.min_minutes)}.", "end")]
    if length > policy.max_minutes:
        return [Violation("too_long", f"A booking may last at most {format_minutes(policy.max_minutes)}.", "end")]
    return []


def _check_granularity(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    slot = ctx.policy.slot_minutes
    misaligned = [name for name, instant in (("start", start), ("end", end)) if not _on_slot(instant, slot, ctx.tz)]
    return [
        Violation("granularity", f"The {name} must fall on a {format_minutes(slot)} step of the clock "
                  f"(for example {_example_slot(slot)}).", name)
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
    window = (start - timedelta(days=1), end + timedelta(days=1))
    open_time = ctx.hours.intervals(window)
    if ctx.policy.runs_unattended:
        # Unattended runs (a bioreactor, a freezer) go on overnight: staff must be there to
        # start and finish them, so only the two ends must fall inside opening hours.
        problems = []
        if not contains_instant(open_time, start):
            problems.append(("start", start))
        if not contains_instant(open_time, end, closing=True):
            problems.append(("end", end))
        return [
            Violation("outside_opening_hours",
                      f"The facility is closed at the {name} ({format_local(at, ctx.tz)}).", name)
            for name, at in problems
        ]
    if covers(open_time, (start, end)):
        return []
    return [Violation(
        "outside_opening_hours",
        f"The facility is not open for the whole time from {format_local(start, ctx.tz)} "
        f"to {format_local(end, ctx.tz)}.",
        "start",
    )]


def _check_blackouts(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    hits = [b for b in merge(ctx.blackouts) if overlaps(b, (start, end))]
    if not hits:
        return []
    first = hits[0]
    return [Violation(
        "blackout",
        f"The resource is out of service from {format_local(first[0], ctx.tz)} "
        f"to {format_local(first[1], ctx.tz)}.",
        "start",
    )]


def _check_quota(start: datetime, end: datetime, ctx: BookingContext) -> list[Violation]:
    quota = ctx.policy.quota_hours_per_week
    if quota is None:
        return []
    new = minutes_per_week([(start, end)], ctx.tz)
    existing = minutes_per_week(ctx.own_bookings, ctx.tz)
    for week_start, added in sorted(new.items()):
        total = added + existing.get(week_start, 0)
        if total > quota * 60:
            return [Violation(
                "quota_exceeded",
                f"You may book this resource at most {quota} h a week; the week of "
                f"{week_start.isoformat()} would have {format_minutes(total)}.",
                "end",
            )]
    return []


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
    holds = (start, blocked_until(end, ctx.policy))
    if not any(overlaps(holds, taken) for taken in ctx.taken):
        return []
    message = "This time is already booked."
    if ctx.policy.changeover_minutes:
        message = (f"This time is already booked (each booking is followed by "
                   f"{format_minutes(ctx.policy.changeover_minutes)} of changeover).")
    return [Violation("overlap", message, "start")]


# --- availability ------------------------------------------------------------------------

@dataclass(frozen=True)
class BusySpan:
    start: datetime
    end: datetime
    kind: str  # booking | pending | blackout | changeover


def free_time(window: Interval, ctx: BookingContext, busy: Sequence[BusySpan]) -> list[Interval]:
    """Bookable time in ``window``: open (or, for unattended runs, any) time that is not busy,
    from the lead time to the booking horizon."""
    policy = ctx.policy
    if policy.retired or policy.status != "available":
        return []
    bookable = (ctx.now + timedelta(minutes=policy.lead_minutes), ctx.now + timedelta(days=policy.horizon_days))
    lo, hi = max(window[0], bookable[0]), min(window[1], bookable[1])
    if lo >= hi:
        return []
    base = [(lo, hi)] if policy.runs_unattended else ctx.hours.intervals((lo, hi))
    free = subtract(base, [(b.start, b.end) for b in busy])
    snapped = [(next_slot(s, policy.slot_minutes, ctx.tz), e) for s, e in free]
    return [(s, e) for s, e in snapped if s < e]


def next_slot(instant: datetime, slot: int, tz: ZoneInfo) -> datetime:
    """The first instant at or after ``instant`` on the resource's step of the local clock."""
    if _on_slot(instant, slot, tz):
        return instant
    local = instant.astimezone(tz)
    minute_of_day = local.hour * 60 + local.minute + 1  # the next whole minute, then up to the step
    aligned = -(-minute_of_day // slot) * slot
    return local_instant(local.date(), aligned, tz)


# --- words -------------------------------------------------------------------------------

def format_minutes(total: int) -> str:
    """90 -> '1 h 30 min'; 2880 -> '2 days'."""
    if total and total % MINUTES_PER_DAY == 0:
        days = total // MINUTES_PER_DAY
        return f"{days} day" if days == 1 else f"{days} days"
    hours, mins = divmod(total, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def format_local(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
