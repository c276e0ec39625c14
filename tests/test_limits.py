"""Per-user limits: clear answers when full, nothing half-stored, replies of bounded size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.common import limits
from bot.common.types import IncomingMessage
from bot.storage.models import Interview, Note, Reminder, User
from tests.conftest import START, BotHarness, Chat


def _count(bot: BotHarness, model: type) -> int:
    with bot.app.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _fill_interviews(bot: BotHarness, me: Chat, n: int) -> None:
    """``n`` upcoming interviews for the user, written straight to the database (fast)."""
    me.say("hi")
    with bot.app.db.session() as s:
        user = s.scalars(select(User).where(User.external_id == me.ref.user)).one()
        for i in range(n):
            local = START.replace(tzinfo=None) + timedelta(days=1 + i % 60, hours=i % 5)
            s.add(
                Interview(
                    user_id=user.id,
                    company=f"Company {i}",
                    local_start=local,
                    has_time=True,
                    tz="America/New_York",
                    starts_at=START + timedelta(days=1 + i % 60, hours=i % 5),
                    interviewers=["Sarah Chen", "the VP of engineering"],
                    status="scheduled",
                    created_at=START,
                    updated_at=START,
                )
            )


def test_the_interview_limit_is_explained_and_nothing_is_half_stored(bot: BotHarness) -> None:
    me = bot.chat()
    _fill_interviews(bot, me, limits.MAX_INTERVIEWS)
    reminders = _count(bot, Reminder)
    r = me.say("I have a second interview with Acme on Friday at 3pm")
    assert f"{limits.MAX_INTERVIEWS} interviews on file" in r.text
    assert _count(bot, Interview) == limits.MAX_INTERVIEWS and _count(bot, Reminder) == reminders
    # the student is told the same however the interview is added
    r = me.press("interview:add")
    assert f"{limits.MAX_INTERVIEWS} interviews" in r.text
    assert "Company 0" in me.say("what's coming up?").text  # and keeps everything else


def test_whats_coming_up_stays_short_with_many_interviews(bot: BotHarness) -> None:
    me = bot.chat()
    _fill_interviews(bot, me, limits.MAX_INTERVIEWS)
    r = me.say("what's coming up?")
    assert "…and 75 more" in r.text
    assert len(r.text) < 10_000
    assert "Company 99" in me.say("export my data").text  # the export has them all


def test_the_note_limit_is_explained(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("note: first")
    with bot.app.db.session() as s:
        user = s.scalars(select(User)).one()
        s.add_all(Note(user_id=user.id, text=f"note {i}", created_at=START) for i in range(limits.MAX_NOTES - 1))
    r = me.say("note: one too many")
    assert f"{limits.MAX_NOTES} notes" in r.text
    assert _count(bot, Note) == limits.MAX_NOTES


def test_a_note_over_the_length_limit_is_refused_with_its_length(bot: BotHarness) -> None:
    me = bot.chat()
    body = "x" * (limits.MAX_NOTE_CHARS + 1000)
    r = me.send(IncomingMessage(me.ref, action="note:add", fields={"text": body}))
    assert f"{len(body):,} characters" in r.text and f"{limits.MAX_NOTE_CHARS:,}" in r.text
    assert _count(bot, Note) == 0
    me.say("note: " + "y" * (limits.MAX_NOTE_CHARS - 10))
    assert _count(bot, Note) == 1


def test_show_notes_stays_short_with_long_notes(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("note: " + "z" * 3900)
    with bot.app.db.session() as s:
        user = s.scalars(select(User)).one()
        s.add_all(Note(user_id=user.id, text=f"{i} " + "z" * 3900, created_at=START) for i in range(24))
    r = me.say("show my notes")
    assert "the latest 3 of 25" in r.text and "export my data" in r.text
    assert "23 " + "z" * 3900 in r.text  # the newest notes are shown whole
    assert len(r.text) < 13_000


def test_the_reminder_limit_is_explained_and_the_interview_not_kept(
    any_bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On both databases: the message's changes are rolled back together (a savepoint)."""
    bot = any_bot
    monkeypatch.setattr(limits, "MAX_OPEN_REMINDERS", 4)
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")  # three reminders
    r = me.say("I have a second interview with Globex on Thursday at 11am")
    assert "4 reminders waiting" in r.text
    assert _count(bot, Interview) == 1
    with bot.app.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == "pending")) == 3
    assert "Globex" not in me.say("what's coming up?").text


def test_parse_id() -> None:
    assert limits.parse_id("42") == 42 and limits.parse_id(7) == 7
    for bad in ("9" * 23, "²", "١٢", "-1", "0", "", "1e3", " 4", 2**31, True, None, 4.0):
        assert limits.parse_id(bad) is None
