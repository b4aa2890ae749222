"""The SQL statements the app sends to the database driver, as the tests count them:
``BEGIN``, ``COMMIT``, ``ROLLBACK``, ``SAVEPOINT`` and ``RELEASE`` are transaction control,
not statements, and are not counted."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable

from sqlalchemy import event

from facility.core.extensions import db

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def driver_calls(app, note: Callable[[str, Any], None]):
    """``note(statement, parameters)`` for each statement the app sends the driver inside the block."""

    def listener(_conn, _cursor, statement, parameters, _context, _executemany):
        note(statement, parameters)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@contextmanager
def statements_sent(app, counting: Callable[[], bool] = lambda: True):
    """The statements sent inside the block (while ``counting()`` says so), whitespace collapsed."""
    seen: list[str] = []

    def count(statement, _parameters):
        if counting() and not statement.lstrip().upper().startswith(CONTROL):
            seen.append(" ".join(statement.split()))

    with driver_calls(app, count):
        yield seen
