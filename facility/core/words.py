"""Texts for people that every domain makes: durations in words."""

from __future__ import annotations

from facility.core.time import MINUTES_PER_DAY


def format_minutes(total: int) -> str:
    """90 -> '1 h 30 min'; 2880 -> '2 days'."""
    if total and total % MINUTES_PER_DAY == 0:
        days = total // MINUTES_PER_DAY
        return f"{days} day" if days == 1 else f"{days} days"
    hours, mins = divmod(total, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"
