"""A student's direct message skips Bolt's dispatch on the server, and is answered exactly as through Bolt."""

from __future__ import annotations

from typing import Any

import pytest

from tests.slack.conftest import SlackHarness, dm_event
from tests.standins.slack import BOT_ID, BOT_USER_ID, dm_channel

ALICE, BOB = "U0ALICE", "U0BOB"


def _through_bolt(slack: SlackHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    async def nothing(text: str) -> None:
        return None

    monkeypatch.setattr(slack.adapter, "_direct_message", nothing)


def _no_bolt(slack: SlackHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    assert slack.adapter.bolt is not None

    async def refuse(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("a direct message went through Bolt's dispatch")

    monkeypatch.setattr(slack.adapter.bolt, "async_dispatch", refuse)


async def test_a_direct_message_is_taken_without_bolt_and_acknowledged_as_bolt_does(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:
        _through_bolt(slack, m)
        by_bolt = await slack.dm(ALICE, "how do I handle a dinner interview?")
        bolt_reply = await slack.reply_in(dm_channel(ALICE))
    with monkeypatch.context() as m:
        _no_bolt(slack, m)
        direct = await slack.dm(BOB, "how do I handle a dinner interview?")
        direct_reply = await slack.reply_in(dm_channel(BOB))
    await slack.settle()
    assert (direct.status, direct.body) == (by_bolt.status, by_bolt.body) == (200, "")
    assert direct_reply.body["text"] == bolt_reply.body["text"] and direct_reply.body["blocks"]


@pytest.mark.parametrize("route", ["direct", "bolt"])
async def test_the_app_s_own_messages_are_ignored_on_either_path(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    (_no_bolt if route == "direct" else _through_bolt)(slack, monkeypatch)
    as_user = {**dm_event(BOT_USER_ID, "Hi! I'm SecondRound"), "channel": dm_channel(ALICE)}  # no bot_id
    as_bot = {**dm_event(ALICE, "Hi! I'm SecondRound"), "bot_id": BOT_ID}
    for event in (as_user, as_bot):
        sent = await slack.event(event)
        assert (sent.status, sent.body) == (200, "")
    await slack.settle()
    assert not slack.standin.calls_to("chat.postMessage")


@pytest.mark.parametrize("route", ["direct", "bolt"])
async def test_a_failing_listener_answers_500_on_either_path_so_slack_retries(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    (_no_bolt if route == "direct" else _through_bolt)(slack, monkeypatch)

    async def broken(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("listener bug")

    monkeypatch.setattr(slack.adapter, "_on_message", broken)
    if route == "bolt":  # Bolt registered the bound method at start: its listener list holds the old one
        assert slack.adapter.bolt is not None
        slack.adapter.bolt._async_listeners.clear()
        slack.adapter.bolt.event("message")(broken)
    assert (await slack.dm(ALICE, "hi")).status == 500


async def test_other_events_and_channel_messages_still_go_through_bolt(slack: SlackHarness) -> None:
    assert slack.adapter.bolt is not None
    seen: list[str] = []
    dispatch = slack.adapter.bolt.async_dispatch

    async def counting(req: Any) -> Any:
        seen.append(str((req.body.get("event") or {}).get("type")))
        return await dispatch(req)

    slack.adapter.bolt.async_dispatch = counting  # type: ignore[method-assign]
    home = {"type": "app_home_opened", "user": ALICE, "channel": dm_channel(ALICE), "tab": "home"}
    assert (await slack.event(home)).status == 200
    await slack.settle()
    assert seen == ["app_home_opened"]
