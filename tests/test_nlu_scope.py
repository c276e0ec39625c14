"""Out-of-scope requests are recognised, and nothing is done on them (issue 10)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bot.nlu import NLU
from tests.conftest import BotHarness
from tests.test_dialog_guards import interviews, notes

DEV = Path(__file__).parent / "data" / "dev"
NOW = datetime(2026, 3, 2, 10, 0)
NY = "America/New_York"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DEV / name).read_text().splitlines() if line.strip()]


@pytest.mark.parametrize(
    "text",
    [
        "would you freeze my bank account",
        "i do not want my reservation anymore",
        "how many voicemail messages do i have",
        "add this to my rock playlist",
        "how much is the new nikon camera",
        "is insomnia curable",
    ],
)
def test_the_issues_out_of_scope_requests_are_fallback(nlu: NLU, text: str) -> None:
    assert nlu.parse(text, NOW, NY).intent == "fallback"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Advice for Jane Street third round", "preparation"),
        ("google swe intern intrvw next week - advice?", "preparation"),
        ("what would an engineer be asked in the second round", "expectations"),
        ("what questions will they ask me in round 2", "expectations"),
        ("Technical round coming up with Citadel", "preparation"),
    ],
)
def test_the_issues_job_seeker_questions_get_their_topic(nlu: NLU, text: str, intent: str) -> None:
    assert nlu.parse(text, NOW, NY).intent == intent


def test_a_kind_of_round_at_the_start_of_a_title_is_not_the_company(nlu: NLU) -> None:
    found = nlu.tagger.extract("Technical round coming up with Citadel", NOW, NY)
    assert found.company == "Citadel"


def test_out_of_scope_dev_set_is_recognised(nlu: NLU) -> None:
    """Other assistants' requests and near-domain job search: at least 93% `fallback` (dev set)."""
    rows = _rows("oos.jsonl")
    recognised = sum(nlu.parse(r["text"], datetime.fromisoformat(r["now"]), r["tz"]).intent == "fallback" for r in rows)
    assert recognised / len(rows) >= 0.93


def test_job_seekers_dev_questions_stay_in_scope_and_right(nlu: NLU) -> None:
    rows = _rows("jobseeker.jsonl")
    right = sum(nlu.parse(r["text"], datetime.fromisoformat(r["now"]), r["tz"]).intent == r["intent"] for r in rows)
    assert right / len(rows) >= 0.90


def test_requests_about_other_apps_data_change_nothing(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    me.say("note: ask about the team")
    for text in (
        "cancel my netflix subscription",
        "delete my spotify playlist",
        "move my pilates class to wednesday",
        "add oat milk to the shopping list",
        "unsubscribe me from the gym newsletter",
    ):
        reply = me.say(text)
        assert "outside what I can help with" in reply.text, text
    assert interviews(bot) == [("Acme", "2026-03-06T15:00", "scheduled")]
    assert notes(bot) == ["ask about the team"]
