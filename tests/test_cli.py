"""The ``secondround`` command, run as a real process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXE = shutil.which("secondround", path=str(Path(sys.executable).parent)) or "secondround"


def run(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


def test_version_and_help(env: dict[str, str]) -> None:
    assert run(["--version"], env).stdout.startswith("secondround ")
    out = run(["--help"], env).stdout
    for command in ("chat", "nlu", "run", "db", "doctor", "config"):
        assert command in out


def test_nlu_json_lines(env: dict[str, str]) -> None:
    msgs = [
        "I have a second interview with Acme on Friday at 3pm with Sarah Chen, over dinner",
        "note: the range they gave was 65-75k",
        "what's the weather in Paris?",
        "",
    ]
    p = run(["nlu", "--now", "2026-03-02T10:00", "--tz", "America/New_York"], env, "\n".join(msgs) + "\n")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(rows) == 4
    assert rows[0]["intent"] == "schedule_interview"
    assert rows[0]["entities"] == {
        "company": "Acme",
        "when": "2026-03-06T15:00",
        "interviewers": ["Sarah Chen"],
        "setting": "informal",
    }
    assert rows[1]["intent"] == "add_note" and rows[2]["intent"] == "fallback"
    assert all(set(r) == {"text", "intent", "confidence", "entities"} for r in rows)


def test_chat_jsonl_and_buttons(env: dict[str, str]) -> None:
    lines = [
        "hi",
        "I have a second interview with Acme on Friday at 3pm",
        json.dumps({"action": "topic:salary"}),
        "what's coming up?",
    ]
    p = run(["chat", "--jsonl", "--user", "ann", "--tz", "UTC"], env, "\n".join(lines) + "\n")
    assert p.returncode == 0, p.stderr
    turns = [json.loads(line) for line in p.stdout.splitlines()]
    assert [t["in"] for t in turns if "in" in t] == lines
    assert turns[1]["replies"][0]["private"] is True
    assert "Salary" in turns[2]["replies"][0]["text"]
    assert "Acme" in turns[3]["replies"][0]["text"]
    # the data outlives the process
    again = run(["chat", "--jsonl", "--user", "ann"], env, "what's coming up?\n")
    assert "Acme" in again.stdout
    other = run(["chat", "--jsonl", "--user", "bob"], env, "what's coming up?\n")
    assert "no upcoming interviews" in other.stdout


def test_interactive_chat_numbers_buttons(env: dict[str, str]) -> None:
    p = run(["chat", "--user", "kim"], env, "who's interviewing me this time?\n/2\n/quit\n")
    assert p.returncode == 0, p.stderr
    assert "[/1]" in p.stdout and "(someone new)" in p.stdout


def test_typing_quit_without_the_slash_ends_the_chat(env: dict[str, str]) -> None:
    p = run(["chat", "--user", "lou"], env, "quit\nwho pays for the dinner?\n")
    assert p.returncode == 0, p.stderr
    assert "outside what I can help with" not in p.stdout and "bill" not in p.stdout


@pytest.mark.parametrize(
    ("args", "env_extra", "message"),
    [
        (["chat", "--tz", "Mars/Base"], {}, "unknown time zone"),
        (["nlu", "--now", "yesterday"], {}, "--now"),
        (["chat"], {"SECONDROUND_DEFAULT_TZ": "Nowhere/Land"}, "SECONDROUND_DEFAULT_TZ"),
        (["chat"], {"SECONDROUND_REMINDER_OFFSETS": "prepare=soon"}, "SECONDROUND_REMINDER_OFFSETS"),
        (["chat"], {"SECONDROUND_DATABASE_URL": "mysql://x@y/z"}, "SECONDROUND_DATABASE_URL"),
        (["run", "slack"], {}, "SLACK_BOT_TOKEN"),
        (["run", "slack"], {"SLACK_BOT_TOKEN": "xoxp-user-token-not-a-bot"}, "xoxb-"),
        (["run", "discord"], {}, "DISCORD_TOKEN"),
        (["run", "telegram"], {}, "unknown platform"),
    ],
)
def test_errors_are_clear_and_without_traceback(
    env: dict[str, str], args: list[str], env_extra: dict[str, str], message: str
) -> None:
    p = run(args, {**env, **env_extra}, "hi\n")
    assert p.returncode != 0
    assert message in p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    for value in env_extra.values():
        if "token" in value:
            assert value not in p.stderr


def test_db_upgrade(env: dict[str, str]) -> None:
    p = run(["db", "upgrade"], env)
    assert p.returncode == 0 and "database at" in p.stdout
    assert "already up to date" in run(["db", "upgrade"], env).stdout
    assert "current: " in run(["db", "current"], env).stdout


SECRETS_IN_URLS = {
    "SECONDROUND_DATABASE_URL": "postgresql://bot:user-pw-4471@127.0.0.1:1/sr"
    "?password=query-pw-9052&sslpassword=ssl-pw-3318&application_name=secondround&sslmode=prefer",
    "SECONDROUND_SLACK_API_URL": "https://gateway.example.org/slack/api/?access_token=tok-5521-abc&region=eu",
}


@pytest.mark.parametrize("command", ["config", "doctor"])
def test_config_and_doctor_never_print_a_secret_given_in_a_url(env: dict[str, str], command: str) -> None:
    """Passwords in the userinfo or as query parameters, tokens as query parameters: all masked."""
    p = run([command], {**env, **SECRETS_IN_URLS, "SECONDROUND_DATABASE_CONNECT_TIMEOUT_SECONDS": "2"})
    out = p.stdout + p.stderr
    for secret in ("user-pw-4471", "query-pw-9052", "ssl-pw-3318", "tok-5521-abc"):
        assert secret not in out, (secret, out)
    # what is not secret still shows, so the output stays useful
    mask = r"(\*{8}|\[REDACTED\])"
    assert re.search(rf"postgresql://bot:{mask}@127\.0\.0\.1:1/sr\?password={mask}&sslpassword={mask}&", out), out
    assert "application_name=secondround" in out
    if command == "config":
        assert p.returncode == 0, p.stderr
        shown = dict(line.split("=", 1) for line in p.stdout.splitlines())
        assert (
            shown["SECONDROUND_SLACK_API_URL"]
            == "https://gateway.example.org/slack/api/?access_token=********&region=eu"
        )
    else:
        assert p.returncode == 1 and "FAIL  database: cannot connect to postgresql://bot:" in p.stdout
