"""The new intents (set_reminder, draft_thank_you, add_to_calendar) on their held-out dev set."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bot.knowledge.library import default_dir
from bot.nlu import NLU
from bot.nlu.training import load_examples

DEV = Path(__file__).parent / "data" / "nlu_dev_after.jsonl"


def _rows() -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]


def test_the_new_intents_are_understood_on_messages_never_trained_on(nlu: NLU) -> None:
    rows = _rows()
    right = sum(nlu.parse(r["text"], datetime.fromisoformat(r["now"]), r["tz"]).intent == r["intent"] for r in rows)
    assert {r["intent"] for r in rows} >= {"set_reminder", "draft_thank_you", "add_to_calendar"}
    assert right / len(rows) >= 0.92


def test_the_dev_set_is_held_out() -> None:
    train = {e.text.strip().lower() for e in load_examples(default_dir() / "nlu" / "intents")}
    assert sorted(train & {r["text"].strip().lower() for r in _rows()}) == []


def test_each_new_intent_has_a_hundred_varied_examples() -> None:
    by_intent: dict[str, list[str]] = {}
    for e in load_examples(default_dir() / "nlu" / "intents"):
        by_intent.setdefault(e.intent, []).append(e.text)
    for intent in ("set_reminder", "draft_thank_you", "add_to_calendar"):
        texts = by_intent[intent]
        assert len(set(texts)) >= 100, intent
