"""The inbox's prepared writes store exactly what SQLAlchemy Core stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bot.common.types import Button, ConversationRef, IncomingMessage, Reply
from bot.ops.events import (
    Inbox,
    InboxReceipt,
    _done_statement,
    _handled_statement,
    _record_statement,
    message_json,
    owner_of,
    reply_json,
)
from bot.storage.db import Database
from tests.conftest import BotHarness

NOW = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def _row(db: Database, item: int) -> tuple[Any, ...]:
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM inbox WHERE id = :id"), {"id": item}).one()
    return tuple(row)[1:]  # (the id differs)


def test_record_handled_and_done_store_what_core_stores(any_bot: BotHarness) -> None:
    db = any_bot.app.db
    ref = ConversationRef("slack", "T1", "D1", "U1", "17.5")
    msg = IncomingMessage(ref, text="dinner interview — tips? 🍝", direct=True, tz_hint="Europe/Paris")
    route = {"mode": "dm", "share": None}
    replies = [Reply("**Meals**\nStay polite.", buttons=[Button("More", "more:meals")], private=True)]

    inbox = Inbox(db, any_bot.clock, "here")
    prepared = inbox.write([(msg, route, "ev:prepared")], [])[0]
    assert prepared is not None and inbox.write([(msg, route, "ev:prepared")], []) == [None]  # a retry
    with db.session() as session:
        core = (
            session.connection()
            .execute(
                _record_statement(db.dialect),
                {
                    "b_platform": "slack",
                    "b_key": "ev:core",
                    "b_owner": owner_of(ref),
                    "b_payload": {"message": message_json(msg), "route": route},
                    "b_instance": "here",
                    "b_now": any_bot.clock.now(),
                },
            )
            .scalar_one()
        )
    assert _row(db, prepared)[0] == _row(db, core)[0]  # (then the event key, which differs)
    assert _row(db, prepared)[2:] == _row(db, core)[2:]

    with db.session() as session:
        assert InboxReceipt(prepared, NOW).record(session, replies)
    with db.session() as session:
        assert not InboxReceipt(prepared, NOW).record(session, replies)  # handled before: not again
    with db.session() as session:
        session.connection().execute(
            _handled_statement(), {"b_id": core, "b_now": NOW, "b_replies": [reply_json(r) for r in replies]}
        )
    assert _row(db, prepared)[2:] == _row(db, core)[2:]

    inbox.write([], [prepared])
    with db.session() as session:
        session.connection().execute(_done_statement(), [{"b_id": core, "b_now": any_bot.clock.now()}])
    assert _row(db, prepared)[2:] == _row(db, core)[2:]
    loaded = inbox.load(prepared)
    assert loaded is not None and loaded.status == "done" and loaded.message is None
