"""The JSON shapes of facilities and resources (API.md), for input checks and the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields

from facility.catalog.models import GMP_LEVELS, RESOURCE_KINDS, RESOURCE_STATUSES
from facility.http.schemas import StrictSchema


class FacilitySchema(Schema):
    key = fields.String()
    name = fields.String()
    organisation = fields.String()
    gmp_level = fields.String(metadata={"enum": list(GMP_LEVELS)})
    timezone = fields.String()


class ResourceSchema(Schema):
    key = fields.String()
    name = fields.String()
    facility = fields.Function(lambda r: r.facility.key)
    kind = fields.String(metadata={"enum": list(RESOURCE_KINDS)})
    cleanroom_grade = fields.String(allow_none=True)
    requires_approval = fields.Boolean()
    slot_minutes = fields.Integer()
    min_minutes = fields.Integer()
    max_minutes = fields.Integer()
    lead_minutes = fields.Integer()
    horizon_days = fields.Integer()
    changeover_minutes = fields.Integer()
    qualification = fields.Function(lambda r: r.qualification.key if r.qualification else None, allow_none=True)
    status = fields.String(metadata={"enum": list(RESOURCE_STATUSES)})


class ResourceQuerySchema(StrictSchema):
    facility = fields.String()
