"""``secondround run slack`` as a real process, in HTTP mode and in Socket Mode, against the stand-in."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.slack.conftest import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    command_form,
    dm_event,
    event_body,
    sign,
)
from tests.standins.slack import SlackStandIn, dm_channel
from tests.test_cli import EXE

ALICE, BOB = "U0ALICE", "U0BOB"
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def launch(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """Start ``secondround``; its standard error goes to ``log`` (DEBUG output is large)."""
    with log.open("wb") as err:
        return await asyncio.create_subprocess_exec(
            EXE, *args, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=err
        )


async def wait_listening(port: int, proc: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise AssertionError(f"the bot exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)  # the process is still loading (network I/O wait, not a clock)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listening on {port}:\n{log.read_text()[-3000:]}")


async def terminate(proc: asyncio.subprocess.Process) -> int:
    """SIGTERM, as systemd or Docker would send; returns the exit status."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(proc.wait(), 30)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise


def assert_no_secrets(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text
        if "-" in secret:
            assert secret.partition("-")[2] not in text  # nor the part after the token's well-known prefix


async def post(http: aiohttp.ClientSession, port: int, body: str, content_type: str, headers: dict[str, str]) -> int:
    async with http.post(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers={"Content-Type": content_type, **headers},
    ) as resp:
        return resp.status


async def test_http_mode_in_a_real_process(env: dict[str, str], standin: SlackStandIn, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "stderr.log"
    env = {
        **env,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SECONDROUND_SLACK_API_URL": standin.api_url,
        "SECONDROUND_LOG_LEVEL": "DEBUG",
        "SECONDROUND_LOG_MESSAGE_BODIES": "true",  # the bodies must come out redacted
    }
    proc = await launch(["run", "slack", "--host", "127.0.0.1", "--port", str(port)], env, log)
    try:
        await wait_listening(port, proc, log)
        async with aiohttp.ClientSession() as http:
            hello = json.dumps(event_body(dm_event(ALICE, "hi"), event_id="Ev0PROC1"))
            assert await post(http, port, hello, "application/json", sign(hello)) == 200
            assert "SecondRound" in (await standin.wait_for("chat.postMessage"))[0].shown

            forged = json.dumps(event_body(dm_event(BOB, "hi"), event_id="Ev0PROC2"))
            assert await post(http, port, forged, "application/json", sign(forged, secret="f" * 32)) == 401

            retried = {**sign(hello), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            assert await post(http, port, hello, "application/json", retried) == 200

            url = standin.response_url()
            form = urlencode(command_form("list", user=ALICE, channel="C0CAREER", response_url=url))
            assert await post(http, port, form, "application/x-www-form-urlencoded", sign(form)) == 200
            [answer] = await standin.wait_for("response_url")
            assert "no upcoming interviews" in answer.shown and answer.body["response_type"] == "ephemeral"
        assert await terminate(proc) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    # Bob's forged message was not answered; Alice's retried one was answered once
    assert [c.body["channel"] for c in standin.calls_to("chat.postMessage")] == [dm_channel(ALICE)]
    text = log.read_text()
    assert "slack_started" in text and "Sending a request" in text  # DEBUG, including slack_sdk's bodies
    assert_no_secrets(text, BOT_TOKEN, SIGNING_SECRET)


async def test_socket_mode_in_a_real_process(env: dict[str, str], standin: SlackStandIn, tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    env = {
        **env,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SECONDROUND_SLACK_API_URL": standin.api_url,
        "SECONDROUND_LOG_LEVEL": "DEBUG",
        "SECONDROUND_LOG_MESSAGE_BODIES": "true",  # the bodies must come out redacted
    }
    proc = await launch(["run", "slack"], env, log)
    try:
        await standin.wait_connections(1, timeout=START_TIMEOUT)
        envelope = await standin.send_envelope("events_api", event_body(dm_event(ALICE, "hi")))
        await standin.wait_ack(envelope)
        assert "SecondRound" in (await standin.wait_for("chat.postMessage"))[0].shown

        await standin.disconnect()
        await standin.wait_connections(2)
        envelope = await standin.send_envelope(
            "events_api", event_body(dm_event(ALICE, "how do I handle a dinner interview?"))
        )
        await standin.wait_ack(envelope)
        [*_, answer] = await standin.wait_for("chat.postMessage", count=2)
        assert "meal interview" in answer.shown  # headed by what it answers
        assert await terminate(proc) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert not standin.open_connections
    text = log.read_text()
    assert "slack_started" in text and "apps.connections.open" in text
    assert_no_secrets(text, BOT_TOKEN, APP_TOKEN)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        # (a missing or user-level SLACK_BOT_TOKEN: see tests/test_cli.py)
        ({"SLACK_APP_TOKEN": "xoxb-5555-not-an-app-level-token"}, "SLACK_APP_TOKEN does not look like an app-level"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-6666-well-formed-but-revoked"},
            "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)",
        ),
        ({"SLACK_APP_TOKEN": "xapp-1-A0APP-7777-revoked-app-token"}, "SLACK_APP_TOKEN was rejected by Slack"),
        ({"SECONDROUND_SLACK_API_URL": "http://127.0.0.1:9/api/"}, "SECONDROUND_SLACK_API_URL: could not reach"),
    ],
)
async def test_bad_tokens_stop_the_start_with_a_clear_error_naming_the_variable(
    env: dict[str, str], standin: SlackStandIn, variables: dict[str, str], message: str
) -> None:
    env = {
        **env,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SECONDROUND_SLACK_API_URL": standin.api_url,
        **variables,
    }
    proc = await asyncio.create_subprocess_exec(
        EXE,
        "run",
        "slack",
        "--port",
        str(free_port()),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), START_TIMEOUT)
    stdout, stderr = out.decode(), err.decode()
    assert proc.returncode == 2, stderr
    assert message in stderr
    assert "Traceback" not in stdout + stderr
    for value in variables.values():
        if value.startswith(("xox", "xapp")):
            assert_no_secrets(stdout + stderr, value)
    assert_no_secrets(stdout + stderr, BOT_TOKEN, SIGNING_SECRET)


async def test_a_flood_of_large_unsigned_bodies_stalls_nothing(
    env: dict[str, str], standin: SlackStandIn, tmp_path: Path
) -> None:
    """Sixty 900 KB forged requests while a student talks: every one refused, nobody kept waiting."""
    port, health = free_port(), free_port()
    log = tmp_path / "stderr.log"
    env = {
        **env,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SECONDROUND_SLACK_API_URL": standin.api_url,
        "SECONDROUND_HEALTH_ADDR": f"127.0.0.1:{health}",
    }
    # what made redaction quadratic: a long run of token characters (and a student's words to leak)
    junk = json.dumps({"text": "Zebediah Quux " + "A" * 450_000 + "." + "b" * 450_000})
    forged = [(junk, sign(junk, secret="f" * 32)), (junk, sign(junk, timestamp=int(time.time()) - 400))] * 30
    proc = await launch(["run", "slack", "--host", "127.0.0.1", "--port", str(port)], env, log)
    try:
        await wait_listening(port, proc, log)
        await wait_listening(health, proc, log)
        async with aiohttp.ClientSession() as http:

            async def flood() -> list[int]:
                return list(
                    await asyncio.gather(*(post(http, port, body, "application/json", h) for body, h in forged))
                )

            async def student() -> list[int]:
                statuses = []
                for n in range(3):
                    hello = json.dumps(event_body(dm_event(ALICE, "hi"), event_id=f"Ev0FLOOD{n}"))
                    statuses.append(await post(http, port, hello, "application/json", sign(hello)))
                    async with http.get(f"http://127.0.0.1:{health}/healthz") as resp:
                        statuses.append(resp.status)
                return statuses

            # (a bound so that a stalled bot fails the test instead of hanging it)
            refused, talked = await asyncio.wait_for(asyncio.gather(flood(), student()), START_TIMEOUT)
            assert refused == [401] * len(forged)
            assert talked == [200] * 6  # three acknowledgements and three liveness answers
            answers = await standin.wait_for("chat.postMessage", count=3)
            assert all("SecondRound" in a.shown for a in answers)
        assert await terminate(proc) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = log.read_text()
    assert "Zebediah" not in text and "AAAAAAAAAA" not in text  # no body of a refused request
    lines = [line for line in text.splitlines() if "slack_request_refused" in line]
    assert len(lines) == len(forged) and all(len(line) < 300 for line in lines)
    assert "Traceback" not in text
