"""URL converters: ``<int:...>`` matches only ids a database column can hold."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from facility.core.database import MAX_ID


def at_most(limit: int) -> str:
    """A regular expression for the decimal numbers 0..``limit`` (digit by digit)."""
    digits = str(limit)
    alternatives = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - i - 1
            alternatives.append(digits[:i] + f"[0-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    alternatives.append(digits)
    return "(?:" + "|".join(alternatives) + ")"


class BoundedInt(IntegerConverter):
    """``<int:...>`` bounded to 0..MAX_ID (2**31-1, an INTEGER column): a longer number does not match the route at all
    (404, whatever the method) instead of overflowing in the database driver."""

    regex = at_most(MAX_ID)

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Before any route is added: every ``<int:...>`` of the API and the pages is bounded."""
    app.url_map.converters["int"] = BoundedInt
