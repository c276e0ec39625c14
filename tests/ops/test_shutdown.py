"""SIGTERM and SIGINT on a real ``secondround run discord`` process, against the Discord stand-in.

What an operator relies on when Kubernetes, systemd or ``docker stop`` stops the bot: a reply
being written and a reminder being sent when the signal comes still go out, readiness turns off
at once, nothing stays claimed in the database, and the process exits 0 by itself. (How long that
takes is printed, not asserted: timings belong in bench/. The waits below only keep a hung process
from stalling the run.)
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.models import Reminder, User
from tests.standins.discord import DiscordStandIn
from tests.standins.discord import Request as StandInRequest
from tests.test_cli import EXE

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GsHuTd.planted-bot-token-secret-0123456789"
GUARD = 120.0  # seconds: a process that has not exited by then is hung (the runtime's grace is 20 s)

pytestmark = pytest.mark.slow


class HoldingStandIn(DiscordStandIn):
    """The stand-in, able to hold messages the bot posts until the test releases them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hold = 0  # how many message posts to hold
        self.held = 0
        self.release = asyncio.Event()
        self.held_changed = asyncio.Event()

    async def _route(self, method: str, path: str, rec: StandInRequest) -> web.Response:
        if method == "POST" and re.fullmatch(r"/channels/\d+/messages", path) and self.hold > 0:
            self.hold -= 1
            self.held += 1
            self.held_changed.set()
            await self.release.wait()
        return await super()._route(method, path, rec)


@pytest.fixture
async def standin() -> AsyncIterator[HoldingStandIn]:
    server = HoldingStandIn(token=TOKEN)
    await server.start()
    yield server
    server.release.set()
    await server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bot_env(env: dict[str, str], standin: DiscordStandIn, db_url: str, port: int) -> dict[str, str]:
    return {
        **env,
        "SECONDROUND_DATABASE_URL": db_url,
        "DISCORD_TOKEN": standin.token,
        "SECONDROUND_DISCORD_API_URL": standin.api_url,
        "SECONDROUND_DISCORD_GATEWAY_URL": standin.gateway_url,
        "SECONDROUND_HEALTH_ADDR": f"127.0.0.1:{port}",
        "SECONDROUND_LOG_FORMAT": "json",
        "SECONDROUND_LOG_LEVEL": "DEBUG",
        "SECONDROUND_LOG_MESSAGE_BODIES": "true",  # the bodies must come out redacted
    }


async def _status(url: str) -> int | None:
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            return resp.status
    except aiohttp.ClientError:
        return None


async def _until(check: Any, timeout: float, what: str) -> None:
    """Poll a real process (no clock to inject there) until ``check()`` holds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _seed_due_reminder(db_url: str, discord_user_id: int) -> None:
    """A check-in reminder for a Discord member, due a minute ago (so it goes out at start-up)."""
    db = Database(db_url)
    try:
        migrate.upgrade(db)
        now = datetime.now(UTC)
        with db.session() as s:
            user = User(
                platform="discord",
                workspace="",
                external_id=str(discord_user_id),
                tz="UTC",
                created_at=now,
                last_seen_at=now,
            )
            s.add(user)
            s.flush()
            s.add(
                Reminder(
                    user_id=user.id,
                    interview_id=None,
                    kind="check_in",
                    due_at=now - timedelta(minutes=1),
                    planned_at=now - timedelta(minutes=1),
                    status="pending",
                    attempts=0,
                    platform="discord",
                    workspace="",
                    channel="",
                    external_user=str(discord_user_id),
                    created_at=now,
                )
            )
    finally:
        db.dispose()


def _reminder_statuses(db_url: str) -> list[tuple[str, str | None]]:
    db = Database(db_url)
    try:
        with db.session() as s:
            return [(r.status, r.claimed_by) for r in s.scalars(select(Reminder))]
    finally:
        db.dispose()


async def _start(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """Start the bot; its log (standard error, DEBUG) goes to a file, never to a pipe nobody reads."""
    with log.open("wb") as sink:
        return await asyncio.create_subprocess_exec(
            EXE, "run", "discord", env=env, stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink
        )


async def test_sigterm_finishes_the_reply_and_the_reminder_in_flight_then_exits_0(
    standin: HoldingStandIn, env: dict[str, str], tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    ann, bob = standin.user("ann"), standin.user("bob")
    _seed_due_reminder(db_url, ann.id)
    port = _free_port()
    standin.hold = 2  # Ann's reminder and the reply to Bob will hang until released
    log_file = tmp_path / "bot.log"
    proc = await _start(_bot_env(env, standin, db_url, port), log_file)
    try:
        await standin.wait_connected(timeout=60)
        await asyncio.wait_for(_wait_held(standin, 1), 30)  # the reminder is being sent
        await standin.message(bob, "hi")
        await asyncio.wait_for(_wait_held(standin, 2), 30)  # and the reply to Bob is being written

        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        ready = f"http://127.0.0.1:{port}/readyz"
        await _until(lambda: _is(ready, 503), 30, "/readyz to answer 503 while shutting down")
        assert proc.returncode is None  # still finishing what it started
        standin.release.set()
        await asyncio.wait_for(proc.wait(), GUARD)
        elapsed = time.monotonic() - signalled
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = log_file.read_text()
    print(f"exit {proc.returncode} {elapsed:.2f} s after SIGTERM (two messages held until /readyz said 503)")
    assert proc.returncode == 0, log[-3000:]
    # both messages that were in flight arrived
    assert len(standin.dms(ann)) == 1 and standin.dms(ann)[0].content
    assert len(standin.dms(bob)) == 1 and standin.dms(bob)[0].content
    # the reminder is recorded as sent: nothing left claimed for another instance to wait on
    assert _reminder_statuses(db_url) == [("sent", standin_instance_claim(log))]
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert "started" in names and "stopping" in names and names[-1] == "stopped"
    assert next(e for e in events if e["event"] == "stopping")["signal"] == "SIGTERM"
    # a DEBUG run's whole log (discord.py's HTTP and gateway chatter included) holds no token
    assert TOKEN not in log and "planted-bot-token" not in log


def standin_instance_claim(log: str) -> str | None:
    """The sent row keeps the name of the instance that sent it (``claimed_by``)."""
    for line in log.splitlines():
        if '"event": "started"' in line:
            return json.loads(line)["instance"]
    return None


async def _is(url: str, status: int) -> bool:
    return await _status(url) == status


async def _wait_held(standin: HoldingStandIn, count: int) -> None:
    while standin.held < count:
        standin.held_changed.clear()
        await standin.held_changed.wait()


async def test_sigint_when_idle_stops_promptly(standin: HoldingStandIn, env: dict[str, str], tmp_path: Path) -> None:
    port = _free_port()
    log_file = tmp_path / "bot.log"
    proc = await _start(_bot_env(env, standin, f"sqlite:///{tmp_path / 'bot.db'}", port), log_file)
    try:
        ready = f"http://127.0.0.1:{port}/readyz"
        await _until(lambda: _is(ready, 200), 60, "/readyz to answer 200")
        assert await _status(f"http://127.0.0.1:{port}/healthz") == 200
        proc.send_signal(signal.SIGINT)
        signalled = time.monotonic()
        await asyncio.wait_for(proc.wait(), GUARD)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    elapsed = time.monotonic() - signalled
    log = log_file.read_text()
    print(f"exit {proc.returncode} {elapsed:.2f} s after SIGINT")
    assert proc.returncode == 0, log[-3000:]
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "stopped"  # an orderly stop, not a crash or a kill
    assert next(e for e in events if e["event"] == "stopping")["signal"] == "SIGINT"
    assert await _status(f"http://127.0.0.1:{port}/healthz") is None  # the endpoint went with it
