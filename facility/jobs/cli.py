"""`flask facility scheduler`."""

from __future__ import annotations

import click
from flask import current_app

from facility.core.cli import group


@group.command("scheduler")
def scheduler_command():
    """Run the scheduled jobs in the foreground (reminders, no-shows, expiries, monthly reports)."""
    import logging

    from facility.jobs.scheduler import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    scheduler = build_scheduler(current_app._get_current_object())
    click.echo("facility scheduler running; Ctrl-C to stop", err=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
