"""`flask facility audit verify`: walk the audit trail's hash chain."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from facility.audit import services
from facility.core.cli import group

audit_group = AppGroup("audit", help="The audit trail.")
group.add_command(audit_group)


@audit_group.command("verify")
def verify_command():
    """Check every audit event against the hash chain; exit 1 naming the first broken event."""
    verified, problem = services.verify()
    if problem:
        raise click.ClickException(f"audit trail broken after {verified} good events: {problem}")
    click.echo(f"audit trail intact: {verified} events verified")
