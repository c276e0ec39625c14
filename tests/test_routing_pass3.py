"""Routing pass 3 (issue 9): coaching questions asked inside a conversation (after a fact, an interview on file, an
ending) reach the coach instead of a look-up, a reminder or the out-of-scope reply; requests stay requests."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.coaching.handlers.interviews.listing import _ASK_DEADLINE
from tests.conftest import BotHarness
from tests.data.dev.check_ranking import jaccard, words
from tests.test_advice import ids_shown

DATA = Path(__file__).resolve().parent / "data"
OUT_OF_SCOPE = "outside what I can help with"


def test_after_withdrawing_a_short_question_on_leaving_well_gets_the_ending_s_advice(
    bot: BotHarness, knowledge
) -> None:
    chat = bot.chat()
    chat.say("i withdrew from the process after round two")
    r = chat.say("how do i leave things on good terms?")
    assert OUT_OF_SCOPE not in r.text
    assert {"outcome-rejected-door-open", "outcome-withdrawn"} & set(ids_shown(knowledge, r.text)[:2])


def test_after_withdrawing_an_unrelated_question_stays_out_of_scope(bot: BotHarness, knowledge) -> None:
    chat = bot.chat()
    chat.say("i withdrew from the process after round two")
    r = chat.say("how do i fix a flat bike tyre?")
    assert OUT_OF_SCOPE in r.text
    assert ids_shown(knowledge, r.text) == []


def test_after_accepting_a_question_on_loose_ends_gets_the_acceptance_advice(bot: BotHarness, knowledge) -> None:
    chat = bot.chat()
    chat.say("I accepted their offer on monday")
    r = chat.say("is there still something to do with the HR person?")
    assert ids_shown(knowledge, r.text)[:1] == ["outcome-accepted"]
    assert "no upcoming interviews" not in r.text


def test_a_panel_question_read_as_a_list_request_is_answered_not_taken_for_a_deadline(
    bot: BotHarness, knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = bot.chat()
    chat.say("round two is a panel of five on thursday")
    text = "where do i look when i answer them?"
    nlu = bot.app.coach.nlu
    real = nlu.parse

    def parse(said, now, tz):  # type: ignore[no-untyped-def]
        p = real(said, now, tz)
        return replace(p, intent="list_interviews", confidence=0.6) if said == text else p

    monkeypatch.setattr(nlu, "parse", parse)
    r = chat.say(text)
    assert "offer deadline" not in r.text
    assert ids_shown(knowledge, r.text)[:1] == ["interviewers-panel-meet-people"]


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("where do i look when i answer?", False),
        ("what do i say when they ask about money", False),
        ("when do i need to answer the offer?", True),
        ("by when do they want my reply", True),
        ("what's my deadline", True),
    ],
)
def test_when_opening_a_clause_is_not_a_deadline_question(text: str, deadline: bool) -> None:
    assert bool(_ASK_DEADLINE.search(text)) is deadline


def test_remind_me_how_with_no_time_is_a_coaching_question(bot: BotHarness, knowledge) -> None:
    chat = bot.chat()
    chat.say("round two is a panel of five on thursday")
    r = chat.say("remind me how to handle a salary question")
    assert "When should I remind you" not in r.text
    assert ids_shown(knowledge, r.text)[:1] == ["salary-give-range"]


def test_a_reminder_with_a_time_or_an_event_is_still_a_reminder(bot: BotHarness, knowledge) -> None:
    chat = bot.chat()
    chat.say("second interview with Acme on friday at 3pm")
    r = chat.say("remind me tomorrow at 9 to email Sarah")
    assert "I'll remind you" in r.text and ids_shown(knowledge, r.text) == []
    r = chat.say("remind me what to bring the day before")
    assert "I'll remind you" in r.text and ids_shown(knowledge, r.text) == []


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_fourth_own_dialog_set_names_known_items(knowledge) -> None:
    rows = _rows(DATA / "coaching_dialogs_own4.jsonl")
    assert len(rows) >= 30
    assert all(len(r["turns"]) >= 2 for r in rows)
    named = [i for r in rows for i in r["expect_any"] + r["forbid"]]
    assert [i for i in named if knowledge.item(i) is None] == []


def test_pass_3_examples_repeat_no_evaluation_question() -> None:
    import yaml

    asked = [
        t
        for path in [*DATA.glob("*.jsonl"), *(DATA / "dev").glob("*.jsonl")]
        for r in _rows(path)
        for t in ([r["text"]] if isinstance(r.get("text"), str) else []) + list(r.get("turns") or [])
        if isinstance(t, str)
    ]
    asked_words = [words(t) for t in asked]
    examples = [
        e
        for path in sorted((Path(__file__).resolve().parents[1] / "knowledge/nlu/intents/routing3").glob("*.yaml"))
        for e in yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]
    ]
    assert len(examples) >= 60
    close = [e for e in examples if any(jaccard(words(e), w) >= 0.55 for w in asked_words)]
    assert close == []
