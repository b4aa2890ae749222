"""De minimis state aid as plain rules over plain values (no Flask, no database).

A company that uses a resource at a charged rate below the resource's full cost receives
state aid worth the difference: used hours x (full cost - charged). Under Commission
Regulation (EU) 2023/2831 the de minimis aid a single undertaking receives may not exceed
EUR 300,000 over any period of three years; this module counts that rolling total, converts
SEK to EUR at a configured rate, and says when a company reaches the warning threshold
(80 % by default) or the ceiling.

Money is ``Decimal``: SEK and EUR rounded to the cent (öre) at the end, half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Union

REGULATION = "Commission Regulation (EU) 2023/2831 of 13 December 2023 (de minimis aid)"
CEILING_EUR = Decimal("300000")
WARN_AT = Decimal("0.8")
WINDOW_YEARS = 3
DEFAULT_EUR_SEK = Decimal("11.0")
SECONDS_PER_HOUR = 3600
CENT = Decimal("0.01")

Number = Union[int, float, Decimal, str]


def money(value: Number) -> Decimal:
    """An amount rounded to the cent (öre), half up."""
    return _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value: Number) -> Decimal:
    # str() first, so that a float such as 0.1 becomes Decimal("0.1"), not its binary expansion
    return value if isinstance(value, Decimal) else Decimal(str(value))


# --- the value of one use ------------------------------------------------------------------


def aid_per_hour(full_cost: Number | None, charged: Number | None) -> Decimal:
    """SEK of aid per hour: full cost - charged. No rates, or a charge at or above the full cost, is no aid."""
    if full_cost is None or charged is None:
        return Decimal(0)
    return max(_decimal(full_cost) - _decimal(charged), Decimal(0))


def charged_per_hour(full_cost: Number | None, charged: Number | None) -> Decimal:
    """SEK charged per hour: the charged rate, or without one the full cost; no rates, nothing."""
    if charged is not None:
        return _decimal(charged)
    return _decimal(full_cost) if full_cost is not None else Decimal(0)


@dataclass(frozen=True)
class Amounts:
    """Hours and SEK of some uses, each rounded to the öre once, at the end."""

    hours: Decimal
    full_cost_sek: Decimal
    charged_sek: Decimal
    subsidised_sek: Decimal


def amounts(uses: Iterable[tuple[Number, Number | None, Number | None]]) -> Amounts:
    """The amounts of uses given as ``(used seconds, full cost per hour, charged per hour)``.

    This is the rule the ledger, the statement and the warnings run: the SQL aggregation sums
    the used seconds per rate pair (``aid.services._aggregate``) and this turns those sums into
    money, aid per hour never negative and rounding only at the end."""
    seconds = full = charged = aid = Decimal(0)
    for used, full_rate, charged_rate in uses:
        used = _decimal(used or 0)
        if used < 0:
            raise ValueError("used time cannot be negative")
        seconds += used
        full += used * (_decimal(full_rate) if full_rate is not None else Decimal(0))
        charged += used * charged_per_hour(full_rate, charged_rate)
        aid += used * aid_per_hour(full_rate, charged_rate)
    return Amounts(
        hours_from_seconds(seconds),
        sek_from_rate_seconds(full),
        sek_from_rate_seconds(charged),
        sek_from_rate_seconds(aid),
    )


def subsidised_value(hours: Number, full_cost: Number | None, charged: Number | None) -> Decimal:
    """Used hours x (full cost - charged), in SEK, rounded to the öre (``amounts`` of one use)."""
    if _decimal(hours) < 0:
        raise ValueError("used hours cannot be negative")
    return amounts([(_decimal(hours) * SECONDS_PER_HOUR, full_cost, charged)]).subsidised_sek


def sek_from_rate_seconds(rate_seconds: Number) -> Decimal:
    """SEK from a sum of (seconds x SEK per hour), as the SQL aggregation returns it."""
    return money(_decimal(rate_seconds or 0) / SECONDS_PER_HOUR)


def hours_from_seconds(seconds: Number) -> Decimal:
    return money(_decimal(seconds or 0) / SECONDS_PER_HOUR)


# --- the rolling three-year window ---------------------------------------------------------


def years_earlier(day: date, years: int = WINDOW_YEARS) -> date:
    """The same calendar day ``years`` earlier; 29 February, where that year has none, becomes 1 March
    (so that a window never exceeds its years)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 3, 1)


def window_days(as_of: date, years: int = WINDOW_YEARS) -> tuple[date, date]:
    """The three years that end with the day ``as_of`` (both days included):
    as of 2026-11-25 that is 2023-11-26 to 2026-11-25."""
    return years_earlier(as_of + timedelta(days=1), years), as_of


def window_start(end: datetime, zone: tzinfo, years: int = WINDOW_YEARS) -> datetime:
    """The start of the three years that end (exclusive) at the instant ``end``: the same local
    wall-clock time, three years earlier, in ``zone``."""
    if end.tzinfo is None:
        raise ValueError("window_start needs an aware datetime")
    local = end.astimezone(zone)
    day = years_earlier(local.date(), years)
    if day.month != local.month or day.day != local.day:  # 29 February moved to 1 March: from its start
        return datetime.combine(day, time(0), zone).astimezone(end.tzinfo)
    return datetime.combine(day, local.time().replace(tzinfo=None), zone).astimezone(end.tzinfo)


def rolling_total(entries: Iterable[tuple[date, Number]], as_of: date, years: int = WINDOW_YEARS) -> Decimal:
    """Sum of the amounts of ``(day, amount)`` entries whose day lies in the window ending ``as_of``."""
    first, last = window_days(as_of, years)
    return money(sum((_decimal(amount) for day, amount in entries if first <= _day(day) <= last), Decimal(0)))


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- currency and ceiling ------------------------------------------------------------------


def eur_sek_rate(value: Number) -> Decimal:
    """A configured exchange rate (SEK per EUR), checked: a positive number."""
    try:
        rate = _decimal(value)
    except Exception:  # decimal.InvalidOperation and friends
        raise ValueError(f"the exchange rate {value!r} is not a number (SEK per EUR, like 11.0)") from None
    if not rate.is_finite() or rate <= 0:
        raise ValueError(f"the exchange rate must be a positive number of SEK per EUR, not {value!r}")
    return rate


def sek_to_eur(sek: Number, eur_sek: Number) -> Decimal:
    """SEK -> EUR at ``eur_sek`` SEK per EUR, rounded to the cent."""
    return money(_decimal(sek) / eur_sek_rate(eur_sek))


@dataclass(frozen=True)
class CeilingStatus:
    total_eur: Decimal
    ceiling_eur: Decimal
    warn_at: Decimal
    share: Decimal  # total / ceiling, 4 decimals (0.8 = 80 %)
    remaining_eur: Decimal  # what may still be granted, 0 at or above the ceiling
    level: str  # "ok", "warning" (at or above warn_at) or "exceeded" (above the ceiling)

    @property
    def percent(self) -> Decimal:
        return (self.share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def thresholds_reached(self) -> list[Decimal]:
        """The thresholds (the warning share, then 1 = the ceiling) that the total has reached."""
        return [t for t in (self.warn_at, Decimal(1)) if self.total_eur >= t * self.ceiling_eur]


def ceiling_check(total_eur: Number, ceiling_eur: Number = CEILING_EUR, warn_at: Number = WARN_AT) -> CeilingStatus:
    """Where a three-year total stands against the de minimis ceiling."""
    total, ceiling, warn = _decimal(total_eur), _decimal(ceiling_eur), _decimal(warn_at)
    if ceiling <= 0:
        raise ValueError("the ceiling must be positive")
    if not 0 < warn <= 1:
        raise ValueError("the warning threshold must be a share between 0 and 1, like 0.8")
    share = (total / ceiling).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)  # for showing only
    level = "exceeded" if total > ceiling else "warning" if total >= warn * ceiling else "ok"
    return CeilingStatus(
        total_eur=money(total),
        ceiling_eur=money(ceiling),
        warn_at=warn,
        share=share,
        remaining_eur=money(max(ceiling - total, Decimal(0))),
        level=level,
    )
