"""Database plumbing shared by every module: UTC timestamps and serialised write transactions.

SQLite gets WAL (synchronous=NORMAL: see install_sqlite_hooks), foreign keys, a busy timeout, and `BEGIN IMMEDIATE` for write
transactions, so the check-then-insert of a booking is serialised across processes.
PostgreSQL needs none of that: its exclusion constraint is the last word on overlap.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timezone

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from facility.core.extensions import db

WRITE_OPTION = "facility_write"
# The largest id a column holds on both databases: the id columns are INTEGER, a signed 32-bit
# integer on PostgreSQL (SQLite's would take 64 bits). A larger id names nothing.
MAX_ID = 2**31 - 1
SQLITE_BUSY_TIMEOUT_MS = 30_000


class UTCDateTime(TypeDecorator):
    """An aware datetime, stored in UTC (timestamptz on PostgreSQL, naive UTC text on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def install_sqlite_hooks(engine: Engine) -> None:
    """Take over transaction control from pysqlite so that writes can BEGIN IMMEDIATE."""
    if not is_sqlite(engine):
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # pysqlite must not emit its own BEGIN
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not _is_memory(engine):
            cursor.execute("PRAGMA journal_mode = WAL")
            # WAL with synchronous=NORMAL, chosen deliberately: a commit appends to the WAL file
            # without waiting for fsync (the WAL is synced at checkpoints), so a write
            # transaction, and the write lock it holds, is no longer as long as an fsync. A
            # commit is in the WAL file, that is in the operating system, before SQLite returns:
            # an application crash or a kill -9 of every process loses nothing acknowledged
            # (tests/bookings/test_kill.py), and the database is never corrupted. A power loss
            # or an operating-system crash may lose the last transactions committed before it
            # (never half of one). Where that matters, use PostgreSQL, or set FULL here.
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _is_memory(engine: Engine) -> bool:
    return engine.url.database in (None, "", ":memory:")


@contextmanager
def kept_after_commit():
    """Commits inside this block leave the session's objects loaded (``expire_on_commit`` off),
    so that answering after the commit reads nothing again. For short paths that know their
    objects are current: what they wrote themselves and what they read just before."""
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield session
    finally:
        session.expire_on_commit = previous


@contextmanager
def write_transaction():
    """One serialised write transaction: commit on success, roll back everything on error.

    Takes over the read transaction the request had open (``_begin_writing``): on SQLite the
    write lock is taken before the first read of the transaction (no stale snapshot).
    """
    session = db.session()  # the scoped session's current Session
    _begin_writing(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _begin_writing(session: Session) -> None:
    """Make the session's transaction the write transaction.

    A transaction that has only read goes on, on the connection it holds, as the session's
    commit would have left it (objects expired unless ``kept_after_commit``): on PostgreSQL
    (READ COMMITTED: every statement reads afresh) as it is; on SQLite, whose read snapshot
    cannot take the write lock, committed and begun again IMMEDIATE on the same connection.
    That spares a request that reads before it writes (every booking request) an ORM commit,
    a return of its connection to the pool and a checkout with its ping: three round trips to
    PostgreSQL of the thirteen a create made (issue 12). Changes not yet written are committed
    first, as before.
    """
    if session.in_transaction() and not _has_written(session):
        if session.expire_on_commit:
            session.expire_all()
        connection = session.connection()
        if is_sqlite(connection.engine):
            connection.exec_driver_sql("COMMIT")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})


# session.info: the transaction has written (flushed), or holds what it will write at commit.
WRITTEN = "facility.written"


def note_written(session: Session) -> None:
    """Say that ``session``'s transaction holds a write of its own (the audit trail's pending
    events), so that a write transaction begun after it commits it first."""
    session.info[WRITTEN] = True


def _has_written(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted or session.info.get(WRITTEN))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush_context) -> None:
    note_written(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_written(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WRITTEN, None)


# SQLSTATE classes of a server that is away: connection exceptions (08), operator intervention
# (57P01-57P03: shut down, crashed, starting up) and insufficient resources (53: too many connections).
OUTAGE_SQLSTATES = ("08", "57P", "53")
BUSY_SQLITE = ("SQLITE_BUSY", "SQLITE_LOCKED")


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached right now (down, restarting,
    refusing connections, locked, the pool exhausted) rather than that a query is wrong: the
    request may be tried again later (503). The pool's pre-ping replaces dead connections."""
    import sqlite3

    import psycopg
    from sqlalchemy import exc

    if isinstance(error, exc.TimeoutError):  # no connection free in the pool
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, psycopg.InterfaceError):  # the connection is closed
        return True
    if isinstance(error, psycopg.OperationalError):
        return error.sqlstate is None or error.sqlstate.startswith(OUTAGE_SQLSTATES)
    if isinstance(error, sqlite3.OperationalError):
        return getattr(error, "sqlite_errorname", None) in BUSY_SQLITE
    return False
