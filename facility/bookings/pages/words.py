"""Booking and resource statuses and durations in words, as the pages show them."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from facility.bookings.rules import format_minutes

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
BLACKOUT_KIND_WORDS = {
    "maintenance": _l("maintenance"),
    "requalification": _l("requalification"),
    "cleaning": _l("cleaning"),
    "holiday": _l("holiday"),
    "other": _l("other"),
}


def words_for(table: dict, code) -> str:
    """The word for ``code`` in ``table``, in the page's language; the code itself if unknown."""
    return str(table.get(code, code))


def init_app(app: Flask) -> None:
    app.add_template_filter(lambda s: str(STATUS_WORDS.get(s, s)), "status_words")
    app.add_template_filter(lambda s: str(RESOURCE_STATUS_WORDS.get(s, s)), "resource_status_words")
    app.add_template_filter(format_minutes, "minutes")
    app.add_template_filter(lambda s: words_for(BLACKOUT_KIND_WORDS, s), "blackout_kind_words")
