"""Fixtures for the Slack adapter: the stand-in, the bot wired to it, and a Slack-like request sender.

``slack`` is the whole bot (the ``bot`` fixture's app, with its FakeClock) behind a real
:class:`~adapters.slack.SlackAdapter` in HTTP mode on a random port, talking to the Slack stand-in.
Tests send what Slack would send (signed events, slash commands, button clicks) and read what the
stand-in received.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack import SlackAdapter
from adapters.slack.adapter import DM_PACE_SECONDS
from bot.common.settings import Settings
from bot.ops.runtime import Runtime
from bot.reminders.delivery import Pacer
from tests.conftest import BotHarness
from tests.standins.env import settings_with
from tests.standins.slack import BOT_USER_ID, TEAM_ID, SlackStandIn, dm_channel

BOT_TOKEN = "xoxb-1111111111-2222222222-StandInBotTokenValue"
APP_TOKEN = "xapp-1-A0APP-3333333333-StandInAppTokenValue"
SIGNING_SECRET = "8f742231b10e8888abcd99aaabbb85a5"  # the shape Slack uses: 32 hex digits


@pytest.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    server = await SlackStandIn(bot_token=BOT_TOKEN, app_token=APP_TOKEN).start()
    yield server
    await server.close()


def slack_settings(tmp_path: Path, standin: SlackStandIn, **overrides: Any) -> Settings:
    """Settings for a bot talking to the stand-in (HTTP mode unless ``SLACK_APP_TOKEN`` is given).

    Upper-case overrides are Slack's variables (they go in the settings file the plugin reads, None
    leaves one out); the others are the core's.
    """
    variables: dict[str, object | None] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SECONDROUND_SLACK_API_URL": standin.api_url,
    }
    return settings_with(tmp_path, variables, **overrides)


@pytest.fixture
def settings(tmp_path: Path, standin: SlackStandIn) -> Settings:
    """The ``bot`` fixture's settings, pointed at the stand-in (overrides tests/conftest.py)."""
    return slack_settings(tmp_path, standin)


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack puts on a request: ``v0=HMAC_SHA256(secret, "v0:{ts}:{body}")``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


_ts = itertools.count(1)


def next_ts() -> str:
    """A fresh message timestamp, as Slack uses for message ids."""
    return f"1772463600.{next(_ts) + 500000:06d}"


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope around ``event``."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def dm_event(user: str, text: str, *, ts: str | None = None, thread_ts: str | None = None) -> dict[str, Any]:
    """A message a student typed in their DM with the app."""
    event: dict[str, Any] = {
        "type": "message",
        "channel_type": "im",
        "channel": dm_channel(user),
        "user": user,
        "text": text,
        "ts": ts or next_ts(),
        "team": TEAM_ID,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def mention_event(user: str, channel: str, text: str, *, ts: str | None = None) -> dict[str, Any]:
    """``@SecondRound …`` in a channel."""
    return {
        "type": "app_mention",
        "channel": channel,
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts or next_ts(),
        "team": TEAM_ID,
    }


def command_form(text: str, *, user: str, channel: str, response_url: str, name: str = "/coach") -> dict[str, str]:
    """The form fields of a slash command."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "career-services",
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "career-help",
        "user_id": user,
        "user_name": user.lower(),
        "command": name,
        "text": text,
        "api_app_id": "A0APP",
        "response_url": response_url,
        "trigger_id": f"{uuid.uuid4().int % 10**10}.1.abc",
    }


def click_payload(
    element: dict[str, Any],
    *,
    user: str,
    channel: str | None,
    response_url: str | None,
    message_ts: str | None = None,
    ephemeral: bool = False,
    view: bool = False,
) -> dict[str, Any]:
    """A block_actions payload: ``user`` clicked the button ``element`` (as the bot sent it)."""
    action = {
        "type": "button",
        "action_id": element["action_id"],
        "block_id": "b1",
        "text": element["text"],
        "value": element["value"],
        "action_ts": str(time.time()),
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "career-services"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "trigger_id": "123.456.abc",
        "actions": [action],
    }
    if view:
        payload["container"] = {"type": "view", "view_id": "V1"}
        payload["view"] = {"id": "V1", "type": "home"}
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts or next_ts(),
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        payload["channel"] = {"id": channel, "name": "directmessage" if channel and channel[0] == "D" else "career"}
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": payload["container"]["message_ts"], "bot_id": "B0BOT"}
    if response_url:
        payload["response_url"] = response_url
    return payload


@dataclass
class Sent:
    """What the adapter answered to one HTTP request."""

    status: int
    body: str
    seconds: float


@dataclass
class FakePace:
    """A monotonic clock that moves only when the adapter's pacer sleeps; the sleeps are recorded."""

    now: float = 1000.0
    waits: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))
        self.now += seconds

    def pacer(self) -> Pacer:
        return Pacer(DM_PACE_SECONDS, monotonic=self.monotonic, sleep=self.sleep)


@dataclass
class SlackHarness:
    """The bot behind the Slack adapter, the stand-in, and a way to send Slack's requests."""

    bot: BotHarness
    standin: SlackStandIn
    adapter: SlackAdapter
    runtime: Runtime
    http: aiohttp.ClientSession
    pace: FakePace
    extra: list[SlackAdapter] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.adapter.port}/slack/events"

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        adapter: SlackAdapter | None = None,
        signed: bool = True,
    ) -> Sent:
        target = adapter or self.adapter
        all_headers = {"Content-Type": content_type, **(sign(body) if signed else {}), **(headers or {})}
        started = time.perf_counter()
        async with self.http.post(
            f"http://127.0.0.1:{target.port}/slack/events", data=body.encode(), headers=all_headers
        ) as resp:
            text = await resp.text()
            return Sent(resp.status, text, time.perf_counter() - started)

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, **kw: Any) -> Sent:
        body = json.dumps(event_body(event, event_id=event_id))
        return await self.post(body, "application/json", **kw)

    async def dm(self, user: str, text: str, **kw: Any) -> Sent:
        return await self.event(dm_event(user, text), **kw)

    async def command(self, text: str, *, user: str, channel: str = "C0CAREER", **kw: Any) -> tuple[Sent, str]:
        response_url = self.standin.response_url()
        form = command_form(text, user=user, channel=channel, response_url=response_url)
        sent = await self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)
        return sent, response_url

    async def click(self, payload: dict[str, Any], **kw: Any) -> Sent:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def settle(self) -> None:
        """Wait until every adapter has finished what it started (answers, App Home refreshes)."""
        for adapter in (self.adapter, *self.extra):
            assert await adapter.idle(20.0), "the adapter did not finish its work"

    def posts(self, channel: str) -> list[Any]:
        return self.standin.calls_to("chat.postMessage", lambda c: c.body.get("channel") == channel)

    async def reply_in(self, channel: str, *, count: int = 1, thread: str | None = None) -> Any:
        """Wait for the ``count``-th message posted to ``channel`` (optionally in ``thread``); returns it."""

        def where(c: Any) -> bool:
            return c.body.get("channel") == channel and (thread is None or c.body.get("thread_ts") == thread)

        return (await self.standin.wait_for("chat.postMessage", where, count=count))[count - 1]

    async def response(self, response_url: str, *, count: int = 1) -> Any:
        calls = await self.standin.wait_for("response_url", lambda c: c.body["_url"] == response_url, count=count)
        return calls[count - 1]

    async def start_adapter(self, runtime: Runtime | None = None) -> SlackAdapter:
        adapter = SlackAdapter(runtime or self.runtime, host="127.0.0.1", port=0)
        adapter.pacer = self.pace.pacer()
        await adapter.start()
        self.extra.append(adapter)
        return adapter


@pytest.fixture
async def slack(bot: BotHarness, standin: SlackStandIn) -> AsyncIterator[SlackHarness]:
    runtime = Runtime(bot.app, health=False, reminders=False)
    adapter = SlackAdapter(runtime, host="127.0.0.1", port=0)
    pace = FakePace()
    adapter.pacer = pace.pacer()  # the pacing is seen in pace.waits, without waiting
    runtime.add(adapter)
    await adapter.start()
    async with aiohttp.ClientSession() as http:
        harness = SlackHarness(bot, standin, adapter, runtime, http, pace)
        yield harness
        for extra in harness.extra:
            await extra.stop()
        await adapter.stop()
