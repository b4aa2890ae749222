"""The bookings: requests, approval, cancellation and rescheduling of time on a resource,
blackouts, free time, the catalogue and calendar pages, and the mail on booking changes."""

import os

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.bookings import bundle_api, bundles
    from facility.bookings.api import blp
    from facility.bookings.pages import audit, book, bp, catalogue, manage, series, words  # noqa: F401  (routes on bp)
    from facility.bookings.pages import bundles as bundle_pages  # noqa: F401  (routes on bp)
    from facility.bookings.series_api import blp as series_blp
    from facility.http.api import register

    app.config.setdefault("FACILITY_REMINDER_HOURS", (24, 1))
    app.config.setdefault(
        "FACILITY_SERIES_MAX_OCCURRENCES", int(os.environ.get("FACILITY_SERIES_MAX_OCCURRENCES", "104"))
    )
    register(app, blp)
    register(app, series_blp)
    register(app, bundle_api.blp)
    app.register_blueprint(bp)
    words.init_app(app)
    bundles.install()
