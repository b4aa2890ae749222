"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from facility.core.extensions import db
from tests.support.databases import postgres_url


def test_migrated_schema_matches_the_models(app):
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.mark.postgres
def test_postgres_refuses_overlapping_active_bookings_itself(postgres, postgres_template):
    """The exclusion constraint, not only the application, keeps active bookings apart."""
    url = postgres_url(postgres, postgres_template)
    with psycopg.connect(url, autocommit=True) as conn:
        definition = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'bookings_no_overlap'"
        ).fetchone()[0]
        assert "EXCLUDE USING gist" in definition and "tstzrange(start_at, blocked_until" in definition
        conn.execute(
            "INSERT INTO users (email, name, organisation_id, role, is_researcher, active, created_at) "
            "VALUES ('x@example.org', 'X', 1, 'scientist', true, true, now())"
        )
        insert = (
            "INSERT INTO bookings (resource_id, user_id, start_at, end_at, blocked_until, status, purpose, "
            "created_at, updated_at, sequence, decision_reason) VALUES (1, 1, %s, %s, %s, %s, '', now(), now(), 0, '')"
        )
        conn.execute(insert, ("2030-01-01 10:00Z", "2030-01-01 11:00Z", "2030-01-01 12:00Z", "confirmed"))
        with pytest.raises(psycopg.errors.ExclusionViolation):
            conn.execute(insert, ("2030-01-01 11:30Z", "2030-01-01 12:30Z", "2030-01-01 12:30Z", "pending"))
        # Cancelled bookings do not hold the slot; touching intervals do not overlap.
        conn.execute(insert, ("2030-01-01 11:30Z", "2030-01-01 12:30Z", "2030-01-01 12:30Z", "cancelled"))
        conn.execute(insert, ("2030-01-01 12:00Z", "2030-01-01 13:00Z", "2030-01-01 13:00Z", "confirmed"))
