"""The console adapter (``secondround chat``): files on replies, in both the text and the ``--jsonl`` forms."""

from __future__ import annotations

import io
import json
from typing import Any

from adapters.console import ConsoleAdapter
from bot.common.types import File, IncomingMessage, Reply
from bot.ops.runtime import Runtime
from tests.conftest import BotHarness

EXPORT = File("secondround-export.json", "application/json", '{"notes": [{"text": "ask about the on-call rota"}]}')


def _console(bot: BotHarness, lines: str, *, jsonl: bool) -> tuple[ConsoleAdapter, io.StringIO]:
    coach = bot.app.coach
    real = coach.handle_once

    def answer(msg: IncomingMessage, receipt: Any, **kw: Any) -> list[Reply] | None:
        if msg.text == "export":  # what the export will answer once it attaches a file
            return [Reply("Here's everything I store about you.", private=True, files=(EXPORT,))]
        return real(msg, receipt, **kw)

    coach.handle_once = answer  # type: ignore[method-assign]
    out = io.StringIO()
    runtime = Runtime(bot.app, health=False, reminders=False)
    return ConsoleAdapter(runtime, jsonl=jsonl, stdin=io.StringIO(lines), stdout=out), out


async def test_jsonl_prints_files_only_on_replies_that_have_them(bot: BotHarness) -> None:
    console, out = _console(bot, "export\nhi\n", jsonl=True)
    await console.converse()
    export, hello = (json.loads(line) for line in out.getvalue().splitlines())
    assert export["replies"][0]["files"] == [{"name": EXPORT.name, "mime": EXPORT.mime, "content": EXPORT.content}]
    assert all("files" not in reply for reply in hello["replies"]) and hello["replies"]


async def test_the_terminal_shows_a_file_after_its_reply(bot: BotHarness) -> None:
    console, out = _console(bot, "export\n", jsonl=False)
    await console.converse()
    text = out.getvalue()
    assert text.index("Here's everything") < text.index(f"--- {EXPORT.name}") < text.index("on-call rota")
