"""ClosedDays: public holidays and named days from python-holidays for any year, own closures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from facility.catalog.closures import ClosedDays, Closure, find_holiday, holiday_names, parse_region

SWEDISH = ClosedDays("SE", ["julafton", "Midsummer Eve", "NYÅRSAFTON"])


def test_midsommarafton_2028_is_the_friday_23_june():
    assert date(2028, 6, 23) in SWEDISH
    assert SWEDISH.name(date(2028, 6, 23), "sv") == "Midsommarafton"
    assert date(2028, 6, 24) in SWEDISH  # Midsommardagen, a public holiday
    assert date(2028, 6, 22) not in SWEDISH and date(2028, 6, 30) not in SWEDISH


def test_years_that_no_list_names_are_closed_too():
    for year in (2030, 2041, 2077):
        assert date(year, 12, 24) in SWEDISH and date(year, 12, 25) in SWEDISH and date(year, 12, 31) in SWEDISH
    assert date(2030, 4, 19) in SWEDISH  # Good Friday 2030 (Easter Sunday is 21 April)
    assert date(2030, 4, 18) not in SWEDISH  # Maundy Thursday is no closed day


def test_names_in_swedish_and_english():
    assert SWEDISH.name(date(2030, 12, 24), "sv") == "Julafton"
    assert SWEDISH.name(date(2030, 12, 24), "en") == "Christmas Eve"
    assert SWEDISH.name(date(2030, 6, 6), "sv") == "Nationaldagen"
    assert SWEDISH.name(date(2030, 6, 6), "en") == "National Day"
    assert SWEDISH.name(date(2030, 12, 31), "en_US") == "New Year's Eve"
    assert SWEDISH.name(date(2030, 12, 23), "sv") is None
    assert SWEDISH.holidays == ("Julafton", "Midsommarafton", "Nyårsafton")
    assert SWEDISH.holiday_names("en") == ["Christmas Eve", "Midsummer Eve", "New Year's Eve"]


def test_holiday_names_match_in_any_case_and_either_language():
    for written in ("julafton", "JULAFTON", "Julafton", "christmas eve", "Christmas  Eve"):
        assert find_holiday("SE", None, written) == "Julafton"
    with pytest.raises(ValueError, match="'julaftn' is not a holiday of SE.*Midsommarafton"):
        find_holiday("SE", None, "julaftn")
    assert {"Julafton", "Midsommarafton", "Nyårsafton"} <= set(holiday_names("SE"))
    assert "Juldagen" not in holiday_names("SE") and "Juldagen" in holiday_names("SE", public=True)


def test_only_the_named_extra_days_are_closed_not_every_eve():
    plain = ClosedDays("SE")
    assert date(2030, 12, 25) in plain and date(2030, 12, 24) not in plain and date(2028, 6, 23) not in plain
    assert ClosedDays("SE", ["julafton"]).name(date(2028, 6, 23), "sv") is None


def test_sundays_are_not_closed_days_unless_they_are_public_holidays():
    sunday = date(2030, 3, 10)
    assert sunday.weekday() == 6 and sunday not in SWEDISH
    easter_sunday = date(2030, 4, 21)
    assert easter_sunday.weekday() == 6 and easter_sunday in SWEDISH
    assert SWEDISH.name(easter_sunday, "sv") == "Påskdagen"


def test_own_periods_are_inclusive_and_named():
    closed = ClosedDays(
        "SE",
        ["julafton"],
        [
            Closure(date(2027, 7, 12), date(2027, 7, 16), "Summer shutdown"),
            Closure(date(2027, 12, 30), date(2028, 1, 2)),
        ],
    )
    assert date(2027, 7, 11) not in closed and date(2027, 7, 17) not in closed
    assert all(date(2027, 7, 12) + timedelta(days=n) in closed for n in range(5))
    assert closed.name(date(2027, 7, 16), "sv") == "Summer shutdown"
    assert closed.name(date(2027, 12, 30), "sv") == "Stängt" and closed.name(date(2027, 12, 30), "en") == "Closed"
    assert closed.name(date(2027, 12, 30), "en", unnamed="Shut") == "Shut"
    assert date(2028, 1, 2) in closed  # across the turn of the year
    assert closed.name(date(2028, 1, 1), "en") == "New Year's Day, Closed"


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="before it starts"):
        Closure(date(2027, 7, 16), date(2027, 7, 12))


def test_no_country_means_only_own_closures():
    closed = ClosedDays(None, (), [Closure(date(2026, 12, 24), date(2026, 12, 24))])
    assert date(2026, 12, 24) in closed and date(2026, 12, 25) not in closed and date(2027, 12, 24) not in closed
    assert not ClosedDays() and date(2026, 12, 25) not in ClosedDays()
    with pytest.raises(ValueError, match="need a country"):
        ClosedDays(None, ["julafton"])


def test_the_stored_form_round_trips_and_plain_dates_still_work():
    entries = [
        {"holiday": "Julafton"},
        {"day": "2026-12-23"},
        {"from": "2027-07-12", "to": "2027-07-16", "name": "Summer shutdown"},
    ]
    closed = ClosedDays.from_entries("SE", entries)
    assert closed.entries() == entries
    legacy = ClosedDays.from_entries(None, ["2026-12-24", "2026-12-31"])
    assert date(2026, 12, 24) in legacy and date(2026, 12, 25) not in legacy
    assert legacy.entries() == [{"day": "2026-12-24"}, {"day": "2026-12-31"}]


def test_regions():
    assert parse_region("SE") == ("SE", None) and parse_region("se") == ("SE", None)
    assert parse_region("de-by") == ("DE", "BY")
    with pytest.raises(ValueError, match="'XX' is not a country"):
        parse_region("XX")
    with pytest.raises(ValueError, match="not a subdivision of SE"):
        parse_region("SE-XY")
    bavaria = ClosedDays("DE-BY")
    assert date(2030, 1, 6) in bavaria and date(2030, 1, 6) not in ClosedDays("DE-BE")  # Epiphany


def test_a_non_date_is_never_closed():
    assert "2030-12-24" not in SWEDISH and None not in SWEDISH
