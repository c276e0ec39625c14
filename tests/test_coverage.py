"""Walks docs/knowledge-coverage.md: every point of the five articles is reached by a natural question,
as the first or second bullet of the first reply in a fresh conversation."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import BotHarness
from tests.test_advice import ids_shown

TABLE = Path(__file__).resolve().parents[1] / "docs" / "knowledge-coverage.md"


def rows() -> list[tuple[str, str, list[str], list[str]]]:
    out = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\| \d{3}-", line):
            point, article, _, questions, items, _ = (c.strip() for c in line.strip().strip("|").split("|"))
            out.append(
                (point, article, [q.strip() for q in questions.split(" / ")], [i.strip() for i in items.split(",")])
            )
    return out


def test_the_table_matches_the_knowledge_base(knowledge) -> None:
    table = rows()
    points = {p for p, *_ in table}
    assert len(points) == len(table)
    assert {item.point for _, item in knowledge.items()} == points  # every item's point is listed
    for point, article, questions, items in table:
        assert questions and items
        first = knowledge.item(items[0])
        assert first is not None and first.point == point and first.source.startswith(article), point
        assert all(knowledge.item(i) is not None for i in items), point


def test_every_point_is_reached_by_a_natural_question(bot: BotHarness, knowledge) -> None:
    unreached = []
    for n, (point, _, questions, items) in enumerate(rows()):
        reached = False
        for m, question in enumerate(questions):
            first_two = ids_shown(knowledge, bot.chat(f"s{n}-{m}").say(question).text)[:2]
            reached = reached or bool(set(items) & set(first_two))
        if not reached:
            unreached.append(point)
    assert unreached == []


def test_the_example_questions_are_not_stored_with_the_items(knowledge) -> None:
    """The walk above only means something if the table's questions are new to the ranking."""
    stored = {q.lower().strip(" ?") for _, item in knowledge.items() for q in item.questions}
    copied = [q for *_, questions, _ in rows() for q in questions if q.lower().strip(" ?") in stored]
    assert copied == []


def test_stored_questions_are_not_paraphrases_of_evaluation_questions(knowledge) -> None:
    """Stored phrasings stay below 0.6 word overlap (Jaccard) with the own sets (ranking_own, ranking_own2), dev
    and coverage-table questions, so those sets measure wording the ranking has not stored (docs/ranking.md)."""
    import json

    from tests.data.dev.check_ranking import jaccard, words

    data = TABLE.parents[1] / "tests" / "data"
    asked = [
        json.loads(line)["text"]
        for name in ("ranking_own.jsonl", "ranking_own2.jsonl", "dev/ranking.jsonl")
        for line in (data / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    asked += [q for *_, questions, _ in rows() for q in questions]
    held = [words(q) for q in asked]
    stored = [q for _, item in knowledge.items() for q in item.questions]
    close = [q for q in stored if any(jaccard(words(q), h) >= 0.6 for h in held)]
    assert close == []
