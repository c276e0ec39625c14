"""Dialogue guards: an open question never swallows a new request, and nothing changes on a guess."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.nlu import thresholds
from bot.storage.models import Interview, Note, Reminder, User
from tests.conftest import BotHarness, Chat


def interviews(bot: BotHarness, user: str = "alice") -> list[tuple[str | None, str | None, str]]:
    """(company, local start, status) of a user's interviews, in creation order."""
    with bot.app.db.session() as s:
        rows = s.scalars(select(Interview).join(User).where(User.external_id == user).order_by(Interview.id)).all()
        return [
            (
                i.company,
                (i.local_start.isoformat(timespec="minutes") if i.has_time else i.local_start.date().isoformat())
                if i.local_start
                else None,
                i.status,
            )
            for i in rows
        ]


def notes(bot: BotHarness) -> list[str]:
    with bot.app.db.session() as s:
        return list(s.scalars(select(Note.text).order_by(Note.id)))


def reminder_rows(bot: BotHarness) -> list[tuple[int, str, str]]:
    with bot.app.db.session() as s:
        return [(r.id, r.kind, r.status) for r in s.scalars(select(Reminder).order_by(Reminder.id))]


def two_interviews(bot: BotHarness) -> Chat:
    me = bot.chat()
    me.say("second interview with Acme on Friday at 3pm")
    me.say("second interview with Globex on Thursday at 11am")
    return me


# an open question does not swallow a complete new request ---------------------------------------------


def test_a_move_typed_while_asked_which_to_cancel_is_a_move(bot: BotHarness) -> None:
    me = two_interviews(bot)
    assert "Which interview" in me.say("cancel my interview").text
    r = me.say("my Acme interview moved to Thursday 10am")
    assert "Cancelled" not in r.text
    assert "Thursday 5 March, 10:00 AM" in r.text
    assert interviews(bot) == [
        ("Acme", "2026-03-05T10:00", "scheduled"),
        ("Globex", "2026-03-05T11:00", "scheduled"),
    ]


def test_a_short_answer_to_which_one_still_cancels(bot: BotHarness) -> None:
    me = two_interviews(bot)
    me.say("cancel my interview")
    r = me.say("the globex one")
    assert "Cancelled your Globex interview" in r.text
    assert [status for _, _, status in interviews(bot)] == ["scheduled", "cancelled"]


def test_another_company_typed_while_waiting_for_a_date_is_a_new_interview(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("I have a second interview with Umbrella in 10000 years")
    assert "date" in r.text.lower() and "?" in r.text  # the date is asked again
    r = me.say("I have a second interview with Soylent on March 3 2036 at 10am")
    assert "Soylent" in r.text and "3 March 2036, 10:00 AM" in r.text
    assert interviews(bot) == [("Umbrella", None, "scheduled"), ("Soylent", "2036-03-03T10:00", "scheduled")]


def test_another_company_typed_while_waiting_for_a_time_is_a_new_interview(bot: BotHarness) -> None:
    me = bot.chat()
    assert "What time" in me.say("got a 2nd round with Initech on wednesday").text
    me.say("oh and Hooli wants me back on friday at 2pm too")
    assert interviews(bot) == [("Initech", "2026-03-04", "scheduled"), ("Hooli", "2026-03-06T14:00", "scheduled")]
    # and the time question for Initech is still answered by a plain time afterwards
    me.say("Initech is at 9am")
    assert interviews(bot)[0] == ("Initech", "2026-03-04T09:00", "scheduled")


def test_the_date_of_the_same_company_answers_the_open_question(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Umbrella in 10000 years")
    me.say("Umbrella is on March 10 at 11am")
    assert interviews(bot) == [("Umbrella", "2026-03-10T11:00", "scheduled")]


def test_a_new_interview_typed_after_a_reminder_is_not_a_snooze(bot: BotHarness) -> None:
    import asyncio

    me = bot.chat()
    me.say("I have a second interview with Acme tomorrow at 9am")
    bot.advance(days=1, hours=1)  # Tuesday 11:00 in New York: the thank-you reminder is due
    sent = asyncio.run(bot.deliver_due())
    assert any("thank" in t.lower() for t in sent)
    me.say("I have another second interview with Globex tomorrow at 3pm")
    assert interviews(bot)[-1] == ("Globex", "2026-03-04T15:00", "scheduled")
    assert next(s for _, k, s in reminder_rows(bot) if k == "thank_you") == "sent"


# nothing is done on a guess --------------------------------------------------------------------------


@pytest.fixture
def unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every message counts as understood below the confidence needed to act."""
    monkeypatch.setattr(thresholds, "ACT", 1.01)


def test_an_unsure_cancel_asks_and_only_a_yes_cancels(bot: BotHarness, unsure: None) -> None:
    me = bot.chat()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(thresholds, "ACT", 0.0)
        me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("cancel my Acme interview")
    assert "Did you want to cancel your Acme interview" in r.text
    assert {"Yes", "No"} <= set(r.buttons)
    assert interviews(bot) == [("Acme", "2026-03-06T15:00", "scheduled")]
    assert me.press(r.button("No")).text.startswith("OK, I left everything")
    assert interviews(bot)[0][2] == "scheduled"
    r = me.say("cancel my Acme interview")
    assert "Cancelled your Acme interview" in me.say("yes").text
    assert interviews(bot)[0][2] == "cancelled"


def test_an_unsure_note_forget_me_and_thank_you_change_nothing_until_confirmed(bot: BotHarness, unsure: None) -> None:
    me = bot.chat()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(thresholds, "ACT", 0.0)
        me.say("I had a second interview with Acme today at 9am")
    before = reminder_rows(bot)
    r = me.say("note: ask about the on-call rotation")
    assert "Should I save this as a note" in r.text and notes(bot) == []
    assert "Noted" in me.press(r.button("Yes")).text
    assert notes(bot) == ["ask about the on-call rotation"]
    r = me.say("I sent my thank-you emails")
    assert "mark the thank-yous for Acme as sent" in r.text
    assert me.say("no").text.startswith("OK, I left everything")
    assert reminder_rows(bot) == before
    r = me.say("forget me")
    assert "delete everything" in r.text
    me.press(r.button("No"))
    assert interviews(bot) and notes(bot)


def test_an_unsure_move_asks_with_the_change_spelled_out(bot: BotHarness, unsure: None) -> None:
    me = bot.chat()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(thresholds, "ACT", 0.0)
        me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("my Acme interview moved to Thursday 10am")
    assert "change your Acme interview" in r.text and "Thursday 5 March, 10:00 AM" in r.text
    assert interviews(bot) == [("Acme", "2026-03-06T15:00", "scheduled")]
    r = me.press(r.button("Yes"))
    assert "Thursday 5 March, 10:00 AM" in r.text
    assert interviews(bot) == [("Acme", "2026-03-05T10:00", "scheduled")]


def test_a_yes_button_of_an_older_question_does_nothing(bot: BotHarness, unsure: None) -> None:
    me = bot.chat()
    first = me.say("note: first thought")
    second = me.say("note: second thought")
    r = me.press(first.button("Yes"))
    assert "no longer open" in r.text
    assert notes(bot) == []
    me.press(second.button("Yes"))
    assert notes(bot) == ["second thought"]


@pytest.mark.parametrize(
    "message",
    [
        "would you freeze my bank account",
        "i do not want my reservation anymore",
        "add this to my rock playlist",
        "how many voicemail messages do i have",
        "cancel my netflix subscription",
        "remove all my alarms",
        "wipe my phone, I'm selling it",
    ],
)
def test_other_assistants_requests_change_nothing(bot: BotHarness, message: str) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    me.say("note: bring the portfolio")
    before = (interviews(bot), notes(bot), reminder_rows(bot))
    me.say(message)
    assert (interviews(bot), notes(bot), reminder_rows(bot)) == before


# ids in buttons -----------------------------------------------------------------------------------


EXPIRED = "That button has expired or isn't mine."


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ("interview:cancel:" + "9" * 23, EXPIRED),
        ("interview:restore:" + "9" * 23, EXPIRED),
        ("interview:update:" + "9" * 23, EXPIRED),
        ("interview:move:" + "9" * 23 + ":2026-03-05T10:00", EXPIRED),
        ("thanks:sent:" + "9" * 23, EXPIRED),
        ("reminder:snooze:" + "9" * 23 + ":180", EXPIRED),
        ("reminder:snooze:1:" + "9" * 23, "I'll remind you again today"),  # own reminder, usual delay
        ("interview:cancel:²", EXPIRED),
        ("interview:cancel:-1", EXPIRED),
        ("interview:cancel:0", EXPIRED),
        ("thanks:sent:１２", EXPIRED),
    ],
)
def test_button_ids_out_of_range_get_a_clear_answer_on_both_databases(
    any_bot: BotHarness, value: str, answer: str
) -> None:
    me = any_bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.press(value)
    assert answer in r.text
    assert interviews(any_bot)[0][2] == "scheduled"


def test_a_confident_cancel_that_names_no_interview_asks_first(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("cancel the booking")  # ("cancel my gym membership" is now recognised as out of scope)
    assert "Did you want to cancel your Acme interview" in r.text
    assert interviews(bot)[0][2] == "scheduled"
    assert "Cancelled your Acme interview" in me.say("cancel it").text
