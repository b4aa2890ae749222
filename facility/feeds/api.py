"""Calendar feeds in the JSON API (API.md): list, subscribe, revoke; and a new URL for a feed."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from facility.feeds import services
from facility.feeds.links import feed_url, signing_key
from facility.feeds.models import FEED_SCOPES
from facility.http.api import Blueprint
from facility.http.auth import api_user
from facility.http.schemas import StrictSchema

blp = Blueprint(
    "calendar_feeds", __name__, url_prefix="/api/v1", description="Calendar feeds (iCalendar subscriptions)"
)


class FeedSchema(Schema):
    id = fields.Integer()
    scope = fields.String(metadata={"enum": list(FEED_SCOPES)})
    target = fields.String(allow_none=True, metadata={"description": "resource or facility key; null for scope user"})
    url = fields.Function(feed_url, metadata={"description": "the subscription URL (.ics); it holds the secret"})


class FeedCreateSchema(StrictSchema):
    scope = fields.String(required=True, validate=validate.OneOf(FEED_SCOPES))
    target = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "resource or facility key; left out for scope user"},
    )


@blp.route("/calendar-feeds")
@blp.response(200, FeedSchema(many=True))
def list_feeds():
    """The caller's calendar feeds"""
    return services.list_feeds(api_user())


@blp.route("/calendar-feeds", methods=["POST"])
@blp.arguments(FeedCreateSchema)
@blp.response(201, FeedSchema)
def create_feed(data):
    """Subscribe: own bookings (scope user), a resource's or a facility's"""
    feed, _secret = services.create_feed(api_user(), data["scope"], data["target"], signing_key())
    return feed


@blp.route("/calendar-feeds/<int:feed_id>", methods=["DELETE"])
@blp.response(204)
def delete_feed(feed_id):
    """Revoke a feed: its URL answers 404 from then on"""
    services.revoke_feed(api_user(), feed_id)


@blp.route("/calendar-feeds/<int:feed_id>/regenerate", methods=["POST"])
@blp.response(200, FeedSchema)
def regenerate_feed(feed_id):
    """A new secret URL for the feed; the old URL answers 404 from then on"""
    feed, _secret = services.regenerate_feed(api_user(), feed_id, signing_key())
    return feed
