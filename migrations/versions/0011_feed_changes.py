"""calendar feeds: changes to bookings and blackouts noted by triggers, so that a feed's ETag
is a few index seeks whatever the number of its events

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NOTE = "INSERT INTO feed_changes (kind, target_id, changed_at) VALUES "

SQLITE_TRIGGERS = [
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
    f"""CREATE TRIGGER blackouts_feed_insert AFTER INSERT ON blackouts BEGIN
        {NOTE} ('blackouts', NEW.facility_id, NEW.created_at);
    END""",
    f"""CREATE TRIGGER blackouts_feed_update AFTER UPDATE ON blackouts BEGIN
        {NOTE} ('blackouts', NEW.facility_id, NEW.created_at);
        INSERT INTO feed_changes (kind, target_id, changed_at)
            SELECT 'blackouts', OLD.facility_id, NEW.created_at WHERE OLD.facility_id IS NOT NEW.facility_id;
    END""",
    f"""CREATE TRIGGER blackouts_feed_delete AFTER DELETE ON blackouts BEGIN
        {NOTE} ('blackouts', OLD.facility_id, OLD.created_at);
    END""",
]
# A later migration that rebuilds bookings or blackouts on SQLite (batch mode: copy, drop,
# rename) drops these triggers with the old table: it must create them again.
SQLITE_DROPS = [
    "DROP TRIGGER IF EXISTS " + name
    for name in (
        "bookings_feed_insert",
        "bookings_feed_update",
        "bookings_feed_delete",
        "blackouts_feed_insert",
        "blackouts_feed_update",
        "blackouts_feed_delete",
    )
]

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION bookings_note_feed_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'DELETE' THEN
            {NOTE} ('resource', NEW.resource_id, NEW.updated_at), ('user', NEW.user_id, NEW.updated_at);
        END IF;
        IF TG_OP = 'DELETE' THEN
            {NOTE} ('resource', OLD.resource_id, OLD.updated_at), ('user', OLD.user_id, OLD.updated_at);
        ELSIF TG_OP = 'UPDATE' AND (OLD.resource_id, OLD.user_id) IS DISTINCT FROM (NEW.resource_id, NEW.user_id) THEN
            {NOTE} ('resource', OLD.resource_id, NEW.updated_at), ('user', OLD.user_id, NEW.updated_at);
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION blackouts_note_feed_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'DELETE' THEN
            {NOTE} ('blackouts', NEW.facility_id, NEW.created_at);
        END IF;
        IF TG_OP = 'DELETE' THEN
            {NOTE} ('blackouts', OLD.facility_id, OLD.created_at);
        ELSIF TG_OP = 'UPDATE' AND OLD.facility_id IS DISTINCT FROM NEW.facility_id THEN
            {NOTE} ('blackouts', OLD.facility_id, NEW.created_at);
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER bookings_feed_change AFTER INSERT OR UPDATE OR DELETE ON bookings "
    "FOR EACH ROW EXECUTE FUNCTION bookings_note_feed_change()",
    "CREATE TRIGGER blackouts_feed_change AFTER INSERT OR UPDATE OR DELETE ON blackouts "
    "FOR EACH ROW EXECUTE FUNCTION blackouts_note_feed_change()",
]
POSTGRESQL_DROPS = [
    "DROP TRIGGER blackouts_feed_change ON blackouts",
    "DROP TRIGGER bookings_feed_change ON bookings",
    "DROP FUNCTION blackouts_note_feed_change()",
    "DROP FUNCTION bookings_note_feed_change()",
]


def upgrade():
    op.create_table(
        "feed_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feed_changes_target", "feed_changes", ["kind", "target_id", "id"], unique=False)
    # What exists already: one change each, dated by its newest row.
    op.execute(
        "INSERT INTO feed_changes (kind, target_id, changed_at) "
        "SELECT 'resource', resource_id, max(updated_at) FROM bookings GROUP BY resource_id "
        "UNION ALL SELECT 'user', user_id, max(updated_at) FROM bookings GROUP BY user_id "
        "UNION ALL SELECT 'blackouts', facility_id, max(created_at) FROM blackouts GROUP BY facility_id"
    )
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_DROPS if dialect == "postgresql" else SQLITE_DROPS:
        op.execute(statement)
    op.drop_index("ix_feed_changes_target", table_name="feed_changes")
    op.drop_table("feed_changes")
