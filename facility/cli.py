"""The command line of API.md: ``flask --app wsgi facility ...``."""

from __future__ import annotations

import sys
from functools import wraps

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from facility.accounts import services as accounts
from facility.accounts.models import ORGANISATION_KINDS, ROLES, SIZE_CLASSES
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


@group.command("load-catalog")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@reports_errors
def load_catalog_command(path):
    """Load facilities, resources and qualifications from instruments.yaml (idempotent)."""
    from facility.catalog.loader import CatalogError
    from facility.catalog.services import load_catalog

    path = path or current_app.config["FACILITY_CATALOG"]
    try:
        summary = load_catalog(path)
    except CatalogError as error:
        raise click.ClickException("the catalogue was not loaded:\n  " + "\n  ".join(error.problems)) from None
    click.echo(f"{path}: {summary}")


@group.command("create-organisation")
@click.argument("key")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(ORGANISATION_KINDS))
@click.option("--size", type=click.Choice(SIZE_CLASSES), help="Company size class.")
@reports_errors
def create_organisation_command(key, name, kind, size):
    """Create an organisation (a company needs --size)."""
    organisation = accounts.create_organisation(key, name, kind, size)
    click.echo(f"created organisation {organisation.key} ({organisation.name})")


@group.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--organisation", "organisation", required=True, help="Organisation key.")
@click.option("--role", type=click.Choice(ROLES), default="scientist", show_default=True)
@click.option("--facility", "facilities", multiple=True, help="Facility a manager manages (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the sign-in password from standard input.")
@reports_errors
def create_user_command(email, name, organisation, role, facilities, password_stdin):
    """Create a user of an organisation."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    user = accounts.create_user(email, name, organisation, role, facilities=facilities, password=password)
    click.echo(f"created {user.role} {user.email}")


@group.command("qualify")
@click.argument("email")
@click.argument("qualification")
@click.option(
    "--until",
    "until",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day the qualification is valid (YYYY-MM-DD).",
)
@reports_errors
def qualify_command(email, qualification, until):
    """Record that a user holds a training or qualification until a date."""
    held = accounts.qualify(email, qualification, until.date())
    click.echo(f"{email} holds {qualification} until {held.valid_until.isoformat()}")


@group.command("token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="A name to recognise the token by.")
@reports_errors
def token_command(email, name):
    """Print a new personal API token for a user (shown once; only its hash is kept)."""
    _token, secret = accounts.issue_token(email, name)
    click.echo(secret)


@group.command("seed-demo")
@reports_errors
def seed_demo_command():
    """Load a small, realistic demo data set (a living week across the three facilities)."""
    from facility.demo import seed_demo

    click.echo(seed_demo())


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
