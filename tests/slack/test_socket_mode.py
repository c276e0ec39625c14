"""Socket Mode: the real slack_sdk aiohttp client against the stand-in's websocket, reconnects included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.slack import SlackAdapter
from bot.common.clock import FakeClock
from bot.knowledge.library import Knowledge
from bot.nlu import NLU
from bot.ops.app import App
from bot.ops.runtime import Runtime
from tests.conftest import START
from tests.slack.conftest import APP_TOKEN, click_payload, command_form, dm_event, event_body, slack_settings
from tests.standins.slack import SlackStandIn, dm_channel

ALICE = "U0ALICE"


@pytest.fixture
async def socket_adapter(
    tmp_path: Path, standin: SlackStandIn, nlu: NLU, knowledge: Knowledge
) -> AsyncIterator[SlackAdapter]:
    settings = slack_settings(tmp_path, standin, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=None)
    app = App.build(settings, clock=FakeClock(START), nlu=nlu, knowledge=knowledge)
    adapter = SlackAdapter(Runtime(app, health=False, reminders=False))
    await adapter.start()
    yield adapter
    await adapter.stop()
    app.close()


async def test_socket_mode_connects_answers_and_reconnects_after_a_disconnect(
    socket_adapter: SlackAdapter, standin: SlackStandIn
) -> None:
    conn = await standin.wait_connections(1)
    [opened] = standin.calls_to("apps.connections.open")
    assert opened.auth == f"Bearer {APP_TOKEN}"
    assert socket_adapter.ready()

    envelope = await standin.send_envelope("events_api", event_body(dm_event(ALICE, "hi"), event_id="Ev0SOCK1"))
    assert await standin.wait_ack(envelope) == {"envelope_id": envelope}
    assert "SecondRound" in (await standin.wait_for("chat.postMessage"))[0].shown

    await standin.disconnect()  # Slack refreshes connections every few hours
    fresh = await standin.wait_connections(2)
    assert fresh is not conn and len(standin.calls_to("apps.connections.open")) == 2
    envelope = await standin.send_envelope(
        "events_api", event_body(dm_event(ALICE, "how do I handle a dinner interview?"), event_id="Ev0SOCK2")
    )
    await standin.wait_ack(envelope)
    [*_, answer] = await standin.wait_for("chat.postMessage", count=2)
    assert "meal interview" in answer.shown  # headed by what it answers
    assert socket_adapter.ready()

    await socket_adapter.stop()
    assert not socket_adapter.ready()
    assert not standin.open_connections


async def test_socket_mode_commands_clicks_and_retried_events(
    socket_adapter: SlackAdapter, standin: SlackStandIn
) -> None:
    await standin.wait_connections(1)
    response_url = standin.response_url()
    envelope = await standin.send_envelope(
        "slash_commands", command_form("tips salary", user=ALICE, channel="C0CAREER", response_url=response_url)
    )
    assert (await standin.wait_ack(envelope))["envelope_id"] == envelope
    [answer] = await standin.wait_for("response_url")
    assert answer.body["response_type"] == "ephemeral" and "Salary and negotiating" in answer.shown

    click_url = standin.response_url()
    envelope = await standin.send_envelope(
        "interactive",
        click_payload(
            answer.button("Negotiating"), user=ALICE, channel="C0CAREER", response_url=click_url, ephemeral=True
        ),
    )
    await standin.wait_ack(envelope)
    [follow_up] = await standin.wait_for("response_url", lambda c: c.body["_url"] == click_url)
    assert "offer" in follow_up.shown.lower()

    event = event_body(dm_event(ALICE, "hi"), event_id="Ev0SOCKRETRY")
    first = await standin.send_envelope("events_api", event)
    again = await standin.send_envelope("events_api", event, retry_attempt=1)
    await standin.wait_ack(first)
    await standin.wait_ack(again)  # acknowledged, so Slack stops retrying...
    await standin.wait_for("chat.postMessage", lambda c: c.body["channel"] == dm_channel(ALICE))
    assert await socket_adapter.idle(10.0)
    assert len(standin.calls_to("chat.postMessage", lambda c: c.body["channel"] == dm_channel(ALICE))) == 1  # ...once
