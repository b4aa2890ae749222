"""URL converters: ``<int:...>`` matches only ids a database column can hold."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from facility.core.database import MAX_ID


class BoundedInt(IntegerConverter):
    """``<int:...>`` bounded to 0..2**63-1 unless a route says otherwise: a longer number is a
    404 (no such thing) instead of an overflow in the database driver."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Before any route is added: every ``<int:...>`` of the API and the pages is bounded."""
    app.url_map.converters["int"] = BoundedInt
