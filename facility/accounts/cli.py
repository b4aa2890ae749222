"""`flask facility create-organisation | create-user | qualify | token | reset-two-factor`."""

from __future__ import annotations

import sys

import click

from facility.accounts import services as accounts
from facility.accounts.models import ROLES
from facility.core.cli import group, reports_errors
from facility.core.vocabulary import ORGANISATION_KINDS, SIZE_CLASSES


@group.command("create-organisation")
@click.argument("key")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(ORGANISATION_KINDS))
@click.option("--size", type=click.Choice(SIZE_CLASSES), help="Company size class.")
@click.option("--org-number", help="Swedish organisation number, like 556036-0793 (checked).")
@reports_errors
def create_organisation_command(key, name, kind, size, org_number):
    """Create an organisation (a company needs --size)."""
    organisation = accounts.create_organisation(key, name, kind, size, org_number=org_number)
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


@group.command("reset-two-factor")
@click.argument("email")
@reports_errors
def reset_two_factor_command(email):
    """Turn off a user's second factor (a lost phone) and end their sessions; they may enrol again."""
    accounts.reset_totp(email)
    click.echo(f"two-factor sign-in is off for {email}; their sessions are ended")
