"""What Slack requires of an app: fast acks, retries handled once, signatures, rate limits, errors, logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.common.types import ConversationRef, File, IncomingMessage, Reply
from bot.ops.app import App
from bot.ops.runtime import Runtime
from bot.reminders.engine import ReminderEngine
from bot.storage.models import Note, Reminder, User
from tests.slack.conftest import SIGNING_SECRET, SlackHarness, click_payload, dm_event, event_body, sign
from tests.standins.slack import BOT_ID, BOT_USER_ID, TEAM_ID, dm_channel

ALICE, BOB = "U0ALICE", "U0BOB"
CHANNEL = "C0CAREER"


VIEW_SUBMISSION = {
    "type": "view_submission",
    "team": {"id": TEAM_ID, "domain": "career-services"},
    "user": {"id": ALICE, "team_id": TEAM_ID},
    "api_app_id": "A0APP",
    "trigger_id": "1.2.abc",
    "view": {"id": "V1", "type": "modal", "callback_id": "someone_elses", "state": {"values": {}}},
}
SHORTCUT = {
    "type": "shortcut",
    "team": {"id": TEAM_ID, "domain": "career-services"},
    "user": {"id": ALICE, "team_id": TEAM_ID},
    "callback_id": "someone_elses",
    "trigger_id": "1.2.abc",
}


def _reminders(slack: SlackHarness) -> list[Reminder]:
    with slack.bot.app.db.session() as s:
        rows = list(s.scalars(select(Reminder).order_by(Reminder.due_at, Reminder.id)))
        s.expunge_all()
        return rows


async def test_slack_is_acknowledged_before_the_coaching_work(slack: SlackHarness) -> None:
    """However long the coach takes, Slack gets its answer (here: while the coach is stuck)."""
    gate = threading.Event()
    handle_once = slack.bot.app.coach.handle_once

    def stuck(msg: IncomingMessage, receipt: Any, **kw: Any) -> list[Reply] | None:
        gate.wait(60)  # (a worker thread: the event loop goes on)
        return handle_once(msg, receipt, **kw)

    slack.bot.app.coach.handle_once = stuck  # type: ignore[method-assign]
    event = await slack.dm(ALICE, "how do I handle a dinner interview?")
    command, url = await slack.command("tips salary", user=ALICE)
    click = await slack.click(
        click_payload(
            {"action_id": "sr_btn_0", "value": "topic:salary", "text": {"type": "plain_text", "text": "Salary"}},
            user=ALICE,
            channel=dm_channel(ALICE),
            response_url=slack.standin.response_url(),
        )
    )
    try:
        assert [sent.status for sent in (event, command, click)] == [200, 200, 200]
        assert not slack.standin.calls_to("chat.postMessage") and not slack.standin.calls_to("response_url")
    finally:
        gate.set()
    await slack.reply_in(dm_channel(ALICE), count=2)
    assert "Salary" in (await slack.response(url)).shown


async def test_a_retried_event_is_handled_once(slack: SlackHarness) -> None:
    event = dm_event(ALICE, "how do I handle a dinner interview?")
    first = await slack.event(event, event_id="Ev0RETRY1")
    retry = await slack.event(
        event, event_id="Ev0RETRY1", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert first.status == retry.status == 200  # acknowledged, so Slack stops retrying
    await slack.reply_in(dm_channel(ALICE))
    await slack.settle()
    assert len(slack.posts(dm_channel(ALICE))) == 1


async def test_a_retried_event_is_handled_once_across_instances_and_restarts(slack: SlackHarness) -> None:
    # a second instance: its own App (connections, coach) on the same database
    other_app = App.build(slack.bot.app.settings, clock=slack.bot.clock, nlu=slack.bot.app.nlu)
    try:
        other = await slack.start_adapter(Runtime(other_app, health=False, reminders=False))
        event = dm_event(ALICE, "how do I handle a dinner interview?")
        await slack.event(event, event_id="Ev0SHARED")
        await slack.event(event, event_id="Ev0SHARED", headers={"X-Slack-Retry-Num": "1"}, adapter=other)
        await slack.reply_in(dm_channel(ALICE))

        await slack.adapter.stop()  # a restart: the retry arrives at a fresh process
        fresh = await slack.start_adapter()
        await slack.event(event, event_id="Ev0SHARED", headers={"X-Slack-Retry-Num": "2"}, adapter=fresh)
        await slack.event(dm_event(BOB, "hi"), adapter=fresh)  # something new is still answered
        await slack.reply_in(dm_channel(BOB))
        await slack.settle()
        assert len(slack.posts(dm_channel(ALICE))) == 1
    finally:
        for adapter in slack.extra:
            await adapter.stop()
        slack.extra.clear()
        other_app.close()


@pytest.mark.parametrize(
    "forgery",
    ["wrong secret", "stale timestamp", "future timestamp", "no signature", "body changed after signing"],
)
async def test_forged_or_stale_requests_are_rejected_without_effect(slack: SlackHarness, forgery: str) -> None:
    body = json.dumps(event_body(dm_event(ALICE, "note: my salary is 90k"), event_id="Ev0FORGED"))
    now = int(time.time())
    headers = {
        "wrong secret": sign(body, secret="0" * 32),
        "stale timestamp": sign(body, timestamp=now - 400),
        "future timestamp": sign(body, timestamp=now + 400),
        "no signature": {},
        "body changed after signing": sign(body.replace("90k", "10k")),
    }[forgery]
    sent = await slack.post(body, "application/json", headers=headers, signed=False)
    assert sent.status == 401
    await slack.settle()
    assert [c.method for c in slack.standin.calls] == ["auth.test"]  # nothing answered, nothing looked up

    # the event id was not used up: the genuine delivery is still handled
    genuine = await slack.post(body, "application/json")
    assert genuine.status == 200
    assert "Noted" in (await slack.reply_in(dm_channel(ALICE))).shown


async def test_the_request_url_check_of_http_mode_is_answered(slack: SlackHarness) -> None:
    """Slack's url_verification when an admin enters the Request URL (docs/slack.md, HTTP mode)."""
    body = json.dumps(
        {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    sent = await slack.post(body, "application/json")
    assert sent.status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in sent.body
    forged = await slack.post(body, "application/json", headers=sign(body, secret="1" * 32), signed=False)
    assert forged.status == 401


async def test_events_the_bot_does_not_handle_are_acknowledged_not_404(slack: SlackHarness) -> None:
    form = "application/x-www-form-urlencoded"
    others = [
        await slack.event({"type": "reaction_added", "user": ALICE, "reaction": "tada", "item": {}}),
        await slack.event(
            {"type": "message", "channel_type": "channel", "channel": CHANNEL, "user": ALICE, "text": "hi"}
        ),
        await slack.event({**dm_event(ALICE, "edited"), "subtype": "message_changed"}),
        await slack.event({"type": "app_home_opened", "user": ALICE, "tab": "messages"}),
        await slack.post(urlencode({"payload": json.dumps(VIEW_SUBMISSION)}), form),
        await slack.post(urlencode({"payload": json.dumps(SHORTCUT)}), form),
        await slack.click(
            click_payload(
                {"action_id": "someone_elses", "value": "x", "text": {"text": "x"}},
                user=ALICE,
                channel=CHANNEL,
                response_url=None,
            )
        ),
    ]
    assert [s.status for s in others] == [200] * len(others)
    await slack.settle()
    assert not slack.standin.calls_to("chat.postMessage") and not slack.standin.calls_to("views.publish")


async def test_messages_from_the_app_itself_and_other_bots_are_ignored(slack: SlackHarness) -> None:
    own = {**dm_event(BOT_USER_ID, "Hi! I'm SecondRound"), "channel": dm_channel(ALICE), "bot_id": BOT_ID}
    other_bot = {**dm_event(ALICE, "beep"), "subtype": "bot_message", "bot_id": "B0OTHER", "user": None}
    other_bot_as_user = {**dm_event("U0HELPER", "hello bot"), "bot_id": "B0HELPER"}
    for event in (own, other_bot, other_bot_as_user):
        assert (await slack.event(event)).status == 200
    await slack.dm(ALICE, "hi")
    await slack.reply_in(dm_channel(ALICE))
    await slack.settle()
    assert [c.body["channel"] for c in slack.standin.calls_to("chat.postMessage")] == [dm_channel(ALICE)]


async def test_a_rate_limited_answer_is_sent_after_retry_after(slack: SlackHarness) -> None:
    slack.standin.rate_limit("chat.postMessage", retry_after=1)
    await slack.dm(ALICE, "hi")
    await slack.reply_in(dm_channel(ALICE))
    attempts = [c for c in slack.standin.calls if c.method == "chat.postMessage"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # Slack's Retry-After was honoured
    await slack.settle()
    assert len(slack.posts(dm_channel(ALICE))) == 1


async def test_a_rate_limited_reminder_is_rescheduled_after_retry_after(slack: SlackHarness) -> None:
    await slack.dm(ALICE, "I have a second interview with Acme on Friday at 3pm")
    await slack.reply_in(dm_channel(ALICE))
    engine = ReminderEngine(slack.bot.app, {"slack": slack.adapter}, pacing=0.0)
    prepare = next(r for r in _reminders(slack) if r.kind == "prepare")
    slack.bot.clock.set(prepare.due_at)
    slack.standin.rate_limit("chat.postMessage", retry_after=30)
    await engine.tick()
    row = next(r for r in _reminders(slack) if r.id == prepare.id)
    assert row.status == "pending" and row.due_at == prepare.due_at + timedelta(seconds=30)
    assert len(slack.posts(dm_channel(ALICE))) == 1  # only the earlier answer

    slack.bot.advance(seconds=30)
    await engine.tick()
    assert "Acme" in (await slack.reply_in(dm_channel(ALICE), count=2)).shown
    assert next(r for r in _reminders(slack) if r.id == prepare.id).status == "sent"


async def test_a_reminder_to_a_closed_dm_fails_permanently_and_the_student_hears_about_it(slack: SlackHarness) -> None:
    await slack.dm(ALICE, "I have a second interview with Acme on Friday at 3pm")
    await slack.reply_in(dm_channel(ALICE))
    engine = ReminderEngine(slack.bot.app, {"slack": slack.adapter}, pacing=0.0)
    prepare = next(r for r in _reminders(slack) if r.kind == "prepare")
    slack.bot.clock.set(prepare.due_at)
    slack.standin.fail("chat.postMessage", "channel_not_found")
    await engine.tick()
    row = next(r for r in _reminders(slack) if r.id == prepare.id)
    assert row.status == "failed" and "channel_not_found" in (row.last_error or "")
    assert row.attempts == 1  # not retried: it cannot work until something changes

    await slack.dm(ALICE, "hi")
    told = await slack.reply_in(dm_channel(ALICE), count=2)
    assert "couldn't deliver a reminder" in told.shown


async def test_a_refused_answer_is_logged_with_the_method_and_explained_to_the_student(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack.standin.fail("chat.postMessage", "not_in_channel")
    from tests.slack.conftest import mention_event

    await slack.event(mention_event(ALICE, CHANNEL, "how do I handle a dinner interview?"))
    told = await slack.reply_in(dm_channel(ALICE))
    assert "not a member" in told.shown and "/invite" in told.shown
    [record] = [r for r in caplog.records if r.getMessage() == "slack_api_error"]
    assert (record.method, record.error) == ("chat.postMessage", "not_in_channel")  # type: ignore[attr-defined]

    await slack.dm(ALICE, "hi")  # the bot goes on
    assert "SecondRound" in (await slack.reply_in(dm_channel(ALICE), count=2)).shown


async def test_message_text_is_not_logged_at_info(slack: SlackHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    secret_words = "my manager Zebediah Quux said the offer is 123456"
    slack.standin.fail("users.info", "missing_scope")  # a warning is logged for this one
    slack.standin.rate_limit("chat.postMessage", retry_after=0)  # and an info line for this one
    event = dm_event(ALICE, f"note: {secret_words}")
    await slack.event(event, event_id="Ev0LOGGED")
    await slack.event(event, event_id="Ev0LOGGED", headers={"X-Slack-Retry-Num": "1"})  # duplicate: info
    _, url = await slack.command(f"tips {secret_words}", user=ALICE)
    await slack.reply_in(dm_channel(ALICE))
    await slack.response(url)
    await slack.settle()
    logged = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert {"slack_api_error", "slack_rate_limited", "inbox_duplicate"} <= {r.getMessage() for r in logged}
    for record in logged:
        assert "Zebediah" not in record.getMessage()
        assert not any("Zebediah" in str(v) for v in vars(record).values())


async def test_tokens_and_signing_secret_never_reach_the_logs_at_debug(
    slack: SlackHarness,
) -> None:
    """slack_sdk logs request bodies at DEBUG; bot.ops.logs' filter must keep the secrets out."""
    import io

    from bot.ops.logs import configure
    from tests.slack.conftest import BOT_TOKEN

    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure(slack.bot.app.settings, level="DEBUG", stream=stream, message_bodies=True)
    try:
        await slack.dm(ALICE, "hi")
        await slack.reply_in(dm_channel(ALICE))
        _, url = await slack.command("tips salary", user=ALICE)
        await slack.response(url)
        await slack.adapter.deliver(ConversationRef("slack", TEAM_ID, "", ALICE), [Reply("A reminder")])
        await slack.settle()
        # an explicit attempt to log the secrets (a careless debug line) is redacted too
        logging.getLogger("adapters.slack").debug("careless %s %s", BOT_TOKEN, SIGNING_SECRET)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    assert "chat.postMessage" in text and "Sending a request" in text  # slack_sdk's DEBUG lines were on
    assert BOT_TOKEN not in text and BOT_TOKEN.split("-")[-1] not in text
    assert SIGNING_SECRET not in text


@pytest.mark.parametrize(
    ("method", "error", "permanent"),
    [
        ("conversations.open", "user_not_found", True),
        ("chat.postMessage", "account_inactive", True),
        ("chat.postMessage", "cannot_dm_bot", True),
        ("chat.postMessage", "invalid_auth", False),  # the office can fix the app: try again later
        ("chat.postMessage", "internal_error", False),
    ],
)
async def test_delivery_failures_tell_the_reminder_engine_whether_to_try_again(
    slack: SlackHarness, method: str, error: str, permanent: bool
) -> None:
    from bot.reminders.delivery import DeliveryError

    slack.standin.fail(method, error)
    with pytest.raises(DeliveryError) as failed:
        await slack.adapter.deliver(ConversationRef("slack", TEAM_ID, "", "U0DAVE"), [Reply("Your reminder")])
    assert failed.value.permanent is permanent
    assert error in failed.value.reason and ":" not in failed.value.reason  # the core shows text before a colon


STUDENT_WORDS = "Zebediah Quux offered 123456"


def sign_bytes(raw: bytes) -> dict[str, str]:
    """Slack's signature over raw bytes (which need not be UTF-8)."""
    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def _bad_requests() -> dict[str, tuple[bytes, dict[str, str], int]]:
    """Requests Slack would never send, each with the status it must get."""
    note = json.dumps(event_body(dm_event(ALICE, f"note: {STUDENT_WORDS}"))).encode()
    now = int(time.time())
    broken = {
        "malformed json": b'{"type": "event_callback", "event": {' + STUDENT_WORDS.encode(),
        "a json list": b'["' + STUDENT_WORDS.encode() + b'"]',
        "bad json in a form payload": b"payload=%7B%22type%22%3A+" + STUDENT_WORDS.replace(" ", "+").encode(),
        "not utf-8": b'{"text": "\xff\xfe' + STUDENT_WORDS.encode() + b'"}',
        "an event that is not an object": json.dumps(
            {"type": "event_callback", "team_id": TEAM_ID, "event": STUDENT_WORDS, "event_id": "Ev0SHAPE"}
        ).encode(),
        "an empty body": b"",
    }
    cases: dict[str, tuple[bytes, dict[str, str], int]] = {
        name: (raw, sign_bytes(raw), 400) for name, raw in broken.items()
    }
    cases["a timestamp that is not a number"] = (
        note,
        {"X-Slack-Request-Timestamp": "16e9", "X-Slack-Signature": sign(note.decode())["X-Slack-Signature"]},
        400,
    )
    cases["a stale timestamp"] = (note, sign(note.decode(), timestamp=now - 400), 401)
    cases["a wrong signature"] = (note, sign(note.decode(), secret="0" * 32), 401)
    cases["over a megabyte"] = (note + b" " * (1024 * 1024), sign(note.decode()), 413)
    return cases


@pytest.mark.parametrize("case", list(_bad_requests()))
async def test_a_bad_request_gets_a_4xx_and_one_short_log_line_without_its_body(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    raw, headers, status = _bad_requests()[case]
    caplog.set_level(logging.DEBUG)
    async with slack.http.post(slack.url, data=raw, headers={"Content-Type": "application/json", **headers}) as resp:
        assert resp.status == status
        assert "Traceback" not in await resp.text()
    await slack.settle()
    logged = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [(r.levelname, r.getMessage()) for r in logged] == [("INFO", "slack_request_refused")]
    [line] = logged
    assert line.exc_info is None and line.status == status  # type: ignore[attr-defined]
    assert "Zebediah" not in caplog.text  # not even at DEBUG
    assert [c.method for c in slack.standin.calls] == ["auth.test"]  # nothing answered, nothing stored
    with slack.bot.app.db.session() as s:
        assert s.scalars(select(User)).all() == []


def _salary_click(slack: SlackHarness, user: str | None) -> str:
    payload = click_payload(
        {"action_id": "sr_btn_0", "value": "topic:salary", "text": {"type": "plain_text", "text": "Salary"}},
        user=user or ALICE,
        channel=dm_channel(ALICE),
        response_url=slack.standin.response_url(),
    )
    if user is None:
        del payload["user"]
    return urlencode({"payload": json.dumps(payload)})


async def test_the_same_signed_button_press_replayed_is_handled_once(slack: SlackHarness) -> None:
    await slack.dm(ALICE, "hi")
    await slack.reply_in(dm_channel(ALICE))
    body = _salary_click(slack, ALICE)
    headers = sign(body)  # signed once, sent three times (a replay within the signature window)
    sent = [
        await slack.post(body, "application/x-www-form-urlencoded", headers=headers, signed=False) for _ in range(3)
    ]
    assert [s.status for s in sent] == [200, 200, 200]
    await slack.settle()
    answers = slack.standin.calls_to("chat.postMessage", lambda c: "Salary and negotiating" in c.shown)
    assert len(answers) == 1

    again = await slack.post(_salary_click(slack, ALICE), "application/x-www-form-urlencoded")  # a new press
    assert again.status == 200
    await slack.settle()
    assert len(slack.standin.calls_to("chat.postMessage", lambda c: "Salary and negotiating" in c.shown)) == 2


async def test_a_signed_button_press_without_a_user_is_refused(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sent = await slack.post(_salary_click(slack, None), "application/x-www-form-urlencoded")
    assert sent.status == 400
    await slack.settle()
    with slack.bot.app.db.session() as s:
        assert s.scalars(select(User)).all() == []  # no user row with an empty id
    assert [c.method for c in slack.standin.calls] == ["auth.test"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == ["slack_request_refused"]


async def test_log_lines_name_a_student_only_by_a_keyed_hash_also_after_forget_me(slack: SlackHarness) -> None:
    import io

    from bot.ops.events import log_key, user_hash
    from bot.ops.logs import configure

    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure(slack.bot.app.settings.model_copy(update={"log_format": "json"}), "INFO", stream=stream)
    logging_runtime = Runtime(slack.bot.app, health=False, reminders=False)  # the one that writes the lines
    await logging_runtime.start()
    try:
        await slack.dm(ALICE, "note: call the recruiter back")
        await slack.reply_in(dm_channel(ALICE))
        _, url = await slack.command("forget", user=ALICE)
        yes = (await slack.response(url)).button("Yes, delete")
        click_url = slack.standin.response_url()
        await slack.click(click_payload(yes, user=ALICE, channel=CHANNEL, response_url=click_url, ephemeral=True))
        assert "deleted" in (await slack.response(click_url)).shown
        await slack.dm(ALICE, "hi")  # from then on too
        await slack.reply_in(dm_channel(ALICE), count=2)
        await slack.settle()
    finally:
        await logging_runtime.stop()
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    handled = [json.loads(line) for line in text.splitlines() if '"message_handled"' in line]
    assert len(handled) == 4  # the note, "forget", the click, "hi"
    assert ALICE not in text and dm_channel(ALICE) not in text
    key = log_key(slack.bot.app.db, slack.bot.clock)  # the installation's key, kept in the database
    assert {line["user"] for line in handled} == {user_hash(key, ConversationRef("slack", TEAM_ID, "", ALICE))}


async def test_a_long_export_is_paced_per_conversation(slack: SlackHarness) -> None:
    """An export in many messages: a short burst, then one message a second (Slack's rate per channel)."""
    from bot.storage.repo import UserData, get_or_create_user

    ref = ConversationRef("slack", TEAM_ID, dm_channel(ALICE), ALICE)
    with slack.bot.app.db.session() as s:
        user, _ = get_or_create_user(s, ref, slack.bot.clock.now())
        data = UserData(s, user)
        for n in range(240):  # about 750 KB of notes
            data.add_note(
                f"note {n:03d}: " + "practise the STAR answer about the migration project " * 55, slack.bot.clock.now()
            )
    await slack.dm(ALICE, "export my data")
    await slack.settle()
    parts = slack.posts(dm_channel(ALICE))
    assert len(parts) >= 5
    shown = "".join(part.shown for part in parts)
    assert all(f"note {n:03d}" in shown for n in range(240))  # all of it arrived
    assert slack.pace.waits == [1.0] * (len(parts) - 3)  # three at once, then one a second

    await slack.dm(BOB, "hi")  # another conversation is not held up by Alice's export
    await slack.settle()
    assert slack.pace.waits == [1.0] * (len(parts) - 3)


async def test_a_full_inbox_answers_503_so_slack_retries_and_nothing_is_lost(slack: SlackHarness) -> None:
    """Beyond its limit for one person the bot does not acknowledge: Slack's retry is then answered."""
    slack.runtime.inbox_settings.per_user = 2
    gate = threading.Event()
    handle_once = slack.bot.app.coach.handle_once

    def stuck(msg: IncomingMessage, receipt: Any, **kw: Any) -> list[Reply] | None:
        gate.wait(60)
        return handle_once(msg, receipt, **kw)

    slack.bot.app.coach.handle_once = stuck  # type: ignore[method-assign]
    events = [dm_event(ALICE, f"note: bring copy {n} of the portfolio") for n in range(3)]
    try:
        sent = [await slack.event(e, event_id=f"Ev0FULL{n}") for n, e in enumerate(events)]
        assert [s.status for s in sent] == [200, 200, 503]
        assert (await slack.dm(BOB, "hi")).status == 200  # someone else is still taken
    finally:
        gate.set()
    await slack.settle()
    retry = await slack.event(events[2], event_id="Ev0FULL2", headers={"X-Slack-Retry-Num": "1"})
    assert retry.status == 200
    await slack.settle()
    with slack.bot.app.db.session() as s:
        assert sorted(s.scalars(select(Note.text))) == [f"bring copy {n} of the portfolio" for n in range(3)]
    assert len(slack.posts(dm_channel(ALICE))) == 3


async def test_when_the_inbox_cannot_record_the_message_is_answered_before_the_ack(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refuses the inbox's write: the student still gets an answer, then Slack its 200."""
    from sqlalchemy.exc import OperationalError

    def down(*args: Any) -> int | None:
        raise OperationalError("INSERT INTO inbox", {}, Exception("database is locked"))

    monkeypatch.setattr(slack.runtime.inbox, "write", down)
    sent = await slack.dm(ALICE, "how do I handle a dinner interview?")
    assert sent.status == 200
    assert slack.posts(dm_channel(ALICE)), "answered before the acknowledgement"
    assert "meal interview" in slack.posts(dm_channel(ALICE))[0].shown


EXPORT = File("secondround-export.json", "application/json", '{"notes": [{"text": "ask about the on-call rota"}]}')


def _with_export(slack: SlackHarness) -> None:
    """The core answers every message with a short reply carrying an export file."""

    def answer(msg: IncomingMessage, receipt: Any, **kw: Any) -> list[Reply] | None:
        return [Reply("Here's everything I store about you.", private=True, files=(EXPORT,))]

    slack.bot.app.coach.handle_once = answer  # type: ignore[method-assign]


async def test_a_reply_with_a_file_is_uploaded_to_the_conversation(slack: SlackHarness) -> None:
    _with_export(slack)
    await slack.dm(ALICE, "export my data")
    [upload] = await slack.standin.wait_for("files.completeUploadExternal")
    assert upload.body["channel_id"] == dm_channel(ALICE)
    assert upload.body["_contents"] == {EXPORT.name: EXPORT.content}
    assert "Here's everything" in (await slack.reply_in(dm_channel(ALICE))).shown


async def test_a_file_for_a_slash_command_goes_to_the_dm_never_the_channel(slack: SlackHarness) -> None:
    _with_export(slack)
    _, url = await slack.command("export", user=ALICE, channel=CHANNEL)
    assert "Here's everything" in (await slack.response(url)).shown
    [upload] = await slack.standin.wait_for("files.completeUploadExternal")
    assert upload.body["channel_id"] == dm_channel(ALICE)


async def test_when_slack_refuses_the_upload_the_file_comes_as_text(slack: SlackHarness) -> None:
    _with_export(slack)
    slack.standin.fail("files.getUploadURLExternal", "missing_scope")
    await slack.dm(ALICE, "export my data")
    shown = (await slack.reply_in(dm_channel(ALICE), count=2)).shown
    assert EXPORT.name in shown and "on-call rota" in shown
