"""The accounts' API schemas: the caller's signed-in sessions, and organisations."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from facility.accounts.organisations import formatted, size_history
from facility.core.vocabulary import ORGANISATION_KINDS, SIZE_CLASSES
from facility.http.schemas import StrictSchema


class SessionSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime(metadata={"description": "when it signed in (UTC)"})
    last_seen_at = fields.DateTime(metadata={"description": "last request, to the minute (UTC)"})
    ip = fields.String(metadata={"description": "the address it signed in from"})
    user_agent = fields.String()
    current = fields.Boolean(metadata={"description": "whether it is the session making this request"})


# --- organisations as the funder knows them ---------------------------------------------------


class SizeClassSchema(Schema):
    size_class = fields.String(required=True, metadata={"enum": list(SIZE_CLASSES)})
    valid_from = fields.Date(required=True, metadata={"description": "the day it holds from"})
    source = fields.String(required=True, metadata={"description": "where it comes from"})
    recorded_at = fields.DateTime(required=True, metadata={"description": "UTC"})


class OrganisationSchema(Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(ORGANISATION_KINDS)})
    org_number = fields.Function(
        lambda o: formatted(o.org_number),
        required=True,
        allow_none=True,
        metadata={"type": "string", "nullable": True, "description": "Swedish organisation number, NNNNNN-NNNN"},
    )
    size_class = fields.String(
        required=True, allow_none=True, metadata={"enum": [*SIZE_CLASSES, None], "description": "the latest"}
    )
    size_classes = fields.Function(
        lambda o: SizeClassSchema(many=True).dump(size_history(o)),
        required=True,
        metadata={
            "type": "array",
            "items": {"$ref": "#/components/schemas/SizeClass"},
            "description": "the size class history, oldest first: the one on a day of support is what counts",
        },
    )


class OrganisationUpdateSchema(StrictSchema):
    org_number = fields.String(
        required=True, validate=validate.Length(min=1, max=20), metadata={"description": "like 556036-0793"}
    )
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class SizeClassCreateSchema(StrictSchema):
    size_class = fields.String(required=True, validate=validate.OneOf(SIZE_CLASSES))
    valid_from = fields.Date(required=True, metadata={"description": "YYYY-MM-DD: the day it holds from"})
    source = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "an annual report, the company's declaration, ..."},
    )
