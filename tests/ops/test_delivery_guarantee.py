"""The delivery guarantee (docs/delivery.md), proven with ``kill -9`` on real processes, SQLite and PostgreSQL.

Every message Slack got a 200 for is answered, and stored exactly once, even when the process is
killed while it holds acknowledged work; every message that did not get a 200 is redelivered (as
Slack does) and then handled once. Six students add notes at the same time; the Slack stand-in
holds the bot's answers, so at the moment of the kill nothing acknowledged has been answered yet:
some notes are stored and only their answer is missing, the others are not even handled.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.models import InboxItem, Note
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, dm_event, event_body, sign
from tests.slack.test_process import free_port, launch, terminate, wait_listening
from tests.standins.slack import SlackStandIn, dm_channel

pytestmark = pytest.mark.slow

SENDERS = 6
NOTES_EACH = 12
KILL_AFTER_ACKS = 30  # of 72: the kill comes while the senders are still sending
ANSWER_TIMEOUT = 120.0


class HoldingSlack(SlackStandIn):
    """The Slack stand-in, holding every ``chat.postMessage`` while ``holding`` is set."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.holding = False
        self.held = 0
        self.release = asyncio.Event()
        self.first_held = asyncio.Event()  # an answer has reached Slack and is being held

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage" and self.holding:
            self.held += 1
            self.first_held.set()
            await self.release.wait()
        return await super()._api(request)


@pytest.fixture
async def standin() -> AsyncIterator[HoldingSlack]:
    server = await HoldingSlack(bot_token=BOT_TOKEN).start()
    yield server
    server.release.set()
    await server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return str(request.getfixturevalue("postgres_url"))


@dataclass
class Sent:
    """One student's note, as Slack would deliver it."""

    sender: str
    token: str
    event_id: str
    body: str
    statuses: list[int | str] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return 200 in self.statuses


def _note(student: str, token: str) -> Sent:
    body = event_body(dm_event(student, f"note: bring folio {token}"), event_id=f"Ev{token}")
    return Sent(student, token, f"Ev{token}", json.dumps(body))


def _column(db_url: str, column: Any) -> list[Any]:
    db = Database(db_url)
    try:
        with db.session() as s:
            return list(s.scalars(select(column)))
    finally:
        db.dispose()


def _notes(db_url: str) -> list[str]:
    return _column(db_url, Note.text)


def _inbox_statuses(db_url: str) -> Counter[str]:
    return Counter(_column(db_url, InboxItem.status))


async def _post(http: aiohttp.ClientSession, port: int, note: Sent, retry: int = 0) -> int | str:
    headers = {"Content-Type": "application/json", **sign(note.body)}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
    try:
        async with http.post(f"http://127.0.0.1:{port}/slack/events", data=note.body, headers=headers) as resp:
            return resp.status
    except (aiohttp.ClientError, OSError) as exc:
        return type(exc).__name__


async def test_every_acknowledged_message_is_answered_after_kill_9(
    env: dict[str, str], standin: HoldingSlack, db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    migrate.upgrade(db)  # (PostgreSQL is migrated by the operator; SQLite would migrate itself)
    db.dispose()
    port = free_port()
    env = {
        **env,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SECONDROUND_SLACK_API_URL": standin.api_url,
        "SECONDROUND_DATABASE_URL": db_url,
        "SECONDROUND_FLOOD_MESSAGES": "1000",  # six fast typists: the flood guard is tested on its own
        "SECONDROUND_INBOX_LEASE_SECONDS": "1",  # the next start takes over the dead process's work at once
    }
    students = [f"U0NOTE{n}" for n in range(SENDERS)]
    notes = {s: [_note(s, uuid.uuid4().hex[:10].upper()) for _ in range(NOTES_EACH)] for s in students}
    everything = [n for batch in notes.values() for n in batch]

    standin.holding = True
    first = await launch(["run", "slack", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "a.log")
    killed = asyncio.Event()
    try:
        await wait_listening(port, first, tmp_path / "a.log")
        async with aiohttp.ClientSession() as http:

            async def send_all(batch: list[Sent]) -> None:
                for note in batch:
                    if killed.is_set():
                        return
                    note.statuses.append(await _post(http, port, note))
                    if sum(n.acknowledged for n in everything) >= KILL_AFTER_ACKS and not killed.is_set():
                        killed.set()  # the other senders stop
                        # an answer in flight when the process dies (on a busy machine the first answers can
                        # still be in the coach when the acks are counted)
                        await asyncio.wait_for(standin.first_held.wait(), timeout=60)
                        first.kill()  # SIGKILL: no shutdown code runs

            await asyncio.gather(*(send_all(batch) for batch in notes.values()))
        await first.wait()
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    acknowledged = [n for n in everything if n.acknowledged]
    assert len(acknowledged) >= KILL_AFTER_ACKS and len(acknowledged) < len(everything)
    assert not standin.calls_to("chat.postMessage")  # nothing acknowledged had been answered at the kill
    assert standin.held >= 1  # some notes were stored and only their answer was in flight
    before = _inbox_statuses(db_url)
    assert before["pending"] >= 1 and before["handled"] >= 1, before
    print(f"at the kill: {len(acknowledged)} of {len(everything)} acknowledged, 0 answered, inbox {dict(before)}")

    standin.holding = False
    standin.release.set()  # (the dead process's held answers reach "Slack", or not: either is real)
    second = await launch(["run", "slack", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "b.log")
    try:
        await wait_listening(port, second, tmp_path / "b.log")
        async with aiohttp.ClientSession() as http:
            # Slack redelivers what it got no 200 for (the same event id, marked as a retry)
            for note in everything:
                retry = 0
                while not note.acknowledged:
                    retry += 1
                    assert retry <= 50, f"{note.token} was never acknowledged: {note.statuses}"
                    note.statuses.append(await _post(http, port, note, retry))
                    if not note.acknowledged:
                        await asyncio.sleep(0.2)  # Slack's back-off (a real process: no clock to inject)

        async def answered() -> bool:
            shown = "\n".join(c.shown for c in standin.calls_to("chat.postMessage"))
            stored = _notes(db_url)
            return all(n.token in shown for n in everything) and all(
                any(n.token in t for t in stored) for n in everything
            )

        await _wait(answered, ANSWER_TIMEOUT, second, tmp_path / "b.log")
        assert await terminate(second) == 0
    finally:
        if second.returncode is None:
            second.kill()
            await second.wait()

    stored = Counter(token for text in _notes(db_url) for token in [text.rsplit(" ", 1)[-1]])
    assert stored == Counter(n.token for n in everything)  # every note once: none lost, none twice
    for note in everything:  # and each student heard about each of their notes, in their own DM
        replies = standin.calls_to("chat.postMessage", lambda c, n=note: n.token in c.shown)
        assert replies and {c.body["channel"] for c in replies} == {dm_channel(note.sender)}
    assert _inbox_statuses(db_url).keys() <= {"done"}
    assert "inbox_recovered" in (tmp_path / "b.log").read_text()


async def _wait(check: object, timeout: float, proc: asyncio.subprocess.Process, log: Path) -> None:
    """Poll the stand-in and the database (a real process: no clock to inject) until ``check()`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():  # type: ignore[operator]
        if proc.returncode is not None or loop.time() > deadline:
            raise AssertionError(f"not every note was answered and stored:\n{log.read_text()[-3000:]}")
        await asyncio.sleep(0.2)
