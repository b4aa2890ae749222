"""The shapes every API answer shares: strict input and the error body of API.md."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ErrorItemSchema(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable error code"})
    message = fields.String(required=True)
    field = fields.String()


class ErrorSchema(Schema):
    errors = fields.List(fields.Nested(ErrorItemSchema), required=True)
