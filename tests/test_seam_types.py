"""What crosses the core's seams is typed (issue 13): the coach's outcomes are an enum with their old words."""

from __future__ import annotations

from bot.common.types import Handled, Outcome
from bot.nlu import NLU
from tests.conftest import BotHarness


def test_observers_hear_an_outcome_with_its_old_word(bot: BotHarness) -> None:
    heard: list[Handled] = []
    bot.app.coach.observers.append(heard.append)
    me = bot.chat()
    me.say("   ")
    me.say("note: " + "x" * 100_000)
    me.say("hi")
    assert [h.intent for h in heard] == [Outcome.EMPTY, Outcome.TOO_LONG, "greeting"]
    assert [str(h.intent) for h in heard[:2]] == ["empty", "too_long"]  # the /metrics label and the log word


def test_the_understood_nlu_is_the_real_one_with_one_parse_made(bot: BotHarness) -> None:
    """The coach's pre-made parse is an NLU (same models), not an untyped proxy."""
    from datetime import datetime

    from bot.coaching.coach import _Understood

    real = bot.app.coach.nlu
    now = datetime(2026, 3, 2, 9, 0)
    made = real.parse("how do I negotiate salary", now, "UTC")
    understood = _Understood(real, ("how do I negotiate salary", now, "UTC"), made)
    assert isinstance(understood, NLU)
    assert understood.parse("how do I negotiate salary", now, "UTC") is made
    assert understood.parse("hello", now, "UTC") == real.parse("hello", now, "UTC")
    assert understood.tagger is real.tagger and understood.classifier is real.classifier
