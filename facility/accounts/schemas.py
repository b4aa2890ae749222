"""The accounts' API schemas: the caller's signed-in sessions."""

from __future__ import annotations

from marshmallow import Schema, fields


class SessionSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime(metadata={"description": "when it signed in (UTC)"})
    last_seen_at = fields.DateTime(metadata={"description": "last request, to the minute (UTC)"})
    ip = fields.String(metadata={"description": "the address it signed in from"})
    user_agent = fields.String()
    current = fields.Boolean(metadata={"description": "whether it is the session making this request"})
