"""Cross-validation of the ranking over the stored questions: how well it reaches items from unseen wording.

Usage: python -m bench.ranking_cv [--folds K] [--weak N]

The stored questions (``questions:`` in ``knowledge/topics``) are split into K folds, each item's
phrasings spread over all of them. For each fold, the ranking index is built without that fold's
phrasings and each of them is asked as the first question of a conversation (facts read from its own
words, as ``bench/ranking_eval`` does); it passes top-1 when its item (or another item making the same
article point) is the first bullet, top-2 when it is among the first two. Prints the aggregate and the
items reached least often from their held-out phrasings: the ones whose wording needs variety most.
Uses no evaluation set (dev and blind stay held out).
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from dataclasses import replace
from typing import Any

from bench.ranking_eval import NOW, facts_for
from bot.coaching import advice
from bot.coaching.handlers.coaching import _priors
from bot.knowledge.library import Knowledge, load_knowledge
from bot.nlu import NLU


def without(knowledge: Knowledge, fold: int, folds: int) -> tuple[Knowledge, list[tuple[str, str]]]:
    """The knowledge base without fold ``fold`` of each item's phrasings, and those (question, item id)."""
    held: list[tuple[str, str]] = []
    topics = {}
    for name, topic in knowledge.topics.items():
        items = []
        for item in topic.items:
            keep = tuple(q for n, q in enumerate(item.questions) if n % folds != fold)
            held += [(q, item.id) for n, q in enumerate(item.questions) if n % folds == fold]
            items.append(item.model_copy(update={"questions": keep}))
        topics[name] = topic.model_copy(update={"items": tuple(items)})
    return replace(knowledge, topics=topics), held


def run(knowledge: Knowledge, nlu: NLU, folds: int) -> tuple[float, float, Counter[str], Counter[str]]:
    """(top-1, top-2, misses by item, questions by item) over every fold."""
    points = {item.id: item.point for _, item in knowledge.items()}
    top1 = top2 = n = 0
    misses: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    parses: dict[str, Any] = {}
    for fold in range(folds):
        part, held = without(knowledge, fold, folds)
        for text, item_id in held:
            parse = parses.get(text) or parses.setdefault(text, nlu.parse(text, NOW, "UTC"))
            facts = facts_for(part, text, {})
            picked = [s.item for s in advice.choose(advice.rank(part, facts, text, _priors(parse)))]
            good = [p.id == item_id or p.point == points[item_id] for p in picked]
            n += 1
            asked[item_id] += 1
            top1 += bool(good[:1]) and good[0]
            top2 += any(good[:2])
            if not any(good[:2]):
                misses[item_id] += 1
    return top1 / max(n, 1), top2 / max(n, 1), misses, asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--weak", type=int, default=25, help="how many of the least reached items to list")
    args = parser.parse_args()
    knowledge = load_knowledge()
    nlu = NLU.load()
    top1, top2, misses, asked = run(knowledge, nlu, args.folds)
    print(f"{args.folds}-fold over {sum(asked.values())} stored questions: top-1 {top1:.1%}  top-2 {top2:.1%}")
    rates = {i: misses[i] / asked[i] for i in asked}
    print(f"items: median miss rate {statistics.median(rates.values()):.0%}")
    for item_id, rate in sorted(rates.items(), key=lambda kv: -kv[1])[: args.weak]:
        print(f"  {rate:4.0%}  {item_id} ({misses[item_id]}/{asked[item_id]})")


if __name__ == "__main__":
    main()
