"""Conversations a student has with the coach, read as transcripts."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.knowledge.library import Item, Knowledge
from bot.storage.models import Interview
from tests.conftest import BotHarness


def test_greeting_offers_topics(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("hi")
    assert "SecondRound" in r.text
    assert r.button("Who you'll meet") == "topic:interviewers"


def test_who_is_interviewing_me_asks_then_tailors(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("who's interviewing me this time?")
    assert "same person as in your first interview" in r.text
    assert "situation:interviewers:new" in r.buttons.values()

    r = me.say("someone new")
    assert "(someone new)" in r.text
    assert "second set of examples" in r.text
    # the fact is remembered: the next answer on the topic does not ask again
    again = me.say("any more advice about the interviewers?")
    assert "same person as in your first interview" not in again.text


def test_same_interviewer_gets_different_advice_than_new(bot: BotHarness, knowledge) -> None:
    same = bot.chat("sam").press("situation:interviewers:same").text
    new = bot.chat("nina").press("situation:interviewers:new").text
    items = knowledge.topics["interviewers"].items
    assert any(i.text in same for i in items if "same" in i.when)
    assert not any(i.text in same for i in items if i.when == ("new",))
    assert any(i.text in new for i in items if "new" in i.when)


def _item(knowledge: Knowledge, topic: str, item_id: str) -> Item:
    [item] = [i for i in knowledge.topics[topic].items if i.id == item_id]
    return item


def test_dinner_interview_wine_question_gets_alcohol_advice(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("it's a dinner interview, can I order wine?")
    assert _item(knowledge, "informal_setting", "informal-setting-alcohol").text in r.text
    assert "More tips" in r.buttons


def test_offer_on_the_spot(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("they offered me the job on the spot, what do I say?")
    [on_the_spot] = [i for i in knowledge.topics["offer"].items if i.when == ("on_the_spot",)]
    assert on_the_spot.text in r.text


def test_more_tips_pages_through_a_topic(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    first = me.say("how do I prepare?")
    second = me.press(first.button("More tips"))
    assert first.text != second.text
    typed = me.say("more")
    assert typed.text not in (first.text, second.text)


def test_schedule_confirms_and_asks_about_interviewer(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen, over dinner")
    assert "Acme" in r.text
    assert "Friday 6 March, 3:00 PM" in r.text
    assert "Sarah Chen" in r.text
    assert r[0].private
    assert "Sarah Chen, over dinner" in r.text  # the setting as the student named it (issue 9)
    assert "Since it's a dinner" in r.text  # setting-specific tips follow
    assert "Is Sarah Chen someone you met in round one" in r.text

    r = me.say("what's coming up?")
    assert "Acme" in r.text and "Friday 6 March, 3:00 PM" in r.text
    assert "Next reminder (prepare): Thursday 5 March, 3:00 PM" in r.text


def test_two_interviewers_are_asked_about_in_the_plural(bot: BotHarness) -> None:
    r = bot.chat().say("I have a second interview with Acme on Friday at 3pm with Sarah Chen and Tom Baker")
    assert "Did you meet Sarah Chen and Tom Baker in round one, or are they new to you?" in r.text


def test_missing_time_is_asked_and_a_short_answer_lands(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("got a second interview with Globex next monday")
    assert "What time does it start?" in r.text
    r = me.say("3pm")
    assert "Monday 9 March, 3:00 PM" in r.text


def test_missing_company_is_asked(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("I have my second interview tomorrow at 10am")
    assert "Which company is it with?" in r.text
    r = me.say("Initech")
    assert "Initech" in r.text and "tomorrow, Tuesday 3 March, 10:00 AM" in r.text


def test_not_knowing_the_company_is_no_company_name_and_advice_never_shows_a_placeholder(bot: BotHarness) -> None:
    me = bot.chat()
    assert "Which company is it with?" in me.say("round 2 on friday at 10am, over coffee").text
    r = me.say("no idea yet 🤷")
    assert "without a company" in r.text
    with bot.app.db.session() as s:
        assert [i.company for i in s.scalars(select(Interview))] == [None]
    r = me.say("how do I act at the coffee meeting?")
    assert r.text.startswith("Your interview (Friday 6 March, 10:00 AM) is over coffee."), r.text
    assert "not set" not in r.text
    r = me.say("the company is Pass Labs")
    assert "Pass Labs" in r.text


def test_move_and_cancel(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("my Acme interview moved to Thursday 10am")
    assert "Thursday 5 March, 10:00 AM" in r.text
    assert "moved" in r.text.lower()
    listing = me.say("what's coming up?")
    assert "Friday" not in listing.text

    r = me.say("cancel the Acme one")
    assert "Cancelled" in r.text and "Acme" in r.text
    assert "no upcoming interviews" in me.say("what's coming up?").text
    # undo brings it back
    me.press(r.button("Undo"))
    assert "Acme" in me.say("what's coming up?").text


def test_cancel_asks_which_when_there_are_several(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second interview with Acme on Friday at 3pm")
    me.say("second interview with Globex on Thursday at 11am")
    r = me.say("cancel my interview")
    assert "Which interview" in r.text
    r = me.press(r.button("Globex"))
    assert "Cancelled your Globex interview" in r.text
    assert "Acme" in me.say("what's coming up?").text


def test_notes(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("note: they asked a lot about SQL")
    assert "Noted for your Acme interview" in r.text and "they asked a lot about SQL" in r.text
    me.say("note: the range they gave was 65-75k")
    r = me.say("show my notes")
    assert "they asked a lot about SQL" in r.text and "65-75k" in r.text
    assert r.private


def test_thank_you_sent_stops_the_reminders(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme tomorrow at 9am")
    bot.advance(days=1, hours=2)
    r = me.say("I sent my thank-you emails")
    assert "marked the thank-yous for Acme as sent" in r.text


def test_time_zone_change_keeps_wall_clock_time(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    r = me.say("set my time zone to Europe/Berlin")
    assert "Europe/Berlin" in r.text
    assert "Friday 6 March, 3:00 PM" in me.say("what's coming up?").text
    r = me.say("set my timezone to Mars/Base")
    assert "don't know the time zone" in r.text and "Mars/Base" in r.text


def test_export_contains_everything_and_only_mine(bot: BotHarness) -> None:
    me, other = bot.chat("alice"), bot.chat("bob")
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    me.say("note: bring the portfolio")
    other.say("I have a second interview with Hooli on Monday at 9am")
    other.say("note: bob's secret")
    r = me.say("export my data")
    assert r.private
    body = r.text.split("```json", 1)[1].rsplit("```", 1)[0]
    data = json.loads(body)
    assert [i["company"] for i in data["interviews"]] == ["Acme"]
    assert [n["text"] for n in data["notes"]] == ["bring the portfolio"]
    assert "Hooli" not in r.text and "secret" not in r.text


def test_forget_me_confirms_then_leaves_nothing(bot: BotHarness) -> None:
    from sqlalchemy import func, select

    from bot.storage.models import ConversationState, Interview, Note, Reminder, User

    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    me.say("note: something personal")
    r = me.say("forget me")
    assert "can't be undone" in r.text
    assert me.say("no").text.startswith("OK, I kept everything")
    assert "Acme" in me.say("what's coming up?").text

    me.say("forget me")
    r = me.say("yes")
    assert "deleted" in r.text
    with bot.app.db.session() as s:
        for model in (User, Interview, Note, Reminder, ConversationState):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model.__name__


def test_users_never_see_each_other(bot: BotHarness) -> None:
    alice, bob = bot.chat("alice"), bot.chat("bob")
    r = alice.say("I have a second interview with Acme on Friday at 3pm")
    interview_button = r.button("Cancel")
    alice.say("note: alice only")
    assert "no upcoming interviews" in bob.say("what's coming up?").text
    assert "no notes" in bob.say("show my notes").text
    # pressing someone else's button does nothing to their data
    r = bob.press(interview_button)
    assert "can't find that interview" in r.text
    assert "Acme" in alice.say("what's coming up?").text


def test_same_user_id_on_two_platforms_is_two_people(bot: BotHarness) -> None:
    bot.chat("u1", platform="slack", workspace="T1").say("I have a second interview with Acme on Friday at 3pm")
    assert "no upcoming" in bot.chat("u1", platform="discord").say("what's coming up?").text
    assert "no upcoming" in bot.chat("u1", platform="slack", workspace="T2").say("what's coming up?").text


def test_out_of_scope_gets_a_clear_answer(bot: BotHarness) -> None:
    r = bot.chat().say("what's the weather in Paris?")
    assert "outside what I can help with" in r.text
    assert "Help" in r.buttons


def test_offer_deadline_is_recorded(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I had a second interview with Acme today at 9am")
    r = me.say("they made me an offer, I need to answer by friday")
    assert "offer deadline" in r.text.lower() and "Friday 6 March" in r.text


def test_decision_date_is_recorded(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme tomorrow at 9am")
    r = me.say("they said they'll decide by the 20th, when should I follow up?")
    assert "decide by Friday 20 March" in r.text


def test_structured_commands_take_the_same_path(bot: BotHarness) -> None:
    """Slash-command forms (an action with fields) do what typed messages do."""
    from bot.common.types import IncomingMessage

    me = bot.chat()
    r = me.send(
        IncomingMessage(
            me.ref,
            action="interview:add",
            tz_hint=me.tz,
            fields={"company": "Acme", "when": "friday 3pm", "with": "Sarah Chen, Tom", "setting": "dinner"},
        )
    )
    assert "Acme" in r.text and "Friday 6 March, 3:00 PM" in r.text and "Sarah Chen and Tom" in r.text
    assert "Sarah Chen and Tom, over dinner" in r.text  # the setting in the words given
    [(label, interview_id)] = bot.app.coach.interview_choices(me.ref, "acm")
    assert label.startswith("Acme") and bot.app.coach.interview_choices(me.ref, "globex") == []
    assert bot.app.coach.interview_choices(bot.chat("bob").ref) == []
    r = me.send(IncomingMessage(me.ref, action=f"interview:move:{interview_id}", fields={"when": "thursday 10am"}))
    assert "Thursday 5 March, 10:00 AM" in r.text
    r = me.send(IncomingMessage(me.ref, action="note:add", fields={"text": "<!channel> bring the deck"}))
    assert "bring the deck" in r.text
    assert "Salary" in me.press("tips:salary").text
    assert "Meals, drinks" in me.press("tips:dinner").text
    assert "Acme" in me.press("export").text
    assert "can't be undone" in me.press("forget:ask").text


def test_home_view_summarises_my_data(bot: BotHarness) -> None:
    me = bot.chat()
    home = bot.app.coach.home(me.ref)
    assert "Coaching topics" in home[-1].text and home[-1].buttons
    me.say("I had a second interview with Globex today at 9am")
    me.say("I have a second interview with Acme on Friday at 3pm")
    home = bot.app.coach.home(me.ref)
    text = "\n".join(r.text for r in home)
    assert "Acme" in text and "Next reminder" in text
    assert "Send thank-you emails for Globex" in text
    assert any(b.value.startswith("thanks:sent:") for r in home for b in r.buttons)
    assert "Your upcoming interviews" not in "\n".join(r.text for r in bot.app.coach.home(bot.chat("bob").ref))


def test_time_zone_is_asked_when_nobody_knows_it(bot: BotHarness) -> None:
    me = bot.chat("dora", tz=None, platform="discord")
    r = me.say("I have a second interview with Acme on Friday at 3pm")
    assert "Which time zone are you in?" in r.text
    assert "tz:Europe/Berlin" in r.buttons.values()
    r = me.say("Europe/Berlin")
    assert "Europe/Berlin" in r.text
    assert "Friday 6 March, 3:00 PM" in me.say("what's coming up?").text
    assert "Which time zone" not in me.say("second interview with Globex on Monday at 9am").text


def test_everything_said_about_my_interview_is_private(bot: BotHarness) -> None:
    r = bot.chat().say("I have a second interview with Acme on Friday at 3pm with Sarah Chen, over dinner")
    assert all(reply.private for reply in r)
    assert list(r.buttons)[-1] == "Cancel interview"  # the destructive choice comes last


def test_a_time_answer_keeps_the_interview_day_even_when_that_hour_passed_today(bot: BotHarness) -> None:
    me = bot.chat(tz="UTC")  # 15:00 UTC now: "3pm" today has just passed
    me.say("got a second interview with Globex next monday")
    r = me.say("3pm")
    assert "Monday 9 March, 3:00 PM" in r.text


def test_a_long_note_is_stored_whole(bot: BotHarness) -> None:
    me = bot.chat()
    body = " ".join(f"word{i}" for i in range(450))  # about 3,500 characters: over what is read for meaning
    me.say(f"note: {body}")
    assert "word449" in me.say("export my data").text


def test_not_knowing_the_time_or_date_yet_is_accepted_and_not_asked_again(bot: BotHarness) -> None:
    me = bot.chat()
    assert "What time does it start?" in me.say("got a 2nd interview w/ Globex on thursday").text
    r = me.say("the time is not known yet")
    assert "without a time for now" in r.text and "outside what I can help with" not in r.text
    r = me.say("it'll be on zoom")
    assert "on zoom" in r.text and "What time does it start?" not in r.text
    with bot.app.db.session() as s:
        assert [(i.company, i.has_time) for i in s.scalars(select(Interview))] == [("Globex", False)]
    r = me.say("it starts at 4pm")
    assert "Thursday 5 March, 4:00 PM" in r.text

    other = bot.chat("bob")
    assert "When is it?" in other.say("second interview with Hooli!!").text
    r = other.say("they haven't told me yet")
    assert "without a date for now" in r.text
    assert "When is it?" not in other.say("it'll be over coffee").text


def test_ok_after_advice_is_acknowledged_not_greeted_again(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("hi")
    me.say("who will I meet in the second round?")
    r = me.say("ok")
    assert "I'm SecondRound" not in r.text and "Ask me anything else" in r.text
    r = me.say("got it 👍")
    assert "I'm SecondRound" not in r.text and r.text.startswith("(Same as a moment ago.)")


def test_an_interview_already_behind_the_student_is_not_asked_its_start_time(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("i had my 2nd interview at Umbrella yesterday")
    assert "already behind you" in r.text and "Umbrella: Sunday 1 March" in r.text
    assert "What time does it start?" not in r.text


def test_typing_not_sure_to_the_interviewer_question_is_its_not_sure_answer(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("2nd interview with Acme friday 3pm with Sarah Chen")
    assert "Is Sarah Chen someone you met in round one, or new to you?" in r.text
    r = me.say("idk")
    assert "outside what I can help with" not in r.text and "not sure yet" in r.text.lower()
    r = me.say("who's interviewing me this time?")
    assert "Is it the same person" not in r.text and "someone you met in round one" not in r.text


def test_an_interview_the_student_says_took_place_last_week_keeps_its_date(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("I had my second interview at Acme last friday")
    assert "already behind you" in r.text and "Acme: Friday 27 February" in r.text
    assert "has already passed" not in r.text
    r = me.say("my 2nd interview with Globex was moved to last friday")
    assert "Friday 27 February has already passed" in r.text  # a move into the past is still a slip


def test_a_past_interview_said_without_a_year_is_not_put_in_next_year(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("my 2nd interview with Globex was on feb 25 at 2pm, they haven't replied")
    assert "Globex: Wednesday 25 February, 2:00 PM" in r.text and "2027" not in r.text
    with bot.app.db.session() as s:
        assert [i.local_start.year for i in s.scalars(select(Interview))] == [2026]  # type: ignore[union-attr]


def test_what_a_company_answer_says_was_wrong_is_not_stored_as_an_interviewer(bot: BotHarness) -> None:
    me = bot.chat()
    assert "Which company is it with?" in me.say("i have round 2 with the VP of sales on monday at 9").text
    r = me.say("wait the company is Initech not the VP")
    assert "Initech: Monday 9 March, 9:00 AM, with the VP of sales" in r.text and "and the VP" not in r.text
    with bot.app.db.session() as s:
        assert [(i.company, i.interviewers) for i in s.scalars(select(Interview))] == [("Initech", ["the VP of sales"])]


def test_remind_me_about_it_asks_when_without_a_garbled_task(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("remind me about it")
    assert r.text.startswith("When should I remind you?"), r.text
    assert "remind you to it" not in r.text


def test_a_reminder_about_a_thing_is_asked_about_it_and_one_to_do_something_to_do_it(bot: BotHarness) -> None:
    me = bot.chat()
    assert me.say("remind me about the portfolio").text.startswith("When should I remind you about the portfolio?")
    other = bot.chat()
    assert other.say("remind me to email Sarah").text.startswith("When should I remind you to email Sarah?")
