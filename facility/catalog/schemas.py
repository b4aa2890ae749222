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
    bundles = fields.Function(
        lambda f: [
            {"key": b["key"], "name": b["name"], "description": b.get("description", ""), "resources": b["resources"]}
            for b in f.bundles or []
        ],
        metadata={
            "description": "suites booked together with their equipment, all or nothing (POST /api/v1/bundles "
            "with `bundle`): [{key, name, description, resources: [resource keys]}]"
        },
    )


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
    requires = fields.Function(
        lambda r: list(r.requires or []),
        metadata={
            "description": "keys of resources that must be booked together with this one, in one bundle "
            "(POST /api/v1/bundles); booked alone it is refused (requires_resource)"
        },
    )


class ResourceQuerySchema(StrictSchema):
    facility = fields.String()
