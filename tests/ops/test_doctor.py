"""``secondround doctor`` against the local Slack and Discord stand-ins: good tokens, bad tokens, scopes."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.common.settings import Settings
from bot.ops.doctor import doctor_env, run_checks
from bot.storage import migrate
from bot.storage.db import Database
from tests.standins.discord import DiscordStandIn
from tests.standins.env import settings_with
from tests.standins.slack import SlackStandIn
from tests.test_cli import EXE

SLACK_BOT = "xoxb-1111-2222-doctorgoodtoken"
SLACK_APP = "xapp-1-A0APP-3333-doctorapptoken"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.Gdoctr.doctor-good-discord-token-0123"
GRANTED = "app_mentions:read,chat:write,commands,files:write,im:history,im:read,im:write,users:read,usergroups:read"
MANIFEST = """\
display_information:
  name: SecondRound
oauth_config:
  scopes:
    bot:
      - app_mentions:read
      - chat:write
      - commands
      - im:history
      - im:write
      - users:read
"""


class ScopedSlack(SlackStandIn):
    """The Slack stand-in, also reporting the token's scopes the way Slack does (``X-OAuth-Scopes``)."""

    granted = GRANTED

    async def _api(self, request: web.Request) -> web.Response:
        response = await super()._api(request)
        response.headers["X-OAuth-Scopes"] = self.granted
        return response


@pytest.fixture
async def slack() -> AsyncIterator[ScopedSlack]:
    server = ScopedSlack(bot_token=SLACK_BOT, app_token=SLACK_APP)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def discord() -> AsyncIterator[DiscordStandIn]:
    server = DiscordStandIn(token=DISCORD)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """A checkout holding deploy/slack/manifest.yml (where the Slack plugin's check looks for it)."""
    path = tmp_path / "checkout" / "deploy" / "slack" / "manifest.yml"
    path.parent.mkdir(parents=True)
    path.write_text(MANIFEST)
    return path


def _settings(tmp_path: Path, slack: SlackStandIn, discord: DiscordStandIn, **overrides: object) -> Settings:
    """Core settings; the platform variables (upper case) go in the settings file, as an operator writes them."""
    variables: dict[str, object | None] = {
        "SLACK_BOT_TOKEN": SLACK_BOT,
        "SLACK_APP_TOKEN": SLACK_APP,
        "SECONDROUND_SLACK_API_URL": slack.api_url,
        "DISCORD_TOKEN": DISCORD,
        "SECONDROUND_DISCORD_API_URL": discord.api_url,
    }
    return settings_with(tmp_path, variables, **({"cache_dir": tmp_path / "cache"} | overrides))


async def _doctor(settings: Settings, manifest: Path | None) -> tuple[int, dict[str, str]]:
    out = io.StringIO()
    env = doctor_env(settings, (manifest.parents[2],)) if manifest is not None else None
    status = await run_checks(settings, out, env=env)
    text = out.getvalue()
    for secret in (SLACK_BOT, SLACK_APP, DISCORD):
        assert secret not in text
    lines: dict[str, str] = {}
    for line in text.splitlines()[:-1]:
        verdict, _, rest = line.partition("  ")
        name, _, detail = rest.partition(": ")
        lines[name] = f"{verdict} {detail}"
    assert text.splitlines()[-1].startswith("doctor: ")
    return status, lines


async def test_everything_good(tmp_path, slack, discord, manifest) -> None:
    status, lines = await _doctor(_settings(tmp_path, slack, discord), manifest)
    assert status == 0, lines
    assert lines["configuration"].startswith("PASS")
    assert lines["slack configuration"] == "PASS the variables `run slack` needs are set (Socket Mode)"
    assert lines["database"].startswith("PASS connected to sqlite:///")
    assert lines["migrations"].startswith("PASS")
    assert lines["slack credentials"] == (
        "PASS SLACK_BOT_TOKEN is valid: bot user U0BOT in workspace 'Career Services' (T0TEAM)"
    )
    assert lines["slack scopes"] == "PASS all 6 scopes of manifest.yml granted"
    assert lines["slack socket mode"].startswith("PASS")
    assert lines["discord credentials"].startswith("PASS DISCORD_TOKEN is valid: bot 'SecondRound'")
    assert [c.method for c in slack.calls] == ["auth.test", "apps.connections.open"]
    assert [r.authorization for r in discord.requests] == [f"Bot {DISCORD}"]


async def test_bad_tokens_fail_with_a_hint_and_exit_1(tmp_path, slack, discord, manifest) -> None:
    settings = _settings(
        tmp_path,
        slack,
        discord,
        SLACK_BOT_TOKEN="xoxb-1111-2222-revokedtoken",
        SLACK_APP_TOKEN="xapp-1-A0APP-3333-wrongapptoken",
        DISCORD_TOKEN="MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.Gwrong.not-the-discord-token-000000",
    )
    status, lines = await _doctor(settings, manifest)
    assert status == 1
    assert lines["slack credentials"] == (
        "FAIL auth.test said invalid_auth: the token is wrong or belongs to another workspace (SLACK_BOT_TOKEN)"
    )
    assert lines["discord credentials"] == (
        "FAIL Discord answered 401 Unauthorized: DISCORD_TOKEN is wrong or was reset"
    )
    assert lines["database"].startswith("PASS")  # the other checks still ran


async def test_a_wrong_app_token_fails_socket_mode_only(tmp_path, slack, discord, manifest) -> None:
    settings = _settings(tmp_path, slack, discord, SLACK_APP_TOKEN="xapp-1-A0APP-3333-wrongapptoken")
    status, lines = await _doctor(settings, manifest)
    assert status == 1
    assert lines["slack credentials"].startswith("PASS")
    assert lines["slack socket mode"].startswith("FAIL apps.connections.open said invalid_auth")


async def test_missing_scopes_are_named(tmp_path, slack, discord, manifest) -> None:
    slack.granted = "chat:write,commands,im:history"
    status, lines = await _doctor(_settings(tmp_path, slack, discord), manifest)
    assert status == 1
    assert lines["slack scopes"] == (
        "FAIL missing app_mentions:read, im:write, users:read (asked for by manifest.yml): "
        "reinstall the app to the workspace"
    )


async def test_unreachable_platform_and_unconfigured_platform(tmp_path, slack, discord) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket closes
    settings = _settings(
        tmp_path, slack, discord, SECONDROUND_SLACK_API_URL=f"http://127.0.0.1:{closed}/api/", DISCORD_TOKEN=None
    )
    status, lines = await _doctor(settings, None)
    assert status == 1
    assert lines["slack credentials"].startswith(f"FAIL cannot reach http://127.0.0.1:{closed}/api/")
    assert lines["discord"] == "SKIP DISCORD_TOKEN is not set (Discord is not configured)"


async def test_incomplete_platform_configuration_fails(tmp_path, slack, discord) -> None:
    settings = _settings(tmp_path, slack, discord, SLACK_APP_TOKEN=None, DISCORD_TOKEN=None)
    status, lines = await _doctor(settings, None)
    assert status == 1
    assert lines["slack configuration"].startswith("FAIL SLACK_SIGNING_SECRET is not set")


@pytest.mark.postgres
async def test_postgres_behind_on_migrations_fails_until_upgraded(tmp_path, slack, discord, postgres_url) -> None:
    settings = _settings(tmp_path, slack, discord, database_url=postgres_url)
    status, lines = await _doctor(settings, None)
    assert status == 1
    assert lines["database"].startswith("PASS connected to postgresql")
    assert lines["migrations"].startswith("FAIL the database is at none, this version needs")
    assert lines["migrations"].endswith("run `secondround db upgrade`")
    db = Database(postgres_url)
    migrate.upgrade(db)
    db.dispose()
    status, lines = await _doctor(settings, None)
    assert status == 0 and lines["migrations"].startswith("PASS at the newest revision")


async def test_the_command_prints_and_exits_like_the_function(tmp_path, env, slack, discord) -> None:
    """``secondround doctor`` as an operator runs it: a bad Discord token, then a broken setting."""
    proc_env = {
        **env,
        "SLACK_BOT_TOKEN": SLACK_BOT,
        "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
        "SECONDROUND_SLACK_API_URL": slack.api_url,
        "DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.Gwrong.not-the-discord-token-000000",
        "SECONDROUND_DISCORD_API_URL": discord.api_url,
    }
    proc = await asyncio.create_subprocess_exec(
        EXE, "doctor", env=proc_env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(proc.communicate(), 120)
    out = stdout.decode()
    assert proc.returncode == 1, out
    assert "PASS  slack credentials" in out and "FAIL  discord credentials" in out
    assert "not-the-discord-token" not in out and "0123456789abcdef0123456789abcdef" not in out

    proc = await asyncio.create_subprocess_exec(
        EXE,
        "doctor",
        env={**proc_env, "SECONDROUND_REMINDER_OFFSETS": "prepare=soon"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 1
    assert stdout.decode().startswith("FAIL  configuration: SECONDROUND_REMINDER_OFFSETS:")


async def test_empty_token_lines_count_as_not_configured(tmp_path, slack, discord) -> None:
    """``SLACK_BOT_TOKEN=`` left empty in an env file means Slack is not used, not a broken Slack."""
    settings = _settings(tmp_path, slack, discord, SLACK_BOT_TOKEN="", SLACK_APP_TOKEN="", DISCORD_TOKEN="")
    status, lines = await _doctor(settings, None)
    assert status == 0
    assert lines["slack"].startswith("SKIP") and lines["discord"].startswith("SKIP")


async def test_an_unwritable_cache_passes_because_the_models_ship_with_the_package(tmp_path, slack, discord) -> None:
    """Nothing is trained at start: a cache that cannot even be created is no problem."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings = _settings(tmp_path, slack, discord, cache_dir=blocker / "cache")  # cannot be created
    status, lines = await _doctor(settings, None)
    assert status == 0
    assert lines["cache folder"] == (
        f"PASS {blocker / 'cache'} is read-only (Not a directory); the language models ship with the package"
    )


async def test_an_unwritable_cache_with_stale_shipped_models_fails_and_says_what_to_do(
    tmp_path, slack, discord, monkeypatch
) -> None:
    """Training data edited after the build: the models must be trained, and there is nowhere to put them."""
    import bot.nlu

    monkeypatch.setattr(bot.nlu, "shipped_digest", lambda: "0" * 64)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings = _settings(tmp_path, slack, discord, cache_dir=blocker / "cache")
    status, lines = await _doctor(settings, None)
    assert status == 1
    assert lines["cache folder"] == (
        f"FAIL {blocker / 'cache'} is not writable (Not a directory) and does not hold this version's language "
        "models: make it writable (e.g. a Kubernetes emptyDir) or use an image built by deploy/Dockerfile"
    )
