"""Logs an operator can read (console) or ship (JSON lines), with no secret in them at any level."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import structlog

from bot.ops import logs
from bot.ops.logs import REDACTED, configure, redact
from tests.conftest import make_settings
from tests.standins.env import settings_with

SLACK_BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_USER = "xoxp-1234567890-0987654321-1111111111-0123456789abcdef"
SLACK_APP = "xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef"
SIGNING = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's own example shape is 32 hex; this one is not
SIGNING_HEX = "e2b3d4f5a6b7c8d9e0f1a2b3c4d5e6f7"
DISCORD = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab"
DB_PASSWORD = "pg-Pa55word!"
CONFIGURED_ONLY = "correct-horse-battery-staple"  # matches no pattern: only the exact value finds it

PLANTED = [SLACK_BOT, SLACK_USER, SLACK_APP, SIGNING, SIGNING_HEX, DISCORD, DB_PASSWORD, CONFIGURED_ONLY]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


def _configure(tmp_path: Path, fmt: str, level: str = "DEBUG") -> io.StringIO:
    settings = settings_with(
        tmp_path,
        {
            "SLACK_BOT_TOKEN": SLACK_BOT,
            "SLACK_APP_TOKEN": SLACK_APP,
            "SLACK_SIGNING_SECRET": SIGNING,
            "DISCORD_TOKEN": DISCORD,
        },
        log_format=fmt,
        database_url=f"postgresql://secondround:{DB_PASSWORD}@db.internal:5432/secondround",
        instance_id="pod-7",
        log_message_bodies=True,  # the SDKs' body dumps must come out redacted too
    )
    out = io.StringIO()
    configure(settings, level, stream=out, extra_secrets=[CONFIGURED_ONLY])
    return out


def _plant_everywhere() -> None:
    log = logging.getLogger("tests.ops.planted")
    log.debug(f"message carries {SLACK_BOT} and {CONFIGURED_ONLY}")
    log.debug("args carry %s / %s / %r", SLACK_USER, DISCORD, {"token": SLACK_APP})
    log.debug(
        "extra_fields",
        extra={
            "token_like": SLACK_APP,
            "authorization": f"Bot {DISCORD}",
            "headers": {"Authorization": f"Bearer {SLACK_BOT}", "X-Other": SIGNING},
            "url": f"postgresql://secondround:{DB_PASSWORD}@db.internal/secondround",
            "body": f"token={SLACK_USER}&signing={SIGNING_HEX}",
            "nested": [{"secret": "visible-only-if-broken"}, SIGNING],
        },
    )
    try:
        raise RuntimeError(f"login failed for {DISCORD} with {SIGNING} via {CONFIGURED_ONLY}")
    except RuntimeError:
        log.exception("exception_text", extra={"reminder": 42})
    log.debug(
        "encoded url https://slack.com/api/x?a=1%26token%3D" + SLACK_USER.replace("-", "%2D")[:4] + SLACK_USER[4:]
    )
    log.debug("stack", stack_info=True, extra={"dsn": f"host=db password={DB_PASSWORD} user=x"})
    structlog.get_logger("tests.native").debug("structlog_native", token=SLACK_BOT, note=f"see {SIGNING}")


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_planted_tokens_never_reach_the_output(tmp_path, restore_logging, fmt) -> None:
    out = _configure(tmp_path, fmt)
    _plant_everywhere()
    text = out.getvalue()
    for secret in [*PLANTED, "visible-only-if-broken"]:
        assert secret not in text, f"{secret!r} leaked in {fmt} output"
    assert "hunter" not in text
    # the lines themselves are still there and useful: events, ids, which kind of token it was
    for event in ("message carries", "args carry", "extra_fields", "exception_text", "stack", "structlog_native"):
        assert event in text
    assert REDACTED in text
    assert "RuntimeError: login failed" in text and "42" in text
    assert "db.internal" in text  # the host stays: only the password goes


def test_json_lines_keep_extra_fields_as_keys(tmp_path, restore_logging) -> None:
    out = _configure(tmp_path, "json", level="INFO")
    logging.getLogger("bot.reminders.engine").info(
        "reminder_sent", extra={"reminder": 7, "kind": "prepare", "lag_seconds": 1.25}
    )
    logging.getLogger("bot.reminders.engine").debug("not_at_info")
    [line] = out.getvalue().splitlines()
    row = json.loads(line)
    assert row["event"] == "reminder_sent" and row["level"] == "info"
    assert row["logger"] == "bot.reminders.engine" and row["instance"] == "pod-7"
    assert (row["reminder"], row["kind"], row["lag_seconds"]) == (7, "prepare", 1.25)
    assert row["timestamp"].endswith("Z")


def test_console_lines_are_readable(tmp_path, restore_logging) -> None:
    out = _configure(tmp_path, "console", level="INFO")
    logging.getLogger("bot.ops.runtime").info("started", extra={"platforms": ["slack"]})
    [line] = out.getvalue().splitlines()
    assert "[info" in line and "started" in line and "platforms=['slack']" in line and "[bot.ops.runtime]" in line
    assert "\x1b[" not in line  # no colour codes in files and journals


def test_configuring_again_replaces_only_its_own_handler(tmp_path, restore_logging) -> None:
    other = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(other)
    try:
        _configure(tmp_path, "console")
        out = _configure(tmp_path, "console")
        logging.getLogger("x").warning("once")
        assert out.getvalue().count("once") == 1
        assert other in logging.getLogger().handlers
    finally:
        logging.getLogger().removeHandler(other)


class _FakeSlack(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        _FakeSlack.seen.append((self.path, self.headers.get("Authorization", ""), body))
        payload = json.dumps({"ok": True, "channel": "D1", "ts": "1.2"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def test_slack_sdk_debug_request_logs_come_out_clean(tmp_path, restore_logging) -> None:
    """slack_sdk logs whole request bodies at DEBUG; with tokens in them, they still leave clean."""
    from slack_sdk import WebClient

    server = HTTPServer(("127.0.0.1", 0), _FakeSlack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        out = _configure(tmp_path, "json")
        client = WebClient(token=SLACK_BOT, base_url=f"http://127.0.0.1:{server.server_port}/api/")
        client.chat_postMessage(channel="D1", text=f"pasted by mistake: {SLACK_USER}")
        client.api_call("auth.revoke", data={"token": SLACK_APP})
    finally:
        server.shutdown()
    # the SDK really sent the secrets (so they were really in its hands) ...
    assert any(SLACK_BOT in auth for _, auth, _ in _FakeSlack.seen)
    assert any(SLACK_APP in body for _, _, body in _FakeSlack.seen)
    text = out.getvalue()
    assert "chat.postMessage" in text and "auth.revoke" in text  # ... and logged the requests
    for secret in (SLACK_BOT, SLACK_APP, SLACK_USER):
        assert secret not in text
    assert "xoxp-" + REDACTED in text  # a token nobody configured is still recognised, and named


def test_redact_is_harmless_on_ordinary_text() -> None:
    ordinary = (
        "reminder_sent reminder=12 kind=thank_you lag_seconds=0.4 platform=slack user=U024BE7LH "
        "Bot started in 3 guilds; bearer of good news; tokens=3 revision 0001abcd"
    )
    assert redact(ordinary) == ordinary


def test_students_words_in_sdk_body_dumps_stay_out_by_default(tmp_path, restore_logging) -> None:
    """At DEBUG the platform libraries dump request bodies; without the opt-in those lines are dropped."""
    body = '{"content": "note: my salary floor is 61k", "allowed_mentions": {"parse": []}}'
    out = io.StringIO()
    configure(make_settings(tmp_path), "DEBUG", stream=out)
    logging.getLogger("discord.http").debug("POST /channels/1/messages with %s has returned 200", body)
    logging.getLogger("slack_sdk.web.base_client").debug("Sending a request - body: %s", body)
    logging.getLogger("bot.coaching.coach").debug("handler_debug_line")
    logging.getLogger("discord.http").info("an INFO line from discord.http")
    text = out.getvalue()
    assert "salary floor" not in text
    assert "handler_debug_line" in text and "an INFO line from discord.http" in text
    out = io.StringIO()
    configure(make_settings(tmp_path, log_message_bodies=True), "DEBUG", stream=out)
    logging.getLogger("discord.http").debug("POST with %s", body)
    assert "salary floor" in out.getvalue()  # the operator asked for it


class _SeenLengths:
    """Wraps a compiled pattern and notes the length of every text it is run on."""

    def __init__(self, pattern: re.Pattern[str], seen: list[int]) -> None:
        self.pattern, self.seen = pattern, seen

    def sub(self, repl: object, text: str) -> str:
        self.seen.append(len(text))
        if len(text) > logs.MAX_LINE_CHARS + logs.CUT_LOOKAHEAD:
            return text  # (not run: uncut input is what the test is about, and may take minutes)
        return self.pattern.sub(repl, text)  # type: ignore[arg-type]


def test_long_fields_are_cut_before_any_pattern_runs(tmp_path, restore_logging, monkeypatch) -> None:
    """A megabyte in a message, an ``extra`` field, a list and an exception: no pattern sees it whole."""
    seen: list[int] = []
    monkeypatch.setattr(logs, "_PATTERNS", [(_SeenLengths(p, seen), r) for p, r in logs._PATTERNS])
    out = _configure(tmp_path, "json", level="INFO")
    huge = "q" * 1_000_000
    log = logging.getLogger("tests.ops.huge")
    log.warning("rejected %s", huge, extra={"body": huge, "fields": {huge: huge}})
    log.warning("many_parts", extra={"parts": [huge] * 1_000})
    try:
        raise ValueError(huge)
    except ValueError:
        log.exception("failed")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert seen and max(seen) <= logs.MAX_LINE_CHARS + logs.CUT_LOOKAHEAD
    assert all(len(line) <= logs.MAX_LINE_CHARS + 100 for line in lines)
    first, second, third = (json.loads(line) for line in lines)  # still one JSON object a line
    assert first["event"].startswith("rejected qqq") and first["event"].endswith("more characters cut]")
    assert first["body"].endswith("more characters cut]") and len(first["body"]) < logs.MAX_FIELD_CHARS + 100
    assert second["event"] == "many_parts" and second["line_cut"] and "parts" not in second
    assert third["event"] == "failed" and "ValueError" in third["exception"]


@pytest.mark.parametrize("shift", [-40, -10, -1, 0, 1, 10, 40])
def test_a_secret_across_the_cut_is_left_out_or_redacted_whole(tmp_path, restore_logging, shift) -> None:
    """However the cut falls on a token or a URL's password, no part of it is written."""
    url = f"postgresql://secondround:{DB_PASSWORD}@db.internal/secondround"
    for secret, distinctive in ((SLACK_BOT, SLACK_BOT[5:]), (url, DB_PASSWORD), (DISCORD, DISCORD[25:])):
        filler = "w " * ((logs.MAX_FIELD_CHARS + shift - len(secret) // 2) // 2)
        text = redact(filler + secret + " and then some more words " * 400)
        assert "more characters cut" in text
        for part in (distinctive, distinctive[:8], distinctive[-8:]):
            assert part not in text, (secret, shift)


def test_a_bad_request_body_logged_at_info_is_cut_and_redacted(tmp_path, restore_logging) -> None:
    """The kind of line a rejected request used to produce: bounded, and no token in it."""
    out = _configure(tmp_path, "console", level="INFO")
    body = "payload=" + ("A" * 30 + ".") * 10_000 + SLACK_BOT
    logging.getLogger("slack_bolt.AsyncApp").info(f"Invalid request signature detected (body: {body})")
    text = out.getvalue()
    assert SLACK_BOT not in text and len(text) < logs.MAX_LINE_CHARS + 200
