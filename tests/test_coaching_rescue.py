"""Coaching questions the classifier reads as something else still get advice when the knowledge base
clearly answers them: a question inside a message about an interview, a follow-up that only makes sense
with what the student said before, a question read unsurely as a list request. Out-of-scope messages
stay out of scope, also in a conversation about an interview."""

from __future__ import annotations

from tests.conftest import BotHarness
from tests.test_advice import ids_shown


def test_a_question_inside_a_scheduling_message_gets_its_tips(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    r = me.say("round two with Initech on thursday at 10am, same manager as last time. what should i do differently?")
    assert "Initech" in r.text  # the interview is recorded…
    shown = ids_shown(knowledge, r.text)
    assert {"interviewers-same-no-repeat", "selling-yourself-no-repeat"} & set(shown[:2]), shown  # …and answered
    listed = me.say("what's coming up?")
    assert "Initech" in listed.text


def test_a_general_ask_inside_a_scheduling_message_gets_advice_for_its_situation(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("Final round with Globex next Monday over lunch with the VP - any advice?")
    assert "Globex" in r.text
    shown = ids_shown(knowledge, r.text)
    assert any(i.startswith("informal-setting") for i in shown[:2]), shown


def test_a_plain_scheduling_message_gets_no_extra_tips(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    assert ids_shown(knowledge, r.text) == []


def test_a_short_follow_up_is_read_with_what_was_said_before(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("the second round is a lunch at a sushi place with the team lead")
    r = me.say("what do i wear for that?")
    assert ids_shown(knowledge, r.text)[:1] == ["informal-setting-dress"]


def test_out_of_scope_stays_out_of_scope_in_a_conversation_about_an_interview(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("my second interview is with the same person as in round one")
    for text in (
        "what's the weather in Lisbon tomorrow?",
        "how do I unblock someone on instagram?",
        "what's 12 times 9",
    ):
        r = me.say(text)
        assert ids_shown(knowledge, r.text) == [], (text, r.text)


def test_a_follow_up_that_refers_back_is_read_with_the_message_before(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("i get a tour round their brewery before the interview")
    r = me.say("do they judge me during that?")
    assert any(i.startswith("informal-setting-site-visit") for i in ids_shown(knowledge, r.text)[:2])
