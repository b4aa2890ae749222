"""A booking request and a resource's free time read the bookings near the time asked about,
not the resource's whole past (issue 12): after years of bookings a create costs what it cost
on the first day.

The database's work is measured, not the time: the SELECTs the app sent for a request are run
again as sent, on SQLite counting the instructions of its virtual machine (its progress
handler), on PostgreSQL counting the rows the plan touched (``EXPLAIN ANALYZE``: rows returned
by each node and rows its filters removed). Each is measured with a few bookings on the
resource, then again after three thousand earlier ones.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import insert, select, text

from facility.bookings.models import Booking
from facility.catalog.models import Resource
from facility.core.database import is_sqlite
from facility.core.extensions import db
from tests.support.factory import local_slot, user_id
from tests.support.statements import driver_calls

HISTORY = 3000


@contextmanager
def selects_sent(app):
    """The SELECT statements the app sends inside the block, with their parameters as sent."""
    seen: list[tuple[str, object]] = []

    def keep(statement, parameters):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    with driver_calls(app, keep):
        yield seen


def database_work(app, statements) -> int:
    """What running ``statements`` again costs the database: SQLite's VM instructions, or the rows
    PostgreSQL's plans touched."""
    with app.app_context():
        raw = db.engine.raw_connection()
        sqlite = is_sqlite(db.engine)
    try:
        cursor = raw.cursor()
        if sqlite:
            steps = [0]

            def step():
                steps[0] += 1
                return 0  # go on

            raw.driver_connection.set_progress_handler(step, 1)
            for statement, parameters in statements:
                cursor.execute(statement, parameters).fetchall()
            raw.driver_connection.set_progress_handler(None, 1)
            return steps[0]
        touched = 0
        for statement, parameters in statements:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            touched += rows_touched(cursor.fetchone()[0][0]["Plan"])
        return touched
    finally:
        raw.rollback()
        raw.close()


def rows_touched(plan: dict) -> int:
    own = plan["Actual Rows"] * plan["Actual Loops"]
    removed = plan.get("Rows Removed by Filter", 0) + plan.get("Rows Removed by Index Recheck", 0)
    return own + removed + sum(rows_touched(child) for child in plan.get("Plans", []))


def add_history(app, email: str, before: datetime) -> None:
    """HISTORY confirmed one-hour bookings of the cabinet by ``email``, two hours apart, ending before ``before``."""
    with app.app_context():
        resource_id = db.session.scalar(select(Resource.id).where(Resource.key == "lab-bsc"))
        owner = user_id(email)
        rows = []
        for n in range(1, HISTORY + 1):
            start = before - timedelta(hours=2 * n)
            end = start + timedelta(hours=1)
            rows.append(
                {
                    "resource_id": resource_id,
                    "user_id": owner,
                    "status": "confirmed",
                    "purpose": "",
                    "decision_reason": "",
                    "start_at": start,
                    "end_at": end,
                    "blocked_until": end,
                    "sequence": 0,
                    "created_at": start,
                    "updated_at": start,
                }
            )
        db.session.execute(insert(Booking), rows)
        db.session.commit()
        if not is_sqlite(db.engine):
            db.session.execute(text("ANALYZE bookings"))  # as autovacuum does after a bulk load
            db.session.commit()


def work_of(app, call) -> int:
    with selects_sent(app) as statements:
        response = call()
    assert response.status_code in (200, 201), response.text
    return database_work(app, statements)


def test_a_create_and_the_free_time_cost_as_much_after_years_of_bookings(app, people):
    alice, bob = people.make(), people.make()
    assert alice.get("/bookings").status_code == 200  # the token's first use is behind us
    first, later = local_slot(14, 10), local_slot(21, 10)  # a week apart: the quota of each is its own

    def create(slot):
        return lambda: alice.post("/bookings", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]})

    def free_week(slot):
        day = datetime.fromisoformat(slot[0])
        week = {"from": (day - timedelta(days=3)).isoformat(), "to": (day + timedelta(days=4)).isoformat()}
        return lambda: alice.get("/resources/lab-bsc/availability", query_string=week)

    fresh = {"create": work_of(app, create(first)), "free time": work_of(app, free_week(first))}
    add_history(app, bob.email, datetime.fromisoformat(first[0]) - timedelta(days=8))
    aged = {"create": work_of(app, create(later)), "free time": work_of(app, free_week(later))}

    # Reading the past would cost thousands more (a few instructions, or a row, a booking).
    assert all(aged[what] <= fresh[what] + 200 for what in fresh), (fresh, aged)
