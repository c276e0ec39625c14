"""The app manifest asks Slack for exactly what the adapter handles."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).parents[2] / "deploy" / "slack" / "manifest.yml"


def test_the_manifest_subscribes_to_what_the_adapter_handles_with_the_scopes_it_needs() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    settings, features = manifest["settings"], manifest["features"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.im",
        "app_uninstalled",  # a workspace removed the app: its students' data goes
        "tokens_revoked",
    }
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] and features["app_home"]["messages_tab_enabled"]
    assert not features["app_home"]["messages_tab_read_only_enabled"]  # students write to the app
    assert [c["command"] for c in features["slash_commands"]] == ["/coach"]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read",  # app_mention
        "chat:write",  # chat.postMessage, chat.postEphemeral
        "commands",  # /coach
        "files:write",  # files.uploadV2 (the calendar file)
        "im:history",  # message.im
        "im:write",  # conversations.open
        "users:read",  # users.info (the profile's time zone)
        "usergroups:read",  # usergroups.users.list (counsellors named by group)
    }
