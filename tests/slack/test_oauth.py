"""Many workspaces: two schools install the app through Slack's OAuth v2 flow and never see each other."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.common.settings import Settings
from bot.office.workspaces import Cipher, Workspaces
from bot.ops.cli import main
from bot.storage.models import Installation, User
from tests.slack.conftest import SlackHarness, next_ts, slack_settings
from tests.standins.slack import SlackStandIn

KEY = Fernet.generate_key().decode()
SCHOOL_A, SCHOOL_B = "T0NORTHU", "T0SOUTHU"
STUDENT = "U0SAMEID"  # Slack user ids are per workspace: the same id can be two different people


@pytest.fixture
def settings(tmp_path: Path, standin: SlackStandIn) -> Settings:
    return slack_settings(
        tmp_path,
        standin,
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID=standin.client_id,
        SLACK_CLIENT_SECRET=standin.client_secret,
        token_keys=KEY,
        SECONDROUND_SLACK_INSTALL_URL=standin.authorize_url,
    )


async def install(slack: SlackHarness, team: str, name: str, installer: str) -> tuple[int, str]:
    """A workspace admin opens /slack/install in a browser and presses "Allow" on Slack's page."""
    base = f"http://127.0.0.1:{slack.adapter.port}"
    slack.standin.redirect_uri = f"{base}/slack/oauth_redirect"
    slack.standin.approve_next_install(team, name, installer)
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser,  # keeps cookies, as browsers do
        browser.get(f"{base}/slack/install") as page,  # → Slack's consent page → back to /slack/oauth_redirect
    ):
        assert [str(r.url).split("?")[0] for r in page.history] == [
            f"{base}/slack/install",
            slack.standin.authorize_url,
        ]
        return page.status, await page.text()


def envelope(team: str, event: dict[str, Any], bot_user: str = "U0BOT1") -> str:
    return json.dumps(
        {
            "team_id": team,
            "api_app_id": "A0APP",
            "event": {**event, "team": team},
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": 1772463600,
            "authorizations": [{"team_id": team, "user_id": bot_user, "is_bot": True}],
        }
    )


async def dm(slack: SlackHarness, team: str, text: str) -> Any:
    """``STUDENT`` of ``team`` writes to the app in their DM; returns the app's reply (a stand-in call)."""
    channel = f"D{team[2:]}"
    before = len(slack.posts(channel))
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": STUDENT,
        "text": text,
        "ts": next_ts(),
    }
    sent = await slack.post(envelope(team, event), "application/json")
    assert sent.status == 200, sent.body
    return await slack.reply_in(channel, count=before + 1)


async def test_two_workspaces_install_and_stay_apart(slack: SlackHarness) -> None:
    standin = slack.standin
    status, page = await install(slack, SCHOOL_A, "North University", "UADMINNORTH")
    assert status == 200 and "Thank you" in page, page
    status, _ = await install(slack, SCHOOL_B, "South College", "UADMINSOUTH")
    assert status == 200
    token_a, token_b = standin.token_for(SCHOOL_A), standin.token_for(SCHOOL_B)
    assert token_a and token_b and token_a != token_b

    reply = await dm(slack, SCHOOL_A, "I have a second interview with Zyntrix on Friday at 3pm")
    assert "Zyntrix" in reply.shown and reply.auth == f"Bearer {token_a}"  # answered with North's own token
    await dm(slack, SCHOOL_A, "note: the range they gave was 65-75k")

    reply = await dm(slack, SCHOOL_B, "what's coming up?")
    assert reply.auth == f"Bearer {token_b}"
    assert "Zyntrix" not in reply.shown and "no upcoming interviews" in reply.shown.lower()
    reply = await dm(slack, SCHOOL_B, "show my notes")
    assert "65-75k" not in reply.shown

    reply = await dm(slack, SCHOOL_A, "what's coming up?")
    assert "Zyntrix" in reply.shown  # North's student still has theirs
    assert all(c.auth != f"Bearer {token_a}" for c in standin.calls if c.body.get("channel") == f"D{SCHOOL_B[2:]}")


async def test_tokens_are_encrypted_at_rest_and_keys_rotate(slack: SlackHarness, monkeypatch, capsys) -> None:
    await install(slack, SCHOOL_A, "North University", "UADMINNORTH")
    token = slack.standin.token_for(SCHOOL_A)
    assert token
    db = slack.bot.app.db
    with db.session() as session:
        [stored] = session.scalars(select(Installation.data)).all()
    assert token not in stored and "xoxb" not in stored

    assert main(["keys", "new"]) == 0
    new_key = capsys.readouterr().out.strip()
    assert Workspaces(db, Cipher(f"{new_key},{KEY}")).find("", SCHOOL_A)["bot_token"] == token  # both open it
    monkeypatch.setenv("SECONDROUND_DATABASE_URL", slack.bot.app.settings.effective_database_url)
    monkeypatch.setenv("SECONDROUND_TOKEN_KEYS", f"{new_key},{KEY}")
    assert main(["keys", "rotate"]) == 0
    assert "re-encrypted 1 installation(s)" in capsys.readouterr().out
    assert Workspaces(db, Cipher(new_key)).find("", SCHOOL_A)["bot_token"] == token  # the old key can go
    with pytest.raises(ValueError, match="no key in SECONDROUND_TOKEN_KEYS"):
        Workspaces(db, Cipher(KEY)).find("", SCHOOL_A)


async def test_uninstall_deletes_the_workspace_and_its_students_only(slack: SlackHarness, caplog) -> None:
    await install(slack, SCHOOL_A, "North University", "UADMINNORTH")
    await install(slack, SCHOOL_B, "South College", "UADMINSOUTH")
    await dm(slack, SCHOOL_A, "I have a second interview with Zyntrix on Friday at 3pm")
    await dm(slack, SCHOOL_B, "I have a second interview with Globex on Monday at 10am")

    with caplog.at_level(logging.INFO):
        sent = await slack.post(envelope(SCHOOL_A, {"type": "app_uninstalled"}), "application/json")
        assert sent.status == 200
        await slack.settle()
    db = slack.bot.app.db
    with db.session() as session:
        teams = set(session.scalars(select(User.workspace)).all())
        installs = set(session.scalars(select(Installation.team_id)).all())
    assert teams == {SCHOOL_B} and installs == {SCHOOL_B}
    [removed] = [r for r in caplog.records if r.msg == "workspace_removed"]
    assert removed.students == 1 and removed.interviews == 1 and removed.installations == 1  # type: ignore[attr-defined]
    assert STUDENT not in caplog.text and "Zyntrix" not in caplog.text  # counts only

    reply = await dm(slack, SCHOOL_B, "what's coming up?")
    assert "Globex" in reply.shown  # the other school is untouched

    revoked = {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT2"]}}
    assert (await slack.post(envelope(SCHOOL_B, revoked), "application/json")).status == 200
    await slack.settle()
    with db.session() as session:
        assert session.scalars(select(User)).all() == []
        assert session.scalars(select(Installation)).all() == []


async def test_install_from_another_browser_is_refused(slack: SlackHarness) -> None:
    """The state cookie binds the install to the browser that started it (no cross-site installs)."""
    base = f"http://127.0.0.1:{slack.adapter.port}"
    slack.standin.redirect_uri = f"{base}/slack/oauth_redirect"
    slack.standin.approve_next_install(SCHOOL_A, "North University", "UADMINNORTH")
    async with aiohttp.ClientSession() as browser:
        async with browser.get(f"{base}/slack/install", allow_redirects=False) as start:
            consent = start.headers["Location"]
        async with browser.get(consent, allow_redirects=False) as approved:
            back = approved.headers["Location"]
    async with aiohttp.ClientSession() as other_browser, other_browser.get(back) as page:
        assert page.status == 400 and "invalid_browser" in await page.text()
    assert slack.standin.calls_to("oauth.v2.access") == []


async def test_install_with_a_forged_state_is_refused(slack: SlackHarness) -> None:
    base = f"http://127.0.0.1:{slack.adapter.port}"
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(f"{base}/slack/oauth_redirect?code=whatever&state=1.2.3") as page,
    ):
        assert page.status == 400
    assert slack.standin.calls_to("oauth.v2.access") == []


def test_many_workspace_settings_are_checked_naming_each_variable(tmp_path: Path) -> None:
    from adapters.slack.plugin import SlackSettings
    from bot.common.settings import ConfigError, load_settings

    settings = load_settings(data_dir=tmp_path)
    with pytest.raises(ConfigError) as err:
        SlackSettings(SLACK_CLIENT_ID="1.2", SLACK_APP_TOKEN="xapp-1-x").require(settings)
    lines = str(err.value).splitlines()
    assert [line.split(" ")[0].rstrip(":") for line in lines] == [
        "SLACK_CLIENT_SECRET",
        "SLACK_SIGNING_SECRET",
        "SECONDROUND_TOKEN_KEYS",
        "SLACK_APP_TOKEN",
    ]
    with pytest.raises(ConfigError, match="SECONDROUND_TOKEN_KEYS: is not valid") as bad:
        load_settings(data_dir=tmp_path, token_keys="not-a-key")
    assert "not-a-key" not in str(bad.value)  # a secret's value is never echoed
    ok = SlackSettings(SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s", SLACK_SIGNING_SECRET="x")
    ok.require(
        load_settings(data_dir=tmp_path, token_keys=KEY)
    )  # no SLACK_BOT_TOKEN: each workspace's comes from its install
    assert ok.oauth


async def test_another_instance_finishes_the_install_and_serves_the_workspace(slack: SlackHarness) -> None:
    other = await slack.start_adapter()  # a second process behind the same load balancer, same database
    first, second = f"http://127.0.0.1:{slack.adapter.port}", f"http://127.0.0.1:{other.port}"
    slack.standin.redirect_uri = f"{second}/slack/oauth_redirect"  # Slack sends the admin back elsewhere
    slack.standin.approve_next_install(SCHOOL_A, "North University", "UADMINNORTH")
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser,
        browser.get(f"{first}/slack/install") as page,
    ):
        assert page.status == 200 and "Thank you" in await page.text()

    channel = f"D{SCHOOL_A[2:]}"
    event = {"type": "message", "channel_type": "im", "channel": channel, "user": STUDENT, "text": "hi"}
    sent = await slack.post(envelope(SCHOOL_A, {**event, "ts": next_ts()}), "application/json", adapter=other)
    assert sent.status == 200
    reply = await slack.reply_in(channel)
    assert reply.auth == f"Bearer {slack.standin.token_for(SCHOOL_A)}"
