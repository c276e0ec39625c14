"""Settings: validated at start-up, errors name the variable, everything documented."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.common.settings import ConfigError, Settings, describe, env_name, load_settings, redact_url
from bot.ops import plugins

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def _everything() -> list[tuple[str, str]]:
    """What ``secondround config`` shows: the core's settings and every installed plugin's."""
    settings = load_settings()
    return [*describe(settings), *plugins.describe_all(settings)]


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    missing = [env_name(f) for f in Settings.model_fields if f"`{env_name(f)}`" not in text]
    for plugin in plugins.discover().values():
        if type(plugin).__module__.startswith("adapters."):  # the platforms this project ships
            missing += [name for name in plugin.settings_model.env_names().values() if f"`{name}`" not in text]
    assert missing == []


# Every variable a platform was configured with before the platforms became plugins (issue 13): the
# same names must still set the same things, or an upgrade would silently switch a platform off.
OLD_PLATFORM_VARIABLES = {
    "slack": {
        "SLACK_BOT_TOKEN": ("bot_token", "xoxb-1-2-abc"),
        "SLACK_APP_TOKEN": ("app_token", "xapp-1-A-3-def"),
        "SLACK_SIGNING_SECRET": ("signing_secret", "8f742231b10e8888abcd99aaabbb85a5"),
        "SLACK_CLIENT_ID": ("client_id", "1.2"),
        "SLACK_CLIENT_SECRET": ("client_secret", "client-secret-value"),
        "SECONDROUND_SLACK_API_URL": ("api_url", "http://127.0.0.1:9/api/"),
        "SECONDROUND_SLACK_SCOPES": ("scopes", "chat:write,commands"),
        "SECONDROUND_SLACK_INSTALL_URL": ("install_url", "http://127.0.0.1:9/oauth"),
        "SECONDROUND_COUNSELLORS": ("counsellors", "T0001:U0001,S0GROUP"),
    },
    "discord": {
        "DISCORD_TOKEN": ("token", "MTIz.abc.def-token-value-0123456789"),
        "DISCORD_GUILD_ID": ("guild_id", "123456"),
        "SECONDROUND_DISCORD_API_URL": ("api_url", "http://127.0.0.1:9/api/v10"),
        "SECONDROUND_DISCORD_GATEWAY_URL": ("gateway_url", "ws://127.0.0.1:9/"),
        "SECONDROUND_DISCORD_SHARD_IDS": ("shard_ids", "0,1"),
        "SECONDROUND_DISCORD_SHARD_COUNT": ("shard_count", "2"),
        "SECONDROUND_DISCORD_COUNSELLOR_ROLE": ("counsellor_role", "Career office"),
    },
}
EXPECTED = {
    "counsellors": {"T0001": ("U0001", "S0GROUP")},
    "guild_id": 123456,
    "shard_ids": [0, 1],
    "shard_count": 2,
}


@pytest.mark.parametrize("platform", sorted(OLD_PLATFORM_VARIABLES))
def test_platform_variables_keep_their_names(tmp_path: Path, monkeypatch, platform: str) -> None:
    old = OLD_PLATFORM_VARIABLES[platform]
    for name in old:
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "secondround.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, (_, value) in old.items()))
    plugin = plugins.discover()[platform]
    assert plugin.settings_model.env_names() == {field: name for name, (field, _) in old.items()}
    loaded = plugins.load(plugin, load_settings(env_file))
    for field, value in old.values():
        got = getattr(loaded, field)
        got = got.get_secret_value() if hasattr(got, "get_secret_value") else got
        assert got == EXPECTED.get(field, value), field


def test_defaults(monkeypatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)
    s = load_settings()
    assert s.reminder_offsets["prepare"] == timedelta(hours=-24)
    assert s.reminder_offsets["thank_you"] == timedelta(hours=2)
    assert s.quiet_hours == (time(22), time(8))
    assert s.default_tz == "UTC"


def test_offsets_leave_out_kinds_and_quiet_hours_can_be_off(monkeypatch) -> None:
    monkeypatch.setenv("SECONDROUND_REMINDER_OFFSETS", "prepare=-24h,thank_you=+2h,check_in=+1d")
    monkeypatch.setenv("SECONDROUND_QUIET_HOURS", "")
    s = load_settings()
    assert set(s.reminder_offsets) == {"prepare", "thank_you", "check_in"}
    assert s.quiet_hours is None


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SECONDROUND_DEFAULT_TZ", "Mars/Base", "unknown time zone"),
        ("SECONDROUND_REMINDER_OFFSETS", "prepare=tomorrow", "kind=+2h"),
        ("SECONDROUND_REMINDER_OFFSETS", "nap=+1h", "unknown reminder kind"),
        ("SECONDROUND_QUIET_HOURS", "22-8", "HH:MM-HH:MM"),
        ("SECONDROUND_HEALTH_ADDR", "nowhere", "host:port"),
        ("SECONDROUND_LOG_FORMAT", "xml", ""),
        ("DISCORD_GUILD_ID", "abc", ""),
        ("SECONDROUND_INBOX_WORKERS", "100", "64"),
        ("SECONDROUND_INBOX_RECORD_TIMEOUT_SECONDS", "soon", ""),
    ],
)
def test_errors_name_the_variable(monkeypatch, name: str, value: str, expected: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        _everything()
    assert str(err.value).startswith(name) and expected in str(err.value)


def test_secrets_are_masked_and_never_echoed(monkeypatch) -> None:
    token = "xoxb-1234567890-abcdefghijklmnop"
    monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    monkeypatch.setenv("SECONDROUND_DATABASE_URL", "postgresql://bot:hunter2@db.example/sr")
    shown = dict(_everything())
    assert token not in str(shown) and "hunter2" not in str(shown)
    assert shown["SLACK_BOT_TOKEN"] == "********"


def test_settings_file_and_environment_precedence(tmp_path: Path, monkeypatch) -> None:
    env_file = tmp_path / "secondround.env"
    env_file.write_text("SECONDROUND_DEFAULT_TZ=Europe/Berlin\nSECONDROUND_RETENTION_DAYS=30\n")
    monkeypatch.setenv("SECONDROUND_RETENTION_DAYS", "90")
    s = load_settings(env_file)
    assert s.default_tz == "Europe/Berlin" and s.retention_days == 90
    with pytest.raises(ConfigError, match="no such settings file"):
        load_settings(tmp_path / "missing.env")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bot:hunter2@db/sr", "postgresql://bot:********@db/sr"),
        ("postgresql://bot:p%40ss@db:5432/sr?sslmode=require", "postgresql://bot:********@db:5432/sr?sslmode=require"),
        ("postgresql://bot@db/sr?password=hunter2", "postgresql://bot@db/sr?password=********"),
        (
            "postgresql://db/sr?user=bot&PASSWORD=x&sslpassword=y",
            "postgresql://db/sr?user=bot&PASSWORD=********&sslpassword=********",
        ),
        (
            "postgresql://db/sr?sslkey=/k.pem&token=t&api_key=k",
            "postgresql://db/sr?sslkey=********&token=********&api_key=********",
        ),
        ("postgresql://u:a@b@db/sr", "postgresql://u:********@db/sr"),  # an unescaped @ in the password
        ("sqlite:////var/lib/secondround/secondround.db", "sqlite:////var/lib/secondround/secondround.db"),
        ("sqlite:///relative.db?mode=ro", "sqlite:///relative.db?mode=ro"),
        ("https://slack.com/api/", "https://slack.com/api/"),
    ],
)
def test_urls_are_shown_with_every_secret_masked(url: str, shown: str) -> None:
    assert redact_url(url) == shown
