"""The inbox's "done" writes ride along with the next events' record, and are never lost on the way."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest

from bot.common.types import ConversationRef, IncomingMessage, Reply, RouteData
from bot.ops.events import Inbox, InboxStatus
from bot.ops.runtime import Accepted, Runtime
from tests.conftest import BotHarness

NEVER = 3600.0  # the writer's own timer stays out of these tests: each write is made by the test's steps


class Responder:
    """Answers the runtime's inbox items and remembers what it sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str]]] = []

    async def prepare(self, msg: IncomingMessage, route: RouteData) -> IncomingMessage:
        return msg

    async def respond(self, msg: IncomingMessage, route: RouteData, replies: list[Reply]) -> None:
        self.sent.append((msg.text, [r.text for r in replies]))


@pytest.fixture
async def runtime(bot: BotHarness, monkeypatch: pytest.MonkeyPatch) -> Any:
    runtime = Runtime(bot.app, health=False, reminders=False)
    runtime._writer.DONE_DELAY = NEVER
    responder = Responder()
    runtime.register("test", responder)
    writes: list[tuple[list[str], list[int]]] = []
    real_write = runtime.inbox.write

    def write(records: Any, done: Any) -> list[int | None]:
        writes.append(([key for *_, key in records], list(done)))
        return real_write(records, done)

    monkeypatch.setattr(runtime.inbox, "write", write)
    runtime.test_writes = writes  # type: ignore[attr-defined]
    runtime.test_responder = responder  # type: ignore[attr-defined]
    yield runtime
    runtime._writer.close()


def _msg(text: str, user: str = "alice") -> IncomingMessage:
    return IncomingMessage(ConversationRef("test", "", f"dm-{user}", user), text=text)


async def _answered(runtime: Runtime) -> None:
    """Until every item taken here has been answered (its "done" may still wait to be written)."""
    await asyncio.wait(list(runtime._queued.values()))


def _status(runtime: Runtime, item: int) -> InboxStatus:
    stored = Inbox(runtime.app.db, runtime.app.clock, "").load(item)
    assert stored is not None
    return stored.status


def _items(runtime: Runtime) -> list[int]:
    from sqlalchemy import text

    with runtime.app.db.engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(text("SELECT id FROM inbox ORDER BY id"))]


async def test_a_finished_item_is_written_done_with_the_next_event_in_one_transaction(runtime: Runtime) -> None:
    assert await runtime.accept(_msg("how do I prepare for a panel?"), {}, "Ev1") is Accepted.QUEUED
    await _answered(runtime)
    [first] = _items(runtime)
    assert runtime.test_responder.sent and _status(runtime, first) is InboxStatus.HANDLED  # answered, not yet done
    assert runtime._writer.finishing(first)

    assert await runtime.accept(_msg("what should I wear?", "bob"), {}, "Ev2") is Accepted.QUEUED
    assert runtime.test_writes == [(["Ev1"], []), (["Ev2"], [first])]  # no transaction of its own
    assert _status(runtime, first) is InboxStatus.DONE and not runtime._writer.finishing(first)

    await _answered(runtime)
    second = _items(runtime)[1]
    assert _status(runtime, second) is InboxStatus.HANDLED
    assert await runtime.drain(10)  # drained: every finished item is written done
    assert _status(runtime, second) is InboxStatus.DONE
    assert runtime.test_writes[-1] == ([], [second])


async def test_without_a_next_event_the_finished_item_is_written_after_the_delay(runtime: Runtime) -> None:
    runtime._writer.DONE_DELAY = 0.0  # (the timer's length is not what this shows: that it fires at all)
    assert await runtime.accept(_msg("how do I prepare for a panel?"), {}, "Ev1") is Accepted.QUEUED
    await _answered(runtime)
    [item] = _items(runtime)
    while runtime._writer.busy():
        await asyncio.sleep(0)  # the loop runs the timer, then the write (no wall-clock wait)
        await asyncio.to_thread(lambda: None)
    assert _status(runtime, item) is InboxStatus.DONE
    assert runtime.test_writes == [(["Ev1"], []), ([], [item])]


async def test_a_sweep_does_not_take_over_an_item_answered_here_and_not_yet_written_done(runtime: Runtime) -> None:
    assert await runtime.accept(_msg("how do I prepare for a panel?"), {}, "Ev1") is Accepted.QUEUED
    await _answered(runtime)
    assert len(runtime.test_responder.sent) == 1
    assert await runtime.recover(lease=timedelta(0)) == 0  # its claim is "old", but it is finishing here
    assert await runtime.drain(10)
    assert await runtime.recover(lease=timedelta(0)) == 0  # and once done, there is nothing to take
    assert len(runtime.test_responder.sent) == 1  # answered once


async def test_a_failed_done_write_is_logged_and_the_item_is_answered_again_by_the_sweep(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert await runtime.accept(_msg("how do I prepare for a panel?"), {}, "Ev1") is Accepted.QUEUED
    await _answered(runtime)
    [item] = _items(runtime)
    write = runtime.inbox.write

    def failing(records: Any, done: Any) -> list[int | None]:
        if done:
            raise OSError("disk full")
        return write(records, done)

    monkeypatch.setattr(runtime.inbox, "write", failing)
    with caplog.at_level(logging.WARNING, logger="bot.ops.runtime"):
        assert await runtime.drain(10)
    assert "inbox_done_failed" in [r.getMessage() for r in caplog.records]
    assert _status(runtime, item) is InboxStatus.HANDLED and not runtime._writer.finishing(item)
    monkeypatch.setattr(runtime.inbox, "write", write)
    assert await runtime.recover(lease=timedelta(0)) == 1  # the sweep resends its stored replies
    await _answered(runtime)
    assert len(runtime.test_responder.sent) == 2 and runtime.test_responder.sent[0] == runtime.test_responder.sent[1]
    assert await runtime.drain(10)
    assert _status(runtime, item) is InboxStatus.DONE
