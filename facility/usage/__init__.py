"""The usage module: usage records, reports, indicators and projects."""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.http.api import register
    from facility.usage import cli  # noqa: F401  (registers `facility report`)
    from facility.usage.api import blp
    from facility.usage.pages import bp, records, reports, start  # noqa: F401  (routes on bp)

    app.config.setdefault("FACILITY_FTE_HOURS", 1720)
    register(app, blp)
    app.register_blueprint(bp)
