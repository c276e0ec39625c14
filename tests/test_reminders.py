"""The reminder engine: the right reminders, at the right local time, once, across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.common.clock import FakeClock
from bot.ops.app import App
from bot.reminders.delivery import DeliveryError
from bot.reminders.engine import ReminderEngine
from bot.storage.models import Reminder
from tests.conftest import START, BotHarness, Recorder, make_settings


def _reminders(bot: BotHarness) -> list[tuple[str, str, datetime]]:
    with bot.app.db.session() as s:
        rows = s.scalars(select(Reminder).order_by(Reminder.due_at, Reminder.id)).all()
        return [(r.kind, r.status, r.due_at) for r in rows]


def _pending(bot: BotHarness) -> dict[str, datetime]:
    return {kind: due for kind, status, due in _reminders(bot) if status == "pending"}


def test_a_chain_is_planned_in_the_students_time(bot: BotHarness) -> None:
    bot.chat().say("I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    # Friday 6 March 15:00 New York = 20:00 UTC
    assert _pending(bot) == {
        "prepare": datetime(2026, 3, 5, 20, 0, tzinfo=UTC),
        "thank_you": datetime(2026, 3, 6, 22, 0, tzinfo=UTC),
        "check_in": datetime(2026, 3, 7, 20, 0, tzinfo=UTC),
    }


async def test_prepare_then_thank_you_then_sent_stops_the_chain(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen and Tom")
    assert await bot.deliver_due() == []
    bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    [prepare] = await bot.deliver_due()
    assert "Acme" in prepare and "Sarah Chen and Tom" in prepare and "notes" in prepare
    assert await bot.deliver_due() == []  # never twice

    bot.clock.set(datetime(2026, 3, 6, 22, 0, tzinfo=UTC))
    [thanks] = await bot.deliver_due()
    assert "thank-you" in thanks and "Sarah Chen and Tom" in thanks
    ref, replies = bot.recorder.sent[-1]
    assert ref.user == "alice" and replies[0].private and replies[0].kind == "thank_you"
    buttons = {b.label: b.value for b in replies[0].buttons}
    assert {"Sent ✓", "Remind me later"} <= set(buttons)

    r = me.press(buttons["Sent ✓"])
    assert "marked the thank-yous for Acme as sent" in r.text
    bot.clock.set(datetime(2026, 3, 8, 0, 0, tzinfo=UTC))
    assert await bot.deliver_due() == []  # the check-in was cancelled
    assert ("check_in", "cancelled") in {(k, s) for k, s, _ in _reminders(bot)}


async def test_check_in_comes_the_next_day_when_thank_yous_are_not_sent(bot: BotHarness) -> None:
    bot.chat().say("I have a second interview with Acme on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 7, 20, 0, tzinfo=UTC))
    sent = await bot.deliver_due()
    assert any("aren't marked as sent" in t for t in sent)


async def test_snooze_by_button_and_by_typing(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 6, 22, 0, tzinfo=UTC))  # 17:00 in New York
    await bot.deliver_due()
    later = {b.label: b.value for b in bot.recorder.sent[-1][1][0].buttons}["Remind me later"]
    r = me.press(later)
    assert "8:00 PM" in r.text  # three hours later
    bot.advance(hours=3)
    assert any("thank-you" in t for t in await bot.deliver_due())

    r = me.say("in 2 hours")  # 22:00 is in the quiet hours: moved to the next morning
    assert "I'll remind you again tomorrow, Saturday 7 March at 8:00 AM" in r.text


async def test_moving_an_interview_moves_its_reminders(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    me.say("my Acme interview moved to Thursday 10am")
    assert _pending(bot)["prepare"] == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wed 10:00 New York
    bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    sent = await bot.deliver_due()
    assert not any("Friday" in t for t in sent)


async def test_cancel_and_forget_cancel_reminders(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    me.say("cancel the Acme one")
    assert _pending(bot) == {}
    me.say("I have a second interview with Globex on Friday at 3pm")
    me.say("forget me")
    me.say("yes")
    assert _reminders(bot) == []
    bot.clock.set(datetime(2026, 3, 10, tzinfo=UTC))
    assert await bot.deliver_due() == []


def test_quiet_hours_push_a_late_dinner_thank_you_to_the_morning(bot: BotHarness) -> None:
    bot.chat().say("dinner interview with Acme on Friday at 9pm")
    # 21:00 + 2 h = 23:00, inside 22:00-08:00: moved to 08:00 Saturday New York (13:00 UTC)
    assert _pending(bot)["thank_you"] == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)


def test_offsets_and_quiet_hours_are_configurable(tmp_path, nlu, knowledge) -> None:
    settings = make_settings(tmp_path, reminder_offsets="prepare=-2h,thank_you=+30m", quiet_hours="")
    app = App.build(settings, clock=FakeClock(START), nlu=nlu, knowledge=knowledge)
    bot = BotHarness(app, app.clock, Recorder())  # type: ignore[arg-type]
    bot.chat().say("dinner interview with Acme on Friday at 9pm")
    assert _pending(bot) == {
        "prepare": datetime(2026, 3, 7, 0, 0, tzinfo=UTC),  # 19:00 New York
        "thank_you": datetime(2026, 3, 7, 2, 30, tzinfo=UTC),  # 21:30 New York, no quiet hours
    }
    app.close()


async def test_follow_up_after_the_decision_date(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme tomorrow at 9am")
    me.say("they said they'll decide by the 20th, when should I follow up?")
    assert _pending(bot)["follow_up"] == datetime(2026, 3, 21, 13, 0, tzinfo=UTC)  # the 21st, 9:00 New York
    bot.clock.set(datetime(2026, 3, 21, 13, 0, tzinfo=UTC))
    sent = await bot.deliver_due()
    assert any("decision (Friday 20 March) has passed" in t for t in sent)


async def test_offer_deadline_reminder(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Acme today at 9am")
    me.say("they offered me the job, I have to answer by friday 5pm")
    bot.clock.set(datetime(2026, 3, 5, 22, 0, tzinfo=UTC))
    sent = await bot.deliver_due()
    assert any("answer the offer from Acme is coming up (tomorrow, Friday 6 March, 5:00 PM)" in t for t in sent)


async def test_list_shows_the_next_reminder(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    assert "Next reminder (prepare): Thursday 5 March, 3:00 PM" in me.say("what's coming up?").text
    bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    await bot.deliver_due()
    assert "Next reminder (thank-you emails)" in me.say("what's coming up?").text


async def test_late_reminders_apologise_and_stale_ones_are_skipped(bot: BotHarness, caplog) -> None:
    bot.chat().say("I have a second interview with Acme on Friday at 3pm")
    # the bot was down from before the prepare reminder until after the interview started
    bot.clock.set(datetime(2026, 3, 6, 21, 0, tzinfo=UTC))
    with caplog.at_level("INFO"):
        assert await bot.deliver_due() == []
    assert "reminder_skipped" in caplog.text
    bot.clock.set(datetime(2026, 3, 7, 2, 0, tzinfo=UTC))  # thank-you due 22:00 UTC, four hours ago
    [late] = await bot.deliver_due()
    assert late.startswith("Sorry, this reminder is late")


async def test_transient_failures_are_retried_with_backoff_then_reported(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    bot.recorder.fail_with, bot.recorder.fail_times = DeliveryError("rate limited", retry_after=30), 1
    assert await bot.deliver_due() == []
    bot.advance(seconds=31)
    assert len(await bot.deliver_due()) == 1  # the retry went out

    bot.clock.set(datetime(2026, 3, 6, 22, 0, tzinfo=UTC))
    bot.recorder.fail_with, bot.recorder.fail_times = DeliveryError("platform timeout"), None
    for _ in range(bot.app.settings.reminder_max_attempts):
        await bot.deliver_due()
        bot.advance(hours=2)
    statuses = {k: s for k, s, _ in _reminders(bot)}
    assert statuses["thank_you"] == "failed"
    r = me.say("hi")
    assert "couldn't deliver" in r.text and "platform timeout" in r.text
    assert "couldn't deliver" not in me.say("hi").text  # told once


async def test_closed_dms_are_not_retried(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    bot.recorder.fail_with = DeliveryError("your direct messages are closed (50007)", permanent=True)
    await bot.deliver_due()
    assert {k: s for k, s, _ in _reminders(bot)}["prepare"] == "failed"
    assert "direct messages are closed" in me.say("what's coming up?").text


async def test_restart_delivers_missed_reminders_exactly_once(settings, nlu, knowledge) -> None:
    clock = FakeClock(START)
    app = App.build(settings, clock=clock, nlu=nlu, knowledge=knowledge)
    BotHarness(app, clock, Recorder()).chat().say("I have a second interview with Acme on Friday at 3pm")
    app.close()  # the bot stops; time passes
    clock.set(datetime(2026, 3, 5, 21, 0, tzinfo=UTC))
    for _ in range(2):  # two restarts
        app = App.build(settings, clock=clock, nlu=nlu, knowledge=knowledge)
        recorder = Recorder()
        sent = await BotHarness(app, clock, recorder).deliver_due()
        app.close()
        if _ == 0:
            assert len(sent) == 1 and "Acme" in sent[0]
        else:
            assert sent == []


async def test_a_claim_whose_sender_died_is_retried_after_the_timeout(bot: BotHarness) -> None:
    bot.chat().say("I have a second interview with Acme on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    dead = ReminderEngine(bot.app, {"test": Recorder()})
    dead.instance = "crashed-instance"
    assert len(dead._claim(10)) == 1  # claimed, then the process died before sending
    assert await bot.deliver_due() == []  # still within the claim timeout: nobody sends it
    bot.advance(seconds=bot.app.settings.reminder_claim_timeout_seconds + 1)
    assert len(await bot.deliver_due()) == 1
    assert await bot.deliver_due() == []


async def test_shutdown_releases_unsent_claims(bot: BotHarness) -> None:
    bot.chat().say("I have a second interview with Acme on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    engine = ReminderEngine(bot.app, {"test": bot.recorder})
    assert len(engine._claim(10)) == 1
    engine._release_claims()
    assert {k: s for k, s, _ in _reminders(bot)}["prepare"] == "pending"
    assert len(await bot.deliver_due()) == 1


@pytest.mark.parametrize(
    ("zone", "local_interview", "message"),
    [
        # spring forward in New York on Sunday 8 March 2026, 2:00 -> 3:00
        ("America/New_York", datetime(2026, 3, 9, 9, 0), "I have a second interview with Acme on March 9 at 9am"),
        ("America/New_York", datetime(2026, 3, 8, 15, 0), "I have a second interview with Acme on March 8 at 3pm"),
        # fall back in New York on Sunday 1 November 2026, 2:00 -> 1:00
        ("America/New_York", datetime(2026, 11, 2, 9, 0), "I have a second interview with Acme on November 2 at 9am"),
        ("America/New_York", datetime(2026, 11, 1, 11, 0), "I have a second interview with Acme on November 1 at 11am"),
        # Europe springs forward on Sunday 29 March 2026, 2:00 -> 3:00
        ("Europe/Berlin", datetime(2026, 3, 30, 9, 0), "I have a second interview with Acme on 30 March at 9am"),
        ("Europe/Berlin", datetime(2026, 3, 29, 14, 0), "I have a second interview with Acme on 29 March at 2pm"),
    ],
)
async def test_daylight_saving_changes_skip_nothing_and_double_nothing(
    bot: BotHarness, zone: str, local_interview: datetime, message: str
) -> None:
    from zoneinfo import ZoneInfo

    start = local_interview.replace(tzinfo=ZoneInfo(zone)) - timedelta(days=4)
    bot.clock.set(start)
    r = bot.chat(tz=zone).say(message)
    assert f"{local_interview:%B}" in r.text
    delivered: list[tuple[str, datetime]] = []
    end = local_interview.replace(tzinfo=ZoneInfo(zone)) + timedelta(days=3)
    while bot.clock.now() < end:  # step through the change a quarter hour at a time
        bot.advance(minutes=15)
        before = len(bot.recorder.sent)
        await bot.deliver_due()
        delivered += [(r.kind or "", bot.clock.now()) for _, replies in bot.recorder.sent[before:] for r in replies]
    kinds = [k for k, _ in delivered]
    assert sorted(kinds) == ["check_in", "prepare", "thank_you"]
    local = {k: when.astimezone(ZoneInfo(zone)).replace(tzinfo=None) for k, when in delivered}
    # prepare: same wall-clock time the day before (or 08:00 if that fell in quiet hours)
    expected_prepare = local_interview - timedelta(days=1)
    if expected_prepare.hour < 8:
        expected_prepare = expected_prepare.replace(hour=8, minute=0)
    assert local["prepare"] == expected_prepare
    assert local["thank_you"] == local_interview + timedelta(hours=2)


# re-planning keeps what fell due (issue 11, item 7) -----------------------------------------------


def _rows(bot: BotHarness) -> list[tuple[int, str, str, datetime, datetime]]:
    with bot.app.db.session() as s:
        return [
            (r.id, r.kind, r.status, r.due_at, r.planned_at)
            for r in s.scalars(select(Reminder).order_by(Reminder.id)).all()
        ]


async def test_a_time_zone_change_keeps_a_reminder_that_fell_due_meanwhile(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme tomorrow at 9am")
    # the bot is down while the thank-you falls due (Tuesday 11:00 in New York = 16:00 UTC)
    bot.clock.set(datetime(2026, 3, 3, 17, 30, tzinfo=UTC))
    r = me.say("set my time zone to Europe/London")  # 11:00 in London is 11:00 UTC: passed too
    assert "Europe/London" in r.text
    sent = await bot.deliver_due()
    assert len([t for t in sent if "thank-you" in t]) == 1
    assert await bot.deliver_due() == []


async def test_setting_the_same_time_zone_again_changes_no_reminder(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("set my time zone to America/Chicago")
    me.say("I have a second interview with Acme on Friday at 3pm")
    me.say("I have a second interview with Globex tomorrow at 9am")
    bot.clock.set(datetime(2026, 3, 3, 17, 30, tzinfo=UTC))  # Globex's thank-you is due, unsent
    before = _rows(bot)
    r = me.say("set my time zone to America/Chicago")
    assert "already America/Chicago" in r.text
    bot.app.coach.set_timezone(me.ref, "America/Chicago")  # `secondround chat --tz`, a platform's zone
    assert _rows(bot) == before
    assert len([t for t in await bot.deliver_due() if "thank-you" in t]) == 1


async def test_a_snoozed_reminder_survives_an_unrelated_change(bot: BotHarness, monkeypatch) -> None:
    from bot.nlu import thresholds

    monkeypatch.setattr(thresholds, "ACT", 0.0)  # about reminders, not about how sure the understanding is
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 6, 22, 0, tzinfo=UTC))
    await bot.deliver_due()
    later = {b.label: b.value for b in bot.recorder.sent[-1][1][0].buttons}["Remind me later"]
    me.press(later)
    me.say("my second interview with Acme is with Sarah Chen")
    bot.advance(hours=3)
    assert any("thank-you" in t and "Sarah Chen" in t for t in await bot.deliver_due())


def test_a_chat_restarted_with_tz_still_delivers_the_reminder_that_fell_due(env: dict[str, str]) -> None:
    """The real ``secondround chat --tz`` process, restarted after the reminder fell due."""
    import json

    from tests.test_cli import run

    def reminders(stdout: str) -> list[dict]:
        return [json.loads(line)["reminder"] for line in stdout.splitlines() if line.startswith('{"reminder"')]

    first = {**env, "SECONDROUND_NOW": "2026-03-02T15:00:00+00:00"}  # Monday 10:00 in New York
    p = run(
        ["chat", "--jsonl", "--user", "ann", "--tz", "America/New_York"],
        first,
        "I have a second interview with Acme tomorrow at 9am\n",
    )
    assert p.returncode == 0, p.stderr
    # the thank-you reminder (Tuesday 11:00 in New York) falls due while no chat is open
    later = {**env, "SECONDROUND_NOW": "2026-03-03T16:30:00+00:00"}
    p = run(["chat", "--jsonl", "--user", "ann", "--tz", "America/New_York"], later, "")
    assert p.returncode == 0, p.stderr
    assert [r["kind"] for r in reminders(p.stdout)] == ["thank_you"]
    # the same for a student who starts the chat with another zone, where the time has passed too
    p = run(
        ["chat", "--jsonl", "--user", "bea", "--tz", "America/New_York"],
        first,
        "I have a second interview with Acme tomorrow at 9am\n",
    )
    p = run(["chat", "--jsonl", "--user", "bea", "--tz", "UTC"], later, "")
    assert p.returncode == 0, p.stderr
    assert [r["kind"] for r in reminders(p.stdout)] == ["thank_you"]
    p = run(["chat", "--jsonl", "--user", "bea", "--tz", "UTC"], later, "")
    assert reminders(p.stdout) == []  # once


def test_a_re_plan_after_a_rejection_brings_no_reminder_back(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had my second interview with Acme today at 9am with Sarah Chen")
    assert "check_in" in _pending(bot)
    me.say("Acme rejected me")
    assert _pending(bot) == {}
    me.say("set my time zone to Europe/Berlin")  # re-plans every interview
    me.say("it's with Priya, not Sarah")  # and so does a correction
    assert _pending(bot) == {}


def test_a_re_plan_after_a_rejection_brings_no_follow_up_back(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had my second interview with Acme today at 9am")
    me.say("they will get back to me by march 20, should i follow up if i hear nothing?")
    assert "follow_up" in _pending(bot)
    r = me.say("they rejected me")
    assert "stopped its reminders" in r.text
    me.say("set my time zone to Europe/Berlin")
    assert _pending(bot) == {}
