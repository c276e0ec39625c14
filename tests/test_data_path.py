"""The data path of one message is thin: one transaction, few statements, no row rewritten with its own values.

Statements are counted with a SQLAlchemy event listener on the bot's own engine, through the whole
bot (a message pushed in, its reply popped out), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, text

from bot.common.types import IncomingMessage
from bot.ops.events import Inbox, InboxReceipt
from bot.ops.runtime import Runtime
from tests.conftest import BotHarness, Chat

SCHEDULE = "I have a second interview with Acme on Friday at 3pm with Sarah Chen, over dinner"


@dataclass
class Statements:
    """What reached the database while counting."""

    sql: list[str] = field(default_factory=list)
    commits: int = 0

    def updated_tables(self) -> set[str]:
        return {m.group(1) for s in self.sql if (m := re.match(r"\s*UPDATE (\w+)", s))}

    def touching(self, table: str) -> list[str]:
        return [s for s in self.sql if re.search(rf"\b{table}\b", s)]


@contextmanager
def counted(bot: BotHarness) -> Iterator[Statements]:
    """Every statement and commit on the bot's engine inside the block."""
    seen = Statements()
    engine = bot.app.db.engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.sql.append(statement)

    def on_commit(_conn: Any) -> None:
        seen.commits += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def rows(bot: BotHarness) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table, to see which a message really changed."""
    with bot.app.db.engine.connect() as conn:
        return {
            table: {
                tuple(json.dumps(v, sort_keys=True, default=str) for v in r)  # (JSON columns are dicts on PostgreSQL)
                for r in conn.execute(text(f'SELECT * FROM "{table}"'))
            }
            for table in inspect(conn).get_table_names()
            if table != "alembic_version"
        }


def changed_tables(before: dict[str, set[tuple[Any, ...]]], after: dict[str, set[tuple[Any, ...]]]) -> set[str]:
    return {t for t in after if after[t] != before.get(t, set())}


def returning(bot: BotHarness) -> Chat:
    """A student who has talked to the bot before."""
    me = bot.chat()
    me.say("hi")
    me.say("how do I prepare?")
    bot.advance(minutes=2)
    return me


def test_a_returning_students_coaching_question_takes_at_most_three_statements(any_bot: BotHarness) -> None:
    bot = any_bot
    me = returning(bot)
    with counted(bot) as seen:
        reply = me.say("what should I ask them at the end?")
    assert "ask" in reply.text.lower()
    assert len(seen.sql) <= 3, seen.sql
    assert seen.commits == 1  # one transaction


def test_the_console_path_counts_the_same(any_bot: BotHarness) -> None:
    bot = any_bot
    """Through the runtime (what `secondround chat` calls): push a message, pop the reply."""
    me = returning(bot)
    runtime = Runtime(bot.app, health=False, reminders=False)
    with counted(bot) as seen:
        replies = asyncio.run(runtime.handle(IncomingMessage(me.ref, text="how do I negotiate the salary?")))
    assert replies and "salary" in "\n".join(r.text for r in replies).lower()
    assert len(seen.sql) <= 3, seen.sql


def test_a_schedule_message_writes_the_interview_and_its_reminders_once(any_bot: BotHarness) -> None:
    bot = any_bot
    me = returning(bot)
    with counted(bot) as seen:
        reply = me.say(SCHEDULE)
    assert "Acme" in reply.text and "Next reminder" in reply.text
    assert len(seen.sql) <= 7, seen.sql  # 18 before issue 12
    assert len([s for s in seen.sql if s.lstrip().startswith("INSERT INTO interviews")]) == 1
    assert not [s for s in seen.sql if s.lstrip().startswith("UPDATE interviews")]  # not inserted, then fixed
    assert len([s for s in seen.sql if s.lstrip().startswith("INSERT INTO reminders")]) == 1  # all in one
    assert seen.commits == 1


def test_no_statement_rewrites_a_row_with_its_own_values(any_bot: BotHarness) -> None:
    bot = any_bot
    me = returning(bot)
    conversation = [
        "what should I ask them?",
        "what should I ask them?",
        SCHEDULE,
        "they're new to me",
        "my Acme interview moved to Thursday 10am",
        "my Acme interview is on Thursday at 10am",  # the same time again: nothing to change
        "note: they asked a lot about SQL",
        "show my interviews",
        "how do I prepare?",
        "thanks!",
    ]
    for line in conversation:
        before = rows(bot)
        with counted(bot) as seen:
            me.say(line)
        changed = changed_tables(before, rows(bot))
        assert seen.updated_tables() <= changed, (line, seen.updated_tables() - changed)
        bot.advance(minutes=1)


def test_last_seen_is_written_at_most_hourly(any_bot: BotHarness) -> None:
    bot = any_bot
    me = returning(bot)
    with counted(bot) as seen:
        me.say("how should I follow up after the interview?")
    assert not seen.touching("users") or not [s for s in seen.sql if s.lstrip().startswith("UPDATE users")]
    bot.advance(hours=1, minutes=1)
    with counted(bot) as seen:
        me.say("how should I follow up after the interview?")
    assert [s for s in seen.sql if s.lstrip().startswith("UPDATE users")]
    with bot.app.db.engine.connect() as conn:
        seen_at = conn.execute(text("SELECT last_seen_at FROM users")).scalar_one()
    assert str(seen_at).startswith(bot.clock.now().strftime("%Y-%m-%d %H:%M"))


def test_an_unchanged_interview_is_not_replanned(any_bot: BotHarness) -> None:
    bot = any_bot
    me = returning(bot)
    me.say(SCHEDULE)
    with bot.app.db.engine.connect() as conn:
        planned = conn.execute(text("SELECT id, kind, due_at, status FROM reminders ORDER BY id")).all()
    with counted(bot) as seen:
        reply = me.say("my Acme interview is on Friday at 3pm")
    assert "Acme" in reply.text
    assert not [s for s in seen.sql if re.match(r"\s*(UPDATE|INSERT INTO|DELETE FROM) reminders", s)], seen.sql
    with bot.app.db.engine.connect() as conn:
        assert conn.execute(text("SELECT id, kind, due_at, status FROM reminders ORDER BY id")).all() == planned


def test_an_inbox_item_is_marked_handled_in_the_same_transaction_with_one_write(any_bot: BotHarness) -> None:
    bot = any_bot
    me = returning(bot)
    inbox = Inbox(bot.app.db, bot.clock, "here")
    msg = IncomingMessage(me.ref, text="how do I prepare for a panel?")
    item = inbox.record(msg, {}, "Ev1")
    assert item is not None
    with counted(bot) as seen:
        replies = bot.app.coach.handle_once(msg, InboxReceipt(item, bot.clock.now()))
    assert replies
    assert seen.commits == 1 and len(seen.touching("inbox")) == 1 and len(seen.sql) <= 4, seen.sql
    stored = inbox.load(item)
    assert (
        stored is not None
        and stored.status == "handled"
        and [r.text for r in stored.replies] == [r.text for r in replies]
    )
    # a second delivery of the same item changes nothing and answers nothing
    assert bot.app.coach.handle_once(msg, InboxReceipt(item, bot.clock.now())) is None
