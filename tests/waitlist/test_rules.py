"""The waiting list's pure rules: the bookings a wish would take, and how long an offer holds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from facility.bookings.rules import next_slot
from facility.core.errors import ServiceError
from facility.waitlist import rules
from tests.support.clock import STOCKHOLM

BASE = datetime(2026, 10, 20, tzinfo=timezone.utc)  # the autumn change (25 October) lies within reach


@given(
    offset=st.integers(min_value=0, max_value=60 * 24 * 14),
    span=st.integers(min_value=1, max_value=60 * 24 * 7),
    minutes=st.integers(min_value=15, max_value=60 * 12),
    slot=st.sampled_from([15, 30, 60]),
    lead=st.integers(min_value=0, max_value=60 * 24),
)
def test_a_window_wish_takes_bookings_of_its_length_on_the_grid_inside_it_in_order(offset, span, minutes, slot, lead):
    start = BASE + timedelta(minutes=offset)
    end = start + timedelta(minutes=span)
    earliest = start + timedelta(minutes=lead)
    taken = list(rules.candidates(start, end, minutes, slot_minutes=slot, tz=STOCKHOLM, earliest=earliest))
    for s, e in taken:
        assert e - s == timedelta(minutes=minutes)
        assert start <= s and s >= earliest and e <= end
        assert next_slot(s, slot, STOCKHOLM) == s
    assert [s for s, _ in taken] == sorted({s for s, _ in taken})
    # none left out: the first is the first step of the grid after the earliest start
    first = next_slot(max(start, earliest), slot, STOCKHOLM)
    assert bool(taken) == (first + timedelta(minutes=minutes) <= end)
    if taken:
        assert taken[0][0] == first


def test_a_slot_wish_takes_exactly_its_slot():
    slot = (BASE, BASE + timedelta(hours=2))
    assert list(rules.candidates(*slot, None, slot_minutes=60, tz=STOCKHOLM, earliest=BASE)) == [slot]


@given(hold=st.integers(min_value=1, max_value=600), until_start=st.integers(min_value=-60, max_value=900))
def test_an_offer_holds_its_time_but_never_past_the_start(hold, until_start):
    now = BASE
    start = now + timedelta(minutes=until_start)
    until = rules.hold_until(now, hold, start)
    assert now <= until <= now + timedelta(minutes=hold)
    assert until <= max(now, start)
    assert until == max(now, min(now + timedelta(minutes=hold), start))


def test_the_entry_states():
    rules.check_transition("waiting", "offered")
    rules.check_transition("offered", "accepted")
    for current, to in [
        ("accepted", "declined"),
        ("waiting", "accepted"),
        ("offered", "withdrawn"),
        ("expired", "offered"),
    ]:
        try:
            rules.check_transition(current, to)
        except ServiceError as error:
            assert [v.code for v in error.violations] == ["invalid_state"]
        else:
            raise AssertionError(f"{current} -> {to} was allowed")


def test_a_wish_names_every_problem_it_has():
    now = BASE
    codes = [v.code for v in rules.check_wish(now - timedelta(days=1), now + timedelta(days=40), 60 * 24 * 50,
                                               now=now, latest_end=now + timedelta(days=30))]  # fmt: skip
    assert codes == ["wait_in_past", "wait_beyond_horizon", "hours_exceed_window", "window_too_large"]
