"""Backups that restore: a consistent copy of the configured database while the service runs.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one step
under one read transaction, so the copy is one consistent snapshot; in WAL mode the service
keeps writing meanwhile. PostgreSQL: ``pg_dump -Fc`` (one snapshot of one transaction) and
``pg_restore``, found in ``FACILITY_PG_BIN`` or else on ``PATH``.

A backup is written to ``PATH.partial`` and renamed to ``PATH`` only when complete. A restore
refuses a database that holds any row unless forced, and then compares the restored alembic
revision with the code's head. Knows no domain: it copies every table there is.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError

from facility.core.errors import ServiceError, Violation
from facility.core.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
VERSION_TABLE = "alembic_version"
# Tables whose rows the migrations write themselves: a freshly migrated database holds them.
MIGRATION_ROWS = (VERSION_TABLE, "mail_positions")


@dataclass(frozen=True)
class Backup:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    size: int
    revision: str | None


@dataclass(frozen=True)
class Restore:
    path: Path
    kind: str
    revision: str | None
    heads: tuple[str, ...]

    @property
    def at_head(self) -> bool:
        return self.revision is not None and (self.revision,) == self.heads


def _error(code: str, message: str, field: str | None = None) -> ServiceError:
    return ServiceError(422, [Violation(code, message, field)])


def _engine() -> Engine:
    return db.engine


def _kind(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise _error("unsupported", f"backups of {name} databases are not supported (SQLite and PostgreSQL are)")
    return name


# --- backup ---------------------------------------------------------------------------------


def backup(path: str | os.PathLike, *, force: bool = False) -> Backup:
    """Copy the configured database to ``path`` (atomically: ``path.partial``, then renamed)."""
    path = Path(path)
    engine = _engine()
    kind = _kind(engine)
    if path.is_dir():
        raise _error("is_directory", f"{path} is a directory: give the name of the backup file")
    if not path.parent.is_dir():
        raise _error("no_directory", f"{path.parent} does not exist")
    if path.exists() and not force:
        raise _error("exists", f"{path} already exists (give --force to overwrite it)")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if kind == "sqlite":
            _sqlite_backup(engine, partial)
        else:
            _pg_dump(engine, partial)
        partial.chmod(0o600)  # personal data and the audit trail: for the owner only
        _fsync(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path, kind, path.stat().st_size, current_revision(engine))


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if database in (None, "", ":memory:") or database.startswith("file:"):
        raise _error("unsupported", "an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_backup(engine: Engine, partial: Path) -> None:
    source_path = _sqlite_file(engine)
    if not source_path.exists():
        raise _error("no_database", f"the database {source_path} does not exist")
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.execute("PRAGMA busy_timeout = 30000")
        source.backup(target)  # every page in one step: one consistent snapshot
        # The copy is one self-contained file (no -wal beside it), checked before it counts.
        target.execute("PRAGMA journal_mode = DELETE")
        problems = [row[0] for row in target.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise _error("corrupt", "the copy failed its integrity check: " + "; ".join(problems[:5]))
    finally:
        target.close()
        source.close()


def _pg_dump(engine: Engine, partial: Path) -> None:
    dbname, env = _libpq(engine.url)
    _run([_pg_program("pg_dump"), "--format=custom", "--file", str(partial), "--dbname", dbname], env, "pg_dump")


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


# --- restore --------------------------------------------------------------------------------


def restore(path: str | os.PathLike, *, force: bool = False) -> Restore:
    """Restore the backup at ``path`` into the configured database.

    Refuses a database that holds any row (in any table but those the migrations fill) unless ``force``.
    """
    path = Path(path)
    engine = _engine()
    kind = _kind(engine)
    if not path.is_file():
        raise _error("not_found", f"{path} is not a file")
    found = _backup_kind(path)
    if found is None:
        raise _error("not_a_backup", f"{path} is neither a SQLite database nor a pg_dump custom-format archive")
    if found != kind:
        raise _error("wrong_kind", f"{path} is a {found} backup, but the configured database is {kind}")
    occupied = _reachable(tables_with_rows, engine)
    if occupied and not force:
        shown = ", ".join(occupied[:5]) + (", ..." if len(occupied) > 5 else "")
        raise _error(
            "not_empty",
            f"the database is not empty ({len(occupied)} tables hold rows: {shown}); "
            "give --force to replace its contents with the backup",
        )
    db.session.remove()
    engine.dispose()  # no pooled connection keeps the old contents
    if kind == "sqlite":
        _sqlite_restore(engine, path)
    else:
        _pg_restore(engine, path, clean=bool(force or _has_tables(engine)))
    engine.dispose()
    return Restore(path, kind, current_revision(engine), code_heads())


def _backup_kind(path: Path) -> str | None:
    with open(path, "rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


def _sqlite_restore(engine: Engine, path: Path) -> None:
    target_path = _sqlite_file(engine)
    if not target_path.parent.is_dir():
        raise _error("no_directory", f"{target_path.parent} does not exist")
    try:
        source = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise _error("not_a_backup", f"{path} cannot be opened: {error}") from None
    target = sqlite3.connect(target_path, timeout=30)
    try:
        problems = [row[0] for row in source.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise _error("corrupt", f"{path} failed its integrity check: " + "; ".join(problems[:5]))
        target.execute("PRAGMA busy_timeout = 30000")
        source.backup(target)  # replaces every page of the target, under its write lock
    except sqlite3.Error as error:
        raise _error("restore_failed", f"the restore failed: {error}") from None
    finally:
        target.close()
        source.close()


def _pg_restore(engine: Engine, path: Path, *, clean: bool) -> None:
    """One transaction: a failed restore leaves the database as it was."""
    dbname, env = _libpq(engine.url)
    command = [_pg_program("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner"]
    if clean:
        command += ["--clean", "--if-exists"]
    _run([*command, "--dbname", dbname, str(path)], env, "pg_restore")


# --- what is in a database ------------------------------------------------------------------


def _reachable(query, engine: Engine):
    """``query(engine)``, or a clear error when the database cannot be reached or read."""
    try:
        return query(engine)
    except DBAPIError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        raise _error("unreachable", f"the configured database cannot be reached or read: {reason}") from None


def _table_names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(inspect(connection).get_table_names())


def _has_tables(engine: Engine) -> bool:
    return bool(_table_names(engine))


def tables_with_rows(engine: Engine) -> list[str]:
    """The tables (those the migrations fill aside) that hold at least one row."""
    occupied = []
    with engine.connect() as connection:
        preparer = engine.dialect.identifier_preparer
        for name in sorted(inspect(connection).get_table_names()):
            if name in MIGRATION_ROWS:
                continue
            if connection.execute(text(f"SELECT 1 FROM {preparer.quote(name)} LIMIT 1")).first():
                occupied.append(name)
    return occupied


def current_revision(engine: Engine) -> str | None:
    """The alembic revision the database is at (None: not migrated)."""
    if VERSION_TABLE not in _table_names(engine):
        return None
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return ", ".join(sorted(rows)) or None


def code_heads() -> tuple[str, ...]:
    """The head revision(s) of the migrations this code ships."""
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    return tuple(sorted(ScriptDirectory.from_config(config).get_heads()))


# --- PostgreSQL client programs -------------------------------------------------------------


def _pg_program(name: str) -> str:
    """``name`` from ``FACILITY_PG_BIN`` (a directory) if set, else from ``PATH``."""
    directory = current_app.config.get("FACILITY_PG_BIN")
    if directory:
        candidate = Path(directory) / name
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            raise _error("no_program", f"{name} was not found in FACILITY_PG_BIN ({directory})")
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise _error(
            "no_program",
            f"{name} was not found on PATH; set FACILITY_PG_BIN to the directory of the PostgreSQL programs",
        )
    return found


def _libpq(url: URL) -> tuple[str, dict]:
    """A libpq connection URL (no driver, no password) and an environment holding the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict, name: str) -> None:
    try:
        result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    except OSError as error:
        raise _error("program_failed", f"{name} could not be run: {error}") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
        raise _error("program_failed", f"{name} failed: {detail}")
