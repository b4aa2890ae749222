"""`flask facility backup PATH` and `flask facility restore PATH` (see facility/core/backup.py)."""

from __future__ import annotations

import click

from facility.core.cli import group, reports_errors

KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@reports_errors
def backup_command(path, force):
    """Write a consistent copy of the database to PATH while the service runs.

    SQLite: the online backup API; PostgreSQL: pg_dump -Fc (from FACILITY_PG_BIN or PATH).
    """
    from facility.core.backup import backup

    made = backup(path, force=force)
    click.echo(
        f"{made.path}: {made.size} bytes, a {KINDS[made.kind]} backup at alembic revision {made.revision or '(none)'}"
    )


@group.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace the contents of a database that is not empty.")
@reports_errors
def restore_command(path, force):
    """Restore the backup at PATH into the configured database (refuses one with rows unless --force)."""
    from facility.core.backup import restore

    done = restore(path, force=force)
    click.echo(f"{done.path}: restored into the {KINDS[done.kind]} database")
    heads = ", ".join(done.heads)
    if done.at_head:
        click.echo(f"alembic revision {done.revision} matches the code's head")
        return
    raise click.ClickException(
        f"the restored database is at alembic revision {done.revision or '(none)'}, but the code's head is {heads}: "
        "run `flask --app wsgi db upgrade` before serving it"
    )
