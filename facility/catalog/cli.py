"""`flask facility load-catalog`."""

from __future__ import annotations

import click
from flask import current_app

from facility.core.cli import group, reports_errors


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
