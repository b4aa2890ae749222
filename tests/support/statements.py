"""The SQL statements the app sends to the database driver, as the tests count them:
``BEGIN``, ``COMMIT``, ``ROLLBACK``, ``SAVEPOINT`` and ``RELEASE`` are transaction control,
not statements, and are not counted."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

from sqlalchemy import event

from facility.core.extensions import db

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def statements_sent(app, counting: Callable[[], bool] = lambda: True):
    """The statements sent inside the block (while ``counting()`` says so), whitespace collapsed."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        if counting() and not statement.lstrip().upper().startswith(CONTROL):
            seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
