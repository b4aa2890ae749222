"""`flask facility report`."""

from __future__ import annotations

import sys

import click

from facility.core.cli import group, reports_errors
from facility.usage import reports


@group.command("report")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--facility", "facility_key", help="Facility key (default: every facility).")
@click.option("--format", "fmt", type=click.Choice(reports.FORMATS), default="json", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file (default: stdout).")
@reports_errors
def report_command(month, facility_key, fmt, output):
    """The monthly usage report per resource and per organisation."""
    report = reports.monthly_report(None, month, facility_key)
    body, _content_type, _name = reports.render(report, fmt)
    if output:
        with open(output, "wb") as out:
            out.write(body)
        click.echo(f"wrote {output}", err=True)
    elif fmt == "xlsx":
        raise click.ClickException("XLSX is binary: give --output PATH.")
    else:
        sys.stdout.write(body.decode("utf-8"))
        sys.stdout.flush()
