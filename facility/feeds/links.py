"""The feeds' URLs, from the app's configuration (``FACILITY_BASE_URL``, ``SECRET_KEY``)."""

from __future__ import annotations

from flask import current_app

from facility.feeds.models import CalendarFeed
from facility.feeds.services import feed_secret


def signing_key() -> bytes:
    return current_app.config["SECRET_KEY"].encode()


def base_url() -> str:
    return current_app.config["FACILITY_BASE_URL"]


def feed_url(feed: CalendarFeed) -> str:
    """The https (or http) URL of the feed: what calendar apps subscribe to."""
    return f"{base_url()}/calendar/{feed_secret(feed, signing_key())}.ics"


def webcal_url(feed: CalendarFeed) -> str:
    """The same URL with the webcal scheme, which opens the subscribe dialogue of calendar apps."""
    return "webcal://" + feed_url(feed).split("://", 1)[1]
