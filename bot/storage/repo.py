"""Repositories: every query about a person's data is scoped to that person.

Everything about a user goes through :class:`UserData`, which is bound to one user and filters every
query by that user's id, so no code path can read another user's rows.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Table, bindparam, delete, exists, func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class, set_committed_value
from sqlalchemy.orm.util import identity_key

from bot.common import limits
from bot.common.limits import LimitReached
from bot.common.types import ConversationRef
from bot.storage.dialects import Dialect, dialect_named
from bot.storage.models import (
    Base,
    ConversationState,
    Interview,
    Note,
    ProcessedEvent,
    Reminder,
    TopicAsk,
    User,
    remember_schedule,
)
from bot.storage.prepared import prepared


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


_FAR = datetime.max.replace(tzinfo=ZoneInfo("UTC"))  # after every dated interview: undated ones sort last
LAST_SEEN_EVERY = timedelta(hours=1)
"""``users.last_seen_at`` is written at most this often (it only feeds retention, counted in days)."""


@dataclass(slots=True)
class StateRow:
    """A dialogue state's stored values, as the message's first query read them.

    Plain values, not an ORM object: nothing tracks or flushes it. The coach works on a copy
    (:meth:`copy`) and writes the state back with one statement when the message changed it
    (:func:`store_state`).
    """

    user_id: int
    pending: Any
    context: Any
    updated_at: datetime | None
    new: ConversationState | None = None
    """The row made for a user who has none yet (in the session, inserted with its flush)."""

    def copy(self) -> StateRow:
        """A deep copy of the values (through the C JSON encoder: several times faster than copy.deepcopy)."""
        return StateRow(
            self.user_id,
            _copied(self.pending),
            _copied(self.context) if self.context is not None else {},
            self.updated_at,
            self.new,
        )


def _copied(value: Any) -> Any:
    return value if value is None else json.loads(json.dumps(value))


@dataclass
class Loaded:
    """A user as one message needs them, from one query: the row, the dialogue state, the interviews."""

    user: User
    state: StateRow | None
    interviews: list[Interview]
    undelivered: bool  # a reminder failed and the user was not told yet
    created: bool = False


def _columns(model: type[Base]) -> list[Column[Any]]:
    return list(cast(Table, model.__table__).c)


@functools.cache
def _load_query() -> Any:
    """The one query of a message (built once; the identity comes as bound parameters).

    The same SQL the ORM sent for ``select(User, ConversationState, Interview, undelivered)`` (users'
    columns, the state's, the interviews', the ``EXISTS``), on the tables: :func:`load_user` makes
    the objects itself.
    """
    users, states, interviews = (cast(Table, m.__table__) for m in (User, ConversationState, Interview))
    reminders = cast(Table, Reminder.__table__)
    failed = (
        exists()
        .where(reminders.c.user_id == users.c.id, reminders.c.status == "failed", reminders.c.failure_told.is_(False))
        .label("undelivered")
    )
    return (
        select(*_columns(User), *_columns(ConversationState), *_columns(Interview), failed)
        .select_from(
            users.outerjoin(states, states.c.user_id == users.c.id).outerjoin(
                interviews, interviews.c.user_id == users.c.id
            )
        )
        .where(
            users.c.platform == bindparam("platform"),
            users.c.workspace == bindparam("workspace"),
            users.c.external_id == bindparam("external_id"),
        )
        .order_by(interviews.c.id)
    )


@functools.cache
def _keys(model: type[Base]) -> tuple[str, ...]:
    """The attribute name of each of the model's table columns, in the table's order."""
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(c).key for c in _columns(model))


def _persistent(session: Session, model: type[Base], values: Sequence[Any]) -> Any:
    """An object of ``model`` with these column values, in ``session`` as if the ORM had loaded it.

    The values go straight into the instance's dict and are committed as its loaded state
    (``make_transient_to_detached``), then the session takes it as persistent: a change made later is
    flushed as an UPDATE of what changed, as for a loaded object, and nothing is written otherwise.
    """
    obj = manager_of_class(model).new_instance()
    obj.__dict__.update(zip(_keys(model), values, strict=True))
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def load_user(session: Session, ref: ConversationRef, now: datetime) -> Loaded:
    """The user behind ``ref`` with their state and every interview, in one query (created on first contact).

    ``last_seen_at`` is moved only when it is older than :data:`LAST_SEEN_EVERY`, so a conversation
    does not rewrite the user's row with every message. The query is sent prepared
    (:mod:`bot.storage.prepared`) and the user and interviews are made from its rows as the ORM makes
    them (``tests/test_perf3_storage.py`` compares them with the ORM's).
    """
    identity = {"platform": ref.platform, "workspace": ref.workspace, "external_id": ref.user}
    conn = session.connection()
    query = prepared(_load_query(), conn.dialect)
    rows = query.rows(conn, identity)
    raced = False
    if not rows:
        user, created = get_or_create_user(session, ref, now)
        if created:
            return Loaded(user, None, [], False, True)
        rows, raced = query.rows(conn, identity), True  # another instance created them a moment ago
    nu, ns = len(_keys(User)), len(_keys(ConversationState))
    first = rows[0]
    # (after the race above the session has the user already: the ORM would give back that object)
    known: User | None = session.identity_map.get(identity_key(User, first[0])) if raced else None
    user = known if known is not None else _persistent(session, User, first[:nu])
    state = StateRow(*first[nu : nu + ns]) if first[nu] is not None else None
    interviews = []
    for row in rows:
        if row[nu + ns] is None:
            continue
        interview = _persistent(session, Interview, row[nu + ns : -1])
        remember_schedule(interview)  # (as the ORM's "load" event does)
        interviews.append(interview)
    if now - user.last_seen_at >= LAST_SEEN_EVERY:
        user.last_seen_at = now
    return Loaded(user, state, interviews, bool(first[-1]))


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
    conn = session.connection()
    stmt = _remember_statement(dialect_named(conn.dialect.name))
    row = conn.execute(stmt, {"b_platform": platform, "b_id": event_id, "b_now": now})
    return row.first() is not None  # a row comes back only when it was new


@functools.cache
def _remember_statement(dialect: Dialect) -> Any:
    """The insert of :func:`remember_event`, built once per dialect (plain Core on the table)."""
    table = cast(Table, ProcessedEvent.__table__)
    insert = dialect.insert()
    values = insert(table).values(
        platform=bindparam("b_platform"),
        event_id=bindparam("b_id"),
        seen_at=bindparam("b_now", type_=table.c.seen_at.type),
    )
    return values.on_conflict_do_nothing(index_elements=["platform", "event_id"]).returning(table.c.event_id)


def forget_events_before(session: Session, cutoff: datetime) -> int:
    """Drop handled-event ids older than ``cutoff``; returns how many."""
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.seen_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass
class UserData:
    """One user's interviews, notes and dialogue state, inside one session (one transaction)."""

    session: Session
    user: User
    preloaded: Loaded | None = None
    _all: list[Interview] | None = field(default=None, init=False, repr=False)
    _unflushed: bool = field(default=False, init=False, repr=False)
    _state: ConversationState | None = field(default=None, init=False, repr=False)
    discarded: bool = field(default=False, init=False)
    """Set by :meth:`discard`: the caller rolls the whole transaction back."""

    def __post_init__(self) -> None:
        if self.preloaded is not None and self.preloaded.user is self.user:
            self._all = list(self.preloaded.interviews)

    def _every_interview(self) -> list[Interview]:
        """Every interview of the user (any status), from the message's first query when it had them."""
        if self._all is None:
            self._all = list(self.session.scalars(select(Interview).where(Interview.user_id == self.user.id)))
        if self._unflushed:  # new ones get their ids (and their final values: one INSERT each)
            self.session.flush()
            self._unflushed = False
        return self._all

    def discard(self) -> None:
        """Keep nothing of this message: the transaction's owner rolls it back (no savepoint needed)."""
        self.discarded = True

    # interviews ---------------------------------------------------------------------------------

    def interview(self, interview_id: object) -> Interview | None:
        """The user's interview with this id, or None (also when it belongs to someone else).

        The id may come from a button or a stored question: anything that is not a valid row id
        (too large, negative, not a number) finds nothing instead of reaching the database.
        """
        interview_id = limits.parse_id(interview_id)
        if interview_id is None:
            return None
        return next((i for i in self._every_interview() if i.id == interview_id), None)

    def interviews(self, *, include_cancelled: bool = False) -> list[Interview]:
        """All the user's interviews, soonest first (undated ones last)."""
        rows = [i for i in self._every_interview() if include_cancelled or i.status != "cancelled"]
        return sorted(rows, key=lambda i: (i.starts_at or _FAR, i.id))

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
                (have := normalise_company(i.company)) == wanted
                or have.startswith(wanted + " ")
                or wanted.startswith(have + " ")
            )
        ]

    def interview_count(self) -> int:
        """How many interviews the user has on file (any status)."""
        return len(self._every_interview())

    def add_interview(self, now: datetime, **fields: Any) -> Interview:
        """Create an interview for this user (raises :class:`LimitReached` when they have too many).

        The row is written at the next flush (the next query, or the end of the message), with the
        values the handler sets meanwhile: one INSERT, not an INSERT and an UPDATE.
        """
        if self.interview_count() >= limits.MAX_INTERVIEWS:
            raise LimitReached(
                "interviews",
                limits.MAX_INTERVIEWS,
                f"You have {limits.MAX_INTERVIEWS} interviews on file, the most I keep for one person, so I "
                "didn't add this one. Cancelled and long-past interviews leave after a while; you can "
                "also start afresh with “forget me”.",
            )
        interview = Interview(user_id=self.user.id, created_at=now, updated_at=now, **fields)
        self.session.add(interview)
        self._every_interview().append(interview)
        self._unflushed = True
        return interview

    # notes -------------------------------------------------------------------------------------

    def add_note(self, text: str, now: datetime, interview: Interview | None = None) -> Note:
        """Store a note (raises :class:`LimitReached` when it is too long or there are too many)."""
        if len(text) > limits.MAX_NOTE_CHARS:
            raise LimitReached(
                "note_length",
                limits.MAX_NOTE_CHARS,
                f"That note is {len(text):,} characters long; I keep notes of up to {limits.MAX_NOTE_CHARS:,}. "
                "Could you shorten it, or split it into two notes?",
            )
        if self.note_count() >= limits.MAX_NOTES:
            raise LimitReached(
                "notes",
                limits.MAX_NOTES,
                f"You have {limits.MAX_NOTES} notes, the most I keep for one person, so I didn't save this "
                "one. Notes about past interviews leave after a while; “export my data” gives you a copy.",
            )
        if interview is not None and inspect(interview).pending:  # (added by this message: it needs its id)
            self.session.flush()
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
        """The user's dialogue state row as an ORM object (created empty on first use)."""
        if self._state is None:
            state = self.session.get(ConversationState, self.user.id)
            if state is None:
                state = ConversationState(user_id=self.user.id, pending=None, context={}, updated_at=now)
                self.session.add(state)
            self._state = state
        return self._state

    def state_row(self, now: datetime) -> StateRow:
        """The user's dialogue state as stored, as plain values (see :class:`StateRow`; written by :func:`store_state`).

        From the message's first query when it brought the row; a user without one gets an empty row,
        added to the session at once (inserted at its next flush, as :meth:`state` does).
        """
        loaded = self.preloaded if self.preloaded is not None and self.preloaded.user is self.user else None
        if loaded is not None and loaded.state is not None:
            return loaded.state
        if loaded is not None and self._state is None:  # the message's first query showed there is none
            self._state = ConversationState(user_id=self.user.id, pending=None, context={}, updated_at=now)
            self.session.add(self._state)
        elif loaded is None and self._state is None:
            found = self.session.get(ConversationState, self.user.id)
            if found is not None:
                return StateRow(found.user_id, found.pending, found.context, found.updated_at)
        state = self.state(now)
        return StateRow(state.user_id, state.pending, state.context, state.updated_at, state)

    # everything ---------------------------------------------------------------------------------

    def reminders(self) -> list[Reminder]:
        """The user's reminders, by due time."""
        return list(
            self.session.scalars(
                select(Reminder).where(Reminder.user_id == self.user.id).order_by(Reminder.due_at, Reminder.id)
            )
        )

    def open_reminder_count(self) -> int:
        """How many of the user's reminders are still to go out."""
        query = (
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.user_id == self.user.id, Reminder.status.in_(("pending", "sending")))
        )
        return int(self.session.scalar(query) or 0)

    def export(self) -> dict[str, Any]:
        """Everything stored about the user, as JSON-ready data: every column of every row of theirs.

        Rows are written column by column from the table definitions, so a field added to a table
        later is exported without anyone having to remember it.
        """
        loaded = self.preloaded.state if self.preloaded is not None and self.preloaded.user is self.user else None
        conversation = (
            _state_data(loaded)
            if loaded is not None  # (as the message's first query read it: the ORM had it in its identity map)
            else (row_data(state) if (state := self.session.get(ConversationState, self.user.id)) is not None else None)
        )
        return {
            "user": row_data(self.user),
            "interviews": [row_data(i) for i in sorted(self.interviews(include_cancelled=True), key=lambda i: i.id)],
            "notes": [row_data(n) for n in self.notes()],
            "reminders": [row_data(r) for r in self.reminders()],
            "conversation": conversation,
            "topics_asked": [  # the career office's anonymous counts are made from these (never the text)
                row_data(t)
                for t in self.session.scalars(
                    select(TopicAsk).where(TopicAsk.user_id == self.user.id).order_by(TopicAsk.id)
                )
            ],
        }

    def forget(self) -> None:
        """Delete the user and everything that belongs to them."""
        uid = self.user.id
        for model in (Reminder, Note, TopicAsk, Interview, ConversationState):
            self.session.execute(delete(model).where(model.user_id == uid))
        self.session.execute(delete(User).where(User.id == uid))
        self._all, self._unflushed = [], False


def row_data(row: Base) -> dict[str, Any]:
    """Every column of a row, as JSON-ready values (times in ISO 8601; UTC ones end in +00:00)."""
    out: dict[str, Any] = {}
    for attr in inspect(row).mapper.column_attrs:
        value = getattr(row, attr.key)
        out[attr.key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _state_data(state: StateRow) -> dict[str, Any]:
    """:func:`row_data` of the state row these values were read from."""
    out: dict[str, Any] = {}
    for key in _keys(ConversationState):
        value = getattr(state, key)
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


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


@functools.lru_cache(maxsize=1024)
def normalise_company(name: str) -> str:
    """Lowercased, single-spaced company name without a trailing legal suffix."""
    norm = " ".join(name.lower().replace(",", " ").split())
    for suffix in _SUFFIXES:
        if norm.endswith(suffix) and len(norm) > len(suffix):
            return norm[: -len(suffix)].strip()
    return norm


def store_state(session: Session, stored: StateRow, pending: Any, context: Any, now: datetime) -> None:
    """Store a changed dialogue state: one prepared UPDATE of the row (the ORM's path for a new row)."""
    if stored.new is not None:
        write_state(session, stored.new, pending, context, now)
        return
    conn = session.connection()
    values = {"uid": stored.user_id, "b_pending": pending, "b_context": context, "b_updated": now}
    prepared(_state_update(), conn.dialect).execute(conn, values)


def write_state(session: Session, state: ConversationState, pending: Any, context: Any, now: datetime) -> None:
    """Store a changed dialogue state with one plain UPDATE (no unit-of-work flush for one row)."""
    if inspect(state).persistent:
        session.connection().execute(
            _state_update(), {"uid": state.user_id, "b_pending": pending, "b_context": context, "b_updated": now}
        )
        for name, value in (("pending", pending), ("context", context), ("updated_at", now)):
            set_committed_value(state, name, value)
    else:  # (a new row: inserted with the session's flush)
        state.pending, state.context, state.updated_at = pending, context, now


@functools.cache
def _state_update() -> Any:
    table = cast(Table, ConversationState.__table__)
    return (
        update(table)
        .where(table.c.user_id == bindparam("uid"))
        .values(
            pending=bindparam("b_pending", type_=table.c.pending.type),
            context=bindparam("b_context", type_=table.c.context.type),
            updated_at=bindparam("b_updated", type_=table.c.updated_at.type),
        )
    )
