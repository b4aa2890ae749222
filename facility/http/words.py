"""Texts of the domains said in the page's language."""

from __future__ import annotations

from flask_babel import ngettext

from facility.core.time import MINUTES_PER_DAY
from facility.core.words import format_minutes


def minutes_in_words(total: int) -> str:
    """``format_minutes`` in the page's language: 2880 -> '2 days' or '2 dagar'."""
    if total and total % MINUTES_PER_DAY == 0:
        days = total // MINUTES_PER_DAY
        return ngettext("%(num)d day", "%(num)d days", days)
    return format_minutes(total)  # "1 h 30 min" reads the same in Swedish
