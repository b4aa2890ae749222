"""The state-aid rules as plain functions: hand-computed values, window boundaries, the ceiling."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from facility.aid import rules

STOCKHOLM = ZoneInfo("Europe/Stockholm")


# Hand-computed (used hours, full cost, charged, aid in SEK). tests/aid/test_rules_in_production.py
# writes usage rows for the same cases and checks that the ledger, which runs rules.amounts over
# the SQL sums, gives the same figures.
HAND_COMPUTED = [
    (10, 1500, 900, "6000.00"),  # 10 h x 600
    (2.5, 6000, 4000, "5000.00"),  # 2.5 h x 2,000
    (Decimal(1) / 3, 1500, 900, "200.00"),  # 20 minutes
    (0.75, 450, 300, "112.50"),
    (48, 1500, 1500, "0.00"),  # charged the full cost: no aid
    (4, 1500, 1800, "0.00"),  # charged above the full cost: no aid, never negative
    (4, None, None, "0.00"),  # no rates
    (4, None, 900, "0.00"),  # a charge without a full cost: no aid, never negative
    (0, 6000, 4000, "0.00"),
]


@pytest.mark.parametrize("hours, full, charged, expected", HAND_COMPUTED)
def test_subsidised_value_is_hours_times_full_cost_minus_charged(hours, full, charged, expected):
    assert rules.subsidised_value(hours, full, charged) == Decimal(expected)


def test_amounts_sum_the_uses_and_round_once_at_the_end():
    # 1 s at 600 SEK/h of aid is 0.1666.. SEK: three such uses are 0.50 SEK, not 3 x 0.17
    assert rules.amounts([(1, 1500, 900)] * 3).subsidised_sek == Decimal("0.50")
    both = rules.amounts([(36000, 1500, 900), (9000, 6000, 4000), (7200, None, None), (3600, 1500, None)])
    assert both == rules.Amounts(
        hours=Decimal("15.50"),
        full_cost_sek=Decimal("31500.00"),
        charged_sek=Decimal("20500.00"),
        subsidised_sek=Decimal("11000.00"),
    )
    assert rules.amounts([]) == rules.Amounts(*(Decimal("0.00"),) * 4)
    with pytest.raises(ValueError):
        rules.amounts([(-1, 1500, 900)])


def test_negative_hours_are_refused():
    with pytest.raises(ValueError):
        rules.subsidised_value(-1, 1500, 900)


def test_sums_of_seconds_times_rates_become_sek_and_hours():
    assert rules.sek_from_rate_seconds(48 * 3600 * 600) == Decimal("28800.00")
    assert rules.sek_from_rate_seconds(1 * 600) == Decimal("0.17")  # one second at 600 SEK/h: 0.1666...
    assert rules.sek_from_rate_seconds(None) == Decimal("0.00")
    assert rules.hours_from_seconds(5400) == Decimal("1.50")


@pytest.mark.parametrize(
    "sek, rate, eur",
    [
        (330000, 11, "30000.00"),
        (100, "11.0", "9.09"),
        (1000, "11.25", "88.89"),
        (3300000, 11, "300000.00"),
        (0, 11, "0.00"),
    ],
)
def test_sek_to_eur_at_the_configured_rate(sek, rate, eur):
    assert rules.sek_to_eur(sek, rate) == Decimal(eur)


@pytest.mark.parametrize("rate", [0, -11, "eleven", "NaN", "Infinity", None])
def test_a_bad_exchange_rate_is_refused(rate):
    with pytest.raises(ValueError):
        rules.eur_sek_rate(rate)


def test_the_three_years_end_with_the_day_and_start_the_day_after_three_years_earlier():
    assert rules.window_days(date(2026, 11, 25)) == (date(2023, 11, 26), date(2026, 11, 25))
    assert rules.window_days(date(2026, 12, 31)) == (date(2024, 1, 1), date(2026, 12, 31))


def test_leap_days_never_make_the_window_longer_than_three_years():
    assert rules.years_earlier(date(2028, 2, 29)) == date(2025, 3, 1)
    assert rules.window_days(date(2028, 2, 28)) == (date(2025, 3, 1), date(2028, 2, 28))
    assert rules.window_days(date(2028, 2, 29)) == (date(2025, 3, 1), date(2028, 2, 29))
    assert rules.window_days(date(2027, 2, 28)) == (date(2024, 3, 1), date(2027, 2, 28))


def test_the_rolling_total_counts_exactly_the_days_inside_the_window():
    entries = [
        (date(2023, 11, 25), 100),
        (date(2023, 11, 26), 200),
        (date(2025, 6, 1), "0.50"),
        (date(2026, 11, 25), 300),
        (date(2026, 11, 26), 400),
    ]
    assert rules.rolling_total(entries, date(2026, 11, 25)) == Decimal("500.50")
    # a day later the first day in leaves the window and the last one comes in
    assert rules.rolling_total(entries, date(2026, 11, 26)) == Decimal("700.50")
    assert rules.rolling_total(entries, date(2023, 11, 24)) == Decimal("0.00")


def test_the_window_of_an_instant_is_the_same_local_time_three_years_earlier():
    end = datetime(2026, 11, 26, 0, 0, tzinfo=STOCKHOLM).astimezone(timezone.utc)
    assert rules.window_start(end, STOCKHOLM) == datetime(2023, 11, 25, 23, 0, tzinfo=timezone.utc)
    summer = datetime(2026, 7, 1, 0, 0, tzinfo=STOCKHOLM).astimezone(timezone.utc)  # CEST, UTC+2
    assert rules.window_start(summer, STOCKHOLM) == datetime(2023, 6, 30, 22, 0, tzinfo=timezone.utc)
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=STOCKHOLM).astimezone(timezone.utc)
    assert rules.window_start(leap, STOCKHOLM) == datetime(2025, 2, 28, 23, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        rules.window_start(datetime(2026, 1, 1), STOCKHOLM)


@pytest.mark.parametrize(
    "total, level, percent, remaining",
    [
        ("0", "ok", "0.0", "300000.00"),
        ("239999.99", "ok", "80.0", "60000.01"),  # 79.99999 % is not yet 80 %
        ("240000", "warning", "80.0", "60000.00"),
        ("299999.99", "warning", "100.0", "0.01"),
        ("300000", "warning", "100.0", "0.00"),  # reaching the ceiling is allowed, exceeding it is not
        ("300000.01", "exceeded", "100.0", "0.00"),
        ("450000", "exceeded", "150.0", "0.00"),
    ],
)
def test_the_ceiling_check_warns_at_80_percent(total, level, percent, remaining):
    status = rules.ceiling_check(Decimal(total))
    assert (status.level, status.percent, status.remaining_eur) == (level, Decimal(percent), Decimal(remaining))


def test_thresholds_reached_and_other_ceilings():
    assert rules.ceiling_check(239999.99).thresholds_reached() == []
    assert rules.ceiling_check(240000).thresholds_reached() == [Decimal("0.8")]
    assert rules.ceiling_check(300000).thresholds_reached() == [Decimal("0.8"), Decimal(1)]
    status = rules.ceiling_check(900, ceiling_eur=1000, warn_at="0.9")
    assert (status.level, status.share) == ("warning", Decimal("0.9000"))
    with pytest.raises(ValueError):
        rules.ceiling_check(1, warn_at=0)
    with pytest.raises(ValueError):
        rules.ceiling_check(1, ceiling_eur=0)
