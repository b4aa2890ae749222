"""The JSON shapes of the waiting list, for input checks and the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from facility.http.fields import AwareDateTime, LocalDateTime
from facility.http.schemas import StrictSchema
from facility.waitlist.rules import STATUSES

MAX_HOURS = 24 * 31


def entry_zone(listed) -> str:
    return listed.entry.resource.facility.timezone


class WaitCreateSchema(StrictSchema):
    resource = fields.String(required=True, validate=validate.Length(min=1))
    start = AwareDateTime(metadata={"description": "the slot wanted (with `end`)"})
    end = AwareDateTime()
    from_ = AwareDateTime(data_key="from", metadata={"description": "any slot of `hours` between `from` and `to`"})
    to = AwareDateTime()
    hours = fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=MAX_HOURS))
    purpose = fields.String(load_default="", validate=validate.Length(max=2000))
    project = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    batch = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))

    @validates_schema
    def one_shape(self, data, **kwargs):
        slot = {"start", "end"} & set(data)
        window = {"from_", "to", "hours"} & set(data)
        if slot and window:
            raise ValidationError("Give either start and end, or from, to and hours; not both.")
        if window and window != {"from_", "to", "hours"}:
            raise ValidationError(
                "A wait for any slot needs from, to and hours.", "hours" if "hours" not in data else "to"
            )
        if not window and slot != {"start", "end"}:
            raise ValidationError("Give start and end (or from, to and hours).", "end" if "start" in data else "start")
        if window and (data["hours"] * 60) != int(data["hours"] * 60):
            raise ValidationError("Give the hours in whole minutes.", "hours")


class WaitQuerySchema(StrictSchema):
    resource = fields.String(metadata={"description": "managers: everyone's entries for this resource"})
    facility = fields.String(metadata={"description": "managers: everyone's entries at this facility"})
    open = fields.Boolean(load_default=False, metadata={"description": "only entries waiting or offered"})


class WaitEntrySchema(Schema):
    id = fields.Function(lambda listed: listed.entry.id)
    resource = fields.Function(lambda listed: listed.entry.resource.key)
    user = fields.Function(lambda listed: listed.entry.user.email)
    kind = fields.Function(lambda listed: listed.entry.kind, metadata={"enum": ["slot", "window"]})
    start = LocalDateTime(
        entry_zone, attribute="entry.start_at", metadata={"description": "the slot, or the window's start"}
    )
    end = LocalDateTime(entry_zone, attribute="entry.end_at")
    hours = fields.Function(
        lambda listed: None if listed.entry.minutes is None else listed.entry.minutes / 60,
        metadata={"description": "for a window: the length of the booking wanted"},
    )
    status = fields.Function(lambda listed: listed.entry.state, metadata={"enum": list(STATUSES)})
    place = fields.Integer(
        allow_none=True, metadata={"description": "place in line while waiting (1 = next); who else waits is not shown"}
    )
    booking = fields.Function(lambda listed: listed.entry.booking_id, metadata={"description": "the held booking"})
    offered_start = LocalDateTime(entry_zone, attribute="entry.booking.start_at")
    offered_end = LocalDateTime(entry_zone, attribute="entry.booking.end_at")
    hold_until = LocalDateTime(entry_zone, attribute="entry.hold_until")
    purpose = fields.Function(lambda listed: listed.entry.purpose)
    created_at = LocalDateTime(entry_zone, attribute="entry.created_at")
