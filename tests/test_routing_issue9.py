"""Issue 9, routing: coaching questions that read like something else (banking, a reminder, a list) get
advice, and words that only look like a fact ("the interview is over lunch") don't change the student's
situation. Written in other words than the evaluation sets."""

from __future__ import annotations

from bot.coaching import situation
from tests.conftest import BotHarness
from tests.test_advice import ids_shown


def test_over_a_meal_or_a_call_is_a_setting_not_an_interview_that_ended(knowledge) -> None:
    for text, setting in (
        ("the interview is over lunch with two partners", "meal"),
        ("my 2nd interview is over zoom on friday", "video"),
        ("round two is over the phone", "phone"),
    ):
        found = situation.detect(knowledge, text)
        assert "stage" not in found, (text, found)
        assert found["setting"].value == setting, (text, found)
    for text in ("ok the interview is over", "the interview is over, now what?", "my interview is over and it went ok"):
        assert situation.detect(knowledge, text)["stage"].value == "just_finished", text


def test_a_lunch_interview_gets_meal_advice_not_thank_you_notes(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("the interview is over lunch with the regional manager next thursday")
    shown = ids_shown(knowledge, me.say("any advice for that?").text)
    assert shown and not {"follow-up-thank-everyone", "follow-up-keep-short", "follow-up-notes-now"} & set(shown)
    assert any(i.startswith("informal-setting") or i == "nerves-stay-in-control" for i in shown), shown


def test_a_story_bank_question_is_coaching_not_banking(bot: BotHarness, knowledge) -> None:
    shown = ids_shown(knowledge, bot.chat().say("should i set up a bank of work stories before my final round?").text)
    stories = {"selling-yourself-stories", "selling-yourself-plan", "selling-yourself-track-record"}
    assert stories & set(shown[:2]), shown


def test_remind_me_why_is_reassurance_not_a_reminder(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("remind me why being called back is a good thing, i'm so anxious")
    shown = ids_shown(knowledge, r.text)
    assert shown, r.text
    assert any(i.startswith("nerves") or i.startswith("expectations") for i in shown[:2]), shown


def test_banking_stays_out_of_scope(bot: BotHarness, knowledge) -> None:
    for text in ("how do i open a bank account online", "remind me to call the bank at 3"):
        assert ids_shown(knowledge, bot.chat().say(text).text) == [], text


def test_any_tips_after_a_panel_guesses_no_same_person_advice(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("round two will be a 3 ppl panel on wednesday")
    shown = ids_shown(knowledge, me.say("any tips").text)
    assert shown, "some advice"
    same = {"interviewers-same-no-repeat", "interviewers-same-ease-off", "interviewers-same-direction"}
    assert not same & set(shown), shown


def test_a_side_bullet_from_another_topic_stays_on_the_question(bot: BotHarness, knowledge) -> None:
    shown = ids_shown(knowledge, bot.chat().say("one interviewer was super harsh with me today, on purpose??").text)
    assert shown[:1] == ["interviewers-tough"], shown
    assert not {"informal-setting-why", "expectations-why-called-back"} & set(shown), shown


def test_tips_offered_with_a_new_dinner_are_not_repeated_later(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    offered = ids_shown(knowledge, me.say("dinner with the sales team at Hooli next tuesday 7pm").text)
    assert offered, "the coach offers dinner tips with the news"
    asked = ids_shown(knowledge, me.say("any advice?").text)
    assert asked and not set(offered) & set(asked), (offered, asked)
    more = ids_shown(knowledge, me.say("more tips").text)
    assert not set(offered) & set(more), (offered, more)


def test_chat_shorthand_states_its_facts(knowledge) -> None:
    for text, fact, value in (
        ("round two is with 3 ppl from finance", "panel", "panel"),
        ("it's w/ the same mgr as in round one", "interviewer", "same"),
        ("diff person this time, never met her", "interviewer", "new"),
        ("2nd round is a vid call", "setting", "video"),
    ):
        found = situation.detect(knowledge, text)
        assert fact in found and found[fact].value == value, (text, found)


def test_a_panel_said_in_shorthand_shapes_the_next_answer(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("round 2 next week is a 4 ppl panel")
    r = me.say("who do i thank afterwards?")
    assert "follow-up-thank-everyone" in ids_shown(knowledge, r.text)[:2], r.text


def test_a_new_dinner_with_a_question_gets_at_most_three_bullets(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("Umbrella round two next wednesday at 7pm, dinner with the CFO - who pays??")
    assert "Umbrella" in r.text
    shown = ids_shown(knowledge, r.text)
    assert shown[:1] == ["informal-setting-bill"], shown
    assert len(shown) <= 3, shown


def test_an_ask_inside_a_scheduling_message_is_read_with_the_facts_around_it(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("round 2 at Initech on friday 3pm with the same manager, what do i do different")
    assert "Initech" in r.text
    same = {"interviewers-same-no-repeat", "selling-yourself-no-repeat", "interviewers-same-ease-off"}
    assert ids_shown(knowledge, r.text)[:1] and ids_shown(knowledge, r.text)[0] in same, r.text


def test_quick_tips_before_an_interview_are_preparation_not_thank_you_notes(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("Soylent round 2 tomorrow at 9am, any quick tips??")
    assert "Soylent" in r.text
    shown = ids_shown(knowledge, r.text)
    assert shown and not any(i.startswith("follow-up") for i in shown), shown


def test_more_ways_of_stating_a_fact_are_understood(knowledge) -> None:
    for text, fact, value in (
        ("i'm seeing the woman who did my first interview again", "interviewer", "same"),
        ("the interviewer is the same as in round one", "interviewer", "same"),
        ("round two will be online", "setting", "video"),
        ("it's a zoom meeting with the director", "setting", "video"),
        ("sadly they picked an internal candidate", "outcome", "rejected"),
        ("someone else got the job :(", "outcome", "rejected"),
        ("they gave me an offer at the end!!", "outcome", "offered"),
        ("my second interview was yesterday", "stage", "just_finished"),
        ("they haven't said who i'll meet", "who_unknown", "unknown"),
        ("they made an offer to someone else", "outcome", "rejected"),
    ):
        found = situation.detect(knowledge, text)
        assert fact in found and found[fact].value == value, (text, found)
    for text, fact in (
        ("I did my first interview last week", "interviewer"),
        ("should i tell the same stories as last time?", "interviewer"),
        ("the 2nd round includes an online personality test", "setting"),
    ):
        assert fact not in situation.detect(knowledge, text), text


def test_a_question_after_news_gets_its_answer_and_a_fresh_third_bullet(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    offered = ids_shown(knowledge, me.say("my second round is a dinner with two partners").text)
    asked = ids_shown(knowledge, me.say("who pays?").text)
    assert asked[:1] == ["informal-setting-bill"], asked
    assert len(asked) < 3 or asked[2] not in offered, (offered, asked)


def test_what_else_moves_on_in_the_conversation(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    first = ids_shown(knowledge, me.say("can i reuse my examples from round one with the same manager?").text)
    then = ids_shown(knowledge, me.say("ok what else").text)
    assert then and not set(first) & set(then), (first, then)


def test_a_question_the_notes_do_not_answer_gets_the_honest_line(bot: BotHarness) -> None:
    r = bot.chat().say("can i bring my dog to the second interview")
    assert any((x.kind or "").startswith("unanswered") for x in r), r.text
