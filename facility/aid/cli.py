"""`flask facility state-aid`: each company's de minimis aid over the last three years."""

from __future__ import annotations

from datetime import date, datetime

import click

from facility.aid import services
from facility.core.cli import group, reports_errors
from facility.core.errors import invalid
from facility.core.time import FIRST_YEAR, LAST_YEAR


@group.command("state-aid")
@click.option("--organisation", "organisation_key", help="One organisation's key (default: every company with aid).")
@click.option("--at", "at_day", help="The last day of the three years, YYYY-MM-DD (default: today).")
@reports_errors
def state_aid_command(organisation_key, at_day):
    """De minimis aid per company over the three years ending --at, with warnings at 80 % and the ceiling."""
    config = services.settings()
    if at_day:
        try:
            day = date.fromisoformat(at_day.strip())
        except ValueError:
            raise invalid("invalid_date", f"'{at_day}' is not a date like 2026-11-25.", "--at") from None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise invalid("invalid_date", f"Give a day between the years {FIRST_YEAR} and {LAST_YEAR}.", "--at")
    else:
        day = datetime.now(config.zone).date()
    window = services.as_of_day(day)
    entries = services.standing(window, organisation_key)
    click.echo(
        f"de minimis aid in the three years {window.start.astimezone(config.zone).date()} to {day} "
        f"(ceiling {config.ceiling_eur:,.0f} EUR, {config.eur_sek} SEK/EUR)"
    )
    if not entries:
        click.echo("no company received subsidised access in these three years")
    for entry in entries:
        click.echo(
            f"{entry['organisation']:<24} {entry['subsidised_sek']:>14,.2f} SEK {entry['subsidised_eur']:>12,.2f} EUR"
            f" {entry['percent']:>6.1f} %  {entry['status']}"
        )
    for entry in entries:
        if entry["status"] == "exceeded":
            click.echo(
                f"WARNING: {entry['organisation']} has exceeded the de minimis ceiling ({entry['percent']:.1f} %)",
                err=True,
            )
        elif entry["status"] == "warning":
            click.echo(
                f"WARNING: {entry['organisation']} has reached {entry['percent']:.1f} % of the de minimis "
                f"ceiling; {entry['remaining_eur']:,.2f} EUR remain",
                err=True,
            )
