"""The waiting list, and held bookings

``waitlist_entries`` keeps each wish for taken time (a slot, or any slot of some length in a
window) and, once offered, the ``held`` booking that keeps the time for its user. A held
booking is active: on PostgreSQL the exclusion constraint ``bookings_no_overlap`` is made
again with ``held`` among the states it covers, so the database itself keeps everyone else out
of held time. (SQLite needs nothing: its writes are serialised and the application checks
every active state. ``bookings`` is not rebuilt, so the triggers of 0011 stay.)

Revision ID: 0016_waiting_list
Revises: 0015_booking_bundles
Create Date: 2026-12-02 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_waiting_list"
down_revision = "0015_booking_bundles"
branch_labels = None
depends_on = None

CONSTRAINT = (
    "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist "
    "(resource_id WITH =, tstzrange(start_at, blocked_until, '[)') WITH &&) WHERE (status IN ({}))"
)


def _recreate_overlap_constraint(statuses: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap")
        op.execute(CONSTRAINT.format(statuses))


def upgrade():
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=True),
        sa.Column("batch", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_waitlist_entries_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_waitlist_entries_resource_line", ["resource_id", "state", "created_at"], unique=False)
    _recreate_overlap_constraint("'pending', 'confirmed', 'held'")


def downgrade():
    # Held time is given back first: without it in the constraint, a hold would be a ghost claim.
    op.execute("UPDATE bookings SET status = 'cancelled' WHERE status = 'held'")
    _recreate_overlap_constraint("'pending', 'confirmed'")
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_waitlist_entries_resource_line")
        batch_op.drop_index(batch_op.f("ix_waitlist_entries_user_id"))
    op.drop_table("waitlist_entries")
