"""The waiting list's rules, as plain functions over plain values (no Flask, no database).

::

    waiting -> offered -> accepted | declined | expired
    waiting -> withdrawn | expired      (expired: the wish's time has passed)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

from facility.bookings import rules as booking_rules
from facility.core.errors import Violation, invalid
from facility.core.words import N_

STATUSES = ("waiting", "offered", "accepted", "declined", "expired", "withdrawn")
OPEN = ("waiting", "offered")
TRANSITIONS = {
    "waiting": {"offered", "withdrawn", "expired"},
    "offered": {"accepted", "declined", "expired"},
}
VERBS = {"offered": "offered", "accepted": "accepted", "declined": "declined", "expired": "expired",
         "withdrawn": "withdrawn"}  # fmt: skip
MAX_WINDOW = timedelta(days=31)
# What no freed time can change: a wish breaking one of these is refused when it is made.
LASTING = {"resource_unavailable", "not_qualified", "qualification_expired", "too_short", "too_long", "granularity"}


def check_transition(current: str, to: str) -> None:
    if to not in TRANSITIONS.get(current, set()):
        raise invalid("invalid_state", f"A {current} waiting-list entry cannot be {VERBS[to]}.", "status")


def check_wish(
    start: datetime, end: datetime, minutes: Optional[int], *, now: datetime, latest_end: datetime
) -> list[Violation]:
    """Every problem of a wish for [start, end) (a slot, or a window for ``minutes``) that
    needs no look at the resource's time: order, past, horizon, the window's size."""
    field_start, field_end = ("start", "end") if minutes is None else ("from", "to")
    if end <= start:
        return [Violation.worded("end_before_start", N_("The end must be after the start."), field_end)]
    problems = []
    latest_start = start if minutes is None else end - timedelta(minutes=minutes)
    if latest_start < now:
        problems.append(Violation.worded("wait_in_past", N_("You cannot wait for time in the past."), field_start))
    earliest_end = end if minutes is None else start + timedelta(minutes=max(minutes, 0))
    if earliest_end > latest_end:
        problems.append(
            Violation.worded(
                "wait_beyond_horizon",
                N_("This resource cannot be booked that far ahead, so you cannot wait for it either."),
                field_end,
            )
        )
    if minutes is not None:
        if minutes <= 0:
            problems.append(Violation.worded("invalid", N_("Give a positive number of hours."), "hours"))
        elif timedelta(minutes=minutes) > end - start:
            problems.append(
                Violation.worded("hours_exceed_window", N_("The hours do not fit between 'from' and 'to'."), "hours")
            )
        if end - start > MAX_WINDOW:
            problems.append(
                Violation.worded(
                    "window_too_large", N_("Wait within at most %(days)s days at a time."), "to", days=MAX_WINDOW.days
                )
            )
    return problems


def lasting_problems(violations: list[Violation]) -> list[Violation]:
    """The broken rules that freed time would not mend (the wish would never be offered)."""
    return [v for v in violations if v.code in LASTING]


def candidates(
    start: datetime, end: datetime, minutes: Optional[int], *, slot_minutes: int, tz: ZoneInfo, earliest: datetime
) -> Iterator[booking_rules.Interval]:
    """The bookings a wish would take, earliest first: the slot itself, or each booking of
    ``minutes`` on the resource's grid inside the window (starting no earlier than ``earliest``)."""
    if minutes is None:
        yield start, end
        return
    length = timedelta(minutes=minutes)
    cursor = booking_rules.next_slot(max(start, earliest), slot_minutes, tz)
    while cursor + length <= end:
        yield cursor, cursor + length
        cursor = booking_rules.next_slot(cursor + timedelta(minutes=1), slot_minutes, tz)


def hold_until(now: datetime, hold_minutes: int, start: datetime) -> datetime:
    """How long an offer holds the time: ``hold_minutes``, but never past the booking's start."""
    return max(now, min(now + timedelta(minutes=hold_minutes), start))
