"""Issue 9: what the ranking answers reaches the student's first reply.

Questions the classifier or the scope model doubt (read as out of scope, a list request) are still
answered when the advice clearly fits; a bare "any tips for that?" goes on with the conversation's topic
instead of repeating what was just shown; an item shown as a side bullet can lead when asked for; news of
an offer never gets "you're still in the running".
"""

from __future__ import annotations

from tests.conftest import BotHarness
from tests.test_advice import ids_shown

OFFER_ITEMS = {
    "offer-spot-thank-dont-accept",
    "offer-time-is-normal",
    "offer-talk-it-over",
    "offer-keep-judgement",
    "offer-negotiation-window",
    "offer-written-read",
    "offer-fit-check",
    "offer-gut-check",
}
STILL_RUNNING = {"expectations-why-called-back", "expectations-not-in-the-bag"}


def test_a_doubted_follow_up_that_advice_for_the_situation_answers_is_answered(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("they invited me to a dinner with the managers")
    r = me.say("and who covers the cost?")
    assert ids_shown(knowledge, r.text)[:1] == ["informal-setting-bill"], r.text


def test_a_fresh_in_scope_question_read_unsurely_as_help_gets_its_answer(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("how can i build a real connection with the interviewers?")
    assert ids_shown(knowledge, r.text)[:1] == ["expectations-click"], r.text


def test_round_over_what_next_read_as_a_list_request_gets_advice_for_that_stage(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("second round finished an hour ago, what's my next move")
    shown = ids_shown(knowledge, r.text)
    assert {"follow-up-notes-now", "follow-up-thank-everyone"} & set(shown[:2]), r.text
    assert "no upcoming interviews" not in r.text


def test_any_tips_for_that_goes_on_with_the_topic_and_repeats_nothing(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    first = ids_shown(knowledge, me.say("round two is a panel of five people next tuesday").text)
    r = me.say("any tips for that?")
    shown = ids_shown(knowledge, r.text)
    assert shown and shown[0].startswith("interviewers-"), r.text
    assert not set(shown) & set(first), (first, shown)


def test_a_bare_ask_after_offer_news_gets_more_offer_advice_not_the_same(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    first = ids_shown(knowledge, me.say("i got the offer").text)
    r = me.say("any tips?")
    shown = ids_shown(knowledge, r.text)
    assert shown and set(shown) <= OFFER_ITEMS, r.text
    assert not set(shown) & set(first), (first, shown)
    assert "Same as a moment ago" not in r.text


def test_after_an_offer_nothing_says_you_are_still_in_the_running(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    for text in ("they made me an offer this morning!!", "why did they call me back anyway", "any advice"):
        r = me.say(text)
        assert not set(ids_shown(knowledge, r.text)) & STILL_RUNNING, (text, r.text)


def test_a_side_bullet_asked_for_explicitly_can_lead(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    opening = ids_shown(knowledge, me.say("what questions should i ask in round two?").text)
    assert "expectations-most-qualified" in opening[1:]  # shown, but not as the answer
    r = me.say("what's the difference between a first and a second interview?")
    assert ids_shown(knowledge, r.text)[:1] == ["expectations-most-qualified"], r.text
    assert "Same as a moment ago" not in r.text


def test_after_an_offer_what_happens_next_says_nothing_about_the_round_to_come(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("they offered me the job on a call earlier")
    r = me.say("so what happens next?")
    shown = ids_shown(knowledge, r.text)
    assert shown, r.text
    assert not [i for i in shown if i.startswith("expectations-")], shown


def test_an_interview_over_lunch_is_still_to_come(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("2nd round next week over lunch w/ the team, any tips?")
    shown = ids_shown(knowledge, r.text)
    assert shown and shown[0].startswith("informal-setting-"), r.text
    assert not [i for i in shown if i.startswith("follow-up-")], shown


def test_the_same_boss_is_a_familiar_face(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("final interview thursday w/ same boss as before, wat shud i chnage")
    shown = ids_shown(knowledge, r.text)
    assert shown and shown[0] in {
        "interviewers-same-no-repeat",
        "interviewers-same-direction",
        "interviewers-same-ease-off",
        "interviewers-same-align",
        "selling-yourself-no-repeat",
    }, r.text


def test_what_happens_next_after_an_offer_is_about_the_offer(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    first = ids_shown(knowledge, me.say("they offered me the job on a call earlier").text)
    r = me.say("so what happens next?")
    shown = ids_shown(knowledge, r.text)
    assert shown and set(shown) <= OFFER_ITEMS, r.text
    assert not set(shown) & set(first), (first, shown)


def test_what_now_after_a_rejection_goes_on_without_advice_for_interviews_to_come(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    first = ids_shown(knowledge, me.say("they rejected me after round 2").text)
    r = me.say("what should i do now")
    shown = ids_shown(knowledge, r.text)
    assert shown and all(i.startswith(("outcome-", "follow-up-")) for i in shown), shown
    assert not set(shown) & set(first), (first, shown)


def test_a_clear_short_question_is_answered_on_its_own_words_not_the_message_before(bot: BotHarness, knowledge) -> None:
    """The README's conversation: a dinner mentioned just before does not take over who / what to ask."""
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen, over dinner")
    r = me.say("who's interviewing me this time?")
    assert ids_shown(knowledge, r.text)[0].startswith("interviewers-"), r.text
    me.say("it's a dinner interview, can I order wine?")
    r = me.say("what should I ask them?")
    assert ids_shown(knowledge, r.text)[0].startswith("questions-to-ask-"), r.text


def test_a_short_question_pointing_back_is_read_with_the_message_before_however_sure_the_classifier(
    bot: BotHarness, knowledge
) -> None:
    """"is that a bad sign?" after news of no offer is about the news, not about bad signs in a company's culture."""
    me = bot.chat()
    me.say("no offer at the end of the second interview 😕")
    r = me.say("is that a bad sign?")
    assert ids_shown(knowledge, r.text)[0] == "offer-none-yet", r.text
