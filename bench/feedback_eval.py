"""Accuracy of the practice-feedback analyzer (issue 15): per-part precision, recall, F1 and latency.

    .venv/bin/python -m bench.feedback_eval                      # dev + blind answers.jsonl
    .venv/bin/python -m bench.feedback_eval tests/data/dev/answers.jsonl --errors   # dev mistakes

Every answer goes through ``bot.feedback.analyze`` (what `secondround feedback` prints). Parts:
situation, task, action, result, quantified (binary, positive class) and ownership (per class and
macro F1). For any file under tests/data/blind/ only aggregate figures are printed, never an answer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from bot.feedback import analyze
from bot.feedback.data import LabelledAnswer, read_jsonl, read_tagged
from bot.feedback.model import model_path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "tests/data/dev/answers.jsonl", ROOT / "tests/data/blind/answers.jsonl"]
BINARY = ("situation", "task", "action", "result", "quantified")
OWNERS = ("i", "we", "mixed", "none")


def is_blind(path: Path) -> bool:
    """Files under a blind/ folder are never shown answer by answer."""
    return "blind" in path.resolve().parts


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def predict(row: LabelledAnswer) -> tuple[dict, float]:
    t0 = time.perf_counter()
    out = analyze(row.question, row.answer).to_dict()
    elapsed = time.perf_counter() - t0
    labels = {**out["star"], "quantified": out["quantified"], "ownership": out["ownership"]}
    return labels, elapsed


def score(rows: list[LabelledAnswer]) -> tuple[dict[str, tuple[float, float, float, int]], list, list[float]]:
    preds, times = [], []
    for row in rows:
        p, t = predict(row)
        preds.append(p)
        times.append(t)
    table: dict[str, tuple[float, float, float, int]] = {}
    for part in BINARY:
        tp = sum(1 for r, p in zip(rows, preds, strict=True) if r.labels[part] and p[part])
        fp = sum(1 for r, p in zip(rows, preds, strict=True) if not r.labels[part] and p[part])
        fn = sum(1 for r, p in zip(rows, preds, strict=True) if r.labels[part] and not p[part])
        table[part] = (*prf(tp, fp, fn), tp + fn)
    f1s = []
    for cls in OWNERS:
        tp = sum(1 for r, p in zip(rows, preds, strict=True) if r.labels["ownership"] == cls == p["ownership"])
        fp = sum(1 for r, p in zip(rows, preds, strict=True) if r.labels["ownership"] != cls == p["ownership"])
        fn = sum(1 for r, p in zip(rows, preds, strict=True) if r.labels["ownership"] == cls != p["ownership"])
        table[f"ownership={cls}"] = (*prf(tp, fp, fn), tp + fn)
        f1s.append(table[f"ownership={cls}"][2])
    acc = sum(r.labels["ownership"] == p["ownership"] for r, p in zip(rows, preds, strict=True)) / max(len(rows), 1)
    table["ownership (macro)"] = (float("nan"), float("nan"), statistics.mean(f1s), len(rows))
    table["ownership (accuracy)"] = (float("nan"), float("nan"), acc, len(rows))
    return table, preds, times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="practice feedback accuracy")
    parser.add_argument("files", nargs="*", type=Path, help="answers.jsonl files (or the tagged training file)")
    parser.add_argument("--errors", action="store_true", help="list wrong answers (never for blind files)")
    args = parser.parse_args(argv)
    files = args.files or [p for p in DEFAULT if p.exists()]
    t0 = time.perf_counter()
    analyze("Tell me about a time you led a project.", "I set up weekly check-ins.")  # loads the model
    print(f"first call (loads {model_path().name}, {model_path().stat().st_size // 1024} KiB): "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    worst = 1.0
    for path in files:
        blind = is_blind(path)
        rows = read_tagged(path) if path.suffix == ".txt" else read_jsonl(path)
        table, preds, times = score(rows)
        name = f"{path.parent.name}/{path.name}"
        print(f"\n{name}: {len(rows)} answers" + (" (blind: aggregates only)" if blind else ""))
        print(f"  {'part':22} {'P':>6} {'R':>6} {'F1':>6} {'gold+':>6}")
        for part, (p, r, f, n) in table.items():
            ps = "" if p != p else f"{p:6.3f}"  # NaN for macro rows
            rs = "" if r != r else f"{r:6.3f}"
            print(f"  {part:22} {ps:>6} {rs:>6} {f:6.3f} {n:6d}")
            if part in BINARY or part == "ownership (macro)":
                worst = min(worst, f)
        ms = sorted(t * 1000 for t in times)
        p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
        print(f"  latency per answer: median {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms")
        if args.errors and blind:
            print("  (--errors is never applied to a blind file)")
        if args.errors and not blind:
            for row, pred in zip(rows, preds, strict=True):
                wrong = [k for k in (*BINARY, "ownership") if row.labels[k] != pred[k]]
                if wrong:
                    print(f"  ✗ {','.join(f'{k}:{row.labels[k]}→{pred[k]}' for k in wrong)} | {row.answer[:300]}")
    print(f"\nlowest F1 over parts and files: {worst:.3f} (target 0.85)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
