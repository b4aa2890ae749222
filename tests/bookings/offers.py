"""What a client does with an availability answer: read it, and pick the bookings it offers."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from facility.bookings import rules

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def from_json(body: dict) -> rules.Bookable:
    """The ``free``, ``starts`` and ``ends`` of an availability answer, as the rules' own value."""

    def spans(key):
        return [(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])) for s in body[key]]

    return rules.Bookable(spans("free"), spans("starts"), spans("ends"))


def _in(instant, spans, *, closing=False) -> bool:
    return any((s < instant <= e) if closing else (s <= instant < e) for s, e in spans)


def offered(booking: rules.Interval, bookable: rules.Bookable) -> bool:
    """Whether the answer offers ``booking``: inside a free window, start in ``starts``, end in
    ``ends`` (grid and length are the resource's own rules)."""
    start, end = booking
    return (
        any(s <= start and end <= e for s, e in bookable.free)
        and _in(start, bookable.starts)
        and _in(end, bookable.ends, closing=True)
    )


def grid_points(lo: datetime, hi: datetime, slot: int, limit: int = 400) -> list[datetime]:
    """Instants on the local ``slot``-minute grid in [lo, hi], at most ``limit``."""
    points, cursor = [], rules.next_slot(lo, slot, STOCKHOLM)
    while cursor <= hi and len(points) < limit:
        points.append(cursor)
        cursor = rules.next_slot(cursor + timedelta(minutes=1), slot, STOCKHOLM)
    return points


def starts_in(free: rules.Interval, bookable: rules.Bookable, slot: int) -> list[datetime]:
    return [t for t in grid_points(free[0], free[1], slot) if _in(t, bookable.starts)]


def ends_for(start: datetime, free: rules.Interval, bookable: rules.Bookable, policy) -> list[datetime]:
    """Grid ends for a booking from ``start`` in ``free``, of an allowed length, in ``ends``."""
    longest = min(free[1], start + timedelta(minutes=policy.max_minutes))
    return [
        t
        for t in grid_points(start + timedelta(minutes=policy.min_minutes), longest, policy.slot_minutes)
        if _in(t, bookable.ends, closing=True)
    ]


def random_offer(bookable: rules.Bookable, policy, rng: random.Random) -> Optional[rules.Interval]:
    """A booking the answer offers, drawn at random (window, start, end), or None if it offers none."""
    windows = list(bookable.free)
    rng.shuffle(windows)
    for free in windows:
        starts = starts_in(free, bookable, policy.slot_minutes)
        rng.shuffle(starts)
        for start in starts[:20]:
            ends = ends_for(start, free, bookable, policy)
            if ends:
                return start, rng.choice(ends)
    return None
