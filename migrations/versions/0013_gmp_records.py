"""GMP records: the logbook of each room and instrument, append-only on PostgreSQL

Facilities and resources get ``gmp_settings`` (instruments.yaml's ``gmp:``: batch records,
line clearance, maximum occupancy, maintenance and calibration plans). Bookings get a ``batch`` and usage records a ``product`` and ``batch`` (the product and
batch in process, 21 CFR 211.182). ``logbook_entries`` holds cleanings, line clearances, their verifications, maintenance,
calibrations, repairs, deviations and notes (facility/gmp/models.py). Entries are never
changed: a correction is a new entry. On PostgreSQL a trigger refuses every UPDATE, DELETE
and TRUNCATE of the table (and of ``qualification_withdrawals``), as 0008 does for the audit
trail. ``room_entries`` records who else entered a cleanroom under a booking, supervised or not.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

APPEND_ONLY_FUNCTION = """
CREATE FUNCTION gmp_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
APPEND_ONLY_TABLES = ("logbook_entries", "qualification_withdrawals")


def upgrade():
    op.add_column("facilities", sa.Column("gmp_settings", sa.JSON(), nullable=True))
    op.add_column("resources", sa.Column("gmp_settings", sa.JSON(), nullable=True))
    op.add_column("bookings", sa.Column("batch", sa.String(length=100), nullable=True))
    op.add_column("usage_records", sa.Column("product", sa.String(length=200), nullable=True))
    op.add_column("usage_records", sa.Column("batch", sa.String(length=100), nullable=True))
    op.create_table(
        "logbook_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("procedure", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("batch", sa.String(length=100), nullable=True),
        sa.Column("verifies_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("plan_key", sa.String(length=64), nullable=True),
        sa.Column("signer_name", sa.String(length=200), nullable=True),
        sa.Column("signature_meaning", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["verifies_id"], ["logbook_entries.id"]),
        sa.ForeignKeyConstraint(["corrects_id"], ["logbook_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("logbook_entries", schema=None) as batch_op:
        batch_op.create_index("ix_logbook_entries_resource_time", ["resource_id", "occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_logbook_entries_verifies_id"), ["verifies_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_logbook_entries_corrects_id"), ["corrects_id"], unique=False)

    op.create_table(
        "room_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("supervised_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"]),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["supervised_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("room_entries", schema=None) as batch_op:
        batch_op.create_index("ix_room_entries_resource_open", ["resource_id", "left_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_room_entries_booking_id"), ["booking_id"], unique=False)
    op.create_table(
        "qualification_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("qualification_id", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["qualification_id"], ["qualifications.id"]),
        sa.ForeignKeyConstraint(["withdrawn_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("qualification_withdrawals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qualification_withdrawals_user_id"), ["user_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION gmp_records_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION gmp_records_append_only()"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION gmp_records_append_only()")
    op.drop_table("qualification_withdrawals")
    op.drop_table("room_entries")
    with op.batch_alter_table("logbook_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_logbook_entries_corrects_id"))
        batch_op.drop_index(batch_op.f("ix_logbook_entries_verifies_id"))
        batch_op.drop_index("ix_logbook_entries_resource_time")
    op.drop_table("logbook_entries")
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_column("batch")
        batch_op.drop_column("product")
    # Not batch mode: rebuilding bookings on SQLite would drop 0011's triggers with the old table.
    op.execute("ALTER TABLE bookings DROP COLUMN batch")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("gmp_settings")
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_column("gmp_settings")
