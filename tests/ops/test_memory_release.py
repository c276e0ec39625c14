"""The runtime hands freed memory back to the system after the first message, and at each inbox sweep."""

from __future__ import annotations

import asyncio

import pytest

from bot.common.types import ConversationRef, IncomingMessage
from bot.ops import runtime as runtime_module
from bot.ops.runtime import Runtime
from tests.conftest import BotHarness


async def test_memory_is_released_after_the_first_message_handled_and_at_each_sweep(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(runtime_module, "release_freed_memory", lambda: calls.append("trim"))
    runtime = Runtime(bot.app, health=False, reminders=False)
    runtime.inbox_settings.sweep_seconds = 3600  # one sweep at start, the next one out of this test's reach
    await runtime.start()
    try:
        while not calls:  # the start's sweep, on a worker thread
            await asyncio.to_thread(lambda: None)
        assert calls == ["trim"]
        ref = ConversationRef("test", "", "dm-alice", "alice")
        for text in ("how do I prepare for a panel interview?", "and what should I wear?"):
            assert await runtime.handle(IncomingMessage(ref, text=text))
        assert calls == ["trim", "trim"]  # after the first message only
        await runtime._recover_quietly()  # a later sweep
        assert calls == ["trim", "trim", "trim"]
    finally:
        await runtime.stop()
