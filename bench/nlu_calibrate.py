"""Choose the scope threshold and the ACT / ANSWER confidences on the dev sets (never the blind ones).

Usage: python bench/nlu_calibrate.py [--errors]

Trains the intent and scope models from knowledge/nlu (scikit-learn needed), then on the dev sets
(tests/data/dev/oos.jsonl, tests/data/dev/jobseeker.jsonl, tests/data/nlu_dev.jsonl,
tests/data/nlu_dev2.jsonl) prints, for a grid of scope thresholds, the out-of-scope recall and the
in-scope accuracy; then, at the chosen threshold, how the confidence of action intents separates
right from wrong guesses (for ACT) and coaching intents (for ANSWER). See docs/nlu-scope.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from bot.knowledge.library import default_dir
from bot.nlu.intents import FALLBACK
from bot.nlu.train import SCOPE_KEEP, SCOPE_THRESHOLD, train_served
from bot.nlu.training import load_examples

ROOT = Path(__file__).resolve().parent.parent
DEV = {
    "oos": ROOT / "tests/data/dev/oos.jsonl",
    "jobseeker": ROOT / "tests/data/dev/jobseeker.jsonl",
    "nlu_dev": ROOT / "tests/data/nlu_dev.jsonl",
    "nlu_dev2": ROOT / "tests/data/nlu_dev2.jsonl",
}
ACTIONS = {"forget_me", "cancel_interview", "add_note", "schedule_interview", "thank_you_sent", "report_outcome"}
COACHING = {
    "expectations", "interviewers", "informal_setting", "offer", "salary", "preparation",
    "questions_to_ask", "presentation", "selling_yourself", "company_fit", "follow_up", "nerves",
}


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str]) -> None:
    examples = load_examples(default_dir() / "nlu" / "intents")
    model = train_served([e.text for e in examples], [e.intent for e in examples])
    sets = {name: rows(path) for name, path in DEV.items()}
    # raw parts for every dev message: best intent, its confidence, scope probability
    raw: dict[str, list[tuple[str, float, float, str, str]]] = {}
    for name, data in sets.items():
        out = []
        for row in data:
            cols, vals = model.features(row["text"])
            margins = vals @ model.coef[cols] + model.intercept
            exp = np.exp((margins - margins.max()) * 4.0)
            probs = exp / exp.sum()
            best = int(np.argmax(probs))
            p_in = model.scope_probability(row["text"])
            out.append((model.labels[best], float(probs[best]), p_in, row["intent"], row["text"]))
        raw[name] = out

    def decide(b: str, c: float, p: float, threshold: float, keep: float) -> str:
        return FALLBACK if (b != FALLBACK and p < threshold and c < keep) else b

    def acc(name: str, threshold: float, keep: float) -> float:
        data = raw[name]
        return sum(decide(b, c, p, threshold, keep) == want for b, c, p, want, _ in data) / len(data)

    print("scope threshold, keep:  " + "  ".join(f"{n:>9s}" for n in raw))
    for t in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        for k in (0.5, 0.6, 0.7, 0.8, 1.01):
            print(f"  {t:4.2f} {k:4.2f}             " + "  ".join(f"{acc(n, t, k):9.1%}" for n in raw))

    t, k = SCOPE_THRESHOLD, SCOPE_KEEP
    print(f"\nat the shipped scope threshold {t} (kept at intent confidence {k}):")
    decided = [(decide(b, c, p, t, k), c, want, text) for data in raw.values() for b, c, p, want, text in data]
    for label, group in (("action", ACTIONS), ("coaching", COACHING)):
        right = sorted(c for got, c, want, _ in decided if got in group and got == want)
        wrong = sorted(c for got, c, want, _ in decided if got in group and got != want)
        print(f"  {label} intents guessed: {len(right)} right, {len(wrong)} wrong")
        for cut in (0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8):
            kept_right = sum(c >= cut for c in right) / max(len(right), 1)
            kept_wrong = sum(c >= cut for c in wrong)
            print(f"    confidence >= {cut:4.2f}: {kept_right:6.1%} of right kept, {kept_wrong} wrong still above")
    if "--errors" in argv:
        for name, data in raw.items():
            for b, c, p, want, text in data:
                got = decide(b, c, p, t, k)
                if got != want:
                    print(f"{name}: {want} -> {got} ({b} {c:.2f}, in-scope {p:.2f}): {text}")


if __name__ == "__main__":
    main(sys.argv[1:])
