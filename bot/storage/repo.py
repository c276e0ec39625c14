"""Repositories: every query about a person's data is scoped to that person.

Everything about a user goes through :class:`UserData`, which is bound to one user and filters every
query by that user's id, so no code path can read another user's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.models import ConversationState, Interview, Note, ProcessedEvent, Reminder, User
from bot.types import ConversationRef


def get_or_create_user(session: Session, ref: ConversationRef, now: datetime) -> tuple[User, bool]:
    """Find the user behind ``ref`` (creating them on first contact); returns (user, created)."""
    query = select(User).where(
        User.platform == ref.platform, User.workspace == ref.workspace, User.external_id == ref.user
    )
    user = session.scalars(query).one_or_none()
    if user is not None:
        user.last_seen_at = now
        return user, False
    user = User(platform=ref.platform, workspace=ref.workspace, external_id=ref.user, created_at=now, last_seen_at=now)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # another instance created the same user a moment ago
        return session.scalars(query).one(), False
    return user, True


def find_user(session: Session, ref: ConversationRef) -> User | None:
    """The user behind ``ref``, if they ever talked to the bot."""
    return session.scalars(
        select(User).where(User.platform == ref.platform, User.workspace == ref.workspace, User.external_id == ref.user)
    ).one_or_none()


def remember_event(session: Session, platform: str, event_id: str, now: datetime) -> bool:
    """Record that a platform event was handled; False if it had been already (a retry).

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (SQLite and PostgreSQL): no savepoint, no error
    path, and no reliance on the row count (psycopg reports -1 for it).
    """
    dialect = session.get_bind().dialect.name
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(ProcessedEvent).values(platform=platform, event_id=event_id, seen_at=now)
    stmt = stmt.on_conflict_do_nothing(index_elements=["platform", "event_id"]).returning(ProcessedEvent.event_id)
    return session.execute(stmt).first() is not None  # a row comes back only when it was new


def forget_events_before(session: Session, cutoff: datetime) -> int:
    """Drop handled-event ids older than ``cutoff``; returns how many."""
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.seen_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass
class UserData:
    """One user's interviews, notes and dialogue state, inside one session (one transaction)."""

    session: Session
    user: User

    # interviews ---------------------------------------------------------------------------------

    def interview(self, interview_id: int) -> Interview | None:
        """The user's interview with this id, or None (also when it belongs to someone else)."""
        return self.session.scalars(
            select(Interview).where(Interview.id == interview_id, Interview.user_id == self.user.id)
        ).one_or_none()

    def interviews(self, *, include_cancelled: bool = False) -> list[Interview]:
        """All the user's interviews, soonest first (undated ones last)."""
        query = select(Interview).where(Interview.user_id == self.user.id)
        if not include_cancelled:
            query = query.where(Interview.status != "cancelled")
        rows = list(self.session.scalars(query))
        far = datetime.max.replace(tzinfo=ZoneInfo("UTC"))
        return sorted(rows, key=lambda i: (i.starts_at or far, i.id))

    def upcoming(self, now: datetime, grace: timedelta = timedelta(hours=3)) -> list[Interview]:
        """Scheduled interviews not yet over (undated ones included).

        Over means: started more than ``grace`` ago, or, when only the day is known, that day passed.
        """
        return [
            i
            for i in self.interviews()
            if i.starts_at is None or i.starts_at + (grace if i.has_time else timedelta(days=1)) > now
        ]

    def recent_past(self, now: datetime) -> list[Interview]:
        """Scheduled interviews that already started, most recent first."""
        return sorted(
            (i for i in self.interviews() if i.starts_at is not None and i.starts_at <= now),
            key=lambda i: i.starts_at or now,
            reverse=True,
        )

    def find_by_company(self, company: str, *, include_cancelled: bool = False) -> list[Interview]:
        """Interviews whose company matches ``company`` loosely (case, spacing, suffixes)."""
        wanted = normalise_company(company)
        return [
            i
            for i in self.interviews(include_cancelled=include_cancelled)
            if i.company
            and (
                normalise_company(i.company) == wanted
                or normalise_company(i.company).startswith(wanted + " ")
                or wanted.startswith(normalise_company(i.company) + " ")
            )
        ]

    def add_interview(self, now: datetime, **fields: Any) -> Interview:
        """Create an interview for this user."""
        interview = Interview(user_id=self.user.id, created_at=now, updated_at=now, **fields)
        self.session.add(interview)
        self.session.flush()
        return interview

    # notes -------------------------------------------------------------------------------------

    def add_note(self, text: str, now: datetime, interview: Interview | None = None) -> Note:
        """Store a note."""
        note = Note(user_id=self.user.id, interview_id=interview.id if interview else None, text=text, created_at=now)
        self.session.add(note)
        self.session.flush()
        return note

    def notes(self, limit: int | None = None) -> list[Note]:
        """The user's notes, oldest first (the newest ``limit`` when given)."""
        query = select(Note).where(Note.user_id == self.user.id).order_by(Note.created_at.desc(), Note.id.desc())
        if limit:
            query = query.limit(limit)
        return list(reversed(list(self.session.scalars(query))))

    def note_count(self) -> int:
        """How many notes the user has."""
        return int(self.session.scalar(select(func.count()).select_from(Note).where(Note.user_id == self.user.id)) or 0)

    # dialogue state ------------------------------------------------------------------------------

    def state(self, now: datetime) -> ConversationState:
        """The user's dialogue state row (created empty on first use)."""
        state = self.session.get(ConversationState, self.user.id)
        if state is None:
            state = ConversationState(user_id=self.user.id, pending=None, context={}, updated_at=now)
            self.session.add(state)
        return state

    # everything ---------------------------------------------------------------------------------

    def reminders(self) -> list[Reminder]:
        """The user's reminders, by due time."""
        return list(
            self.session.scalars(
                select(Reminder).where(Reminder.user_id == self.user.id).order_by(Reminder.due_at, Reminder.id)
            )
        )

    def export(self) -> dict[str, Any]:
        """Everything stored about the user, as JSON-ready data."""

        def ts(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        state = self.session.get(ConversationState, self.user.id)
        return {
            "user": {
                "platform": self.user.platform,
                "workspace": self.user.workspace,
                "id": self.user.external_id,
                "time_zone": self.user.tz,
                "first_seen": ts(self.user.created_at),
            },
            "interviews": [
                {
                    "id": i.id,
                    "company": i.company,
                    "starts_local": i.local_start.isoformat() if i.local_start else None,
                    "has_time": i.has_time,
                    "time_zone": i.tz,
                    "starts_utc": ts(i.starts_at),
                    "interviewers": list(i.interviewers or []),
                    "setting": i.setting,
                    "status": i.status,
                    "decision_by": i.decision_by.isoformat() if i.decision_by else None,
                    "offer_deadline": ts(i.offer_deadline),
                    "thank_you_sent_at": ts(i.thank_you_sent_at),
                }
                for i in self.interviews(include_cancelled=True)
            ],
            "notes": [
                {"id": n.id, "interview_id": n.interview_id, "text": n.text, "created": ts(n.created_at)}
                for n in self.notes()
            ],
            "reminders": [
                {
                    "id": r.id,
                    "interview_id": r.interview_id,
                    "kind": r.kind,
                    "due_utc": ts(r.due_at),
                    "status": r.status,
                }
                for r in self.reminders()
            ],
            "conversation": {"context": state.context if state else {}},
        }

    def forget(self) -> None:
        """Delete the user and everything that belongs to them."""
        uid = self.user.id
        for model in (Reminder, Note, Interview, ConversationState):
            self.session.execute(delete(model).where(model.user_id == uid))
        self.session.execute(delete(User).where(User.id == uid))


_SUFFIXES = (
    " inc",
    " inc.",
    " llc",
    " ltd",
    " ltd.",
    " corp",
    " corp.",
    " corporation",
    " co",
    " co.",
    " gmbh",
)


def normalise_company(name: str) -> str:
    """Lowercased, single-spaced company name without a trailing legal suffix."""
    norm = " ".join(name.lower().replace(",", " ").split())
    for suffix in _SUFFIXES:
        if norm.endswith(suffix) and len(norm) > len(suffix):
            return norm[: -len(suffix)].strip()
    return norm
