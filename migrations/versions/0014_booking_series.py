"""booking series: recurring bookings, each occurrence an ordinary booking

``booking_series`` holds a series (owner, resource, RFC 5545 RRULE, local wall-clock start,
duration, zone, approval mode); ``bookings.series_id`` names the series of an occurrence;
``resources.series_approval`` says whether approval is one decision for a series or one per
occurrence. Only columns are added to ``bookings`` (no batch rebuild on SQLite, which would drop
the feed triggers of 0011).

Revision ID: 0014_booking_series
Revises: 0013
Create Date: 2026-12-02 07:10:00

"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0014_booking_series"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "booking_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=False),
        sa.Column("local_start", sa.String(length=19), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("approval", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_booking_series_user_id", "booking_series", ["user_id"], unique=False)
    op.create_index("ix_booking_series_resource_id", "booking_series", ["resource_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; Alembic would skip the reference.
        op.execute("ALTER TABLE bookings ADD COLUMN series_id INTEGER REFERENCES booking_series (id)")
    else:
        op.add_column("bookings", sa.Column("series_id", sa.Integer(), nullable=True))
        op.create_foreign_key("bookings_series_id_fkey", "bookings", "booking_series", ["series_id"], ["id"])
    op.create_index("ix_bookings_series_id", "bookings", ["series_id"], unique=False)
    op.add_column(
        "resources", sa.Column("series_approval", sa.String(length=16), nullable=False, server_default="series")
    )


def downgrade():
    with op.batch_alter_table("resources") as batch_op:
        batch_op.drop_column("series_approval")
    op.drop_index("ix_bookings_series_id", table_name="bookings")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("bookings") as batch_op:
            batch_op.drop_column("series_id")
        for statement in _feed_triggers_of_0011():  # the rebuild dropped them with the old table
            if "ON bookings" in statement:
                op.execute(statement)
    else:
        op.drop_constraint("bookings_series_id_fkey", "bookings", type_="foreignkey")
        op.drop_column("bookings", "series_id")
    op.drop_index("ix_booking_series_resource_id", table_name="booking_series")
    op.drop_index("ix_booking_series_user_id", table_name="booking_series")
    op.drop_table("booking_series")


def _feed_triggers_of_0011() -> list[str]:
    path = Path(__file__).with_name("0011_feed_changes.py")
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SQLITE_TRIGGERS
