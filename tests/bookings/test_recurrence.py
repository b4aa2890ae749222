"""The recurrence of a series (facility/bookings/recurrence.py), pure: RRULEs across the
daylight-saving changes of Europe/Stockholm keep every occurrence's wall-clock start and length."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from facility.bookings import recurrence

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The last Sundays of March and October 2026-2028: a series starting in the weeks before one
# runs over it.
CHANGES = [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31), date(2028, 3, 26)]


@st.composite
def rules(draw, first: date) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 3))}"]
    if freq == "WEEKLY":
        days = draw(st.lists(st.sampled_from(recurrence.WEEKDAY_CODES), min_size=1, max_size=7, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    if freq == "MONTHLY" and draw(st.booleans()):
        parts.append(f"BYDAY=1{draw(st.sampled_from(recurrence.WEEKDAY_CODES))}")
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, 60))}")
    else:
        until = first + timedelta(days=draw(st.integers(200, 500)))  # far enough for one occurrence
        parts.append(f"UNTIL={until:%Y%m%d}")
    return ";".join(parts)


starts = st.builds(
    lambda change, days_before, hour, minute: datetime.combine(
        change - timedelta(days=days_before), time(hour, minute)
    ),
    st.sampled_from(CHANGES),
    st.integers(0, 70),
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 45]),
)
durations = st.integers(15, 30 * 60).map(lambda minutes: timedelta(minutes=minutes))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), local_start=starts, duration=durations)
def test_every_occurrence_keeps_its_wall_clock_start_and_length_across_dst(data, local_start, duration):
    rule = data.draw(rules(local_start.date()))
    expansion = recurrence.expand(rule, local_start, duration, STOCKHOLM, max_occurrences=1000)
    assert expansion.ok, (rule, expansion.violations)
    assert expansion.occurrences[0].local_start >= local_start
    for occurrence in expansion.occurrences:
        assert occurrence.local_start.time() == local_start.time()
        assert occurrence.local_end - occurrence.local_start == duration
        if occurrence.problems:  # a wall-clock time in the hour skipped in spring, flagged
            assert [p.code for p in occurrence.problems] == ["nonexistent_time"]
            continue
        # The instants, shown in Stockholm, are exactly those wall-clock times.
        assert occurrence.start.astimezone(STOCKHOLM).replace(tzinfo=None) == occurrence.local_start
        assert occurrence.end.astimezone(STOCKHOLM).replace(tzinfo=None) == occurrence.local_end
        assert occurrence.start.tzinfo is timezone.utc and occurrence.start < occurrence.end


def test_a_tuesday_series_over_the_spring_change_moves_its_utc_time_not_its_local_time():
    found = recurrence.expand(
        "FREQ=WEEKLY;BYDAY=TU;COUNT=3", datetime(2027, 3, 23, 9), timedelta(hours=4), STOCKHOLM
    ).occurrences
    assert [o.start.hour for o in found] == [8, 7, 7]  # UTC: 09:00 CET, then 09:00 CEST
    assert [o.local_start.hour for o in found] == [9, 9, 9]


def test_a_time_in_the_skipped_hour_is_flagged_and_the_fall_back_hour_is_its_first_instance():
    spring = recurrence.expand("FREQ=DAILY;COUNT=2", datetime(2027, 3, 27, 2, 30), timedelta(hours=1), STOCKHOLM)
    assert [bool(o.problems) for o in spring.occurrences] == [False, True]
    autumn = recurrence.expand("FREQ=DAILY;COUNT=2", datetime(2027, 10, 30, 2, 30), timedelta(hours=1), STOCKHOLM)
    assert [o.start.isoformat() for o in autumn.occurrences] == [
        "2027-10-30T00:30:00+00:00",
        "2027-10-31T00:30:00+00:00",
    ]


def test_until_in_utc_is_read_as_rfc_5545_writes_it_with_a_zoned_start():
    # 2027-03-30T07:00Z is 09:00 CEST: the occurrence starting then is the last one.
    found = recurrence.expand(
        "RRULE:FREQ=WEEKLY;UNTIL=20270330T070000Z", datetime(2027, 3, 16, 9), timedelta(hours=1), STOCKHOLM
    ).occurrences
    assert [o.local_start.day for o in found] == [16, 23, 30]


def test_the_forms_rules_are_what_they_say():
    assert recurrence.weekly_rule([3, 1], count=10) == "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10"
    assert recurrence.weekly_rule([1], until="2027-03-31") == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270331"
    assert recurrence.monthly_first_rule(0, count=6) == "FREQ=MONTHLY;BYDAY=1MO;COUNT=6"
    found = recurrence.expand(
        recurrence.monthly_first_rule(0, count=3), datetime(2026, 11, 2, 9), timedelta(hours=2), STOCKHOLM
    )
    assert [o.local_start.date() for o in found.occurrences] == [date(2026, 11, 2), date(2026, 12, 7), date(2027, 1, 4)]
