"""audit trail: hash chain, electronic signature fields, append-only on PostgreSQL

Adds ``seq``, ``prev_hash`` and ``hash`` (tamper evidence, see facility/audit/chain.py) and
``signer_name`` and ``signed_content_hash`` (Part 11 signature manifestation and binding) to
``audit_events``; hashes the events already there in id order; on PostgreSQL a trigger refuses
every UPDATE, DELETE and TRUNCATE of ``audit_events``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:30:00

"""

import sqlalchemy as sa
from alembic import op

from facility.audit import chain

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.Integer()),
    sa.column("facility_id", sa.Integer()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("reason", sa.Text()),
    sa.column("signature_meaning", sa.String()),
    sa.column("signer_name", sa.String()),
    sa.column("signed_content_hash", sa.String()),
    sa.column("seq", sa.Integer()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)

APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signer_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("signed_content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_events_seq", "audit_events", ["seq"], unique=True)
    op.create_index("ix_audit_events_entity", "audit_events", ["entity", "entity_id"], unique=False)

    connection = op.get_bind()
    prev_hash = chain.GENESIS
    rows = connection.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for seq, row in enumerate(rows, start=1):
        fields = dict(row, seq=seq)
        digest = chain.event_hash(fields, prev_hash)
        connection.execute(
            events.update().where(events.c.id == row["id"]).values(seq=seq, prev_hash=prev_hash, hash=digest)
        )
        prev_hash = digest

    if connection.dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    op.drop_index("ix_audit_events_entity", table_name="audit_events")
    op.drop_index("ix_audit_events_seq", table_name="audit_events")
    for column in ("hash", "prev_hash", "seq", "signed_content_hash", "signer_name"):
        if connection.dialect.name == "sqlite":
            # In place (SQLite 3.35+), as in 0006: no copy of the table.
            op.execute(f"ALTER TABLE audit_events DROP COLUMN {column}")
        else:
            op.drop_column("audit_events", column)
