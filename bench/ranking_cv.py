"""Cross-validation of the ranking over the stored questions: how well it reaches items from unseen wording.

Usage: python -m bench.ranking_cv [--folds K] [--weak N] [--base REF]

The stored questions (``questions:`` in ``knowledge/topics``) are split into K folds, each item's
phrasings spread over all of them. For each fold, the ranking index is built without that fold's
phrasings and each of them is asked as the first question of a conversation (facts read from its own
words, as ``bench/ranking_eval`` does); it passes top-1 when its item (or another item making the same
article point) is the first bullet, top-2 when it is among the first two. Prints the aggregate and the
items reached least often from their held-out phrasings: the ones whose wording needs variety most.
Uses no evaluation set (dev and blind stay held out).

With ``--base REF`` (a git commit, e.g. ``main``) only the phrasings the items already had at REF are asked;
phrasings added since stay in every fold's index. Adding phrasings changes the set the plain run asks, so
its figures before and after are not comparable; this run asks the same questions before and after, and
says whether the new phrasings help the ranking reach wording it has not stored.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bench.ranking_eval import NOW, facts_for
from bot.coaching import advice
from bot.coaching.handlers.coaching import _priors
from bot.knowledge.library import Knowledge, load_knowledge
from bot.nlu import NLU


def base_questions(ref: str) -> dict[str, set[str]]:
    """Each item's stored phrasings at git commit ``ref`` (item id → questions)."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout

    out: dict[str, set[str]] = {}
    for name in git("ls-tree", "--name-only", ref, "knowledge/topics/").split():
        if name.endswith(".yaml"):
            for item in yaml.safe_load(git("show", f"{ref}:{name}")).get("items", []):
                out[item["id"]] = set(item.get("questions", []))
    return out


def without(
    knowledge: Knowledge, fold: int, folds: int, base: dict[str, set[str]] | None = None
) -> tuple[Knowledge, list[tuple[str, str]]]:
    """The knowledge base without fold ``fold`` of each item's phrasings, and those (question, item id).

    With ``base``, only an item's phrasings listed there are held out; the others stay in the index."""
    held: list[tuple[str, str]] = []
    topics = {}
    for name, topic in knowledge.topics.items():
        items = []
        for item in topic.items:
            old = base.get(item.id, set()) if base is not None else set(item.questions)
            asked = {q for n, q in enumerate(item.questions) if n % folds == fold and q in old}
            keep = tuple(q for q in item.questions if q not in asked)
            held += [(q, item.id) for q in item.questions if q in asked]
            items.append(item.model_copy(update={"questions": keep}))
        topics[name] = topic.model_copy(update={"items": tuple(items)})
    return replace(knowledge, topics=topics), held


def run(
    knowledge: Knowledge, nlu: NLU, folds: int, base: dict[str, set[str]] | None = None
) -> tuple[float, float, Counter[str], Counter[str]]:
    """(top-1, top-2, misses by item, questions by item) over every fold."""
    points = {item.id: item.point for _, item in knowledge.items()}
    top1 = top2 = n = 0
    misses: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    parses: dict[str, Any] = {}
    for fold in range(folds):
        part, held = without(knowledge, fold, folds, base)
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
    parser.add_argument("--base", help="ask only the phrasings stored at this git commit (e.g. main)")
    args = parser.parse_args()
    knowledge = load_knowledge()
    nlu = NLU.load()
    base = base_questions(args.base) if args.base else None
    top1, top2, misses, asked = run(knowledge, nlu, args.folds, base)
    which = f"the {args.base} phrasings of the" if args.base else "the"
    print(
        f"{args.folds}-fold over {sum(asked.values())} of {which} stored questions: top-1 {top1:.1%}  top-2 {top2:.1%}"
    )
    rates = {i: misses[i] / asked[i] for i in asked}
    print(f"items: median miss rate {statistics.median(rates.values()):.0%}")
    for item_id, rate in sorted(rates.items(), key=lambda kv: -kv[1])[: args.weak]:
        print(f"  {rate:4.0%}  {item_id} ({misses[item_id]}/{asked[item_id]})")


if __name__ == "__main__":
    main()
