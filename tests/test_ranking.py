"""Ranking the advice for a question, read as a student would notice it: typos and everyday words reach
the same advice, the student's situation gets its advice in the first two bullets, and decisive news
(a rejection, an ending) changes what comes first."""

from __future__ import annotations

import pytest

from bot.coaching import advice, situation
from bot.knowledge.library import KnowledgeError, load_knowledge
from tests.conftest import BotHarness
from tests.test_advice import ids_shown


def first_ids(knowledge, text: str, **facts: str) -> list[str]:
    known = situation.Facts(values=dict(facts))
    return [s.item.id for s in advice.choose(advice.rank(knowledge, known, text, {}))]


def test_a_misspelt_question_reaches_the_same_advice(knowledge) -> None:
    pairs = {
        "how do i handle a panel interview": "how do i handel a panle interview",
        "is it ok to contact an employee before the interview": "is it ok to contcat an emplyee befor the intervew",
    }
    for right, typo in pairs.items():
        assert first_ids(knowledge, typo)[0] == first_ids(knowledge, right)[0], typo


def test_a_students_own_word_reaches_the_advice_written_in_other_words(knowledge) -> None:
    assert first_ids(knowledge, "is booze ok at the interview dinner?", setting="meal")[0] == "informal-setting-alcohol"
    assert first_ids(knowledge, "got the jitters about tomorrow")[0].startswith("nerves-")


def test_advice_for_the_students_situation_is_among_the_first_two_bullets(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("my second interview is with the same manager as last time")
    r = me.say("how should I prepare?")
    same_only = {i.id for _, i in knowledge.items() if "same" in i.when}
    assert same_only & set(ids_shown(knowledge, r.text)[:2])


def test_after_a_rejection_a_general_question_gets_advice_for_a_rejection(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("they rejected me after the second interview")
    r = me.say("what should i do now?")
    shown = ids_shown(knowledge, r.text)
    assert shown[0].startswith("outcome-rejected") or shown[1].startswith("outcome-rejected")
    not_after_a_no = {i.id for _, i in knowledge.items() if "rejected" in i.unless}
    assert not_after_a_no & set(shown) == set() and "salary-negotiate-now" in not_after_a_no


def test_a_situation_said_in_passing_is_answered_not_greeted(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("just came out of my second interview")
    r = me.say("ok so now what?")
    assert "I'm SecondRound" not in r.text
    assert any(i.startswith("follow-up-") for i in ids_shown(knowledge, r.text)[:2])


def test_a_lunch_mentioned_while_scheduling_shapes_the_next_answer(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("she invited me to lunch for round two")
    r = me.say("and who pays at the end?")
    assert ids_shown(knowledge, r.text)[0] == "informal-setting-bill"


def test_a_broken_synonyms_file_is_refused_with_its_name(tmp_path) -> None:
    import shutil

    from bot.knowledge.library import default_dir

    base = tmp_path / "knowledge"
    shutil.copytree(default_dir(), base)
    (base / "synonyms.yaml").write_text("money: salary\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"synonyms\.yaml"):
        load_knowledge(base)


def test_a_bare_any_tips_continues_the_conversation_but_not_a_fresh_one(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("round two is with a guy i've never met")
    r = me.say("any tips?")
    new_only = {i.id for _, i in knowledge.items() if "new" in i.when}
    shown = ids_shown(knowledge, r.text)
    assert new_only & set(shown[:2]) and not {i.id for _, i in knowledge.items() if "same" in i.when} & set(shown)
    assert ids_shown(knowledge, bot.chat("someone-else").say("any tips?").text) == []


def test_a_bare_what_now_follows_the_conversation_and_other_domains_stay_out(bot: BotHarness, knowledge) -> None:
    """ "what should I do now?" has no topic of its own: it continues the conversation, unlike "the weather now"."""
    for n, text in enumerate(("what should i do now?", "ok so now what?", "what are my next steps")):
        me = bot.chat(f"student{n}")
        me.say("they rejected me after the second interview")
        shown = ids_shown(knowledge, me.say(text).text)
        assert any(i.startswith("outcome-rejected") for i in shown[:2]), (text, shown)
        assert "outside what I can help with" in me.say("whats the weather now?").text


def test_a_setting_said_earlier_adds_no_advice_that_misses_the_question(bot: BotHarness, knowledge) -> None:
    """Issue 9: a dinner mentioned before does not bring meal advice to a question about something else."""
    made_for_the_setting = {i.id for _, i in knowledge.items() if {"meal", "drinks"} & set(i.when)}
    asked = {
        "how soon should i send a thank you afterwards?": "follow-up-",
        "what questions should i ask them about the team?": "questions-to-ask-",
    }
    for n, (question, topic) in enumerate(asked.items()):
        me = bot.chat(f"meal-{n}")
        me.say("round two is a dinner with the hiring manager on friday at 7pm with Acme")
        shown = ids_shown(knowledge, me.say(question).text)
        assert shown[0].startswith(topic), question
        assert made_for_the_setting & set(shown[:2]) == set(), question


def test_a_situational_fit_does_not_push_out_the_answer(knowledge) -> None:
    """A video call known: the answer to a question about standing out leads, not the video-call advice."""
    shown = first_ids(knowledge, "how do i show them i'm the strongest candidate?", setting="video")
    assert shown[0] in {"selling-yourself-most-qualified", "expectations-most-qualified"}


def test_real_words_and_negations_are_not_corrected_into_other_words(knowledge) -> None:
    """The speller puts typos right ("intervew") but leaves a negation or another form of a known word alone,
    and never changes a word's first letter ("found" is not "round")."""
    idx = advice.index(knowledge)
    _, _, plain = idx._query("the intervew wasnt what i found useful, it doesnt offer much")
    assert plain == "the interview wasnt what i found useful it doesnt offer much"
    assert "not" in advice.terms(plain)


def test_a_synonym_of_several_words_is_matched_as_a_phrase(knowledge) -> None:
    """synonyms.yaml keys with spaces ("red flag", "laid back") add the knowledge base's words when the question
    says the whole phrase, hyphenated or not."""
    idx = advice.index(knowledge)
    assert {"relax", "casual"} <= set(idx.query("the team seemed laid-back")[1])
    assert "relax" not in idx.query("they laid out the plan and sat back")[1]
    assert first_ids(knowledge, "got a few red flags from the manager but they offered me the role")[0] == (
        "offer-gut-check"
    )


def test_a_short_question_is_read_with_the_message_before_even_without_pointing_back(knowledge) -> None:
    """ "do i have to reply today?" after "the written offer arrived" is about that offer (weight W_BEFORE)."""
    alone = advice.choose(advice.rank(knowledge, situation.Facts(), "do i have to reply today?", {}))
    after = advice.choose(
        advice.rank(
            knowledge,
            situation.Facts(),
            "do i have to reply today?",
            {},
            context="the written offer arrived by email this morning",
            context_weight=advice.W_BEFORE,
        )
    )
    assert "offer-written-read" not in [s.item.id for s in alone[:2]]
    assert "offer-written-read" in [s.item.id for s in after[:2]]


def test_a_situation_said_only_as_a_possibility_earns_no_fit_but_still_rules_out(knowledge) -> None:
    """ "should I find out if it's the same manager?" is not a same-manager situation: no bonus for that advice,
    while advice for someone new stays out as long as the student supposes it is the same person."""
    same = knowledge.item("interviewers-same-no-repeat")
    new = knowledge.item("interviewers-new-fresh-examples")
    assert same is not None and new is not None
    told = situation.Facts(values={"interviewer": "same"})
    supposed = situation.Facts(values={"interviewer": "same"}, supposed={"interviewer"})
    assert advice.fit(knowledge, same, told) == advice.FIT_BONUS
    assert advice.fit(knowledge, same, supposed) == 0.0
    assert advice.fit(knowledge, new, supposed) is None
