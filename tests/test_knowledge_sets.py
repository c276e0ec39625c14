"""The labelled question sets the ranking is measured on (docs/ranking.md) stay usable as held-out sets:
every label names an item of the knowledge base, the second own set reaches every topic and every article
point, and its questions are new wording, not paraphrases of the other evaluation sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.data.dev.check_ranking import jaccard, words
from tests.test_coverage import rows

DATA = Path(__file__).resolve().parent / "data"
SETS = ("ranking_own.jsonl", "ranking_own2.jsonl")


def records(name: str) -> list[dict]:
    """The rows of one labelled set under tests/data."""
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("name", SETS)
def test_every_label_is_an_item_of_the_knowledge_base(knowledge, name: str) -> None:
    unknown = [i for r in records(name) for i in (r["best"], *r.get("also", [])) if knowledge.item(i) is None]
    assert unknown == []


def test_the_second_own_set_asks_about_every_topic_and_every_point(knowledge) -> None:
    best = [knowledge.item(r["best"]) for r in records("ranking_own2.jsonl")]
    assert len(best) >= 120
    topics = {name for name, topic in knowledge.topics.items() for item in topic.items if item in best}
    assert topics == set(knowledge.topics)
    assert {item.point for item in best if item is not None} == {point for point, *_ in rows()}


def test_the_second_own_set_is_new_wording() -> None:
    """Its questions were written apart from the own, dev and coverage-table questions (overlap below 0.6)."""
    others = [r["text"] for name in ("ranking_own.jsonl", "dev/ranking.jsonl") for r in records(name)]
    others += [q for *_, questions, _ in rows() for q in questions]
    held = [words(q) for q in others]
    texts = [r["text"] for r in records("ranking_own2.jsonl")]
    assert len({t.lower() for t in texts}) == len(texts)
    assert [t for t in texts if any(jaccard(words(t), h) >= 0.6 for h in held)] == []
