"""The export holds every field stored about the student, and only theirs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import inspect

from bot.reminders.delivery import DeliveryError
from bot.storage.models import ConversationState, Interview, Note, Reminder, User
from tests.conftest import BotHarness


def _export(bot: BotHarness, user: str = "alice") -> dict:
    r = bot.chat(user).say("export my data")
    assert r.private
    return json.loads(r.text.split("```json", 1)[1].rsplit("```", 1)[0])


def _columns(model: type) -> set[str]:
    return {a.key for a in inspect(model).column_attrs}


async def test_the_export_has_every_field_of_every_row(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("set my time zone to America/Chicago")
    me.say("I had a second interview with Acme today at 9am with Sarah Chen")
    me.say("note: bring the portfolio")
    bot.recorder.fail_with = DeliveryError("dm_closed: the user closed their direct messages", permanent=True)
    bot.clock.set(datetime(2026, 3, 2, 22, 0, tzinfo=UTC))  # the thank-you reminder is due, and fails
    await bot.deliver_due()
    me.say("got a second interview with Globex next monday")  # opens "What time does it start?"
    data = _export(bot)

    assert set(data["user"]) == _columns(User)
    assert data["user"]["tz"] == "America/Chicago" and data["user"]["tz_source"] == "user"
    assert data["user"]["last_seen_at"] == "2026-03-02T22:00:00+00:00"
    assert {frozenset(i) for i in data["interviews"]} == {frozenset(_columns(Interview))}
    acme = data["interviews"][0]
    assert acme["company"] == "Acme" and acme["interviewers"] == ["Sarah Chen"]
    assert acme["created_at"] == "2026-03-02T15:00:00+00:00" and acme["updated_at"]
    assert [set(n) for n in data["notes"]] == [_columns(Note)]
    assert data["notes"][0]["text"] == "bring the portfolio"
    assert all(set(r) == _columns(Reminder) for r in data["reminders"])
    failed = next(r for r in data["reminders"] if r["status"] == "failed")
    assert failed["attempts"] == 1 and failed["last_error"].startswith("dm_closed") and failed["kind"] == "thank_you"
    assert set(data["conversation"]) == _columns(ConversationState)
    assert data["conversation"]["pending"]["kind"] == "missing_time"  # the question that was open


def test_the_export_holds_nobody_else(bot: BotHarness) -> None:
    bot.chat("bob").say("I have a second interview with Hooli on Monday at 9am")
    bot.chat("bob").say("note: bob's secret")
    bot.chat("alice").say("I have a second interview with Acme on Friday at 3pm")
    text = json.dumps(_export(bot, "alice"))
    assert "Hooli" not in text and "secret" not in text and '"bob"' not in text
