"""Coaching answers, read as conversations: the question asked is answered first, stated facts shape
later answers, nothing repeats, and the coach says so when it has no good answer."""

from __future__ import annotations

import re

from tests.conftest import BotHarness


def bullets(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("• ")]


def ids_shown(knowledge, text: str) -> list[str]:
    by_text = {item.text: item.id for _, item in knowledge.items()}
    return [by_text[b] for b in bullets(text) if b in by_text]


def test_dinner_questions_each_get_their_own_answer_and_nothing_repeats(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    pays = me.say("who pays for dinner? should i offer to split it")
    wear = me.say("what should i wear to the dinner")
    salary = me.say("should i bring up salary at dinner or wait")
    assert ids_shown(knowledge, pays.text)[0] == "informal-setting-bill"
    assert ids_shown(knowledge, wear.text)[0] == "informal-setting-dress"
    assert ids_shown(knowledge, salary.text)[0] in {"informal-setting-salary-at-table", "salary-be-ready"}
    assert pays.text.splitlines()[0].startswith("Who pays")  # the heading fits the question
    shown = [i for r in (pays, wear, salary) for i in ids_shown(knowledge, r.text)]
    assert len(shown) == len(set(shown))  # no bullet twice in the conversation
    assert all(len(b) < 300 for r in (pays, wear, salary) for b in bullets(r.text))
    assert all(len(bullets(r.text)) <= 3 for r in (pays, wear, salary))


def test_specific_asks_get_the_item_that_answers_them(bot: BotHarness, knowledge) -> None:
    asks = {
        "is it ok to reach out to someone who works there before round 2?": "preparation-contacts",
        "do i need a different style this time or keep what worked?": "selling-yourself-keep-style",
        "ok interview done, now what?": "follow-up-thank-everyone",
        "what if they don't offer me the job at the end?": "offer-none-yet",
    }
    for n, (question, item) in enumerate(asks.items()):
        first_two = ids_shown(knowledge, bot.chat(f"student{n}").say(question).text)[:2]
        assert item in first_two, (question, first_two)


def test_a_new_interviewer_never_gets_same_person_advice(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("my second interview is with someone new, not the person I met before")
    same_only = {i.id for _, i in knowledge.items() if "same" in i.when}
    for question in ("how do i prepare for the interviewer?", "should i repeat my stories?", "more"):
        shown = ids_shown(knowledge, me.say(question).text)
        assert not same_only & set(shown), (question, shown)


def test_a_video_interview_gets_no_in_the_room_advice(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm on zoom")
    r = me.say("they asked me to give a presentation, what do I need to prepare?")
    assert "in the room" not in r.text
    assert "presentation-equipment" not in ids_shown(knowledge, r.text)


def test_facts_in_a_schedule_message_are_kept_and_not_asked_again(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("second interview with Acme on Friday at 7pm, dinner with the same hiring manager as last time")
    assert "Is it the same person" not in r.text and "someone you met in round one" not in r.text
    assert "bar" not in r.text.lower()  # a dinner is not called drinks at a bar
    r = me.say("who will interview me and what do I do differently?")
    assert "same person as in your first interview, or someone new" not in r.text
    assert "Someone new" not in r.buttons


def test_the_topic_question_is_asked_once_and_the_answer_shapes_advice(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    r = me.say("who's interviewing me this time?")
    assert "same person as in your first interview" in r.text
    r = me.press("situation:interviewers:same")
    assert "(the same person)" in r.text
    assert any("same" in knowledge.item(i).when for i in ids_shown(knowledge, r.text))
    r = me.say("anything else about the interviewers?")
    assert "same person as in your first interview" not in r.text


def test_follow_ups_move_on_and_replies_are_never_identical(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    first = me.say("how do I prepare for round two?")
    second = me.say("more")
    third = me.press(second.button("More tips"))
    pages = [ids_shown(knowledge, r.text) for r in (first, second, third)]
    flat = [i for p in pages for i in p]
    assert len(flat) == len(set(flat)) and all(pages)
    a, b = me.say("hi"), me.say("hi")
    assert a.text != b.text


def test_show_that_again_repeats_on_request(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    first = me.say("can I order wine at the dinner interview?")
    again = me.press("again")  # the "Show that again" button
    assert ids_shown(knowledge, again.text) == ids_shown(knowledge, first.text)


def test_no_good_answer_is_said_honestly_and_counted_by_topic(bot: BotHarness) -> None:
    from bot.ops.metrics import Metrics

    metrics = Metrics()
    bot.app.coach.observers.append(metrics.on_handled)
    r = bot.chat().say("can I bring my dog to the second interview?")
    assert "don't have a good answer" in r.text
    assert len(r.buttons) == 2 and all(v.startswith("topic:") for v in r.buttons.values())
    exposition = metrics.render().decode()
    counted = re.findall(r'secondround_unanswered_questions_total\{topic="(\w+)"\} 1\.0', exposition)
    assert counted and "dog" not in exposition
    assert r.buttons[next(iter(r.buttons))] == f"topic:{counted[0]}"


def test_typing_show_that_again_repeats_the_last_advice_not_the_interview_list(bot: BotHarness, knowledge) -> None:
    me = bot.chat()
    nothing = me.say("show that again")
    assert "nothing to repeat" in nothing.text and "interview" not in nothing.text.split(".")[0]
    first = me.say("can I order wine at the dinner interview?")
    for typed in ("show me that again", "can you repeat that?"):
        again = me.say(typed)
        assert ids_shown(knowledge, again.text) == ids_shown(knowledge, first.text)
        assert "upcoming interviews" not in again.text


def test_a_not_in_front_of_a_fact_cancels_it_within_its_clause(knowledge) -> None:
    from bot.coaching.situation import detect

    assert detect(knowledge, "it's someone new, not the person I met before")["interviewer"].value == "new"
    said = "not sure about the format, but it's the same person as before"
    assert detect(knowledge, said)["interviewer"].value == "same"


def test_ranked_items_are_whole_frozen_scores_like_built_ones(knowledge) -> None:
    """rank fills its scores without the dataclass constructor: each must still be a complete, frozen Scored."""
    import dataclasses

    import pytest

    from bot.coaching import advice, situation

    ranking = advice.rank(knowledge, situation.Facts(), "who pays for dinner?", {}, seen=["informal-setting-bill"])
    first = ranking.scored[0]
    assert [f.name for f in dataclasses.fields(advice.Scored)] == list(vars(first))
    assert advice.Scored(**vars(first)) == first and hash(advice.Scored(**vars(first))) == hash(first)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.score = 0.0  # type: ignore[misc]
