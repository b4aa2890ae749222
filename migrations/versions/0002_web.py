"""web pages: failed sign-ins for the sign-in throttle

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "failed_sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("failed_sign_ins", schema=None) as batch_op:
        batch_op.create_index("ix_failed_sign_ins_email_ip_at", ["email", "ip", "at"], unique=False)
        batch_op.create_index("ix_failed_sign_ins_ip_at", ["ip", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("failed_sign_ins", schema=None) as batch_op:
        batch_op.drop_index("ix_failed_sign_ins_ip_at")
        batch_op.drop_index("ix_failed_sign_ins_email_ip_at")
    op.drop_table("failed_sign_ins")
