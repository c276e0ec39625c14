"""Coaching questions reach the coach, wherever the classifier first leans (issue 9, routing pass 2): a
question worded with everyday or job-search words gets the item that answers it, a question read unsurely as
another request (practice, a thank-you sent, a greeting) is answered as coaching, a real request is still
carried out, and out-of-scope messages that share the coach's words stay out of scope."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import BotHarness
from tests.test_advice import ids_shown


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        (
            "a friend works there, can i ask him for inside tips before round 2 or is that unfair",
            "preparation-contacts",
        ),
        ("should i bring my own hdmi adapter for the slides or ask them to set it up", "presentation-equipment"),
        ("the final round went ok last time so do i just do the same again or change it up", "nerves-keep-style"),
    ],
)
def test_a_coaching_question_in_everyday_words_gets_its_answer(
    bot: BotHarness, knowledge, text: str, answers: str
) -> None:
    shown = ids_shown(knowledge, bot.chat().say(text).text)
    same_point = {i.id for _, i in knowledge.items() if i.point == knowledge.item(answers).point}
    assert same_point & set(shown[:2]), shown


def _read_as(bot: BotHarness, monkeypatch: pytest.MonkeyPatch, text: str, intent: str, confidence: float) -> None:
    """Make the classifier read ``text`` as ``intent`` with ``confidence`` (the rest of the parse is the real one)."""
    nlu = bot.app.coach.nlu
    real = nlu.parse

    def parse(said, now, tz):  # type: ignore[no-untyped-def]
        got = real(said, now, tz)
        if said != text:
            return got
        return replace(
            got, intent=intent, confidence=confidence, alternatives=((intent, confidence), *got.alternatives)
        )

    monkeypatch.setattr(nlu, "parse", parse)


@pytest.mark.parametrize("intent", ["practice", "thank_you_sent", "set_reminder", "greeting"])
def test_a_question_read_unsurely_as_a_request_is_answered_as_coaching(
    bot: BotHarness, knowledge, monkeypatch: pytest.MonkeyPatch, intent: str
) -> None:
    text = "who pays the bill at a dinner interview?"
    _read_as(bot, monkeypatch, text, intent, 0.3)
    shown = ids_shown(knowledge, bot.chat().say(text).text)
    assert shown[:1] == ["informal-setting-bill"], shown


def test_a_request_read_surely_is_still_carried_out(
    bot: BotHarness, knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "who pays the bill at a dinner interview?"
    _read_as(bot, monkeypatch, text, "practice", 0.9)
    r = bot.chat().say(text)
    assert ids_shown(knowledge, r.text) == []


def test_an_unsure_request_that_asks_nothing_the_coach_knows_goes_to_its_handler(bot: BotHarness, knowledge) -> None:
    r = bot.chat().say("can you remind me to call my mum at 6pm?")
    assert ids_shown(knowledge, r.text) == []


@pytest.mark.parametrize(
    "text",
    [
        "help me get ready for my biology midterm on friday",
        "what questions should i ask a plumber before hiring him",
        "write a thank you note to my neighbour for watering the plants",
        "how much does amazon pay warehouse managers",
    ],
)
def test_out_of_scope_messages_in_the_coach_s_words_stay_out_of_scope(bot: BotHarness, knowledge, text: str) -> None:
    assert ids_shown(knowledge, bot.chat().say(text).text) == []
