"""Texts of the domains said in the page's language."""

from __future__ import annotations

from flask_babel import gettext, ngettext

from facility.core.errors import Violation
from facility.core.time import MINUTES_PER_DAY
from facility.core.words import Duration, format_minutes


def minutes_in_words(total: int) -> str:
    """``format_minutes`` in the page's language: 2880 -> '2 days' or '2 dagar'."""
    if total and total % MINUTES_PER_DAY == 0:
        days = total // MINUTES_PER_DAY
        return ngettext("%(num)d day", "%(num)d days", days)
    return format_minutes(total)  # "1 h 30 min" reads the same in Swedish


def said(violation: Violation) -> str:
    """A violation's message in the page's language, where it was made as ``Words``."""
    if violation.words is None:
        return violation.message
    return violation.words.say(gettext, _value_in_words)


def _value_in_words(value: object) -> str:
    return minutes_in_words(value.minutes) if isinstance(value, Duration) else str(value)
