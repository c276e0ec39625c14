"""Per-message intent classification time: scikit-learn's pipeline (before) and the served arrays (after).

Usage: python bench/nlu_speed.py [--rounds N]

Both run over the same messages (the dev sets), in the same process, interleaved round by round, each
timed in thread CPU time per message. "before" is what the bot did until issue 12: the two fitted
TfidfVectorizers' ``transform``, a scipy ``hstack`` and the product with the SVM's coefficients.
"after" is :meth:`bot.nlu.intents.IntentModel.ranked` on the shipped model (features, intent margins,
the scope model). Also printed: a whole ``NLU.parse`` (intent + entities + dates). Needs scikit-learn.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy import sparse

from bot.knowledge.library import default_dir
from bot.nlu import INTENT_FILE, MODEL_DIR, NLU
from bot.nlu.intents import IntentModel, normalise
from bot.nlu.train import fit
from bot.nlu.training import load_examples

ROOT = Path(__file__).resolve().parent.parent
FILES = ["tests/data/nlu_dev.jsonl", "tests/data/dev/oos.jsonl", "tests/data/dev/jobseeker.jsonl"]


def timed(fn: Callable[[str], object], texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        start = time.thread_time_ns()
        fn(text)
        out.append((time.thread_time_ns() - start) / 1e6)
    return out


def summary(ms: list[float]) -> str:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"median {statistics.median(ordered):.3f} ms   p99 {p99:.3f} ms"


def main(argv: list[str]) -> None:
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    texts = [json.loads(line)["text"] for f in FILES for line in (ROOT / f).read_text().splitlines() if line.strip()]
    examples = load_examples(default_dir() / "nlu" / "intents")
    trained = fit([e.text for e in examples], [e.intent for e in examples])
    vectorizers = [vec for _, vec in trained.features.transformer_list]
    coef_t = np.ascontiguousarray(trained.svm.coef_.T)
    intercept = trained.svm.intercept_

    def before(text: str) -> list[tuple[str, float]]:  # the pre-issue-12 IntentClassifier.ranked
        x = sparse.hstack([vec.transform([normalise(text)]) for vec in vectorizers], format="csr")
        scores = np.asarray(x @ coef_t).ravel() + intercept
        exp = np.exp((scores - scores.max()) * 4.0)
        probs = exp / exp.sum()
        return [(str(trained.svm.classes_[int(i)]), float(probs[int(i)])) for i in np.argsort(-probs)[:3]]

    served = IntentModel.load(MODEL_DIR / INTENT_FILE)
    nlu = NLU.load()
    now = datetime(2026, 3, 2, 10, 0)
    results: dict[str, list[float]] = {"before (scikit-learn)": [], "after (numpy arrays)": [], "NLU.parse": []}
    for _ in range(rounds):
        results["before (scikit-learn)"] += timed(before, texts)
        results["after (numpy arrays)"] += timed(lambda t: served.ranked(t, 3), texts)
        results["NLU.parse"] += timed(lambda t: nlu.parse(t, now, "America/New_York"), texts)
    print(f"{len(texts)} messages x {rounds} rounds, thread CPU time per message")
    for name, ms in results.items():
        print(f"  {name:24s} {summary(ms)}")


if __name__ == "__main__":
    main(sys.argv[1:])
