"""The JSON shapes of recurring series, for input checks and the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from facility.bookings.recurrence import place
from facility.bookings.schemas import BookingSchema
from facility.bookings.series import ON_CONFLICT, SCOPES
from facility.core.time import FIRST_YEAR, LAST_YEAR
from facility.http.fields import INVALID_TIME_MESSAGE, OUT_OF_RANGE_MESSAGE, id_range
from facility.http.schemas import StrictSchema

MAX_DURATION_MINUTES = 60 * 24 * 31  # an occurrence lasts at most a month (the resource's max is less)
MAX_SHIFT_MINUTES = 60 * 24 * 366


class WallClockOrAwareDateTime(fields.DateTime):
    """RFC 3339 with an offset, or a local wall-clock time without one (the facility's)."""

    default_error_messages = {"invalid": INVALID_TIME_MESSAGE, "format": INVALID_TIME_MESSAGE}

    def _deserialize(self, value, attr, data, **kwargs):
        instant = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= instant.year <= LAST_YEAR:
            raise ValidationError(OUT_OF_RANGE_MESSAGE)
        return instant


class SeriesCreateSchema(StrictSchema):
    resource = fields.String(required=True, validate=validate.Length(min=1, max=200))
    rrule = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "an RFC 5545 RRULE (with or without 'RRULE:'), bounded by COUNT or UNTIL: "
            "FREQ=WEEKLY;BYDAY=TU;COUNT=10, FREQ=MONTHLY;BYDAY=1MO;UNTIL=20270630"
        },
    )
    start = WallClockOrAwareDateTime(
        required=True,
        metadata={
            "description": "the first occurrence's start: the facility's wall-clock time (2026-11-17T09:00) "
            "or RFC 3339 with an offset; every occurrence starts at this local time"
        },
    )
    end = WallClockOrAwareDateTime(metadata={"description": "the first occurrence's end (or give duration_minutes)"})
    duration_minutes = fields.Integer(
        validate=validate.Range(min=1, max=MAX_DURATION_MINUTES),
        metadata={"description": "each occurrence's length in wall-clock minutes (or give end)"},
    )
    purpose = fields.String(load_default="", validate=validate.Length(max=2000))
    project = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    batch = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    on_conflict = fields.String(
        load_default="skip",
        validate=validate.OneOf(ON_CONFLICT),
        metadata={
            "description": "skip: book the occurrences the rules accept and leave out the others; "
            "none: book nothing if any occurrence is refused (422 series_conflicts)"
        },
    )

    @validates_schema
    def end_or_duration(self, data, **kwargs):
        if ("end" in data) == ("duration_minutes" in data):
            raise ValidationError("Give either end or duration_minutes.", "end")


class ViolationSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    field = fields.String(allow_none=True)


class PlannedOccurrenceSchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "its place in the series, from 0"})
    start = fields.String(required=True)
    end = fields.String(required=True)
    ok = fields.Boolean(required=True, metadata={"description": "the rules accept it"})
    violations = fields.List(fields.Nested(ViolationSchema), required=True)


class SeriesPreviewSchema(Schema):
    resource = fields.String(required=True)
    rrule = fields.String(required=True)
    timezone = fields.String(required=True)
    accepted = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    occurrences = fields.List(fields.Nested(PlannedOccurrenceSchema), required=True)


def series_start(series) -> str:
    """The first occurrence's local start, with its offset."""
    zone = ZoneInfo(series.timezone)
    return place(datetime.fromisoformat(series.local_start), zone)[0].astimezone(zone).isoformat()


class SeriesSchema(Schema):
    id = fields.Integer(required=True)
    resource = fields.Function(lambda s: s.resource.key, required=True)
    user = fields.Function(lambda s: s.user.email, required=True)
    rrule = fields.String(required=True)
    start = fields.Function(series_start, required=True, metadata={"description": "the rule's first start"})
    duration_minutes = fields.Integer(required=True)
    timezone = fields.String(required=True)
    approval = fields.String(
        required=True,
        metadata={
            "enum": ["series", "occurrence"],
            "description": "one decision for the series, or one per occurrence",
        },
    )
    purpose = fields.String(required=True)
    created_at = fields.Function(lambda s: s.created_at.astimezone(ZoneInfo(s.timezone)).isoformat(), required=True)
    occurrences = fields.List(fields.Nested(BookingSchema), required=True)


class SeriesCreatedSchema(SeriesSchema):
    skipped = fields.List(
        fields.Nested(PlannedOccurrenceSchema),
        required=True,
        metadata={"description": "the occurrences left out (on_conflict=skip), each with the rules it breaks"},
    )


class SeriesScopeSchema(StrictSchema):
    scope = fields.String(
        required=True,
        validate=validate.OneOf(SCOPES),
        metadata={"description": "all: every occurrence not yet begun; following: `from` and those after it"},
    )
    from_ = fields.Integer(data_key="from", validate=id_range(), metadata={"description": "a booking of the series"})
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class SeriesMoveSchema(SeriesScopeSchema):
    shift_minutes = fields.Integer(
        required=True,
        validate=validate.Range(min=-MAX_SHIFT_MINUTES, max=MAX_SHIFT_MINUTES),
        metadata={"description": "wall-clock minutes to move each occurrence by (negative: earlier)"},
    )


class SeriesDecisionSchema(StrictSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class SeriesRejectSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
