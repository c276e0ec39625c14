"""The third own sets (tests/data/e2e_own3.jsonl, tests/data/oos_own3.jsonl) stay usable as held-out sets for
routing (issue 9): written from the seed articles before the routing was tuned, every label names an item of the
knowledge base or a known fact, they reach every topic, and no training example of the intent classifier or
stored phrasing of the ranking repeats one of their messages."""

from __future__ import annotations

import json
from pathlib import Path

from tests.data.dev.check_ranking import jaccard, words

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_label_of_the_third_own_set_is_an_item_or_a_fact(knowledge) -> None:
    rows = _rows("e2e_own3.jsonl")
    assert len(rows) >= 120
    unknown = [i for r in rows for i in ([r["best"]] if r["best"] else []) + r["also"] if knowledge.item(i) is None]
    assert unknown == []
    assert sum(r["best"] is None for r in rows) >= 3
    facts = [(k, v) for r in rows for k, v in (r.get("facts") or {}).items()]
    assert facts and all(v in {fv.key for fv in knowledge.facts[k].values} for k, v in facts)
    best = {knowledge.item(r["best"]) for r in rows if r["best"]}
    topics = {name for name, topic in knowledge.topics.items() for item in topic.items if item in best}
    assert topics == set(knowledge.topics)


def test_no_training_example_or_stored_phrasing_repeats_a_held_out_message(knowledge) -> None:
    from bot.knowledge.library import default_dir
    from bot.nlu.training import load_examples

    held = [r["text"] for name in ("e2e_own3.jsonl", "oos_own3.jsonl") for r in _rows(name)]
    assert len(_rows("oos_own3.jsonl")) >= 50
    train = [e.text for e in load_examples(default_dir() / "nlu" / "intents")]
    stored = [q for _, item in knowledge.items() for q in item.questions]
    held_words = [words(t) for t in held]
    close = [t for t in train + stored if any(jaccard(words(t), h) >= 0.8 for h in held_words)]
    assert close == []
