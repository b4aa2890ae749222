"""The `facility` command group of API.md (``flask --app wsgi facility ...``): each domain
adds its commands to ``group`` in its ``cli`` module."""

from __future__ import annotations

from functools import wraps

import click
from flask import Flask
from flask.cli import AppGroup

from facility.core.errors import ServiceError
from facility.core.text import printable_field, text_problem


class CheckedGroup(AppGroup):
    """Every argument and option given to a ``facility`` command is text that can be stored:
    an undecodable byte (a lone surrogate, as Python reads it) or a NUL is a usage error."""

    def parse_args(self, ctx, args):
        for position, arg in enumerate(args, start=1):
            problem = text_problem(arg)
            if problem:
                raise click.UsageError(f"argument {position} ({printable_field(arg)!r}): {problem}", ctx=ctx)
        return super().parse_args(ctx, args)


group = CheckedGroup("facility", help="Manage the facility booking service.")


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
