"""Tamper evidence: every audit event is hash-chained to the one before it, and
`flask facility audit verify` finds the first altered, inserted or missing event, on both
databases. On PostgreSQL the table refuses UPDATE and DELETE (a trigger of migration 0008)."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from facility.accounts import services as accounts
from facility.audit import chain
from facility.audit import services as audit_services
from facility.bookings import services as bookings
from facility.core.extensions import db
from tests.support.databases import make_app, postgres_database
from tests.support.factory import local, local_slot


def is_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_a_refused_change_leaves_no_event_and_the_chain_whole(app, people):
    make_history(people)
    alice = people.make()
    before = event_count(app)
    start, end = local_slot(14, 9)  # taken by make_history's first booking
    refused = alice.post("/bookings", {"resource": "lab-bsc", "start": start, "end": end})
    assert refused.status_code == 409
    assert event_count(app) == before
    start, end = local_slot(14, 15)
    assert alice.post("/bookings", {"resource": "lab-bsc", "start": start, "end": end}).status_code == 201
    assert verify(app).exit_code == 0 and event_count(app) == before + 1


def make_history(people) -> None:
    """A few audited changes: two bookings requested, one cancelled."""
    alice = people.make()
    for hour in (9, 11):
        start, end = local_slot(14, hour)
        made = alice.post("/bookings", {"resource": "lab-bsc", "start": start, "end": end, "purpose": "expansion"})
        assert made.status_code == 201, made.get_json()
    assert alice.post(f"/bookings/{made.get_json()['id']}/cancel", {}).status_code == 200


def verify(app):
    result = app.test_cli_runner().invoke(args=["facility", "audit", "verify"])
    with app.app_context():
        db.session.remove()
    return result


def behind_the_back(app, sql: str) -> None:
    """Raw SQL as someone with the database owner's rights: on PostgreSQL the append-only
    trigger is switched off for the change (as a superuser can), and on again after it."""
    with app.app_context(), db.engine.begin() as connection:
        if is_postgres(app):
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        connection.execute(text(sql))
        if is_postgres(app):
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        db.session.remove()


def event_count(app) -> int:
    with app.app_context():
        return db.session.execute(text("SELECT count(*) FROM audit_events")).scalar()


def test_each_event_is_chained_to_the_one_before(app, people):
    make_history(people)
    with app.app_context():
        rows = db.session.execute(text("SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq")).all()
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == chain.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(rows, rows[1:]))
    assert len({row.hash for row in rows}) == len(rows)
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert f"audit trail intact: {len(rows)} events verified" in result.output


def test_an_altered_event_is_found(app, people):
    make_history(people)
    with app.app_context():
        target = db.session.execute(text("SELECT id, seq FROM audit_events ORDER BY seq DESC LIMIT 1 OFFSET 1")).one()
    behind_the_back(app, f"UPDATE audit_events SET reason = 'tampered' WHERE id = {target.id}")
    result = verify(app)
    assert result.exit_code == 1
    assert f"event {target.seq} (id {target.id}, booking.requested) was altered" in result.output
    assert f"after {target.seq - 1} good events" in result.output


def test_a_removed_event_is_found(app, people):
    make_history(people)
    with app.app_context():
        target = db.session.execute(text("SELECT id, seq FROM audit_events ORDER BY seq DESC LIMIT 1 OFFSET 1")).one()
    behind_the_back(app, f"DELETE FROM audit_events WHERE id = {target.id}")
    result = verify(app)
    assert result.exit_code == 1
    assert f"event {target.seq} missing: the chain jumps from event {target.seq - 1} to event {target.seq + 1}" in (
        result.output
    )


def test_an_inserted_event_is_found(app, people):
    make_history(people)
    behind_the_back(
        app,
        "INSERT INTO audit_events (at, action, entity, entity_id, reason) "
        "VALUES ('2026-01-01 00:00:00', 'booking.approved', 'bookings', 1, 'backdated')",
    )
    result = verify(app)
    assert result.exit_code == 1
    assert "carries no hash: it was inserted behind the application's back" in result.output


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize(
    "sql", ["UPDATE audit_events SET reason = 'tampered'", "DELETE FROM audit_events", "TRUNCATE audit_events"]
)
def test_postgres_refuses_to_change_or_remove_audit_events(app, people, sql):
    make_history(people)
    before = event_count(app)
    with app.app_context():
        with pytest.raises(DBAPIError, match="audit_events is append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(sql))
        db.session.remove()
    assert event_count(app) == before
    assert verify(app).exit_code == 0


def test_concurrent_writers_extend_one_chain(app, people):
    """Eight threads (each its own connection) write audited bookings at once; the chain stays whole."""
    alice = people.make()
    errors = []

    def write(week: int):
        try:
            with app.app_context():
                actor = accounts.get_user_by_email(alice.email)
                for hour in (9, 10, 11):
                    start, end = local_slot(7 * week, hour, 0.5)
                    bookings.request_booking(
                        actor, "lab-bsc", datetime.fromisoformat(start), datetime.fromisoformat(end), "run"
                    )
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(week,)) for week in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        verified, problem = audit_services.verify()
    assert problem is None
    assert verified == event_count(app) >= 24


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_migration_hashes_the_events_already_there(backend, request, tmp_path):
    """A database with audit events from before 0008 gets them chained, in id order."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        postgres = request.getfixturevalue("postgres")
        url = postgres.url(postgres_database(postgres, "template0"))
    app = make_app(url, tmp_path)
    with app.app_context():
        upgrade(revision="0007")  # the revision before the chain
        with db.engine.begin() as connection:
            for number, (action, reason) in enumerate([("booking.requested", ""), ("booking.approved", "ok")]):
                connection.execute(
                    text(
                        "INSERT INTO audit_events (at, action, entity, entity_id, reason, after) "
                        "VALUES (:at, :action, 'bookings', 7, :reason, :after)"
                    ),
                    {
                        "at": local(f"2026-11-0{number + 2} 10:00"),
                        "action": action,
                        "reason": reason,
                        "after": '{"status": "pending"}',
                    },
                )
        upgrade(revision="heads")
        rows = db.session.execute(text("SELECT id, seq, prev_hash, hash FROM audit_events ORDER BY id")).all()
        assert [row.seq for row in rows] == [1, 2]
        assert rows[0].prev_hash == chain.GENESIS and rows[1].prev_hash == rows[0].hash
        assert audit_services.verify() == (2, None)
        db.session.remove()
        # 0008 undone (one step back) and done again: the same chain.
        downgrade(revision="-1")
        upgrade(revision="heads")
        again = db.session.execute(text("SELECT id, seq, prev_hash, hash FROM audit_events ORDER BY id")).all()
        assert [tuple(row) for row in again] == [tuple(row) for row in rows]
        db.session.remove()
        db.engine.dispose()
