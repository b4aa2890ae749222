"""Booking and resource statuses, blackout kinds, GMP levels and durations in words, as the pages show them."""

from __future__ import annotations

from functools import partial

from flask import Flask
from flask_babel import ngettext

from facility.bookings.rules import format_minutes

# Defined beside the forms that offer them (no import of the pages from the forms); named here too.
from facility.bookings.words import (
    BLACKOUT_KIND_WORDS,
    GMP_LEVEL_WORDS,
    RESOURCE_STATUS_WORDS,
    STATUS_WORDS,
)
from facility.core.time import MINUTES_PER_DAY
from facility.core.vocabulary import words_for

__all__ = [
    "BLACKOUT_KIND_WORDS",
    "GMP_LEVEL_WORDS",
    "RESOURCE_STATUS_WORDS",
    "STATUS_WORDS",
    "minutes_in_words",
    "words_for",
]


def minutes_in_words(total: int) -> str:
    """``rules.format_minutes`` in the page's language: 2880 -> '2 days' or '2 dagar'."""
    if total and total % MINUTES_PER_DAY == 0:
        days = total // MINUTES_PER_DAY
        return ngettext("%(num)d day", "%(num)d days", days)
    return format_minutes(total)  # "1 h 30 min" reads the same in Swedish


def init_app(app: Flask) -> None:
    app.add_template_filter(partial(words_for, STATUS_WORDS), "status_words")
    app.add_template_filter(partial(words_for, RESOURCE_STATUS_WORDS), "resource_status_words")
    app.add_template_filter(minutes_in_words, "minutes")
    app.add_template_filter(partial(words_for, BLACKOUT_KIND_WORDS), "blackout_kind_words")
    app.add_template_filter(partial(words_for, GMP_LEVEL_WORDS), "gmp_level_words")
