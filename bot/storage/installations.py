"""Installed workspaces (one row per workspace, its data encrypted by the caller) and removing a workspace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.storage.models import ConversationState, Installation, Interview, Note, Reminder, TopicAsk, User


def save(session: Session, enterprise_id: str, team_id: str, data: str, now: datetime) -> None:
    """Store (or replace) the installation of one workspace; ``data`` is already encrypted."""
    row = find(session, enterprise_id, team_id)
    if row is None:
        session.add(Installation(enterprise_id=enterprise_id, team_id=team_id, data=data, installed_at=now))
    else:
        row.data, row.installed_at = data, now


def find(session: Session, enterprise_id: str, team_id: str) -> Installation | None:
    """The installation of one workspace, if any."""
    return session.scalars(
        select(Installation).where(
            Installation.enterprise_id == enterprise_id, Installation.team_id == team_id
        )
    ).one_or_none()


def remove(session: Session, enterprise_id: str, team_id: str) -> int:
    """Delete one workspace's installation; returns how many rows went (0 or 1)."""
    result = session.execute(
        delete(Installation).where(
            Installation.enterprise_id == enterprise_id, Installation.team_id == team_id
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_workspace(session: Session, platform: str, workspace: str) -> dict[str, int]:
    """Delete every student of one workspace and everything stored about them; returns counts by table."""
    if not workspace:
        raise ValueError("a workspace id is needed (an empty one would match every user without one)")
    ids = select(User.id).where(User.platform == platform, User.workspace == workspace).scalar_subquery()
    counts: dict[str, int] = {}
    for name, model in (
        ("reminders", Reminder),
        ("notes", Note),
        ("topics", TopicAsk),
        ("interviews", Interview),
        ("conversations", ConversationState),
    ):
        result = session.execute(delete(model).where(model.user_id.in_(ids)))
        counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    result = session.execute(delete(User).where(User.platform == platform, User.workspace == workspace))
    counts["students"] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts


def all_rows(session: Session) -> list[Installation]:
    """Every installation row (for re-encrypting them with a new key)."""
    return list(session.scalars(select(Installation).order_by(Installation.id)))
