"""Booking and resource statuses, blackout kinds, GMP levels and durations in words, as the pages show them."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from facility.bookings.rules import format_minutes
from facility.core.time import MINUTES_PER_DAY

STATUS_WORDS = {
    "pending": _l("waiting for approval"),
    "confirmed": _l("confirmed"),
    "rejected": _l("rejected"),
    "cancelled": _l("cancelled"),
    "completed": _l("completed"),
    "no_show": _l("no-show"),
    "held": _l("held for you (waiting list)"),
}
RESOURCE_STATUS_WORDS = {
    "available": _l("available"),
    "maintenance": _l("under maintenance"),
    "out_of_service": _l("out of service"),
}
GMP_LEVEL_WORDS = {"research": _l("research grade"), "pre-gmp": _l("pre-GMP"), "gmp": _l("GMP")}
BLACKOUT_KIND_WORDS = {
    "maintenance": _l("maintenance"),
    "requalification": _l("requalification"),
    "cleaning": _l("cleaning"),
    "holiday": _l("holiday"),
    "other": _l("other"),
}


def minutes_in_words(total: int) -> str:
    """``rules.format_minutes`` in the page's language: 2880 -> '2 days' or '2 dagar'."""
    if total and total % MINUTES_PER_DAY == 0:
        days = total // MINUTES_PER_DAY
        return ngettext("%(num)d day", "%(num)d days", days)
    return format_minutes(total)  # "1 h 30 min" reads the same in Swedish


def words_for(table: dict, code) -> str:
    """The word for ``code`` in ``table``, in the page's language; the code itself if unknown."""
    return str(table.get(code, code))


def init_app(app: Flask) -> None:
    app.add_template_filter(lambda s: str(STATUS_WORDS.get(s, s)), "status_words")
    app.add_template_filter(lambda s: str(RESOURCE_STATUS_WORDS.get(s, s)), "resource_status_words")
    app.add_template_filter(minutes_in_words, "minutes")
    app.add_template_filter(lambda s: words_for(BLACKOUT_KIND_WORDS, s), "blackout_kind_words")
    app.add_template_filter(lambda s: words_for(GMP_LEVEL_WORDS, s), "gmp_level_words")
