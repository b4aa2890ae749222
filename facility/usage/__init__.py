"""The usage module: usage records, reports, indicators and projects; mail on booking changes."""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.bookings.notify import on_booking_changed
    from facility.core.events import booking_changed
    from facility.http.api import register
    from facility.usage import cli  # noqa: F401  (registers `facility report`)
    from facility.usage.api import blp
    from facility.usage.pages.reports import bp as pages

    app.config.setdefault("FACILITY_FTE_HOURS", 1720)
    app.config.setdefault("FACILITY_REMINDER_HOURS", (24, 1))
    register(app, blp)
    app.register_blueprint(pages)
    booking_changed.connect(on_booking_changed)
