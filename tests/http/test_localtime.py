"""Form times use the rules' wall-time arithmetic and only add the refusal of a skipped time."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from facility.core import time as clock_time
from facility.http.localtime import FieldProblem, local_instant
from tests.support.databases import SQLITE_ONLY

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SPRING, AUTUMN = date(2027, 3, 28), date(2026, 10, 25)


@pytest.mark.parametrize(
    "day, clock",
    [
        (date(2026, 11, 10), time(9, 30)),
        (SPRING, time(1, 59)),
        (SPRING, time(3, 0)),
        (AUTUMN, time(2, 30)),  # in the fold: the earlier instant (summer time), as the rules take it
        (AUTUMN, time(3, 0)),
        (date(2026, 12, 31), time(23, 59)),
    ],
)
def test_a_form_time_is_the_instant_the_rules_give(day, clock):
    assert local_instant(day, clock, STOCKHOLM, "start") == clock_time.local_instant(
        day, clock.hour * 60 + clock.minute, STOCKHOLM
    )


def test_the_fold_takes_summer_time_and_seconds_are_kept():
    assert local_instant(AUTUMN, time(2, 30), STOCKHOLM, "start") == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)
    assert local_instant(AUTUMN, time(2, 30, 15), STOCKHOLM, "start") == datetime(
        2026, 10, 25, 0, 30, 15, tzinfo=timezone.utc
    )


@pytest.mark.parametrize("clock", [time(2, 0), time(2, 30), time(2, 59, 59)])
@SQLITE_ONLY
def test_a_wall_time_in_the_spring_gap_is_refused_where_the_rules_map_it_an_hour_later(app, clock):
    mapped = clock_time.local_instant(SPRING, clock.hour * 60 + clock.minute, STOCKHOLM)
    assert mapped.astimezone(STOCKHOLM).hour == clock.hour + 1  # the rules: an hour later on the clock
    with app.test_request_context(), pytest.raises(FieldProblem) as refused:
        local_instant(SPRING, clock, STOCKHOLM, "start")
    assert refused.value.field == "start" and "does not exist on 2027-03-28" in refused.value.message
    assert f"Choose 0{clock.hour + 1}:{clock.minute:02d} or later." in refused.value.message
