"""The tables. Times are stored as naive UTC and come back as aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored without zone so SQLite and PostgreSQL behave the same."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to naive UTC on the way in; naive values are refused."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Mark stored values as UTC."""
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    """Declarative base with a naming convention so Alembic produces stable constraint names."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class User(Base):
    """A person on one platform. ``workspace`` scopes ``external_id`` (a Slack team; empty elsewhere)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "workspace", "external_id", name="uq_users_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    external_id: Mapped[str] = mapped_column(String(128))
    tz: Mapped[str | None] = mapped_column(String(64))
    tz_source: Mapped[str | None] = mapped_column(String(16))  # "user" or "platform"
    dm_channel: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    interviews: Mapped[list[Interview]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class Interview(Base):
    """A tracked interview. ``local_start`` is the wall-clock time in ``tz``; ``starts_at`` is UTC."""

    __tablename__ = "interviews"
    __table_args__ = (Index("ix_interviews_user_start", "user_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    company: Mapped[str | None] = mapped_column(String(200))
    local_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    has_time: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)  # from a range's end ("2 to 4")
    tz: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime | None]
    interviewers: Mapped[list[str]] = mapped_column(JSON, default=list)
    setting: Mapped[str | None] = mapped_column(String(16))  # informal | video | phone | onsite
    setting_words: Mapped[str | None] = mapped_column(String(40))  # the student's own words ("dinner", "Zoom")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | cancelled
    outcome: Mapped[str | None] = mapped_column(String(16))  # offer | rejected | withdrawn | accepted
    decision_by: Mapped[date | None] = mapped_column(Date)
    offer_deadline: Mapped[datetime | None]
    thank_you_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="interviews")

    def schedule(self) -> tuple[Any, ...]:
        """Everything its reminders depend on (when it is, whether it still takes place, what is done)."""
        return (
            self.status,
            self.local_start,
            self.has_time,
            self.tz,
            self.starts_at,
            self.decision_by,
            self.offer_deadline,
            self.thank_you_sent_at,
            self.outcome,
        )


def remember_schedule(target: Interview) -> None:
    """Remember the schedule the stored reminders were planned for (see ReminderPlanner.plan).

    Done for every interview read from the database: by the ORM's "load" event, and by
    ``repo.load_user``, which makes the message's interviews from its own query's rows.
    """
    target.planned_schedule = target.schedule()  # type: ignore[attr-defined]


@event.listens_for(Interview, "load")
def _loaded_schedule(target: Interview, _context: Any) -> None:
    remember_schedule(target)


class Note(Base):
    """Something the user asked the bot to remember, optionally about one interview."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interviews.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ConversationState(Base):
    """Per-user dialogue state: an open question (with its expiry) and remembered context."""

    __tablename__ = "conversation_state"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class Reminder(Base):
    """One planned reminder: the source of truth the scheduler works from.

    ``status``: pending → sending (claimed by ``claimed_by`` at ``claimed_at``) → sent, or back to
    pending for a retry, or failed (with ``last_error``); cancelled when no longer wanted; skipped
    when it no longer made sense by the time it could go out.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_status_due", "status", "due_at"),
        Index("ix_reminders_user", "user_id"),
        Index("ix_reminders_interview", "interview_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    planned_at: Mapped[datetime]  # the due time before snoozes and retries
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failure_told: Mapped[bool] = mapped_column(Boolean, default=False)
    # where to deliver it: a ConversationRef, stored as plain columns
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(128), default="")
    external_user: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    # a reminder the student asked for (kind "custom"): what to remind of, and minutes before the interview
    text: Mapped[str | None] = mapped_column(String(500))
    before_minutes: Mapped[int | None] = mapped_column(Integer)


class ProcessedEvent(Base):
    """Ids of platform events already handled, so a retried delivery is not handled twice."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class InboxItem(Base):
    """A platform event accepted (acknowledged) but not yet fully answered; see :mod:`bot.ops.events`.

    ``status``: pending (recorded before the acknowledgement) → handled (in the transaction that
    changed the user's data; ``replies`` kept) → done (replies sent; message and replies cleared);
    failed when given up. ``event_key`` identifies the event across the platform's retries;
    ``owner`` says whose messages must be answered in order. Finished rows are deleted after a day.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "event_key", name="uq_inbox_event"),
        Index("ix_inbox_status_claimed", "status", "claimed_at"),
        Index("ix_inbox_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(128))
    owner: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime]
    claimed_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]


class InstallationSecret(Base):
    """Values made once per installation and shared by its instances (the key that hashes user ids in logs)."""

    __tablename__ = "installation_secrets"
    __table_args__ = (UniqueConstraint("name", name="uq_installation_secrets_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]


class TopicAsk(Base):
    """A coaching topic a student asked about, and whether the bot had a good answer (never the text).

    Kept for the career office's anonymous counts (:mod:`bot.office.insights`); deleted with the student.
    """

    __tablename__ = "topic_asks"
    __table_args__ = (Index("ix_topic_asks_asked", "asked_at"), Index("ix_topic_asks_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(32))
    answered: Mapped[bool] = mapped_column(Boolean, default=True)
    asked_at: Mapped[datetime]


class Installation(Base):
    """One workspace's installation of the app (e.g. Slack's OAuth v2); ``data`` is encrypted (tokens inside)."""

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id", name="uq_installations_team"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), default="")
    team_id: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[str] = mapped_column(Text)
    installed_at: Mapped[datetime]
