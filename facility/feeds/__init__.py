"""The feeds module: calendar feeds out (bookings into people's calendars) and calendar
sources in (outside calendars, such as public holidays, become blackouts)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.feeds.api import blp
    from facility.feeds.pages import bp, sources, subscribe  # noqa: F401  (routes on bp)
    from facility.http.api import register

    app.config.setdefault("FACILITY_FEED_TTL_MINUTES", 15)
    # Outside calendars: fetched with these limits, and expanded over this window.
    app.config.setdefault("FACILITY_SOURCE_MAX_BYTES", 2 * 1024 * 1024)
    app.config.setdefault("FACILITY_SOURCE_TIMEOUT_SECONDS", 10)
    # Addresses inside the network (loopback, private, link-local) are refused unless allowed.
    app.config.setdefault("FACILITY_SOURCE_ALLOW_PRIVATE", False)
    app.register_blueprint(bp)
    register(app, blp)
