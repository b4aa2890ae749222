"""The `facility` command group of API.md (``flask --app wsgi facility ...``): each domain
adds its commands to ``group`` in its ``cli`` module."""

from __future__ import annotations

from functools import wraps

import click
from flask import Flask
from flask.cli import AppGroup

from facility.core.errors import ServiceError

group = AppGroup("facility", help="Manage the facility booking service.")


def reports_errors(command):
    """A service error ends the command with a clear message and exit status 1."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ServiceError as error:
            raise click.ClickException("; ".join(_describe(v) for v in error.violations)) from None

    return wrapper


def _describe(violation) -> str:
    return f"{violation.field}: {violation.message}" if violation.field else violation.message


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
