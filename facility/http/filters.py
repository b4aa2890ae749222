"""Jinja filters and globals: times in the facility's zone, statuses and rules in words."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from facility.bookings.rules import format_minutes
from facility.http.localtime import format_local, format_span

STATUS_WORDS = {
    "pending": _l("waiting for approval"),
    "confirmed": _l("confirmed"),
    "rejected": _l("rejected"),
    "cancelled": _l("cancelled"),
    "completed": _l("completed"),
    "no_show": _l("no-show"),
}
RESOURCE_STATUS_WORDS = {
    "available": _l("available"),
    "maintenance": _l("under maintenance"),
    "out_of_service": _l("out of service"),
}


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


def init_app(app: Flask) -> None:
    app.add_template_filter(local, "local")
    app.add_template_filter(span, "span")
    app.add_template_filter(lambda s: str(STATUS_WORDS.get(s, s)), "status_words")
    app.add_template_filter(lambda s: str(RESOURCE_STATUS_WORDS.get(s, s)), "resource_status_words")
    app.add_template_filter(format_minutes, "minutes")

    @app.context_processor
    def _globals():
        from facility.http.i18n import LANGUAGES

        return {"languages": LANGUAGES, "lang": str(get_locale() or "en")}
