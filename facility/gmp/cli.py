"""`flask facility logbook` and `flask facility batches`: a resource's logbook (CSV or PDF) and
the batches that used it, for the inspector, from the same services as the pages and the API."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask_babel import force_locale

from facility.core.cli import group, reports_errors
from facility.gmp import exports, services


def _day(value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-12-01") from None


def _write(body: bytes, output, binary: bool) -> None:
    if output:
        with open(output, "wb") as out:
            out.write(body)
        click.echo(f"wrote {output}", err=True)
    elif binary:
        raise click.ClickException("A PDF is binary: give --output PATH.")
    else:
        sys.stdout.write(body.decode("utf-8"))
        sys.stdout.flush()


@group.command("logbook")
@click.argument("resource")
@click.option("--from", "first", help="First local day, YYYY-MM-DD (default: 31 days ago).")
@click.option("--to", "last", help="Last local day, YYYY-MM-DD, included (default: today).")
@click.option("--format", "fmt", type=click.Choice(("csv", "pdf")), default="csv", show_default=True)
@click.option("--language", type=click.Choice(("en", "sv")), default="en", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file (default: stdout).")
@reports_errors
def logbook_command(resource, first, last, fmt, language, output):
    """A resource's logbook, in order of time, with its corrections."""
    book = services.logbook_for_days(services.COMMAND_LINE, resource, _day(first), _day(last))
    with force_locale(language):
        body = exports.to_csv(book) if fmt == "csv" else exports.to_pdf(book)
    _write(body, output, fmt == "pdf")


@group.command("batches")
@click.argument("resource")
@click.option("--from", "first", help="First local day, YYYY-MM-DD.")
@click.option("--to", "last", help="Last local day, YYYY-MM-DD, included (default: now).")
@click.option("--since-last-passed-calibration", "since", is_flag=True, help="From the last passed calibration.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file (default: stdout).")
@reports_errors
def batches_command(resource, first, last, since, output):
    """Which products and batches used a resource (CSV, one row per use): the impact assessment."""
    impact = services.batches_using(services.COMMAND_LINE, resource, _day(first), _day(last), since_calibration=since)
    _write(exports.impact_csv(impact), output, False)
