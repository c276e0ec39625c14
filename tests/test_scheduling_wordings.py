"""Scheduling in everyday wordings: an interview brought forward moves, a company named inside a role phrase."""

from __future__ import annotations

from tests.conftest import BotHarness
from tests.test_corrections import rows


def test_an_interview_brought_forward_moves_instead_of_making_a_new_one(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("second interview with Umbrella friday at 2pm")
    me.say("they brought it forward to 9am")
    assert rows(bot) == [("Umbrella", "2026-03-06T09:00", [], None)]


def test_the_company_inside_a_role_phrase_is_the_company(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("dinner with the Initech founders on friday at 8pm for round 2")
    assert rows(bot) == [("Initech", "2026-03-06T20:00", ["founders"], "informal")]
