"""state aid: hourly rates of resources (full cost, charged per organisation kind) and their history

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_cost_sek_per_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("charged_sek_per_hour", sa.JSON(), nullable=True))

    op.create_table(
        "resource_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("organisation_kind", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full_cost_sek_per_hour", sa.Integer(), nullable=True),
        sa.Column("charged_sek_per_hour", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resource_rates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resource_rates_lookup", ["resource_id", "organisation_kind", "valid_from"], unique=False
        )


def downgrade():
    with op.batch_alter_table("resource_rates", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_rates_lookup")
    op.drop_table("resource_rates")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("charged_sek_per_hour")
        batch_op.drop_column("full_cost_sek_per_hour")
