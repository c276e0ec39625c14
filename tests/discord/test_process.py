"""``secondround run discord`` as a real process, against the stand-in."""

from __future__ import annotations

import asyncio
import importlib.util
import signal
from pathlib import Path

import pytest

from tests.discord.conftest import TOKEN
from tests.standins.discord import DiscordStandIn
from tests.test_cli import EXE

pytestmark = pytest.mark.slow


async def _run(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as sink:  # a file, not a pipe: DEBUG output must never block the process
        return await asyncio.create_subprocess_exec(EXE, *args, env=env, stdout=sink, stderr=sink)


async def _logged(log: Path, text: str, timeout: float = 120) -> None:
    """Wait until the process has written ``text`` to its log (it is ready, or it did something)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in log.read_text(errors="replace"):
        if loop.time() > deadline:
            raise AssertionError(f"{text!r} not logged within {timeout} s:\n{log.read_text()[-3000:]}")
        await asyncio.sleep(0.1)


async def _stop(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(proc.wait(), 60)


def _discord_env(env: dict[str, str], standin: DiscordStandIn) -> dict[str, str]:
    return {
        **env,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_GUILD_ID": str(standin.guild_id),
        "SECONDROUND_DISCORD_API_URL": standin.api_url,
        "SECONDROUND_DISCORD_GATEWAY_URL": standin.gateway_url,
        "SECONDROUND_LOG_LEVEL": "DEBUG",
        "SECONDROUND_LOG_MESSAGE_BODIES": "true",  # the bodies must come out redacted
    }


async def test_run_discord_serves_members_and_stops_cleanly(
    env: dict[str, str], standin: DiscordStandIn, tmp_path: Path
) -> None:
    log = tmp_path / "run.log"
    proc = await _run(["run", "discord"], _discord_env(env, standin), log)
    try:
        await _logged(log, "discord_connected")
        assert standin.command_puts == [standin.guild_id]  # DISCORD_GUILD_ID: registered in that server
        ann = standin.user("ann")
        ix = await standin.slash(ann, "coach tips", channel_id=standin.guild_channel[standin.guild_id], topic="salary")
        await standin.wait_for(lambda: ix.texts, timeout=60)  # a busy machine may defer first
        assert "salary" in ix.text.lower()
        await standin.message(ann, "I have a second interview with Acme on Friday at 3pm")
        await standin.wait_for(lambda: any("Acme" in m.content for m in standin.dms(ann)), timeout=60)
        assert await _stop(proc) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    await standin.wait_for(lambda: not standin.gateways)
    output = log.read_text()
    assert "stopped" in output
    assert TOKEN not in output  # not even at DEBUG
    assert "Traceback" not in output


@pytest.mark.skipif(
    importlib.util.find_spec("adapters.slack") is None or importlib.util.find_spec("tests.standins.slack") is None,
    reason="the Slack adapter (adapters/slack) is not in this tree",
)
async def test_run_slack_and_discord_in_one_process(
    env: dict[str, str], standin: DiscordStandIn, tmp_path: Path
) -> None:
    from tests.standins.slack import SlackStandIn

    bot_token = "xoxb-1111111111-2222222222-StandInBotTokenValue"
    app_token = "xapp-1-A0APP-3333333333-StandInAppTokenValue"
    slack = await SlackStandIn(bot_token=bot_token, app_token=app_token).start()
    run_env = {
        **_discord_env(env, standin),
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_APP_TOKEN": app_token,  # Socket Mode: no HTTP port needed
        "SECONDROUND_SLACK_API_URL": slack.api_url,
    }
    log = tmp_path / "run.log"
    proc = await _run(["run", "slack", "discord"], run_env, log)
    try:
        await _logged(log, "discord_connected")
        await slack.wait_connections(1, timeout=10)
        ann = standin.user("ann")
        await standin.message(ann, "hi")
        await standin.wait_for(lambda: standin.dms(ann), timeout=60)
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": "DSTUDENT1",
            "user": "USTUDENT1",
            "text": "hi",
            "ts": "1772463600.000100",
            "team": "T0TEAM",
        }
        await slack.send_envelope(
            "events_api",
            {
                "team_id": "T0TEAM",
                "api_app_id": "A0APP",
                "event": event,
                "type": "event_callback",
                "event_id": "Ev0DISCORDSLACK",
                "event_time": 1772463600,
            },
        )
        await slack.wait_for("chat.postMessage", timeout=60)
        assert await _stop(proc) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await slack.close()
    output = log.read_text()
    assert "Traceback" not in output
    for secret in (TOKEN, bot_token, app_token):
        assert secret not in output
