"""Aggregate queries for the career office's insights (see :mod:`bot.office.insights`).

Every function returns counts only (how many rows, how many distinct students), never a row about a
person. ``Scope`` narrows them to one platform and/or one workspace (a Slack team).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, distinct, func, insert, select
from sqlalchemy.orm import Session

from bot.common.types import ConversationRef
from bot.storage.models import Interview, Reminder, TopicAsk, User
from bot.storage.repo import find_user


@dataclass(frozen=True)
class Scope:
    """Whose data a figure counts: one platform and/or one workspace, or everyone (None)."""

    platform: str | None = None
    workspace: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """The conditions on :class:`User` for this scope."""
        out: list[ColumnElement[bool]] = []
        if self.platform is not None:
            out.append(User.platform == self.platform)
        if self.workspace is not None:
            out.append(User.workspace == self.workspace)
        return out


@dataclass(frozen=True)
class Tally:
    """How many things were counted, and how many distinct students they concern."""

    count: int
    students: int


def active_students(session: Session, since: datetime, scope: Scope) -> int:
    """Students seen (any message) since ``since``."""
    query = select(func.count(User.id)).where(User.last_seen_at >= since, *scope.where())
    return int(session.scalar(query) or 0)


def interview_starts(session: Session, start: datetime, end: datetime, scope: Scope) -> list[tuple[datetime, int]]:
    """(start time, student row id) of scheduled interviews starting in [start, end): for weekly buckets."""
    query = (
        select(Interview.starts_at, Interview.user_id)
        .join(User, User.id == Interview.user_id)
        .where(Interview.status == "scheduled", Interview.starts_at >= start, Interview.starts_at < end)
        .where(*scope.where())
    )
    rows = session.execute(query).all()
    return [(r[0], int(r[1])) for r in rows if r[0] is not None]


def topics(session: Session, since: datetime, scope: Scope, *, unanswered: bool = False) -> dict[str, Tally]:
    """Questions per coaching topic since ``since`` (only those with no good answer if ``unanswered``)."""
    query = (
        select(TopicAsk.topic, func.count(TopicAsk.id), func.count(distinct(TopicAsk.user_id)))
        .join(User, User.id == TopicAsk.user_id)
        .where(TopicAsk.asked_at >= since, *scope.where())
        .group_by(TopicAsk.topic)
    )
    if unanswered:
        query = query.where(TopicAsk.answered.is_(False))
    return {str(t): Tally(int(n), int(s)) for t, n, s in session.execute(query).all()}


def outcomes(session: Session, since: datetime, scope: Scope) -> dict[str, Tally]:
    """Interview outcomes reported (offer, rejected, accepted, withdrawn) on interviews updated since ``since``."""
    query = (
        select(Interview.outcome, func.count(Interview.id), func.count(distinct(Interview.user_id)))
        .join(User, User.id == Interview.user_id)
        .where(Interview.outcome.is_not(None), Interview.updated_at >= since, *scope.where())
        .group_by(Interview.outcome)
    )
    return {str(o): Tally(int(n), int(s)) for o, n, s in session.execute(query).all()}


def reminders_delivered(session: Session, since: datetime, scope: Scope) -> Tally:
    """Reminders delivered since ``since``."""
    query = (
        select(func.count(Reminder.id), func.count(distinct(Reminder.user_id)))
        .join(User, User.id == Reminder.user_id)
        .where(Reminder.status == "sent", Reminder.sent_at >= since, *scope.where())
    )
    n, s = session.execute(query).one()
    return Tally(int(n or 0), int(s or 0))


def thank_yous_sent(session: Session, since: datetime, scope: Scope) -> Tally:
    """Interviews whose thank-you notes the student marked as sent since ``since``."""
    query = (
        select(func.count(Interview.id), func.count(distinct(Interview.user_id)))
        .join(User, User.id == Interview.user_id)
        .where(Interview.thank_you_sent_at >= since, *scope.where())
    )
    n, s = session.execute(query).one()
    return Tally(int(n or 0), int(s or 0))


def record_topic(session: Session, ref: ConversationRef, topic: str, answered: bool, now: datetime) -> bool:
    """Count one question on ``topic`` for the student behind ``ref`` (False: no such student stored)."""
    user = find_user(session, ref)
    if user is None:
        return False
    session.add(TopicAsk(user_id=user.id, topic=topic, answered=answered, asked_at=now))
    return True


def record_topics(session: Session, asks: Sequence[tuple[ConversationRef, str, bool, datetime]]) -> int:
    """Count many questions at once: (ref, topic, answered, asked at) each; returns how many were stored.

    One query per platform and workspace finds the students' ids, one multi-row insert stores the
    counts (plain Core: no ORM object per count). Asks of students not stored are skipped, as
    :func:`record_topic` does.
    """
    wanted: dict[tuple[str, str], set[str]] = {}
    for ref, *_ in asks:
        wanted.setdefault((ref.platform, ref.workspace), set()).add(ref.user)
    ids: dict[tuple[str, str, str], int] = {}
    for (platform, workspace), users in wanted.items():
        ordered = sorted(users)
        for start in range(0, len(ordered), 500):  # (within SQLite's limit on bound values)
            rows = session.execute(
                select(User.id, User.external_id).where(
                    User.platform == platform,
                    User.workspace == workspace,
                    User.external_id.in_(ordered[start : start + 500]),
                )
            )
            ids.update({(platform, workspace, external): int(uid) for uid, external in rows})
    values: list[dict[str, Any]] = []
    for ref, topic, answered, at in asks:
        uid = ids.get((ref.platform, ref.workspace, ref.user))
        if uid is not None:
            values.append({"user_id": uid, "topic": topic, "answered": answered, "asked_at": at})
    if values:
        session.execute(insert(cast(Table, TopicAsk.__table__)), values)
    return len(values)
