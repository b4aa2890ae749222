"""What a booking request costs in SQL statements (issue 12), counted, on both databases.

How it counts: a ``before_cursor_execute`` listener on the engine sees every statement the
application sends to the database driver. Counting starts when the API view calls
``services.request_booking`` (the sign-in by token before it is not part of creating a
booking) and runs until the response has been serialised and the request has ended, so it
includes anything read again to answer. (The mail the request calls for is sent afterwards by
the scheduler's ``booking_mails`` job, from the audit event the request wrote.) ``BEGIN``,
``BEGIN IMMEDIATE``, ``COMMIT``, ``ROLLBACK`` and ``SAVEPOINT`` are transaction control, not
statements, and are not counted (psycopg and SQLAlchemy send most of them without a cursor
anyway). The hot path loads with ``raiseload``: a lazy load there would fail the request, so
a forgotten one fails these tests rather than adding a statement.

Budgets: an accepted create at most 6 statements (SQLite: 5; PostgreSQL: 6, one more for the
audit chain's advisory lock), whether it is confirmed or waits for the managers; a refused one at most 2 (a rule refusal: read the facts, and
read the bookings to name every broken rule, without the write lock; an overlap: read the
facts, and under the write lock read the bookings).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from facility.bookings import services
from facility.core.extensions import db
from tests.support.clients import error_codes
from tests.support.factory import local_slot
from tests.support.statements import statements_sent

ACCEPTED_BUDGET = 6
REFUSED_BUDGET = 2


@contextmanager
def statements_of_create(app, monkeypatch):
    """The statements sent from the call of ``request_booking`` to the end of the request."""
    counting = [False]
    real = services.request_booking

    def request_booking(*args, **kwargs):
        counting[0] = True
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "request_booking", request_booking)
    try:
        with statements_sent(app, lambda: counting[0]) as seen:
            yield seen
    finally:
        monkeypatch.setattr(services, "request_booking", real)


def listed(seen: list[str]) -> str:
    return "\n".join(statement[:160] for statement in seen)


@pytest.fixture
def alice(people):
    client = people.make()
    assert client.get("/bookings").status_code == 200  # the token's first use is behind us
    return client


def body(start_end, resource="lab-bsc"):
    start, end = start_end
    return {"resource": resource, "start": start, "end": end, "purpose": "expansion"}


def test_an_accepted_create_costs_at_most_six_statements(app, alice, monkeypatch, smtp):
    with statements_of_create(app, monkeypatch) as seen:
        response = alice.post("/bookings", body(local_slot(14, 10)))
    assert response.status_code == 201, response.text
    assert response.get_json()["resource"] == "lab-bsc"
    # The mail the request calls for goes out with the scheduler's next run.
    assert [m["Subject"] for m in smtp.wait_for(1)] == ["Booking confirmed: Biosafety cabinet"]
    assert len(seen) <= ACCEPTED_BUDGET, listed(seen)
    assert sum(s.startswith("INSERT INTO bookings") for s in seen) == 1
    assert not any(s.startswith(("SELECT users", "SELECT facilities", "SELECT qualifications")) for s in seen), listed(
        seen
    )


def test_a_create_reads_and_writes_on_one_connection_in_one_transaction(app, alice):
    """The write transaction takes over the request's read transaction (sign-in by token, the
    facts) instead of committing it and taking a connection out of the pool again
    (core.database._begin_writing)."""
    with app.app_context():
        engine = db.engine
    checkouts, commits = [], []
    listeners = [
        (engine.pool, "checkout", lambda *_: checkouts.append(1)),
        (engine, "commit", lambda *_: commits.append(1)),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        response = alice.post("/bookings", body(local_slot(14, 10)))
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)
    assert response.status_code == 201, response.text
    assert (len(checkouts), len(commits)) == (1, 1)


def test_a_create_needing_a_qualification_costs_no_more(app, people, monkeypatch, smtp):
    people.make("manager", facilities=["gmp"])
    bob = people.make(qualifications=["gowning-grade-b"])
    assert bob.get("/bookings").status_code == 200
    with statements_of_create(app, monkeypatch) as seen:
        response = bob.post("/bookings", body(local_slot(14, 10, hours=2), "gmp-suite"))
    assert response.status_code == 201, response.text
    assert response.get_json()["status"] == "pending"
    assert len(seen) <= ACCEPTED_BUDGET, listed(seen)
    assert len(smtp.wait_for(2)) == 2  # to the facility's managers and to the requester


def test_an_overlap_is_refused_within_budget(app, alice, monkeypatch):
    assert alice.post("/bookings", body(local_slot(14, 10))).status_code == 201
    with statements_of_create(app, monkeypatch) as seen:
        response = alice.post("/bookings", body(local_slot(14, 10)))
    assert response.status_code == 409
    assert error_codes(response) == ["overlap"]
    assert len(seen) <= REFUSED_BUDGET, listed(seen)


def test_a_rule_refusal_is_refused_within_budget_without_the_write_lock(app, alice, monkeypatch):
    with statements_of_create(app, monkeypatch) as seen:
        response = alice.post("/bookings", body(local_slot(14, 3)))  # before opening hours
    assert response.status_code == 422, response.text
    assert len(seen) <= REFUSED_BUDGET, listed(seen)
    assert not any(s.startswith("INSERT") for s in seen)
