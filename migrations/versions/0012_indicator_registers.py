"""the funder's indicator table: activities and service dates of resources, organisation numbers
and dated size classes of organisations, and the project office's register

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activity", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("in_service_since", sa.Date(), nullable=True))

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_number", sa.String(length=10), nullable=True))
        batch_op.create_unique_constraint("uq_organisations_org_number", ["org_number"])

    op.create_table(
        "organisation_sizes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("size_class", sa.String(length=8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("organisation_sizes", schema=None) as batch_op:
        batch_op.create_index("ix_organisation_sizes_lookup", ["organisation_id", "valid_from"], unique=False)

    op.create_table(
        "register_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("amount_sek", sa.Numeric(precision=14, scale=0), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["replaces_id"], ["register_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("replaces_id"),
    )
    with op.batch_alter_table("register_entries", schema=None) as batch_op:
        batch_op.create_index("ix_register_entries_kind_day", ["kind", "day"], unique=False)
        batch_op.create_index("ix_register_entries_organisation_id", ["organisation_id"], unique=False)


def downgrade():
    with op.batch_alter_table("register_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_register_entries_organisation_id")
        batch_op.drop_index("ix_register_entries_kind_day")
    op.drop_table("register_entries")
    with op.batch_alter_table("organisation_sizes", schema=None) as batch_op:
        batch_op.drop_index("ix_organisation_sizes_lookup")
    op.drop_table("organisation_sizes")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_organisations_org_number", type_="unique")
        batch_op.drop_column("org_number")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("in_service_since")
        batch_op.drop_column("activity")
