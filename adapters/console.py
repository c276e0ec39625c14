"""The console adapter behind ``secondround chat``.

Buttons become numbered choices (``/1``); ``--jsonl`` speaks one JSON object per line for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path
from typing import TextIO

from bot.common import markup
from bot.common.types import Button, ConversationRef, File, IncomingMessage, JSONValue, Reply
from bot.ops.plugins import PlatformSettings
from bot.ops.runtime import Runtime

PLATFORM = "console"


def reply_json(reply: Reply) -> dict[str, JSONValue]:
    """A reply in the ``--jsonl`` form (``files`` only when the reply has some)."""
    data: dict[str, JSONValue] = {
        "text": markup.to_plain(reply.text),
        "buttons": [{"label": b.label, "value": b.value} for b in reply.buttons],
        "private": reply.private,
    }
    if reply.files:
        data["files"] = [{"name": f.name, "mime": f.mime, "content": f.content} for f in reply.files]
    return data


def render(replies: list[Reply], files_dir: Path | None = None) -> str:
    """Replies as terminal text, buttons numbered ``/1``, ``/2``…, files shown after their reply.

    With ``files_dir``, each file is also written there (an .ics to open) and its path printed.
    """
    out: list[str] = []
    n = 0
    for reply in replies:
        out.append(markup.to_plain(reply.text))
        for file in reply.files:
            out.append(f"--- {file.name} ({file.mime}) ---\n{file.content}\n--- end of {file.name} ---")
            if files_dir is not None:
                out.append(f"Saved as {save(file, files_dir)}")
        if reply.buttons:
            choices = []
            for button in reply.buttons:
                n += 1
                choices.append(f"[/{n}] {button.label}")
            out.append("   ".join(choices))
    return "\n".join(out)


def save(file: File, directory: Path) -> Path:
    """Write a reply's file into ``directory`` under its own name (no directories in it); its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (Path(file.name).name or "file")
    path.write_text(file.content, encoding="utf-8")
    return path


class ConsoleAdapter:
    """A conversation between one local user and the bot on stdin/stdout."""

    platform = PLATFORM

    def __init__(
        self,
        runtime: Runtime,
        *,
        user: str = "local",
        jsonl: bool = False,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.runtime = runtime
        self.user = user
        self.jsonl = jsonl
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.ref = ConversationRef(PLATFORM, "", "console", user)
        self.tz_hint = runtime.settings.default_tz
        self.only_user = user  # reminders of other console users wait for their own chat
        self._buttons: list[Button] = []
        self._write_lock = asyncio.Lock()
        self._running = False

    # the Adapter protocol ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Nothing to connect to."""
        self._running = True

    async def stop(self) -> None:
        """Nothing to disconnect."""
        self._running = False

    def ready(self) -> bool:
        """Always ready while the chat runs."""
        return self._running

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        """Show a reminder in the open chat."""
        if self.jsonl:
            for reply in replies:
                payload = {"kind": reply.kind or "reminder", **reply_json(reply)}
                await self._write(json.dumps({"reminder": payload}, ensure_ascii=False))
        else:
            self._buttons = [b for r in replies for b in r.buttons]
            await self._write("\n⏰ " + render(replies) + "\n")

    # the conversation --------------------------------------------------------------------------------

    def message(self, line: str) -> IncomingMessage:
        """Turn an input line into a message: text, ``/N`` for a button, or JSON ``{"action": …}``."""
        stripped = line.strip()
        if self.jsonl and stripped.startswith("{"):
            try:
                obj = json.loads(stripped)
            except json.JSONDecodeError:
                obj = None
            if isinstance(obj, dict) and isinstance(obj.get("action"), str):
                return IncomingMessage(self.ref, action=obj["action"], tz_hint=self.tz_hint)
            if isinstance(obj, dict) and isinstance(obj.get("text"), str):
                return IncomingMessage(self.ref, text=obj["text"], tz_hint=self.tz_hint)
        if not self.jsonl and stripped.startswith("/") and stripped[1:].isdigit():
            index = int(stripped[1:]) - 1
            if 0 <= index < len(self._buttons):
                return IncomingMessage(self.ref, action=self._buttons[index].value, tz_hint=self.tz_hint)
        return IncomingMessage(self.ref, text=line, tz_hint=self.tz_hint)

    async def converse(self) -> None:
        """Read lines until end of input, answering each."""
        loop = asyncio.get_running_loop()
        if not self.jsonl:
            await self._write("SecondRound: your second-interview coach. Type a question, “help”, or /quit.\n")
        while True:
            if not self.jsonl:
                self.stdout.write("you> ")
                self.stdout.flush()
            line = await loop.run_in_executor(None, self.stdin.readline)
            if line == "":
                break
            line = line.rstrip("\n")
            if not self.jsonl and line.strip().lower() in {"/quit", "/exit", "quit", "exit"}:  # as other REPLs
                break
            if not self.jsonl and not line.strip():
                continue
            replies = await self.runtime.handle(self.message(line))
            if self.jsonl:
                await self._write(
                    json.dumps({"in": line, "replies": [reply_json(r) for r in replies]}, ensure_ascii=False)
                )
            else:
                self._buttons = [b for r in replies for b in r.buttons]
                files_dir = self.runtime.settings.data_dir / "files"  # next to the database
                await self._write(render(replies, files_dir) + "\n")

    async def _write(self, text: str) -> None:
        async with self._write_lock:
            self.stdout.write(text + "\n")
            self.stdout.flush()


class ConsolePlatform:
    """The ``console`` entry point: ``secondround chat`` (not offered by ``run``)."""

    name = PLATFORM
    settings_model: type[PlatformSettings] = PlatformSettings
    listed = False
    secret_patterns: tuple[re.Pattern[str], ...] = ()
    body_loggers: tuple[str, ...] = ()

    def add_options(self, group: argparse._ArgumentGroup) -> None:
        """None: ``chat`` has its own."""

    def build(self, runtime: Runtime, settings: PlatformSettings, options: argparse.Namespace) -> ConsoleAdapter:
        """A console conversation as ``options.user`` (``--jsonl`` for scripts)."""
        return ConsoleAdapter(runtime, user=getattr(options, "user", "local"), jsonl=getattr(options, "jsonl", False))


plugin = ConsolePlatform()
