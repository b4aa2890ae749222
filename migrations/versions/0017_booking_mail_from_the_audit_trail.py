"""Mail about bookings sent by the scheduler from the audit trail, not by the request

``mail_positions`` keeps how far along the audit trail (``audit_events.seq``) the mail it calls
for has been sent. The bookings' position starts at the end of the trail as it is now: what
happened before this migration was mailed when it happened.

Revision ID: 0017_booking_mail
Revises: 0016_waiting_list
Create Date: 2026-12-02 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_booking_mail"
down_revision = "0016_waiting_list"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_positions",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO mail_positions (name, seq) SELECT 'bookings', COALESCE(MAX(seq), 0) FROM audit_events")


def downgrade() -> None:
    op.drop_table("mail_positions")
