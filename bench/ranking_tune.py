"""Choose the ranking weights of :mod:`bot.coaching.advice` by coordinate search on the labelled training sets.

Usage: python -m bench.ranking_tune [--rounds N] [--cv K] [FILE ...]
(default: tests/data/ranking_own.jsonl and tests/data/dev/ranking.jsonl; blind files are refused)
``--cv K`` adds the stored questions, each asked of an index built without its fold (see
``bench/ranking_cv.py``): thousands of phrasings the ranking has not seen, and no evaluation set. Pass
only the own set as FILE to keep dev held out.

Every question is parsed once; then each weight in turn is scaled up and down while the objective
(share of questions whose best item is the first bullet, plus half the share where it is among the
first two) improves. Prints the weights found, to be copied into bot/coaching/advice.py by hand: the bot never
reads this script's output at run time.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.ranking_cv import without
from bench.ranking_eval import NOW, ROOT, facts_for
from bot.coaching import advice
from bot.coaching.handlers.coaching import _priors
from bot.knowledge.library import Knowledge, load_knowledge
from bot.nlu import NLU

DEFAULT = [ROOT / "tests/data/ranking_own.jsonl", ROOT / "tests/data/dev/ranking.jsonl"]
KNOBS = (
    "MATCH_SCALE",
    "FIT_STRICT",
    "FIT_SLOT",
    "W_TOPIC",
    "W_COVER",
    "FIT_BONUS",
    "FIT_TOLD",
    "GUESS_PENALTY",
    "POSITION_PENALTY",
    "DOC:question",
    "DOC:meta",
    "DOC:text",
    "DOC:whole",
    "DOC:chars",
    "SAME_TOPIC",
    "FOLLOW_MATCH",
    "FOLLOW_POSITION",
)

MATCH_KNOBS = tuple(
    k for k in KNOBS if k.startswith("DOC:") or k in ("MATCH_SCALE", "W_TOPIC", "W_COVER", "POSITION_PENALTY")
)


def _get(knob: str) -> float:
    if knob.startswith("DOC:"):
        return advice.DOC_WEIGHTS[knob[4:]]
    return float(getattr(advice, knob))


def _set(knob: str, value: float) -> None:
    if knob.startswith("DOC:"):
        advice.DOC_WEIGHTS[knob[4:]] = value
    else:
        setattr(advice, knob, value)


def objective(knowledge: Knowledge, cases: list[tuple[Any, ...]]) -> tuple[float, float, float]:
    """(objective, top-1, top-2) over the cases."""
    top1 = top2 = 0
    for text, facts, priors, good, *held in cases:
        picked = [s.item.id for s in advice.choose(advice.rank(held[0] if held else knowledge, facts, text, priors))]
        top1 += bool(picked) and picked[0] in good
        top2 += bool(good & set(picked[:2]))
    n = max(len(cases), 1)
    return (top1 + 0.5 * top2) / n, top1 / n, top2 / n


def _cache_parts() -> None:
    """Match each question once: the per-field matches do not depend on the weights searched here."""
    plain = advice.Index.parts
    memo: dict[tuple[int, str], Any] = {}

    def parts(self: advice.Index, text: str) -> Any:
        key = (id(self), text)
        if key not in memo:
            memo[key] = plain(self, text)
        return memo[key]

    advice.Index.parts = parts  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--match-only", action="store_true", help="only the match's weights (the dialogs need the situation's)"
    )
    parser.add_argument("--cv", type=int, default=0, help="add the stored questions, K-fold (0: not)")
    args = parser.parse_args()
    files = args.files or DEFAULT
    if any("blind" in p.resolve().parts for p in files):
        raise SystemExit("never tune on the blind set")
    knowledge = load_knowledge()
    nlu = NLU.load()
    _cache_parts()
    cases = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and (rec := json.loads(line))["best"] is not None:
                parse = nlu.parse(rec["text"], NOW, "UTC")
                facts = facts_for(knowledge, rec["text"], rec.get("facts") or {})
                cases.append((rec["text"], facts, _priors(parse), {rec["best"], *rec.get("also", [])}))
    if args.cv:
        same_point: dict[str, set[str]] = {}
        for _, item in knowledge.items():
            same_point.setdefault(item.point, set()).add(item.id)
        for fold in range(args.cv):
            part, held = without(knowledge, fold, args.cv)
            for text, item_id in held:
                parse = nlu.parse(text, NOW, "UTC")
                point = knowledge.item(item_id).point  # type: ignore[union-attr]
                cases.append((text, facts_for(part, text, {}), _priors(parse), same_point[point], part))
    best = objective(knowledge, cases)
    print(f"start: objective {best[0]:.3f}  top-1 {best[1]:.1%}  top-2 {best[2]:.1%}")
    for _ in range(args.rounds):
        improved = False
        for knob in MATCH_KNOBS if args.match_only else KNOBS:
            for factor in (0.5, 0.75, 1.33, 2.0, None):
                old = _get(knob)
                new = (0.1 if old == 0 else old * factor) if factor is not None else 0.0
                if new == old or (new == 0 and knob == "MATCH_SCALE"):
                    continue
                _set(knob, new)
                score = objective(knowledge, cases)
                if score[0] > best[0] + 1e-9:
                    best, improved = score, True
                    print(
                        f"  {knob} {old:.3f} -> {new:.3f}: {score[0]:.3f}  top-1 {score[1]:.1%}  top-2 {score[2]:.1%}"
                    )
                else:
                    _set(knob, old)
        if not improved:
            break
    print("weights:", {k: round(_get(k), 3) for k in KNOBS})


if __name__ == "__main__":
    main()
