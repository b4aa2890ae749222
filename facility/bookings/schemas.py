"""The JSON shapes of bookings and free time (API.md), for input checks and the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from facility.bookings.models import BOOKING_STATUSES
from facility.http.fields import AwareDateTime, LocalDateTime
from facility.http.schemas import StrictSchema


def booking_zone(booking) -> str:
    return booking.resource.facility.timezone


class WindowQuerySchema(StrictSchema):
    from_ = AwareDateTime(data_key="from")
    to = AwareDateTime()


class SpanSchema(Schema):
    start = fields.String()
    end = fields.String()


class BusySpanSchema(SpanSchema):
    kind = fields.String(metadata={"enum": ["booking", "pending", "blackout", "changeover"]})


class AvailabilitySchema(Schema):
    resource = fields.String()
    busy = fields.List(
        fields.Nested(BusySpanSchema),
        metadata={
            "description": "Time taken, in order: bookings (confirmed), pending requests, the changeover "
            "(cleaning) after each, and blackouts. Names nobody."
        },
    )
    free = fields.List(
        fields.Nested(SpanSchema),
        metadata={
            "description": "Windows in which a booking may lie. They start and end on the resource's grid "
            "(slot_minutes), after the lead time and within the horizon, and each can hold a "
            "booking of min_minutes (but the last, where it is cut off by `to`: a booking "
            "starting there may run on after `to`). A window ends changeover_minutes before the next busy "
            "span, because a booking is followed by its own changeover. A booking inside a "
            "window, on the grid, of an allowed length, whose start lies in `starts` and end "
            "in `ends`, is accepted unless the requester's own qualification or quota refuses it."
        },
    )
    starts = fields.List(
        fields.Nested(SpanSchema),
        metadata={
            "description": "Where a booking may start: start <= t < end. For a resource attended throughout, "
            "these are the free windows; for one that runs unattended through closed time "
            "(runs_unattended), the opening hours inside the free windows."
        },
    )
    ends = fields.List(
        fields.Nested(SpanSchema),
        metadata={
            "description": "Where a booking may end: start < t <= end. As `starts`, the free windows or, for a "
            "resource that runs unattended, the opening hours inside them."
        },
    )


class BookingSchema(Schema):
    id = fields.Integer()
    resource = fields.Function(lambda b: b.resource.key)
    user = fields.Function(lambda b: b.user.email)
    start = LocalDateTime(booking_zone, attribute="start_at")
    end = LocalDateTime(booking_zone, attribute="end_at")
    status = fields.String(metadata={"enum": list(BOOKING_STATUSES)})
    purpose = fields.String()
    project = fields.String(allow_none=True)
    created_at = LocalDateTime(booking_zone)


class BookingCreateSchema(StrictSchema):
    resource = fields.String(required=True, validate=validate.Length(min=1))
    start = AwareDateTime(required=True)
    end = AwareDateTime(required=True)
    purpose = fields.String(load_default="", validate=validate.Length(max=2000))
    project = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class BookingPatchSchema(StrictSchema):
    start = AwareDateTime()
    end = AwareDateTime()
    purpose = fields.String(validate=validate.Length(max=2000))
    # Why: required (422 reason_required) when a manager changes someone else's booking.
    reason = fields.String(validate=validate.Length(max=2000))

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not set(data) - {"reason"}:
            raise ValidationError("Give at least one of start, end, purpose.")


class BookingQuerySchema(StrictSchema):
    mine = fields.Boolean(load_default=False)
    resource = fields.String()
    facility = fields.String()
    from_ = AwareDateTime(data_key="from")
    to = AwareDateTime()
    status = fields.String(validate=validate.OneOf(BOOKING_STATUSES))


class DecisionSchema(StrictSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RejectSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
