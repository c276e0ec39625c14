"""A database that accepts connections and never answers, against a real ``secondround`` process.

Two real servers stand in for a hung PostgreSQL: one that accepts TCP connections and never sends a
byte, and a proxy in front of the real PostgreSQL that can be told to stop forwarding (a server that
hangs mid-conversation, with the bot's pooled connections open). What must hold: coaching questions
are still answered, anything that needs storage gets "I can't reach my notebook", and once the
database answers again the student's data is there. The servers never close a connection, so every
answer the test gets came from the bot's own timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.knowledge.library import load_knowledge
from bot.storage import migrate
from bot.storage.db import Database
from tests.conftest import BotHarness
from tests.test_cli import EXE

pytestmark = pytest.mark.slow

GUARD = 90.0  # seconds: only so that a hang fails the test instead of stalling the run
STORAGE_DOWN = load_knowledge().response("storage_down")
TIMEOUTS = {  # small, so the test is quick; the defaults are bounded the same way
    "SECONDROUND_DATABASE_CONNECT_TIMEOUT_SECONDS": "2",
    "SECONDROUND_DATABASE_STATEMENT_TIMEOUT_SECONDS": "1",
    "SECONDROUND_DATABASE_POOL_TIMEOUT_SECONDS": "2",
}


class SilentServer:
    """Accepts TCP connections, reads what is sent, and never answers or closes."""

    def __init__(self) -> None:
        self.accepted = 0
        self.open: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open.append(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass  # swallow the start-up packet and whatever follows; say nothing

    async def close(self) -> None:
        for writer in self.open:
            writer.close()
        if self._server is not None:
            self._server.close()


class HangingProxy:
    """Forwards TCP to PostgreSQL until :meth:`hang`; then forwards nothing and answers no new connection."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.flowing = asyncio.Event()
        self.flowing.set()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def hang(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        await self.flowing.wait()  # a hung server accepts the connection and says nothing
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers.append(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while True:
                data = await src.read(65536)
                await self.flowing.wait()
                if not data:
                    break
                dst.write(data)
                await dst.drain()
        dst.close()

    async def close(self) -> None:
        self.flowing.set()
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()


class Chat:
    """``secondround chat --jsonl`` as a real process, one line in, one answer out."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def say(self, line: str) -> tuple[str, float]:
        """Send one line; return the answer's text and how long it took (printed, never asserted)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        began = time.monotonic()
        self.proc.stdin.write((line + "\n").encode())
        await self.proc.stdin.drain()
        while True:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), GUARD)
            assert raw, f"the chat ended without answering {line!r}"
            turn: dict[str, Any] = json.loads(raw)
            if "in" in turn:  # (a reminder line may come first)
                break
        assert turn["in"] == line
        return "\n".join(r["text"] for r in turn["replies"]), time.monotonic() - began

    async def close(self) -> str:
        """End the chat (end of input); returns what it wrote to stderr."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        _, stderr = await asyncio.wait_for(self.proc.communicate(), GUARD)
        return stderr.decode()


@contextlib.asynccontextmanager
async def chat(env: dict[str, str], db_url: str) -> AsyncIterator[Chat]:
    proc = await asyncio.create_subprocess_exec(
        EXE,
        "chat",
        "--jsonl",
        "--user",
        "ann",
        env={**env, **TIMEOUTS, "SECONDROUND_DATABASE_URL": db_url},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield Chat(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def healthy_answer(bot: BotHarness, line: str) -> str:
    """What a new student is answered with the database up (coaching needs no stored data)."""
    import uuid

    fresh = bot.chat(f"fresh-{uuid.uuid4().hex[:8]}", tz="UTC")
    return (fresh.press(json.loads(line)["action"]) if line.startswith("{") else fresh.say(line)).text


def _via(url: str, port: int) -> str:
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


@pytest.fixture
async def silent() -> AsyncIterator[SilentServer]:
    server = SilentServer()
    await server.start()
    yield server
    await server.close()


async def test_a_database_that_never_answers_gives_coaching_and_says_storage_is_down(
    env: dict[str, str], silent: SilentServer, bot: BotHarness
) -> None:
    url = f"postgresql://secondround:pw@127.0.0.1:{silent.port}/secondround"
    async with chat(env, url) as me:
        coaching, t1 = await me.say("how do I negotiate salary in the second interview?")
        topic, t2 = await me.say(json.dumps({"action": "topic:salary"}))
        upcoming, t3 = await me.say("what's coming up?")
        note, t4 = await me.say("note: they asked a lot about SQL")
        stderr = await me.close()
    print(f"answers after {t1:.1f} s (includes start-up), {t2:.1f} s, {t3:.1f} s, {t4:.1f} s")
    assert me.proc.returncode == 0, stderr[-2000:]
    assert coaching == healthy_answer(bot, "how do I negotiate salary in the second interview?")
    assert topic == healthy_answer(bot, json.dumps({"action": "topic:salary"}))
    assert upcoming == STORAGE_DOWN
    assert note == STORAGE_DOWN  # not "noted": nothing was stored, and the student is told so
    assert silent.accepted >= 1  # the bot did try the server, which never answered nor hung up


@pytest.fixture
async def hanging(postgres_url: str) -> AsyncIterator[tuple[HangingProxy, str]]:
    """A migrated PostgreSQL database behind a :class:`HangingProxy`, and the URL that goes through it."""
    db = Database(postgres_url)
    migrate.upgrade(db)
    db.dispose()
    real = make_url(postgres_url)
    proxy = HangingProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    yield proxy, _via(postgres_url, proxy.port)
    await proxy.close()


@pytest.mark.postgres
async def test_a_database_that_hangs_mid_conversation_then_comes_back(
    env: dict[str, str], hanging, bot: BotHarness
) -> None:
    proxy, url = hanging
    async with chat(env, url) as me:
        stored, _ = await me.say("I have a second interview with Acme on Friday at 3pm")
        assert "Acme" in stored
        before, _ = await me.say("what's coming up?")
        assert "Acme" in before

        proxy.hang()  # pooled connections and new ones alike now get no answer
        coaching, t1 = await me.say("they might ask about my salary expectations, what do I say?")
        upcoming, t2 = await me.say("what's coming up?")

        proxy.resume()
        after, t3 = await me.say("what's coming up?")
        stderr = await me.close()
    print(f"hung: coaching after {t1:.1f} s, storage question after {t2:.1f} s; back: {t3:.1f} s")
    assert me.proc.returncode == 0, stderr[-2000:]
    assert coaching == healthy_answer(bot, "they might ask about my salary expectations, what do I say?")
    assert upcoming == STORAGE_DOWN
    assert "Acme" in after  # nothing was lost, and the bot reconnected by itself


async def _http_status(url: str) -> tuple[int | None, str]:
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            return resp.status, await resp.text()
    except aiohttp.ClientError:
        return None, ""


async def _poll(url: str, want: int, what: str) -> str:
    """Poll a real process's endpoint (there is no clock to inject there) until it answers ``want``."""
    deadline = time.monotonic() + GUARD
    while True:
        status, body = await _http_status(url)
        if status == want:
            return body
        assert time.monotonic() < deadline, f"timed out waiting for {what} (last: {status} {body})"
        await asyncio.sleep(0.1)


@pytest.mark.postgres
async def test_liveness_fails_while_every_worker_is_stuck_on_the_database_and_recovers(
    env: dict[str, str], hanging, tmp_path
) -> None:
    """``secondround run discord`` with database timeouts longer than the liveness bound, on purpose.

    More students write than there are worker threads, each reply waits on the hung database, and
    /healthz must say so (503, worker pool stuck) instead of staying 200 while nobody gets an
    answer. When the database answers again, so does /healthz, and every student gets a reply.
    """
    from tests.ops.test_shutdown import TOKEN, _free_port
    from tests.standins.discord import DiscordStandIn

    proxy, url = hanging
    standin = DiscordStandIn(token=TOKEN)
    await standin.start()
    port = _free_port()
    proc_env = {
        **env,
        "SECONDROUND_DATABASE_URL": url,
        "SECONDROUND_DATABASE_CONNECT_TIMEOUT_SECONDS": "60",
        "SECONDROUND_DATABASE_STATEMENT_TIMEOUT_SECONDS": "60",
        "SECONDROUND_DATABASE_POOL_TIMEOUT_SECONDS": "60",
        "SECONDROUND_HEALTH_STALL_SECONDS": "2",
        "SECONDROUND_HEALTH_ADDR": f"127.0.0.1:{port}",
        "DISCORD_TOKEN": TOKEN,
        "SECONDROUND_DISCORD_API_URL": standin.api_url,
        "SECONDROUND_DISCORD_GATEWAY_URL": standin.gateway_url,
    }
    log = tmp_path / "bot.log"
    with log.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            EXE, "run", "discord", env=proc_env, stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink
        )
    health = f"http://127.0.0.1:{port}/healthz"
    students = [standin.user(f"student{i}") for i in range(12)]  # more than the worker threads
    try:
        await _poll(f"http://127.0.0.1:{port}/readyz", 200, "the bot to be ready")
        assert (await _http_status(health))[0] == 200

        proxy.hang()
        for student in students:
            await standin.message(student, "what's coming up?")
        stuck = json.loads(await _poll(health, 503, "/healthz to report the stuck worker pool"))
        assert "worker_pool" in stuck["stuck_seconds"] and stuck["bound_seconds"] == 2

        proxy.resume()
        await _poll(health, 200, "/healthz to recover once the database answers")
        await standin.wait_for(lambda: all(standin.dms(s) for s in students), timeout=GUARD)
    finally:
        if proc.returncode is None:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), GUARD)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await standin.stop()
    for student in students:
        assert "You have no upcoming interviews on file" in standin.dms(student)[0].content
    assert proc.returncode == 0, log.read_text()[-3000:]
