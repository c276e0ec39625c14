"""After the interview, through the whole bot: thank-you drafts, deadlines in "what's coming up",
thank-yous sent before the date on file, and the reminders a student asks for."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from bot.storage.models import Interview, Reminder
from tests.conftest import BotHarness, Replies


def _drafts(r: Replies) -> list[str]:
    """The copy-ready blocks of a reply (the text between ``` fences)."""
    blocks = []
    for reply in r:
        parts = reply.text.split("```")
        blocks += [parts[i].strip("\n") for i in range(1, len(parts), 2)]
    return blocks


def _custom(bot: BotHarness) -> list[tuple[str, datetime, str | None]]:
    with bot.app.db.session() as s:
        rows = s.scalars(select(Reminder).where(Reminder.kind == "custom").order_by(Reminder.id)).all()
        return [(r.status, r.due_at, r.text) for r in rows]


# thank-you drafts -------------------------------------------------------------------------------------


def test_one_draft_per_interviewer_with_their_name_the_company_and_a_note(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen and Tom Ruiz")
    bot.clock.set(datetime(2026, 3, 6, 21, 30, tzinfo=UTC))  # Friday 4:30 PM in New York, just after
    me.say("note: Sarah asked a lot about SQL performance")
    r = me.say("draft my thank-you emails")
    sarah, tom = _drafts(r)
    assert "Dear Sarah," in sarah and "Acme" in sarah and "SQL performance" in sarah
    assert "Dear Tom," in tom and "Acme" in tom and "SQL" not in tom  # Sarah's point is not Tom's
    for draft in (sarah, tom):
        assert "today" in draft and "very interested" in draft  # same day; interest restated
        assert "[Your name]" in draft  # nothing invented about the student
    assert "every person you met" in r.text and "today" in r.text.lower()
    assert all(reply.private for reply in r)
    assert "Sent ✓" in r.buttons


def test_a_draft_opens_in_an_email_app_with_its_subject_and_body(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Globex on Friday at 3pm with Priya")
    bot.clock.set(datetime(2026, 3, 6, 21, 30, tzinfo=UTC))
    r = me.say("draft my thank-you emails")
    [draft] = _drafts(r)
    link = next(line for line in r.text.splitlines() if "mailto:" in line)
    url = link[link.index("mailto:") :]
    query = parse_qs(urlparse(url).query)
    assert query["subject"] == ["Thank you: second interview at Globex"]
    assert query["body"][0].startswith("Dear Priya,") and query["body"][0] in draft


async def test_the_thank_you_reminder_has_a_draft_emails_button(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    bot.clock.set(datetime(2026, 3, 6, 22, 0, tzinfo=UTC))
    await bot.deliver_due()
    [reminder] = bot.recorder.sent[-1][1]
    buttons = {b.label: b.value for b in reminder.buttons}
    r = me.press(buttons["Draft emails"])
    [draft] = _drafts(r)
    assert draft.splitlines()[2] == "Dear Sarah," and "Acme" in draft


def test_with_no_interviewer_known_one_draft_to_the_team_and_a_question_for_the_names(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Initech on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 7, 15, 0, tzinfo=UTC))  # Saturday morning
    r = me.say("can you write my thank you emails")
    [team] = _drafts(r)
    assert "Dear Initech team," in team and "yesterday" in team
    assert "Who did you meet?" in r.text
    r = me.say("Sarah Chen and Tom Ruiz")
    sarah, tom = _drafts(r)
    assert "Dear Sarah," in sarah and "Dear Tom," in tom
    with bot.app.db.session() as s:
        assert s.scalars(select(Interview)).one().interviewers == ["Sarah Chen", "Tom Ruiz"]


def test_a_note_with_no_topic_is_quoted_for_the_student_to_reword_never_rewritten(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    bot.clock.set(datetime(2026, 3, 6, 21, 30, tzinfo=UTC))
    me.say("note: loved my portfolio")
    [draft] = _drafts(me.say("draft my thank-you emails"))
    assert "(loved my portfolio)" in draft


def test_a_counsellor_edits_the_wording_in_knowledge(tmp_path) -> None:
    from bot.coaching.handlers.after.thanks import load_thank_you
    from bot.knowledge.library import KnowledgeError, default_dir

    text = (default_dir() / "thank_you.yaml").read_text(encoding="utf-8")
    (tmp_path / "thank_you.yaml").write_text(text.replace("Dear {first_name},", "Hello {first_name},"))
    assert load_thank_you(tmp_path).greeting == "Hello {first_name},"
    (tmp_path / "thank_you.yaml").write_text(text.replace("Dear {first_name},", "Dear {nickname},"))
    try:
        load_thank_you(tmp_path)
    except KnowledgeError as exc:
        assert "greeting" in str(exc) and "nickname" in str(exc)
    else:
        raise AssertionError("an unknown placeholder was accepted")


# deadlines and what's coming up --------------------------------------------------------------------------


def test_an_offer_deadline_is_shown_in_whats_coming_up_and_answered_directly(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("they offered me the job at dinner, they want an answer by next monday")
    assert "offer deadline" in r.text
    coming = me.say("what's coming up?")
    assert "no upcoming interviews" not in coming.text.lower()
    assert "Answer the offer from the company by Monday 9 March." in coming.text
    r = me.say("when is my offer deadline again?")
    assert r.text == "Answer the offer from the company by Monday 9 March."


def test_decision_dates_and_interviews_waiting_for_an_answer_are_listed(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Tuesday at 3pm")
    me.say("I have a second interview with Globex on Friday at 10am")
    bot.clock.set(datetime(2026, 3, 4, 15, 0, tzinfo=UTC))  # Wednesday
    text = me.say("what's coming up?").text
    assert "Globex: Friday 6 March, 10:00 AM" in text
    assert "Acme (Tuesday 3 March, 3:00 PM): thank-you emails to send, waiting to hear back." in text
    me.say("when should I follow up? they said they would decide by March 20")
    text = me.say("what's coming up?").text
    assert "Acme expects to decide by Friday 20 March." in text
    assert "Acme (Tuesday 3 March, 3:00 PM): thank-you emails to send." in text


def test_no_deadline_on_file_is_said_plainly(bot: BotHarness) -> None:
    r = bot.chat().say("when is my offer deadline?")
    assert "I don't have an offer deadline" in r.text


# thank-yous sent before the date on file ---------------------------------------------------------------------


def test_thank_yous_sent_before_the_date_on_file_are_asked_about_then_recorded(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("I sent my thank-you emails")
    assert "I don't have an interview on file" not in r.text
    assert "Acme" in r.text and "hasn't come yet" in r.text
    done = me.press(r.button("mark them sent"))
    assert "marked the thank-yous for Acme as sent" in done.text


def test_thank_yous_sent_early_with_several_interviews_ask_which(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    me.say("I have a second interview with Globex on Thursday at 10am")
    r = me.say("I sent my thank-you emails")
    assert "Which interview" in r.text
    done = me.press(r.button("Globex"))
    assert "Globex" in done.text and "as sent" in done.text


# reminders the student asks for ------------------------------------------------------------------------------


async def test_remind_me_tomorrow_at_9_is_delivered_once_at_its_time(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("remind me tomorrow at 9 to email Sarah")
    assert "tomorrow, Tuesday 3 March at 9:00 AM: email Sarah" in r.text
    bot.clock.set(datetime(2026, 3, 3, 13, 59, tzinfo=UTC))
    assert await bot.deliver_due() == []
    bot.clock.set(datetime(2026, 3, 3, 14, 0, tzinfo=UTC))  # 9:00 in New York
    assert await bot.deliver_due() == ["⏰ You asked me to remind you: email Sarah"]
    assert await bot.deliver_due() == []  # exactly once
    assert _custom(bot) == [("sent", datetime(2026, 3, 3, 14, 0, tzinfo=UTC), "email Sarah")]


async def test_remind_me_before_my_interview_follows_the_interview_when_it_moves(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("remind me 2 hours before my interview")
    assert "Friday 6 March at 1:00 PM" in r.text and "2 hours before your Acme interview" in r.text
    me.say("my Acme interview moved to Thursday 10am")
    assert _custom(bot) == [("pending", datetime(2026, 3, 5, 13, 0, tzinfo=UTC), None)]  # Thu 8:00 New York
    bot.clock.set(datetime(2026, 3, 5, 13, 0, tzinfo=UTC))
    sent = await bot.deliver_due()
    mine = [t for t in sent if t.startswith("⏰")]
    assert mine == ["⏰ Your Acme interview is today, Thursday 5 March, 10:00 AM (2 hours from now)."]


async def test_remind_me_on_friday_is_tied_to_the_named_interview_and_listed(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Tuesday at 3pm")
    r = me.say("remind me on friday to follow up with Acme")
    assert "Friday 6 March at 9:00 AM: follow up with Acme" in r.text
    assert "(You gave no time, so I picked 9:00 AM.)" in r.text
    coming = me.say("what's coming up?").text
    assert "Reminders you asked for" in coming and "follow up with Acme" in coming
    listed = me.say("show my reminders")
    assert "follow up with Acme" in listed.text


async def test_a_reminder_is_cancelled_by_button_and_never_sent(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("remind me tomorrow at 9 to email Sarah")
    done = me.press(r.button("Cancel this reminder"))
    assert "Cancelled the reminder" in done.text
    bot.clock.set(datetime(2026, 3, 3, 14, 0, tzinfo=UTC))
    assert await bot.deliver_due() == []
    assert "You haven't asked me for any reminders" in me.say("show my reminders").text


async def test_a_reminder_is_cancelled_by_typing(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("remind me tomorrow at 9 to email Sarah")
    me.say("remind me on friday to call the recruiter")
    r = me.say("cancel my reminder to email sarah")
    assert "Cancelled the reminder" in r.text and "email Sarah" in r.text
    assert [t for status, _, t in _custom(bot) if status == "pending"] == ["call the recruiter"]


def test_a_reminder_without_a_time_asks_when(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("remind me to email Sarah")
    assert "When should I remind you to email Sarah?" in r.text
    r = me.say("tomorrow at 4pm")
    assert "tomorrow, Tuesday 3 March at 4:00 PM: email Sarah" in r.text


def test_a_reminder_in_the_past_or_before_an_unknown_interview_is_refused_clearly(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("remind me 2 hours before my interview")
    assert "no upcoming interview on file" in r.text
    r = me.say("remind me today at 8am to stretch")
    assert "has already passed" in r.text
    assert _custom(bot) == []


def test_remind_me_when_my_interview_is_answers_the_question(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("remind me when my 2nd interview is")
    assert "Acme: Friday 6 March, 3:00 PM" in r.text and _custom(bot) == []


def test_the_home_view_shows_the_offer_deadline(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("they offered me the job at dinner, they want an answer by next monday")
    home = "\n".join(r.text for r in bot.app.coach.home(me.ref))
    assert "Answer the offer from the company by Monday 9 March." in home


async def test_remind_me_tomorrow_just_after_a_reminder_snoozes_it(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 6, 22, 0, tzinfo=UTC))
    await bot.deliver_due()  # the thank-you reminder
    r = me.say("remind me tomorrow")
    assert "OK, I'll remind you again tomorrow, Saturday 7 March at 9:00 AM." in r.text
    assert _custom(bot) == []
    bot.clock.set(datetime(2026, 3, 7, 14, 0, tzinfo=UTC))
    assert any("thank-you" in t for t in await bot.deliver_due())


async def test_a_custom_reminder_can_be_snoozed_like_any_other(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("remind me tomorrow at 9 to email Sarah")
    bot.clock.set(datetime(2026, 3, 3, 14, 0, tzinfo=UTC))
    await bot.deliver_due()
    [reminder] = bot.recorder.sent[-1][1]
    later = {b.label: b.value for b in reminder.buttons}["Remind me later"]
    assert "12:00 PM" in me.press(later).text  # three hours later
    bot.clock.set(datetime(2026, 3, 3, 17, 0, tzinfo=UTC))
    assert await bot.deliver_due() == ["⏰ You asked me to remind you: email Sarah"]


def test_drafts_asked_for_before_the_interview_are_written_for_sending_that_day(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    me.say("note: Sarah asked about my thesis in round one")
    [draft] = _drafts(me.say("draft my thank-you emails"))
    assert "meet me today" in draft and "Friday" not in draft
    assert "our conversation about my thesis in round one" in draft


def test_a_thank_you_to_one_person_drafts_only_theirs(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen and Tom Ruiz")
    bot.clock.set(datetime(2026, 3, 6, 21, 30, tzinfo=UTC))
    [draft] = _drafts(me.say("write a thank you email to tom"))
    assert "Dear Tom," in draft


def test_reminder_wording_and_defaults(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("remind me in 30 mins to call mom")
    assert "10:30 AM: call mom." in r.text  # not tied to the interview: "call" is no interview
    me.say("can you remind me before my interview?")  # asks when
    r = me.say("remind me to send thank you emails tonight")
    assert "today, Monday 2 March at 7:00 PM: send thank you emails" in r.text
    r = me.say("remind me the morning of the acme interview")
    assert "Friday 6 March at 9:00 AM: 6 hours before your Acme interview" in r.text
    assert [t for _, _, t in _custom(bot)] == ["call mom", "send thank you emails", None]


def test_a_terse_reminder_keeps_its_task(bot: BotHarness) -> None:
    r = bot.chat().say("remnd me tmrw 9am email sarah pls")
    assert "tomorrow, Tuesday 3 March at 9:00 AM: email sarah" in r.text
    assert [t for _, _, t in _custom(bot)] == ["email sarah"]


def test_offer_news_with_a_date_gets_offer_advice_not_the_schedule(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    bot.clock.set(datetime(2026, 3, 7, 15, 0, tzinfo=UTC))  # Saturday
    r = me.say("they want answer for the offer by next monday, what i do?")
    assert "After the interview" not in r.text and "Your upcoming interviews" not in r.text
    assert "time to consider an offer" in r.text


def test_a_question_asked_with_the_news_of_thank_yous_sent_is_recorded_and_answered(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    bot.clock.set(datetime(2026, 3, 6, 23, 0, tzinfo=UTC))  # Friday evening in New York, after it
    r = me.say("I sent a thank-you to only one person, should I send to the others too?")
    assert "marked the thank-yous for Acme as sent" in r.text
    assert "to every person who interviewed you" in r.text
    assert me.say("thank you notes sent for Acme").text.count("•") == 0  # news alone: no advice added
