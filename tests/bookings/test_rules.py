"""The booking rules as plain functions: no app, no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facility.bookings import rules
from facility.core import time as clock_time
from facility.core.words import format_minutes

UTC = timezone.utc
STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEKDAYS_7_19 = {d: ((420, 1140),) for d in range(5)}
BASE = datetime(2026, 12, 1, tzinfo=UTC)


def policy(**overrides) -> rules.Policy:
    values = dict(
        slot_minutes=30, min_minutes=30, max_minutes=480, lead_minutes=60, horizon_days=90, changeover_minutes=0
    )
    values.update(overrides)
    return rules.Policy(**values)


def context(now=datetime(2026, 11, 25, 8, tzinfo=UTC), weekly=None, **kwargs) -> rules.BookingContext:
    hours = rules.OpeningHours(STOCKHOLM, WEEKDAYS_7_19 if weekly is None else weekly)
    kwargs.setdefault("policy", policy())
    return rules.BookingContext(hours=hours, now=now, **kwargs)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def codes(violations) -> list[str]:
    return [v.code for v in violations]


# --- every rule code ---------------------------------------------------------------------

TUESDAY_9 = local(2026, 12, 1, 9, 0)


def test_a_valid_booking_breaks_no_rule():
    assert rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=2), context()) == []


def test_end_before_start():
    assert codes(rules.check_booking(TUESDAY_9, TUESDAY_9 - timedelta(hours=1), context())) == ["end_before_start"]


@pytest.mark.parametrize(
    "start,expected",
    [
        (local(2026, 11, 25, 8, 0), "in_past"),
        (local(2026, 11, 25, 9, 30), "lead_time"),  # now is 09:00 local, lead 60 min
        (local(2027, 3, 2, 9, 0), "horizon"),
    ],
)
def test_when_a_booking_may_start(start, expected):
    assert expected in codes(rules.check_booking(start, start + timedelta(hours=1), context()))


def test_too_short_and_too_long():
    ctx = context(policy=policy(min_minutes=60, max_minutes=120))
    assert codes(rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(minutes=30), ctx)) == ["too_short"]
    assert codes(rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=3), ctx)) == ["too_long"]


def test_granularity_names_each_misaligned_end():
    found = rules.check_booking(TUESDAY_9 + timedelta(minutes=10), TUESDAY_9 + timedelta(minutes=70), context())
    assert codes(found) == ["granularity", "granularity"]
    assert [v.field for v in found] == ["start", "end"]


def test_outside_opening_hours_and_closed_days():
    evening = local(2026, 12, 1, 18, 0)
    assert codes(rules.check_booking(evening, evening + timedelta(hours=2), context())) == ["outside_opening_hours"]
    saturday = local(2026, 12, 5, 9, 0)
    assert codes(rules.check_booking(saturday, saturday + timedelta(hours=1), context())) == ["outside_opening_hours"]
    closed = rules.BookingContext(
        policy=policy(),
        now=datetime(2026, 11, 25, tzinfo=UTC),
        hours=rules.OpeningHours(STOCKHOLM, WEEKDAYS_7_19, frozenset({date(2026, 12, 1)})),
    )
    assert codes(rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=1), closed)) == ["outside_opening_hours"]


def test_unattended_run_may_span_nights_but_must_start_and_end_when_open():
    ctx = context(policy=policy(runs_unattended=True, slot_minutes=60, max_minutes=14 * 1440))
    monday, friday = local(2026, 11, 30, 9, 0), local(2026, 12, 11, 15, 0)
    assert rules.check_booking(monday, friday, ctx) == []
    found = rules.check_booking(local(2026, 11, 30, 6, 0), local(2026, 12, 5, 12, 0), ctx)
    assert codes(found) == ["outside_opening_hours", "outside_opening_hours"]


def test_blackout():
    ctx = context(blackouts=[(TUESDAY_9 + timedelta(hours=1), TUESDAY_9 + timedelta(hours=3))])
    assert codes(rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=2), ctx)) == ["blackout"]
    assert rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=1), ctx) == []


def test_overlap_includes_the_changeover_after_each_booking():
    ctx = context(
        policy=policy(changeover_minutes=60), taken=[(TUESDAY_9, TUESDAY_9 + timedelta(hours=3))]
    )  # 09-11 booked, cleaning 11-12
    assert codes(
        rules.check_booking(TUESDAY_9 + timedelta(hours=2, minutes=30), TUESDAY_9 + timedelta(hours=4), ctx)
    ) == ["overlap"]
    assert rules.check_booking(TUESDAY_9 + timedelta(hours=3), TUESDAY_9 + timedelta(hours=4), ctx) == []
    # A booking before it must leave room for its own changeover.
    before = rules.check_booking(TUESDAY_9 - timedelta(hours=2), TUESDAY_9 - timedelta(minutes=30), ctx)
    assert codes(before) == ["overlap"]
    assert rules.Violation("overlap", "").http_status == 409


def test_qualification_missing_and_expired():
    ctx = context(policy=policy(qualification="gowning-grade-b", qualification_name="Gowning"))
    assert codes(rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=1), ctx)) == ["not_qualified"]
    expired = context(policy=ctx.policy, qualifications={"gowning-grade-b": date(2026, 11, 30)})
    assert codes(rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=1), expired)) == ["qualification_expired"]
    valid = context(policy=ctx.policy, qualifications={"gowning-grade-b": date(2026, 12, 1)})
    assert rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=1), valid) == []


@pytest.mark.parametrize("status", ["maintenance", "out_of_service"])
def test_resource_unavailable(status):
    ctx = context(policy=policy(status=status))
    assert codes(rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=1), ctx)) == ["resource_unavailable"]


def test_quota_counts_the_users_week():
    ctx = context(
        policy=policy(quota_hours_per_week=4), own_bookings=[(local(2026, 11, 30, 9, 0), local(2026, 11, 30, 12, 0))]
    )  # Monday, 3 h
    assert codes(rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=2), ctx)) == ["quota_exceeded"]
    assert rules.check_booking(TUESDAY_9, TUESDAY_9 + timedelta(hours=1), ctx) == []
    next_week = TUESDAY_9 + timedelta(days=7)
    assert rules.check_booking(next_week, next_week + timedelta(hours=4), ctx) == []


def test_no_quota_means_no_window_of_own_bookings_to_read():
    assert rules.quota_window(TUESDAY_9, TUESDAY_9 + timedelta(hours=1), policy(), STOCKHOLM) is None


instants = st.integers(0, 365 * 24 * 4).map(
    lambda quarters: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * quarters)
)


@settings(max_examples=300, deadline=None)
@given(
    start=instants,
    hours=st.integers(1, 24 * 9),
    own=st.lists(st.tuples(instants, st.integers(1, 48)), max_size=6),
)
def test_the_quota_reads_only_the_weeks_it_counts(start, hours, own):
    """Reading only the requester's bookings inside ``quota_window`` (what a create does under the
    lock) gives the quota the same verdict as reading all of them, across the DST changes."""
    quota = policy(quota_hours_per_week=10, max_minutes=60 * 24 * 10, lead_minutes=0, horizon_days=3650)
    end = start + timedelta(hours=hours)
    everything = [(begin, begin + timedelta(hours=length)) for begin, length in own]
    window = rules.quota_window(start, end, quota, STOCKHOLM)
    assert window[0].astimezone(STOCKHOLM).weekday() == 0 and window[0].astimezone(STOCKHOLM).time().hour == 0
    assert window[0] <= start and end <= window[1]
    inside = [interval for interval in everything if rules.overlaps(interval, window)]

    def quota_verdict(own_bookings):
        ctx = context(now=datetime(2025, 1, 1, tzinfo=UTC), policy=quota, own_bookings=own_bookings)
        return codes(rules._check_quota(start, end, ctx))

    assert quota_verdict(inside) == quota_verdict(everything)


def walked_to_slot(instant: datetime, slot: int, forward: bool) -> datetime:
    """The plain definition: minute by minute along the local clock to the first step."""
    step = timedelta(minutes=1 if forward else -1)
    cursor = instant.replace(second=0, microsecond=0)
    if forward and cursor != instant:
        cursor += step
    while (cursor.astimezone(STOCKHOLM).hour * 60 + cursor.astimezone(STOCKHOLM).minute) % slot:
        cursor += step
    return cursor


@settings(max_examples=500, deadline=None)
@given(
    # Around the DST changes of 2026 (29 March, 25 October) and anywhere in the year.
    instant=st.one_of(
        st.integers(0, 3 * 24 * 60 * 60).map(lambda s: datetime(2026, 3, 28, tzinfo=UTC) + timedelta(seconds=s)),
        st.integers(0, 3 * 24 * 60 * 60).map(lambda s: datetime(2026, 10, 24, tzinfo=UTC) + timedelta(seconds=s)),
        st.integers(0, 365 * 24 * 60 * 60).map(lambda s: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=s)),
    ),
    slot=st.sampled_from([1, 5, 15, 30, 45, 60, 90, 120, 240, 1440]),
)
def test_the_next_and_previous_step_are_the_ones_the_clock_walks_to(instant, slot):
    assert rules.next_slot(instant, slot, STOCKHOLM) == walked_to_slot(instant, slot, forward=True)
    assert rules.previous_slot(instant, slot, STOCKHOLM) == walked_to_slot(instant, slot, forward=False)


def test_every_broken_rule_is_reported_at_once():
    ctx = context(
        policy=policy(qualification="q", max_minutes=60, status="maintenance"),
        blackouts=[(TUESDAY_9, TUESDAY_9 + timedelta(hours=1))],
    )
    found = codes(rules.check_booking(TUESDAY_9 + timedelta(minutes=5), TUESDAY_9 + timedelta(hours=3), ctx))
    assert set(found) >= {"resource_unavailable", "not_qualified", "too_long", "granularity", "blackout"}


# --- daylight saving -------------------------------------------------------------------------


def test_a_booking_over_the_october_change_lasts_what_it_says():
    # 2026-10-25: clocks go back at 03:00 CEST to 02:00 CET. Sat 12:00 -> Sun 12:00 is 25 h.
    start, end = local(2026, 10, 24, 12, 0), local(2026, 10, 25, 12, 0)
    assert rules.minutes((start.astimezone(UTC), end.astimezone(UTC))) == 25 * 60


def test_opening_hours_stay_on_the_wall_clock_across_dst():
    every_day = {d: ((420, 1140),) for d in range(7)}
    hours = rules.OpeningHours(STOCKHOLM, every_day)
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        window = (
            datetime.combine(day, datetime.min.time(), STOCKHOLM).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), datetime.min.time(), STOCKHOLM).astimezone(UTC),
        )
        ((open_at, close_at),) = hours.intervals(window)
        assert open_at.astimezone(STOCKHOLM).hour == 7 and close_at.astimezone(STOCKHOLM).hour == 19
        assert rules.minutes((open_at, close_at)) == 12 * 60


def test_opening_hours_across_midnight():
    nights = {d: ((22 * 60, 6 * 60),) for d in range(7)}  # 22:00 to 06:00 next morning
    ctx = context(weekly=nights, policy=policy(max_minutes=600))
    start = local(2026, 12, 1, 23, 0)
    assert rules.check_booking(start, start + timedelta(hours=6), ctx) == []
    assert codes(rules.check_booking(start, start + timedelta(hours=8), ctx)) == ["outside_opening_hours"]


def test_night_across_the_october_change_is_an_hour_longer():
    nights = {d: ((22 * 60, 6 * 60),) for d in range(7)}
    hours = rules.OpeningHours(STOCKHOLM, nights)
    window = (local(2026, 10, 24, 12, 0).astimezone(UTC), local(2026, 10, 25, 12, 0).astimezone(UTC))
    ((opened, closed),) = hours.intervals(window)
    assert rules.minutes((opened, closed)) == 9 * 60


def test_parse_hours():
    assert clock_time.parse_hours("07:00-19:00") == (420, 1140)
    assert clock_time.parse_hours("00:00-24:00") == (0, 1440)
    assert clock_time.parse_hours("22:00-06:00") == (1320, 360)
    for bad in ("7-19", "07:00", "25:00-26:00", "07:00-07:00", "07:60-08:00", "24:00-06:00"):
        with pytest.raises(ValueError):
            clock_time.parse_hours(bad)


def test_free_time_starts_on_the_slot_grid_after_the_lead_time():
    now = local(2026, 12, 1, 8, 7, 31).astimezone(UTC)  # lead 60 min: from 09:07:31
    ctx = context(now=now)
    free = rules.bookable_time((now, now + timedelta(days=1)), ctx).free
    assert free[0] == (local(2026, 12, 1, 9, 30).astimezone(UTC), local(2026, 12, 1, 19, 0).astimezone(UTC))
    assert rules.next_slot(local(2026, 12, 1, 9, 30), 30, STOCKHOLM) == local(2026, 12, 1, 9, 30)
    assert rules.next_slot(local(2026, 12, 1, 23, 59, 30), 60, STOCKHOLM) == local(2026, 12, 2, 0, 0)


def test_format_minutes():
    assert [format_minutes(m) for m in (30, 60, 90, 1440, 2880)] == [
        "30 min",
        "1 h",
        "1 h 30 min",
        "1 day",
        "2 days",
    ]


# --- properties of the interval arithmetic --------------------------------------------------

minutes_st = st.integers(min_value=0, max_value=60 * 24 * 30)


@st.composite
def intervals(draw):
    start = draw(minutes_st)
    length = draw(st.integers(min_value=1, max_value=60 * 24 * 5))
    return (BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + length))


def covered(spans, instant) -> bool:
    return any(s <= instant < e for s, e in spans)


instants = minutes_st.map(lambda m: BASE + timedelta(minutes=m))


@given(st.lists(intervals(), max_size=12), instants)
def test_merge_covers_the_same_instants_and_is_disjoint(spans, instant):
    merged = rules.merge(spans)
    assert covered(merged, instant) == covered(spans, instant)
    assert all(a[1] < b[0] for a, b in zip(merged, merged[1:]))


@given(st.lists(intervals(), max_size=8), st.lists(intervals(), max_size=8), instants)
def test_subtract_leaves_exactly_what_no_hole_covers(spans, holes, instant):
    rest = rules.subtract(spans, holes)
    assert covered(rest, instant) == (covered(spans, instant) and not covered(holes, instant))


@given(intervals(), intervals())
def test_overlap_is_symmetric_and_matches_a_shared_instant(a, b):
    shared = max(a[0], b[0]) < min(a[1], b[1])
    assert rules.overlaps(a, b) == rules.overlaps(b, a) == shared


@given(intervals(), intervals(), st.integers(min_value=0, max_value=480))
def test_changeover_keeps_bookings_apart(existing, new, changeover):
    """A booking is accepted next to another exactly when both, changeover included, stay apart."""
    p = policy(
        slot_minutes=1,
        min_minutes=1,
        max_minutes=10**6,
        lead_minutes=0,
        horizon_days=3650,
        changeover_minutes=changeover,
        runs_unattended=True,
    )
    always_open = {d: ((0, 1440),) for d in range(7)}
    ctx = context(
        now=BASE - timedelta(days=1),
        weekly=always_open,
        policy=p,
        taken=[(existing[0], rules.blocked_until(existing[1], p))],
    )
    accepted = rules.check_booking(new[0], new[1], ctx) == []
    gap = timedelta(minutes=changeover)
    apart = new[1] + gap <= existing[0] or existing[1] + gap <= new[0]
    assert accepted == apart


@settings(max_examples=200)
@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=0, max_value=1439),
    st.integers(min_value=1, max_value=1440),
)
def test_opening_intervals_follow_the_wall_clock_in_stockholm(day, open_minute, length):
    """Whatever the day (DST changes included), open time starts at the local opening time and
    lasts the wall-clock length, give or take the hour the clocks move."""
    close_minute = (open_minute + length) % 1440 or 1440
    if close_minute == open_minute:
        return
    hours = rules.OpeningHours(STOCKHOLM, {day.weekday(): ((open_minute, close_minute),)})
    window = (
        datetime.combine(day, datetime.min.time(), UTC) - timedelta(days=1),
        datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=3),
    )
    spans = hours.intervals(window)
    assert len(spans) == 1
    opened, closed = spans[0]
    expected_open = clock_time.local_instant(day, open_minute, STOCKHOLM)
    assert opened == expected_open
    assert abs(rules.minutes((opened, closed)) - length) <= 60
    assert closed.astimezone(STOCKHOLM).date() in (day, day + timedelta(days=1))


@given(st.lists(intervals(), max_size=6))
def test_minutes_per_week_adds_up(spans):
    total = sum(rules.minutes(s) for s in spans)
    assert sum(rules.minutes_per_week(spans, STOCKHOLM).values()) == total
