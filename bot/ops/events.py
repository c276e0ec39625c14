"""What the bot has accepted from the platforms, so that nothing acknowledged is lost or done twice.

Two records, both in the database:

* :class:`Inbox`: platform events the bot has acknowledged but not yet fully answered. An event is
  recorded *before* the platform gets its acknowledgement, handled in the same transaction as the
  data it changes (the row moves from ``pending`` to ``handled`` and keeps the replies), and marked
  ``done`` once the replies are sent. After a crash, whatever is ``pending`` is handled and whatever
  is ``handled`` is sent, by this instance on its next start or by another one (see
  :meth:`Inbox.reclaim`). The guarantee and its trade-offs are written down in ``docs/delivery.md``.
* :class:`EventLog`: ids of platform events already handled, for platforms whose events go straight
  to the coach (Discord); the id is recorded in the same transaction as the handling
  (:class:`EventReceipt`), so a retry is never dropped for an event whose work was lost.

Both keep their ids for :data:`KEEP`, so a retry by the platform, to this instance or another, after
a restart or not, is recognised.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Dialect as SQLDialect
from sqlalchemy.orm import Session

from bot.common.clock import Clock
from bot.common.types import Button, ConversationRef, File, IncomingMessage, Reply, RouteData
from bot.storage.db import Database
from bot.storage.dialects import Dialect
from bot.storage.models import InboxItem, InstallationSecret
from bot.storage.prepared import Prepared
from bot.storage.repo import forget_events_before, remember_event

log = logging.getLogger(__name__)

KEEP = timedelta(hours=24)
MAX_ATTEMPTS = 5  # an item taken over this many times (it crashed its process each time) is given up
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOG_KEY_VARIABLE = "SECONDROUND_LOG_KEY"


@dataclass(frozen=True)
class EventReceipt:
    """A platform event id remembered in the handling transaction (Discord's message and interaction ids)."""

    platform: str
    event_id: str
    now: datetime

    def record(self, session: Session, replies: Sequence[Reply]) -> bool:
        """Insert the id; False if it was there (handled before, by any instance)."""
        return remember_event(session, self.platform, self.event_id[:128], self.now)


@dataclass(frozen=True)
class InboxReceipt:
    """An inbox item moved from ``pending`` to ``handled`` (with its replies) in the handling transaction."""

    item_id: int
    now: datetime

    def record(self, session: Session, replies: Sequence[Reply]) -> bool:
        """``pending`` → ``handled``, keeping the replies until they are sent; False if taken before.

        A crash before the replies are sent sends them on recovery. False means another instance
        (or an earlier attempt) handled the item first.
        """
        conn = session.connection()
        row = {"b_id": self.item_id, "b_now": self.now, "b_replies": [reply_json(r) for r in replies]}
        return _prepared(_handled_statement(), conn.dialect).run(conn, [row], returning=True)[0] is not None


# the inbox's statements, built once (plain Core on the table: no ORM bulk machinery per event) --------


def _inbox() -> Table:
    return cast(Table, InboxItem.__table__)


@functools.cache
def _record_statement(dialect: Dialect) -> Any:
    t = _inbox()
    insert = dialect.insert()
    return (
        insert(t)
        .values(
            platform=bindparam("b_platform"),
            event_key=bindparam("b_key"),
            owner=bindparam("b_owner"),
            status="pending",
            payload=bindparam("b_payload", type_=t.c.payload.type),
            attempts=0,
            claimed_by=bindparam("b_instance"),
            received_at=bindparam("b_now", type_=t.c.received_at.type),
            claimed_at=bindparam("b_now", type_=t.c.claimed_at.type),
        )
        .on_conflict_do_nothing(index_elements=["platform", "event_key"])
        .returning(t.c.id)
    )


@functools.cache
def _done_statement() -> Any:
    t = _inbox()
    # one item per parameter set, executed many at once: a fixed statement (an expanding IN list is
    # re-rendered for every execution, which costs more than the update itself for one or two items)
    return (
        update(t)
        .where(t.c.id == bindparam("b_id"))
        .values(status="done", done_at=bindparam("b_now", type_=t.c.done_at.type), payload=None, replies=None, owner="")
    )


@functools.cache
def _handled_statement() -> Any:
    t = _inbox()
    return (
        update(t)
        .where(t.c.id == bindparam("b_id"), t.c.status == "pending")
        .values(
            status="handled",
            handled_at=bindparam("b_now", type_=t.c.handled_at.type),
            replies=bindparam("b_replies", type_=t.c.replies.type),
        )
        .returning(t.c.id)
    )


@functools.cache
def _prepared(statement: Any, dialect: SQLDialect) -> Prepared:
    return Prepared(statement, dialect)


class InboxStatus(StrEnum):
    """Where an inbox item is: the values stored in ``inbox_items.status``."""

    PENDING = "pending"  # recorded, not answered yet
    HANDLED = "handled"  # answered (its replies stored), not all sent yet
    DONE = "done"  # its replies went out
    FAILED = "failed"  # given up (too many attempts)


@dataclass
class Stored:
    """An inbox item as loaded for work."""

    id: int
    platform: str
    status: InboxStatus
    message: IncomingMessage | None
    route: RouteData
    replies: list[Reply] = field(default_factory=list)


class Inbox:
    """Accepted platform events, durable from before their acknowledgement until their answer is sent."""

    def __init__(self, db: Database, clock: Clock, instance: str) -> None:
        self.db = db
        self.clock = clock
        self.instance = instance[:128]

    def record(self, msg: IncomingMessage, route: RouteData, key: str) -> int | None:
        """Store an event before it is acknowledged; its id, or None if it was stored before (a retry)."""
        return self.write([(msg, route, key)], [])[0]

    def write(
        self, records: Sequence[tuple[IncomingMessage, RouteData, str]], done: Sequence[int]
    ) -> list[int | None]:
        """In one transaction: store events (ids, None for one stored before) and mark items done.

        One transaction for many events keeps the acknowledgements quick when many arrive at once
        (SQLite has one writer at a time).
        """
        now = self.clock.now()
        rows = [
            {
                "b_platform": msg.ref.platform,
                "b_key": key[:128],
                "b_owner": owner_of(msg.ref),
                "b_payload": {"message": message_json(msg), "route": dict(route)},
                "b_instance": self.instance,
                "b_now": now,
            }
            for msg, route, key in records
        ]
        dialect = self.db.engine.dialect
        with self.db.transaction() as conn:  # no ORM session: prebuilt statements that load no objects
            ids = _prepared(_record_statement(self.db.dialect), dialect).run(conn, rows, returning=True) if rows else []
            if done:
                _prepared(_done_statement(), dialect).run(
                    conn, [{"b_id": item, "b_now": now} for item in done], returning=False
                )
        return [int(item) if item is not None else None for item in ids]

    def load(self, item_id: int) -> Stored | None:
        """An item with its message, route and (once handled) replies; None if it is gone."""
        with self.db.session() as session:
            item = session.get(InboxItem, item_id)
            if item is None:
                return None
            payload = item.payload or {}
            message = payload.get("message")
            return Stored(
                id=item.id,
                platform=item.platform,
                status=InboxStatus(item.status),
                message=message_from_json(message) if isinstance(message, dict) else None,
                route=dict(payload.get("route") or {}),
                replies=[reply_from_json(r) for r in item.replies or []],
            )

    def done(self, item_id: int) -> None:
        """The replies went out: forget the message and the replies, keep the key for de-duplication."""
        self.write([], [item_id])

    def reclaim(self, lease: timedelta, platforms: Sequence[str], limit: int = 500) -> list[tuple[int, str]]:
        """Take over unfinished items whose claim is older than ``lease`` (their instance died or stopped).

        Returns (id, owner) pairs, oldest first, claimed by this instance now. Items taken over
        :data:`MAX_ATTEMPTS` times already are marked ``failed`` and logged instead: each attempt
        ended its process, and a crash loop helps nobody.
        """
        if not platforms:
            return []
        now = self.clock.now()
        taken: list[tuple[int, str]] = []
        with self.db.session() as session:
            stale = session.execute(
                select(InboxItem.id, InboxItem.owner, InboxItem.attempts, InboxItem.claimed_at)
                .where(
                    InboxItem.status.in_(("pending", "handled")),
                    InboxItem.platform.in_(list(platforms)),
                    InboxItem.claimed_at <= now - lease,
                )
                .order_by(InboxItem.id)
                .limit(limit)
            ).all()
            for item_id, owner, attempts, claimed_at in stale:
                if attempts >= MAX_ATTEMPTS:
                    session.execute(
                        update(InboxItem)
                        .where(InboxItem.id == item_id)
                        .values(status="failed", payload=None, replies=None, owner="", done_at=now)
                    )
                    log.error("inbox_item_given_up", extra={"item": item_id, "attempts": attempts})
                    continue
                won = session.execute(
                    update(InboxItem)
                    .where(InboxItem.id == item_id, InboxItem.claimed_at == claimed_at)
                    .values(claimed_by=self.instance, claimed_at=now, attempts=attempts + 1)
                    .returning(InboxItem.id)
                ).first()
                if won is not None:  # (another instance may have taken it between the two statements)
                    taken.append((int(item_id), owner))
        return taken

    def release(self, item_ids: Sequence[int]) -> None:
        """Give unfinished items back at shutdown, so the next instance takes them over at once."""
        if not item_ids:
            return
        with self.db.session() as session:
            session.execute(
                update(InboxItem)
                .where(InboxItem.id.in_(list(item_ids)), InboxItem.status.in_(("pending", "handled")))
                .values(claimed_at=EPOCH)
            )

    def unfinished(self) -> int:
        """How many items are waiting to be handled or sent (all instances)."""
        with self.db.session() as session:
            query = select(func.count()).select_from(InboxItem).where(InboxItem.status.in_(("pending", "handled")))
            return int(session.scalar(query) or 0)

    def prune(self, before: datetime) -> int:
        """Forget finished items received before ``before``; returns how many."""
        with self.db.session() as session:
            result = session.execute(
                delete(InboxItem).where(
                    InboxItem.status.in_(("done", "failed")),
                    or_(InboxItem.received_at < before, InboxItem.done_at < before),
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]


class EventLog:
    """First-time checks for platform event ids, kept for :data:`KEEP` (with the inbox's finished items)."""

    def __init__(self, db: Database, clock: Clock, keep: timedelta = KEEP) -> None:
        self.db = db
        self.clock = clock
        self.keep = keep

    def first_time(self, platform: str, event_id: str) -> bool:
        """Record ``event_id``; True if no instance had recorded it before (so: handle it)."""
        with self.db.session() as session:
            return remember_event(session, platform, event_id[:128], self.clock.now())

    def receipt(self, platform: str, event_id: str) -> EventReceipt:
        """A receipt that records ``event_id`` in the transaction that handles the event."""
        return EventReceipt(platform, event_id, self.clock.now())

    def prune(self) -> int:
        """Forget ids (and finished inbox items) older than the keeping period; returns how many."""
        cutoff = self.clock.now() - self.keep
        with self.db.session() as session:
            pruned = forget_events_before(session, cutoff)
        return pruned + Inbox(self.db, self.clock, "").prune(cutoff)


# user ids in log lines -------------------------------------------------------------------------------


def log_key(db: Database, clock: Clock, configured: str = "") -> bytes:
    """The key that hashes user ids in log lines: ``SECONDROUND_LOG_KEY``, or one made once per installation.

    The generated key is stored in the database, so every instance (and every restart) hashes a
    user to the same value, and log lines of one person can be followed without naming them.
    """
    if configured:
        return configured.encode()
    with db.session() as session:
        insert = db.dialect.insert()
        session.execute(
            insert(InstallationSecret)
            .values(name="log_key", value=secrets.token_hex(32), created_at=clock.now())
            .on_conflict_do_nothing(index_elements=["name"])
        )
        value = session.scalar(select(InstallationSecret.value).where(InstallationSecret.name == "log_key"))
    return str(value).encode()


def user_hash(key: bytes, ref: ConversationRef) -> str:
    """A keyed hash of the person behind ``ref``: the same for every line about them, never their id."""
    digest = hmac.new(key, f"{ref.platform}\0{ref.workspace}\0{ref.user}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


# plain-data forms of the messages and replies ----------------------------------------------------------


def owner_of(ref: ConversationRef) -> str:
    """Whose messages must be answered in order: one person on one platform and workspace."""
    return f"{ref.platform}:{ref.workspace}:{ref.user}"[:300]


def message_json(msg: IncomingMessage) -> dict[str, Any]:
    """An incoming message as plain data (for the inbox)."""
    ref = msg.ref
    return {
        "ref": [ref.platform, ref.workspace, ref.channel, ref.user, ref.thread],
        "text": msg.text,
        "action": msg.action,
        "fields": dict(msg.fields),
        "direct": msg.direct,
        "tz_hint": msg.tz_hint,
    }


def message_from_json(data: Mapping[str, Any]) -> IncomingMessage:
    """The inverse of :func:`message_json`."""
    platform, workspace, channel, user, thread = data["ref"]
    return IncomingMessage(
        ConversationRef(platform, workspace, channel, user, thread),
        text=data.get("text") or "",
        action=data.get("action"),
        fields=dict(data.get("fields") or {}),
        direct=bool(data.get("direct", True)),
        tz_hint=data.get("tz_hint"),
    )


def reply_json(reply: Reply) -> dict[str, Any]:
    """A reply as plain data (kept in the inbox until it is sent)."""
    data: dict[str, Any] = {
        "text": reply.text,
        "buttons": [[b.label, b.value, b.style] for b in reply.buttons],
        "private": reply.private,
        "kind": reply.kind,
    }
    if reply.files:
        data["files"] = [[f.name, f.mime, f.content] for f in reply.files]
    return data


def reply_from_json(data: Mapping[str, Any]) -> Reply:
    """The inverse of :func:`reply_json`."""
    return Reply(
        data["text"],
        tuple(Button(label, value, style) for label, value, style in data.get("buttons") or []),
        private=bool(data.get("private")),
        kind=data.get("kind"),
        files=tuple(File(name, mime, content) for name, mime, content in data.get("files") or []),
    )


__all__ = [
    "KEEP",
    "EventLog",
    "EventReceipt",
    "Inbox",
    "InboxReceipt",
    "Stored",
    "log_key",
    "user_hash",
]
