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
    series_id = fields.Integer(allow_none=True, metadata={"description": "the recurring series it belongs to, if any"})
    bundle_id = fields.Integer(
        allow_none=True, metadata={"description": "the bundle it belongs to (GET /api/v1/bundles/ID), or null"}
    )


class _RequestSchema(StrictSchema):
    """What every request for time carries: when, why, for which product and batch, for whom."""

    start = AwareDateTime(required=True)
    end = AwareDateTime(required=True)
    purpose = fields.String(load_default="", validate=validate.Length(max=2000))
    project = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    batch = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "batch or lot: required at a GMP facility with `project` (the product)"},
    )
    user = fields.String(
        validate=validate.Length(min=1, max=320),
        metadata={
            "description": "managers (of every facility concerned): the e-mail of the user to book for (the "
            "rules are judged for them; the booking and its mail are theirs); 403 `not_a_manager` for anyone else"
        },
    )


class BookingCreateSchema(_RequestSchema):
    resource = fields.String(required=True, validate=validate.Length(min=1))


class BundleCreateSchema(_RequestSchema):
    bundle = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "a suite of the catalogue (GET /api/v1/facilities: `bundles`)"},
    )
    resources = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(min=1, max=10),
        metadata={"description": "resource keys, booked together (instead of `bundle`)"},
    )

    @validates_schema
    def one_of(self, data, **kwargs):
        if ("bundle" in data) == ("resources" in data):
            raise ValidationError("Give either bundle or resources.", "resources")


class BundlePatchSchema(StrictSchema):
    start = AwareDateTime(required=True)
    end = AwareDateTime(required=True)
    # Why: required (422 reason_required) when a manager moves someone else's bundle.
    reason = fields.String(validate=validate.Length(max=2000))


def _bundle_members(bundle) -> list:
    return sorted(bundle.members, key=lambda m: m.id)


def _bundle_zone(bundle) -> str:
    return _bundle_members(bundle)[0].resource.facility.timezone


def _bundle_status(bundle) -> str:
    statuses = {m.status for m in bundle.members}
    return statuses.pop() if len(statuses) == 1 else "mixed"


class BundleSchema(Schema):
    id = fields.Integer(required=True)
    bundle = fields.String(attribute="key", allow_none=True,
                           metadata={"description": "the suite of the catalogue, if booked as one"})  # fmt: skip
    user = fields.Function(lambda b: b.user.email)
    status = fields.Function(
        _bundle_status,
        metadata={
            "enum": [*BOOKING_STATUSES, "mixed"],
            "description": "its bookings' status (decided together); mixed once some are completed and others not",
        },
    )
    start = fields.Function(lambda b: LocalDateTime(_bundle_zone)._serialize(_bundle_members(b)[0].start_at, "", b))
    end = fields.Function(lambda b: LocalDateTime(_bundle_zone)._serialize(_bundle_members(b)[0].end_at, "", b))
    resources = fields.Function(lambda b: [m.resource.key for m in _bundle_members(b)])
    bookings = fields.Function(lambda b: BookingSchema(many=True).dump(_bundle_members(b)),
                               metadata={"description": "one booking per resource, each with its own changeover"})  # fmt: skip
    created_at = LocalDateTime(_bundle_zone)


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


class ApproveSchema(DecisionSchema):
    password = fields.String(
        load_only=True,
        validate=validate.Length(max=1000),
        metadata={
            "description": "your password, entered again: signs the approval electronically (at a GMP "
            "facility: printed name, time, meaning 'approval' and the booking's content are recorded)"
        },
    )


class RejectSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AuditQuerySchema(StrictSchema):
    facility = fields.String(
        metadata={"description": "a facility's key (default: every facility the caller may review)"}
    )
    from_ = AwareDateTime(data_key="from", metadata={"description": "from this instant (RFC 3339), inclusive"})
    to = AwareDateTime(metadata={"description": "up to this instant (RFC 3339), exclusive"})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class AuditSignatureSchema(Schema):
    meaning = fields.String(required=True, metadata={"enum": ["approval", "review", "responsibility", "authorship"]})
    meaning_words = fields.String(required=True)
    signer_name = fields.String(required=True, metadata={"description": "the signer's printed name at signing"})
    signed_content_hash = fields.String(
        required=True, metadata={"description": "SHA-256 of the signed record's content"}
    )


class AuditEventSchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "the event's place in the hash chain"})
    at = fields.String(required=True, metadata={"description": "when, RFC 3339 in the facility's zone"})
    facility = fields.String(allow_none=True, metadata={"description": "the facility's key, if any"})
    actor = fields.String(required=True, metadata={"description": "who: the user's name, or 'system'"})
    actor_email = fields.String(allow_none=True)
    action = fields.String(required=True, metadata={"description": "what, e.g. booking.approved"})
    entity = fields.String(required=True, metadata={"description": "the kind of record changed (its table)"})
    entity_id = fields.Integer(required=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    reason = fields.String(required=True)
    signature = fields.Nested(AuditSignatureSchema, allow_none=True)
    hash = fields.String(allow_none=True, metadata={"description": "the event's SHA-256 in the chain"})


class CalendarQuerySchema(StrictSchema):
    facility = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "a facility's key: all its resources"}
    )
    resource = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "a resource's key: that resource only"}
    )
    from_ = AwareDateTime(data_key="from", metadata={"description": "from this instant (default: now)"})
    to = AwareDateTime(metadata={"description": "up to this instant (default: 7 days after `from`; at most 92 days)"})
    free = fields.Boolean(
        load_default=True,
        metadata={"description": "include the free time (a month view, which does not draw it, asks without)"},
    )


class CalendarResourceSchema(Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)
    slot_minutes = fields.Integer(required=True)
    min_minutes = fields.Integer(required=True)
    max_minutes = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": ["available", "maintenance", "out_of_service"]})


class CalendarEventSchema(Schema):
    kind = fields.String(
        required=True,
        metadata={
            "enum": ["own", "booking", "pending", "changeover", "blackout", "free"],
            "description": "own: the caller's booking; booking/pending: another's (named only to its "
            "facility's managers); free: where a booking may lie (see availability)",
        },
    )
    resource = fields.String(allow_none=True, metadata={"description": "null: a blackout of the whole facility"})
    start = fields.String(required=True)
    end = fields.String(required=True)
    title = fields.String(required=True, metadata={"description": "what to show, in the caller's language"})
    status = fields.String(allow_none=True, metadata={"enum": list(BOOKING_STATUSES)})
    booking = fields.Integer(allow_none=True, metadata={"description": "the booking's id where the caller may open it"})
    movable = fields.Boolean(required=True, metadata={"description": "the caller may drag it to a new time"})


class ClosedDaySchema(Schema):
    date = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "the holiday or closure, in the caller's language"})


class CalendarSchema(Schema):
    facility = fields.String(required=True)
    timezone = fields.String(required=True)
    now = fields.String(required=True, metadata={"description": "the server's time, in the facility's zone"})
    from_ = fields.String(data_key="from", required=True)
    to = fields.String(required=True)
    resources = fields.List(fields.Nested(CalendarResourceSchema), required=True)
    events = fields.List(fields.Nested(CalendarEventSchema), required=True)
    closed = fields.List(fields.Nested(ClosedDaySchema), required=True)


def blackout_zone(blackout) -> str:
    return blackout.facility.timezone


class BlackoutSchema(Schema):
    id = fields.Integer(required=True)
    facility = fields.Function(lambda b: b.facility.key, required=True)
    resource = fields.Function(lambda b: b.resource.key if b.resource else None, allow_none=True,
                               metadata={"description": "null: the whole facility"})  # fmt: skip
    start = LocalDateTime(blackout_zone, attribute="start_at", required=True)
    end = LocalDateTime(blackout_zone, attribute="end_at", required=True)
    kind = fields.String(
        required=True, metadata={"enum": ["maintenance", "requalification", "cleaning", "holiday", "other"]}
    )
    reason = fields.String(required=True)
    from_calendar_source = fields.Function(lambda b: b.source_id is not None, required=True,
                                           metadata={"description": "made by a calendar source: changed there, not here"})  # fmt: skip


class BlackoutChangedSchema(BlackoutSchema):
    colliding = fields.List(fields.Integer(), metadata={"description": "ids of the active bookings it now hits"})


class BlackoutQuerySchema(StrictSchema):
    facility = fields.String(validate=validate.Length(min=1, max=200))


class BlackoutPatchSchema(StrictSchema):
    start = AwareDateTime()
    end = AwareDateTime()
    kind = fields.String(validate=validate.OneOf(["maintenance", "requalification", "cleaning", "holiday", "other"]))
    reason = fields.String(validate=validate.Length(min=1, max=2000))

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one of start, end, kind, reason.")


class BlackoutRemoveSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "why the time is given back (kept in the audit trail)"})  # fmt: skip
