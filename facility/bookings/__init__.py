"""The bookings: requests, approval, cancellation and rescheduling of time on a resource,
blackouts, free time, the catalogue and calendar pages, and the mail on booking changes."""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.bookings import bundle_api, bundles, notify
    from facility.bookings.api import blp
    from facility.bookings.pages import audit, book, bp, catalogue, manage, words  # noqa: F401  (routes on bp)
    from facility.bookings.pages import bundles as bundle_pages  # noqa: F401  (routes on bp)
    from facility.core.events import booking_changed
    from facility.http.api import register

    app.config.setdefault("FACILITY_REMINDER_HOURS", (24, 1))
    register(app, blp)
    register(app, bundle_api.blp)
    app.register_blueprint(bp)
    words.init_app(app)
    booking_changed.connect(notify.on_booking_changed)
    bundles.install()
