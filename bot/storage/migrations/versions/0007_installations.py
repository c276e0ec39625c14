"""installed workspaces: the table takes a platform-neutral name (installations)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 21:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = "id, enterprise_id, team_id, data, installed_at"


def _create(name: str, unique: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("enterprise_id", "team_id", name=unique),
    )


def _copy(source: str, target: str) -> None:
    op.execute(f"INSERT INTO {target} ({_COLUMNS}) SELECT {_COLUMNS} FROM {source}")
    if op.get_bind().dialect.name == "postgresql":  # the copied ids: move the new id sequence past them
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{target}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
            f"FROM {target}"
        )


def upgrade() -> None:
    _create("installations", "uq_installations_team")
    _copy("slack_installations", "installations")
    op.drop_table("slack_installations")


def downgrade() -> None:
    _create("slack_installations", "uq_slack_installations_team")
    _copy("installations", "slack_installations")
    op.drop_table("installations")
