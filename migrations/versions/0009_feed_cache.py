"""calendar feeds: serialised VEVENTs of bookings, shared by every worker and host;
an index that answers a feed's ETag from the index alone

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feed_events",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=24), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("context", sa.String(length=32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("booking_id", "variant"),
    )
    # Bookings are not copied (batch mode) on SQLite: a plain CREATE INDEX.
    op.create_index(
        "ix_bookings_feed_version",
        "bookings",
        ["resource_id", "start_at", "end_at", "status", "updated_at", "sequence", "id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_bookings_feed_version", table_name="bookings")
    op.drop_table("feed_events")
