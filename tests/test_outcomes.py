"""How a process ended: understood, recorded on the interview, answered, and its reminders stopped."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Interview, Reminder
from tests.conftest import BotHarness


def _interview(bot: BotHarness, company: str) -> Interview:
    with bot.app.db.session() as s:
        return s.scalars(select(Interview).where(Interview.company == company)).one()


def _pending(bot: BotHarness, interview_id: int) -> set[str]:
    with bot.app.db.session() as s:
        rows = s.scalars(select(Reminder).where(Reminder.interview_id == interview_id, Reminder.status == "pending"))
        return {r.kind for r in rows}


def test_a_rejection_is_recorded_answered_with_care_and_stops_reminders(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Acme today at 9am")
    assert _pending(bot, _interview(bot, "Acme").id)  # thank-you reminders are planned
    r = me.say("they rejected me after the second interview")
    assert _interview(bot, "Acme").outcome == "rejected"
    assert _pending(bot, _interview(bot, "Acme").id) == set()
    assert "still very much in the running" not in r.text
    assert "feedback" in r.text.lower()
    assert "Acme" in r.text and r.private
    later = me.say("why do companies even do second interviews?")
    assert "still very much in the running" not in later.text


def test_an_accepted_offer_is_recorded_and_chasing_stops(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Globex today at 9am")
    me.say("they said they'll decide by the 20th, when should I follow up?")
    assert "follow_up" in _pending(bot, _interview(bot, "Globex").id)
    r = me.say("I accepted the offer!")
    assert _interview(bot, "Globex").outcome == "accepted"
    assert "follow_up" not in _pending(bot, _interview(bot, "Globex").id)
    assert "Congratulations" in r.text


def test_withdrawing_before_the_interview_cancels_it(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Initech on Friday at 3pm")
    r = me.say("I pulled out of the Initech process, it's not for me")
    interview = _interview(bot, "Initech")
    assert interview.outcome == "withdrawn" and interview.status == "cancelled"
    assert _pending(bot, interview.id) == set()
    assert "no upcoming interviews" in me.say("what's coming up?").text
    undo = me.press(r.button("Undo"))
    assert "no outcome" in undo.text and _interview(bot, "Initech").status == "scheduled"


def test_an_offer_question_is_not_an_outcome(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Acme today at 9am")
    r = me.say("they offered me the job on the spot, what do I say?")
    assert _interview(bot, "Acme").outcome is None
    assert "time" in r.text.lower()


def test_a_feared_rejection_is_not_recorded(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Acme today at 9am")
    r = me.say("I'm worried I'll be rejected")
    assert _interview(bot, "Acme").outcome is None
    assert "stings" not in r.text


def test_after_a_no_the_interview_s_setting_and_people_no_longer_shape_advice(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Acme today at 9am over lunch with the same manager as round 1")
    me.say("they rejected me after the second interview")
    r = me.say("what now")
    assert "same interviewer" not in r.text.lower() and "same person" not in r.text.lower()
    assert "over dinner" not in r.text.lower() and "at the table" not in r.text.lower()
    assert "door open" in r.text.lower()


def test_asking_whether_to_still_thank_them_after_a_no_gets_the_gracious_reply_advice(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Acme today at 9am")
    me.say("they rejected me after the second interview")
    me.say("what now")
    r = me.say("should i still send a thank you?")
    assert "reply graciously and thank them" in r.text.lower()
