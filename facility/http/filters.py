"""Jinja filters and globals every page shares: times in the facility's zone, numbers in the page's
language, the languages."""

from __future__ import annotations

from functools import partial

from flask import Flask
from flask_babel import format_decimal, get_locale

from facility.core.vocabulary import ORGANISATION_KIND_WORDS, SIZE_WORDS, words_for
from facility.http.localtime import format_local, format_span


def _zone(where) -> str:
    """A facility, resource or booking, or a zone name."""
    if isinstance(where, str):
        return where
    if hasattr(where, "timezone"):
        return where.timezone
    return where.facility.timezone


def local(instant, where, with_zone=True) -> str:
    return format_local(instant, _zone(where), with_zone)


def span(booking_or_start, end=None, where=None) -> str:
    if end is None:  # a booking
        b = booking_or_start
        return format_span(b.start_at, b.end_at, b.resource.facility.timezone)
    return format_span(booking_or_start, end, _zone(where))


def decimal(value, places: int = 2) -> str:
    """A number in the page's language, with ``places`` decimals: 1 234.50 in English is
    1 234,50 in Swedish."""
    if value is None:
        return ""
    return format_decimal(value, "#,##0." + "0" * places if places else "#,##0")


def init_app(app: Flask) -> None:
    app.add_template_filter(decimal, "decimal")
    app.add_template_filter(local, "local")
    app.add_template_filter(span, "span")
    app.add_template_filter(partial(words_for, ORGANISATION_KIND_WORDS), "organisation_kind_words")
    app.add_template_filter(partial(words_for, SIZE_WORDS), "size_words")

    @app.context_processor
    def _globals():
        from facility.http.i18n import LANGUAGES

        return {"languages": LANGUAGES, "lang": str(get_locale() or "en")}
