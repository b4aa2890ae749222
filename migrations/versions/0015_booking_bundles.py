"""Bundles: a suite booked with its equipment, all or nothing

``booking_bundles`` holds who asked and which suite of the catalogue (if any); each member is
an ordinary booking with ``bookings.bundle_id``, so the per-resource overlap guarantees (the
PostgreSQL exclusion constraint, SQLite's serialised writes) and each resource's changeover
stay as they are. The catalogue keeps its declared bundles on ``facilities.bundles`` and what a
resource must be booked with on ``resources.requires`` (both JSON).

Every change is an added column or a new table (``op.add_column``, no batch rebuild), so the
triggers of 0011 that feed ``feed_changes`` from ``bookings`` stay in place.

Revision ID: 0015_booking_bundles
Revises: 0014_booking_series
Create Date: 2026-12-02 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_booking_bundles"
down_revision = "0014_booking_series"
branch_labels = None
depends_on = None


NOTE = "INSERT INTO feed_changes (kind, target_id, changed_at) VALUES "
SQLITE_BOOKING_TRIGGERS = [  # as in 0011_feed_changes
    f"""CREATE TRIGGER bookings_feed_insert AFTER INSERT ON bookings BEGIN
        {NOTE} ('resource', NEW.resource_id, NEW.updated_at), ('user', NEW.user_id, NEW.updated_at);
    END""",
    f"""CREATE TRIGGER bookings_feed_update AFTER UPDATE ON bookings BEGIN
        {NOTE} ('resource', NEW.resource_id, NEW.updated_at), ('user', NEW.user_id, NEW.updated_at);
        INSERT INTO feed_changes (kind, target_id, changed_at)
            SELECT 'resource', OLD.resource_id, NEW.updated_at WHERE OLD.resource_id IS NOT NEW.resource_id
            UNION ALL SELECT 'user', OLD.user_id, NEW.updated_at WHERE OLD.user_id IS NOT NEW.user_id;
    END""",
    f"""CREATE TRIGGER bookings_feed_delete AFTER DELETE ON bookings BEGIN
        {NOTE} ('resource', OLD.resource_id, OLD.updated_at), ('user', OLD.user_id, OLD.updated_at);
    END""",
]


def upgrade():
    op.create_table(
        "booking_bundles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_booking_bundles_user_id", "booking_bundles", ["user_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place; Alembic's add_column would
        # ask for a batch rebuild of bookings (which drops 0011's triggers) to add the key.
        op.execute("ALTER TABLE bookings ADD COLUMN bundle_id INTEGER REFERENCES booking_bundles (id)")
    else:
        op.add_column("bookings", sa.Column("bundle_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_bookings_bundle_id", "bookings", "booking_bundles", ["bundle_id"], ["id"])
    op.create_index("ix_bookings_bundle_id", "bookings", ["bundle_id"], unique=False)
    op.add_column("facilities", sa.Column("bundles", sa.JSON(), nullable=True))
    op.add_column("resources", sa.Column("requires", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("resources") as batch_op:
        batch_op.drop_column("requires")
    with op.batch_alter_table("facilities") as batch_op:
        batch_op.drop_column("bundles")
    op.drop_index("ix_bookings_bundle_id", table_name="bookings")
    # Dropping a column of bookings on SQLite rebuilds the table, which drops 0011's triggers
    # that feed feed_changes: they are made again (the same statements as 0011's).
    with op.batch_alter_table("bookings") as batch_op:
        batch_op.drop_column("bundle_id")
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_BOOKING_TRIGGERS:
            op.execute(statement)
    op.drop_index("ix_booking_bundles_user_id", table_name="booking_bundles")
    op.drop_table("booking_bundles")
