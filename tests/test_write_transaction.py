"""The write transaction takes over the request's read transaction (core/database.py,
``_begin_writing``) and still behaves as though that one had been committed first."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select, text

from facility.accounts.models import Organisation
from facility.audit import services as audit
from facility.audit.models import AuditEvent
from facility.core.database import write_transaction
from facility.core.extensions import db
from tests.support.databases import make_app, sqlite_url


def _names(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Organisation.key)))


def test_objects_read_before_the_write_are_read_afresh_under_it(app):
    with app.app_context():
        lu = db.session.scalar(select(Organisation).where(Organisation.key == "lu"))
        assert lu.name == "Lund University"
        with db.engine.connect() as other:  # another worker renames it meanwhile
            other.execute(text("UPDATE organisations SET name = 'Lunds universitet' WHERE key = 'lu'"))
            other.commit()
        with write_transaction():
            assert lu.name == "Lunds universitet"


@pytest.mark.parametrize("flushed", [False, True], ids=["added", "flushed"])
def test_changes_made_before_a_write_are_kept_when_the_write_fails(app, flushed):
    with app.app_context():
        db.session.add(Organisation(key="kept", name="Kept AB", kind="company", size_class="small"))
        if flushed:
            db.session.flush()
        with pytest.raises(RuntimeError), write_transaction():
            db.session.add(Organisation(key="lost", name="Lost AB", kind="company", size_class="small"))
            raise RuntimeError("the write fails")
        db.session.remove()
    assert {"kept", "lost"} & _names(app) == {"kept"}


def test_after_a_read_the_write_holds_sqlites_write_lock(sqlite_template, tmp_path):
    url = sqlite_url(sqlite_template, tmp_path)
    app = make_app(url)
    with app.app_context():
        assert db.session.scalar(select(Organisation.name).where(Organisation.key == "lu"))
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # no one writes while the request only reads
            other.execute("ROLLBACK")
            with write_transaction():
                with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                    other.execute("BEGIN IMMEDIATE")
            other.execute("BEGIN IMMEDIATE")  # released at the commit
            other.execute("ROLLBACK")
        finally:
            other.close()
        db.session.remove()
        db.engine.dispose()


def test_an_audit_event_recorded_before_a_write_is_kept_when_the_write_fails(app):
    with app.app_context():
        lu = db.session.scalar(select(Organisation).where(Organisation.key == "lu"))
        lu_id = lu.id
        audit.record(None, "organisation.viewed", lu)  # nothing to flush: the event waits for a commit
        with pytest.raises(RuntimeError), write_transaction():
            raise RuntimeError("the write fails")
        db.session.remove()
        kept = select(AuditEvent.entity, AuditEvent.entity_id).where(AuditEvent.action == "organisation.viewed")
        assert db.session.execute(kept).all() == [("organisations", lu_id)]
