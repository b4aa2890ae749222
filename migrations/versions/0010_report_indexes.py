"""reports at the scale of years: usage records by organisation and time

The state-aid ledger and statement, the companies indicator and the managers a state-aid
warning goes to look up an organisation's usage records in a period; this index serves them,
covering the columns they filter and join on (end_at, resource_id, superseded), so that SQLite
reads the index only (ledger over 200,000 records: about 2x faster than with
(organisation_id, start_at) alone). Usage by resource and time, and bookings by resource and
time, have their indexes since 0001/0003.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:10:00

"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_records_organisation_time",
            ["organisation_id", "start_at", "end_at", "resource_id", "superseded"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_records_organisation_time")
