"""Top-1 and top-3 accuracy of the coaching answers' ranking on labelled question → best item sets.

Usage: python -m bench.ranking_eval [--misses] [FILE ...]   (default: tests/data/ranking_own.jsonl,
tests/data/ranking_own2.jsonl and tests/data/dev/ranking.jsonl, each when present; a blind file is evaluated
only when named, so a helper tuning the knowledge base never runs it by accident)

Each line: {"text": question, "best": item_id, "also": [acceptable ids], "facts": {fact: value}}. A question
is asked as the first message of a conversation (nothing shown yet); its reply's bullets are compared with
the labels. top-1: the first bullet is the best item or an acceptable one; top-3: one of the bullets is;
strict top-1: the first bullet is the best item. Only aggregate figures are printed for files under
tests/data/blind/ (those files are never shown). Timing: the added time of ranking one message, median and p99.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

from bot.coaching import advice, situation
from bot.coaching.handlers.coaching import _priors
from bot.knowledge.library import load_knowledge
from bot.nlu import NLU

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [
    ROOT / "tests/data/ranking_own.jsonl",
    ROOT / "tests/data/ranking_own2.jsonl",
    ROOT / "tests/data/dev/ranking.jsonl",
]
NOW = datetime(2026, 3, 2, 10, 0)


def facts_for(knowledge, text: str, given: dict[str, str]) -> situation.Facts:
    """The facts a fresh conversation would have: those the record states, then those in the text."""
    facts = situation.Facts()
    for key in given.values():
        value = knowledge.value(str(key))
        if value is not None:
            facts.values[value.group] = value.key
    for name, found in situation.detect(knowledge, text).items():
        if found.hypothetical and knowledge.facts[name].strict:
            continue
        facts.values[name] = found.value
        facts.told.add(name)
        if found.hypothetical:
            facts.supposed.add(name)
    return facts


def evaluate(path: Path, knowledge, nlu: NLU, *, show: bool) -> tuple[int, int, int, int, list[float]]:
    """(n, top-1, top-3, strict top-1, ranking seconds per message) for one file."""
    n = top1 = top3 = strict = 0
    seconds: list[float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        parse = nlu.parse(rec["text"], NOW, "UTC")
        started = time.perf_counter()
        facts = facts_for(knowledge, rec["text"], rec.get("facts") or {})
        ranking = advice.rank(knowledge, facts, rec["text"], _priors(parse))
        picked = [s.item.id for s in advice.choose(ranking)]
        seconds.append(time.perf_counter() - started)
        good = {rec["best"], *rec.get("also", [])}
        n += 1
        hit1 = bool(picked) and picked[0] in good
        top1 += hit1
        top3 += any(p in good for p in picked)
        strict += bool(picked) and picked[0] == rec["best"]
        if show and not hit1:
            print(f"  miss: {rec['text']!r} → {picked} (want {rec['best']})")
    return n, top1, top3, strict, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--misses", action="store_true", help="list the misses (never for blind files)")
    args = parser.parse_args()
    knowledge = load_knowledge()
    nlu = NLU.load()
    advice.index(knowledge)  # build once, outside the timing
    files = args.files or [p for p in DEFAULT if p.exists()]
    all_seconds: list[float] = []
    for path in files:
        blind = "blind" in path.resolve().parts
        n, top1, top3, strict, seconds = evaluate(path, knowledge, nlu, show=args.misses and not blind)
        all_seconds += seconds
        if n == 0:
            print(f"{path}: empty")
            continue
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: n={n}  top-1 {top1 / n:.1%}  "
            f"top-3 {top3 / n:.1%}  (strict top-1 {strict / n:.1%})"
        )
    if len(all_seconds) >= 2:
        q = statistics.quantiles(all_seconds, n=100)
        print(
            f"ranking time per message: median {statistics.median(all_seconds) * 1000:.2f} ms, "
            f"p99 {q[98] * 1000:.2f} ms (n={len(all_seconds)})"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
