"""``api.post_json``, the answer path's chat.postMessage without the SDK's machinery, behaves as the SDK client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from adapters.slack import api
from tests.standins.slack import SlackStandIn

TOKEN = "xoxb-1111111111-2222222222-PostJsonTokenValue"
MESSAGE = {"channel": "D1", "text": "hi", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = await SlackStandIn(bot_token=TOKEN).start()
    yield standin
    await standin.close()


async def test_a_message_is_posted_once_with_the_token_and_no_empty_fields(slack: SlackStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        client = api.make_client(session, slack.api_url, TOKEN, retry_429=True)
        answer = await api.post_json(client, "chat.postMessage", {**MESSAGE, "thread_ts": None})
    assert answer["ok"]
    [call] = slack.calls_to("chat.postMessage")
    assert call.auth == f"Bearer {TOKEN}" and call.body["text"] == "hi" and "thread_ts" not in call.body


async def test_an_error_raises_slacks_error_code(slack: SlackStandIn) -> None:
    slack.fail("chat.postMessage", "channel_not_found")
    async with aiohttp.ClientSession() as session:
        client = api.make_client(session, slack.api_url, TOKEN, retry_429=True)
        with pytest.raises(SlackApiError) as raised:
            await api.post_json(client, "chat.postMessage", dict(MESSAGE))
    assert api.error_code(raised.value) == "channel_not_found"
    assert len([c for c in slack.calls if c.method == "chat.postMessage"]) == 1  # not sent again


async def test_a_rate_limit_is_waited_out_for_answers(slack: SlackStandIn) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    slack.rate_limit("chat.postMessage", 1.5)
    async with aiohttp.ClientSession() as session:
        client = api.make_client(session, slack.api_url, TOKEN, retry_429=True)
        for handler in client.retry_handlers:
            if isinstance(handler, api.RetryAfterHandler):
                handler.sleep = sleep
        answer = await api.post_json(client, "chat.postMessage", dict(MESSAGE))
    assert answer["ok"] and slept == [1.5]
    assert [c.status for c in slack.calls if c.method == "chat.postMessage"] == [429, 200]


async def test_a_rate_limit_on_reminders_raises_with_retry_after(slack: SlackStandIn) -> None:
    slack.rate_limit("chat.postMessage", 7)
    async with aiohttp.ClientSession() as session:
        client = api.make_client(session, slack.api_url, TOKEN, retry_429=False)
        with pytest.raises(SlackApiError) as raised:
            await api.post_json(client, "chat.postMessage", dict(MESSAGE))
    error = api.delivery_error(raised.value)
    assert error.retry_after == 7 and not error.permanent
    assert [c.status for c in slack.calls if c.method == "chat.postMessage"] == [429]


async def test_a_workspaces_own_token_is_used(slack: SlackStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        client = api.make_client(session, slack.api_url, None, retry_429=True)
        await api.post_json(client, "chat.postMessage", {**MESSAGE, "token": TOKEN})
    [call] = slack.calls_to("chat.postMessage")
    assert call.auth == f"Bearer {TOKEN}" and "token" not in call.body


async def test_at_debug_the_call_goes_through_the_sdk_and_is_logged(
    slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    async with aiohttp.ClientSession() as session:
        client = api.make_client(session, slack.api_url, TOKEN, retry_429=True)
        with caplog.at_level(logging.DEBUG):
            await api.post_json(client, "chat.postMessage", dict(MESSAGE))
    assert any("Sending a request" in r.getMessage() for r in caplog.records)
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_an_answer_that_is_not_json_raises_slacks_error() -> None:
    from aiohttp import web

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>bad gateway</html>", content_type="text/html")

    app = web.Application()
    app.router.add_post("/api/{method}", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            client = api.make_client(session, f"http://127.0.0.1:{port}/api/", TOKEN, retry_429=True)
            with pytest.raises(SlackApiError) as raised:
                await api.post_json(client, "chat.postMessage", dict(MESSAGE))
        assert api.error_code(raised.value) == "http_502"
    finally:
        await runner.cleanup()
