"""Booking and resource statuses, blackout kinds and GMP levels in words (lazily translated):
one definition for the pages, the forms and the API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
