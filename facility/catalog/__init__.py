"""The catalogue: facilities, their resources and rules, qualifications, read from instruments.yaml."""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.catalog import cli  # noqa: F401  (registers `facility load-catalog`)
    from facility.catalog.api import blp
    from facility.http.api import register

    register(app, blp)
