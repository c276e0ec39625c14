"""career office: topics asked (anonymous counts) and Slack installations (OAuth, encrypted tokens)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 17:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topic_asks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_topic_asks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_asks")),
    )
    op.create_index("ix_topic_asks_asked", "topic_asks", ["asked_at"])
    op.create_index("ix_topic_asks_user", "topic_asks", ["user_id"])
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
        sa.UniqueConstraint("enterprise_id", "team_id", name="uq_slack_installations_team"),
    )


def downgrade() -> None:
    op.drop_table("slack_installations")
    op.drop_index("ix_topic_asks_user", table_name="topic_asks")
    op.drop_index("ix_topic_asks_asked", table_name="topic_asks")
    op.drop_table("topic_asks")
