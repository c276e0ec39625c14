"""Train the practice-feedback clause classifiers and write knowledge/practice/feedback_model.yaml.

    .venv/bin/python -m bench.train_feedback            # retrain from knowledge/practice/answers_train.txt
    .venv/bin/python -m bench.train_feedback --check    # exit 1 if the shipped weights are stale

scikit-learn is used here only (offline); the bot serves the exported arrays with numpy. Training is
deterministic: fixed folds, a deterministic solver, sorted output, weights rounded to 4 decimals.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from bot.feedback.data import PARTS, LabelledAnswer, file_sha256, read_tagged, training_path
from bot.feedback.features import featurize
from bot.feedback.kinds import question_kind
from bot.feedback.model import model_path

C = 0.5
MIN_COUNT = 2
FOLDS = 5
GRID = [round(x, 2) for x in np.arange(0.2, 0.81, 0.05)]


def clause_rows(rows: list[LabelledAnswer]):
    """Features and per-part labels of every clause; labels come from the tagged spans (a clause takes a
    part when at least half of its characters lie in spans of that part)."""
    feats, labels, owner = [], [], []
    for n, row in enumerate(rows):
        found, fs = featurize(row.answer, question_kind(row.question))
        for clause, f in zip(found, fs, strict=True):
            size = max(clause.end - clause.start, 1)
            lab = []
            for part in PARTS:
                covered = sum(
                    max(0, min(clause.end, b) - max(clause.start, a)) for a, b, parts in row.spans if part in parts
                )
                lab.append(covered / size >= 0.5)
            feats.append(f)
            labels.append(lab)
            owner.append(n)
    return feats, np.array(labels, dtype=bool), np.array(owner)


def fit(feats, labels):
    """One L2 logistic regression per part; returns (names, weights (n, parts), bias (parts,))."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(f for fs in feats for f in fs)
    keep = [{k: v for k, v in fs.items() if counts[k] >= MIN_COUNT} for fs in feats]
    vec = DictVectorizer(sort=True)
    x = vec.fit_transform(keep).tocsr()
    x.indices = x.indices.astype(np.int32)
    x.indptr = x.indptr.astype(np.int32)
    weights, bias = [], []
    for j in range(labels.shape[1]):
        y = labels[:, j]
        clf = LogisticRegression(C=C, solver="liblinear", class_weight="balanced", max_iter=2000, random_state=0)
        clf.fit(x, y)
        weights.append(clf.coef_[0])
        bias.append(clf.intercept_[0])
    return list(vec.get_feature_names_out()), np.array(weights).T, np.array(bias)


def _probs(names, weights, bias, feats):
    vocab = {n: i for i, n in enumerate(names)}
    out = np.zeros((len(feats), weights.shape[1]))
    for r, fs in enumerate(feats):
        idx = [vocab[f] for f in fs if f in vocab]
        vals = np.array([fs[f] for f in fs if f in vocab])
        z = bias + (vals @ weights[idx] if idx else 0.0)
        out[r] = 1 / (1 + np.exp(-z))
    return out


def _f1(pred, gold):
    tp = int(np.sum(pred & gold))
    fp = int(np.sum(pred & ~gold))
    fn = int(np.sum(~pred & gold))
    return 2 * tp / max(2 * tp + fp + fn, 1)


def tune_thresholds(rows, feats, labels, owner):
    """Answer-level thresholds on max clause probability, chosen on out-of-fold predictions."""
    oof = np.zeros(labels.shape)
    for k in range(FOLDS):
        test = owner % FOLDS == k
        names, w, b = fit([f for f, t in zip(feats, test, strict=True) if not t], labels[~test])
        oof[test] = _probs(names, w, b, [f for f, t in zip(feats, test, strict=True) if t])
    thresholds = {}
    for j, part in enumerate(PARTS):
        gold = np.array([bool(r.labels[part]) for r in rows])
        best = max(
            GRID,
            key=lambda t, j=j, gold=gold: (
                _f1(np.array([oof[owner == n, j].max(initial=0.0) >= t for n in range(len(rows))]), gold),
                -abs(t - 0.5),
            ),
        )
        thresholds[part] = float(best)
    return thresholds


def train(path: Path | None = None) -> dict:
    """The model document for the tagged training file at ``path``."""
    path = path or training_path()
    rows = read_tagged(path)
    feats, labels, owner = clause_rows(rows)
    thresholds = tune_thresholds(rows, feats, labels, owner)
    names, weights, bias = fit(feats, labels)
    features = {}
    for name, row in zip(names, weights, strict=True):
        rounded = [round(float(v), 4) for v in row]
        if any(abs(v) >= 1e-4 for v in rounded):
            features[name] = rounded
    return {
        "format": 1,
        "trained_on": {"file": path.name, "sha256": file_sha256(path), "answers": str(len(rows))},
        "parts": list(PARTS),
        "thresholds": thresholds,
        "bias": [round(float(v), 4) for v in bias],
        "features": features,
    }


def dumps(doc: dict) -> str:
    """The file's text (JSON, which is also YAML), one feature a line so diffs stay readable."""
    head = {k: v for k, v in doc.items() if k != "features"}
    lines = [json.dumps(head, sort_keys=True)[:-1] + ', "features": {']
    items = sorted(doc["features"].items())
    for i, (name, ws) in enumerate(items):
        lines.append(f"{json.dumps(name)}: {json.dumps(ws)}{',' if i < len(items) - 1 else ''}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the shipped file is up to date")
    args = parser.parse_args(argv)
    text = dumps(train())
    out = model_path()
    if args.check:
        same = out.exists() and out.read_text(encoding="utf-8") == text
        print("feedback model: up to date" if same else "feedback model: STALE, run python -m bench.train_feedback")
        return 0 if same else 1
    out.write_text(text, encoding="utf-8")
    doc = json.loads(text)
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB, {len(doc['features'])} features, "
          f"thresholds {doc['thresholds']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
