"""Booking and resource statuses, blackout kinds, GMP levels and durations in words, as the pages show them."""

from __future__ import annotations

from functools import partial

from flask import Flask

# Defined beside the forms that offer them (no import of the pages from the forms); named here too.
from facility.bookings.words import (
    BLACKOUT_KIND_WORDS,
    GMP_LEVEL_WORDS,
    RESOURCE_STATUS_WORDS,
    STATUS_WORDS,
)
from facility.core.vocabulary import words_for
from facility.http.words import minutes_in_words

__all__ = [
    "BLACKOUT_KIND_WORDS",
    "GMP_LEVEL_WORDS",
    "RESOURCE_STATUS_WORDS",
    "STATUS_WORDS",
    "minutes_in_words",
    "words_for",
]


def init_app(app: Flask) -> None:
    app.add_template_filter(partial(words_for, STATUS_WORDS), "status_words")
    app.add_template_filter(partial(words_for, RESOURCE_STATUS_WORDS), "resource_status_words")
    app.add_template_filter(minutes_in_words, "minutes")
    app.add_template_filter(partial(words_for, BLACKOUT_KIND_WORDS), "blackout_kind_words")
    app.add_template_filter(partial(words_for, GMP_LEVEL_WORDS), "gmp_level_words")
