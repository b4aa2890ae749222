"""marshmallow fields with the error codes of API.md."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate

from facility.core.database import MAX_ID
from facility.core.time import FIRST_YEAR, LAST_YEAR

NAIVE_MESSAGE = "The time needs an offset, such as 2026-12-01T09:00:00+01:00 or ...Z."
INVALID_TIME_MESSAGE = "Not an RFC 3339 time such as 2026-12-01T09:00:00+01:00."
OUT_OF_RANGE_MESSAGE = f"Give a time between the years {FIRST_YEAR} and {LAST_YEAR}."

# Default marshmallow messages -> the codes clients can rely on.
MESSAGE_CODES = {
    NAIVE_MESSAGE: "naive_datetime",
    INVALID_TIME_MESSAGE: "invalid_datetime",
    OUT_OF_RANGE_MESSAGE: "invalid_datetime",
    "Missing data for required field.": "required",
    "Unknown field.": "unknown_field",
    "Field may not be null.": "required",
}


def id_range() -> validate.Range:
    """An id in a request: a positive number a database column can hold."""
    return validate.Range(min=1, max=MAX_ID)


class AwareDateTime(fields.AwareDateTime):
    """An RFC 3339 instant with an offset; a time without one is ``naive_datetime``."""

    default_error_messages = {
        "invalid": INVALID_TIME_MESSAGE,
        "invalid_awareness": NAIVE_MESSAGE,
        "format": INVALID_TIME_MESSAGE,
    }

    def _deserialize(self, value, attr, data, **kwargs):
        instant = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= instant.year <= LAST_YEAR:
            raise ValidationError(OUT_OF_RANGE_MESSAGE)
        return instant


class LocalDateTime(fields.DateTime):
    """Serialises an instant with the offset of the object's facility."""

    def __init__(self, zone_of, **kwargs):
        super().__init__(**kwargs)
        self.zone_of = zone_of

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(ZoneInfo(self.zone_of(obj))).isoformat()


def code_for(message: str) -> str:
    return MESSAGE_CODES.get(message, "invalid")
