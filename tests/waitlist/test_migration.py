"""Migration 0016: PostgreSQL itself keeps held time apart from other active bookings; the
migration goes down (holds given back) and up again on both databases."""

from __future__ import annotations

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from facility.core.extensions import db
from tests.support.databases import postgres_url


@pytest.mark.postgres
def test_postgres_refuses_a_hold_over_an_active_booking_itself(postgres, postgres_template):
    url = postgres_url(postgres, postgres_template)
    with psycopg.connect(url, autocommit=True) as conn:
        definition = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'bookings_no_overlap'"
        ).fetchone()[0]
        assert "'held'" in definition and "'pending'" in definition and "'confirmed'" in definition
        conn.execute(
            "INSERT INTO users (email, name, organisation_id, role, is_researcher, active, created_at) "
            "VALUES ('x@example.org', 'X', 1, 'scientist', true, true, now())"
        )
        insert = (
            "INSERT INTO bookings (resource_id, user_id, start_at, end_at, blocked_until, status, purpose, "
            "created_at, updated_at, sequence, decision_reason) VALUES (1, 1, %s, %s, %s, %s, '', now(), now(), 0, '')"
        )
        conn.execute(insert, ("2030-01-01 10:00Z", "2030-01-01 11:00Z", "2030-01-01 11:00Z", "held"))
        for status in ("confirmed", "pending", "held"):
            with pytest.raises(psycopg.errors.ExclusionViolation):
                conn.execute(insert, ("2030-01-01 10:30Z", "2030-01-01 11:30Z", "2030-01-01 11:30Z", status))


def test_the_migration_goes_down_and_up_again(app):
    with app.app_context():
        downgrade(revision="0015_booking_bundles")  # the revision before the waiting list
        assert "waitlist_entries" not in inspect(db.engine).get_table_names()
        upgrade(revision="heads")
        assert "waitlist_entries" in inspect(db.engine).get_table_names()
        db.engine.dispose()
