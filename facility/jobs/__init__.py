"""Scheduled jobs (APScheduler, one `flask facility scheduler` process) and the mail they send."""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.jobs import cli  # noqa: F401  (registers `facility scheduler`)
