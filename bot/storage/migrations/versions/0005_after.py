"""reminders the student asks for: their text, and minutes before the interview when tied to its start

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("before_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_column("before_minutes")
        batch_op.drop_column("text")
