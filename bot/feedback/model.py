"""The trained clause classifiers, served from plain numpy arrays.

Weights are trained by bench/train_feedback.py (scikit-learn, offline) and shipped as
knowledge/practice/feedback_model.yaml. That file is written as JSON, which is also valid YAML, so it
ships with the package's existing ``knowledge/**/*.yaml`` data rule; it is read with the json module.
No scikit-learn or scipy is needed to serve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["MODEL_FILE", "ClauseModel", "load_model", "model_path"]

MODEL_FILE = "feedback_model.yaml"


def model_path() -> Path:
    """Where the shipped weights live (knowledge/practice/feedback_model.yaml)."""
    return Path(str(resources.files("knowledge"))) / "practice" / MODEL_FILE


@dataclass(frozen=True)
class ClauseModel:
    """One logistic-regression classifier per STAR part over clause features."""

    parts: tuple[str, ...]
    vocab: dict[str, int]
    weights: np.ndarray  # (n_features, n_parts)
    bias: np.ndarray  # (n_parts,)
    thresholds: dict[str, float]
    trained_on: dict[str, str]

    def probabilities(self, clause_features: list[dict[str, float]]) -> np.ndarray:
        """P(part | clause) for each clause: an array of shape (n_clauses, n_parts)."""
        out = np.zeros((len(clause_features), len(self.parts)))
        for row, feats in enumerate(clause_features):
            idx = [self.vocab[f] for f in feats if f in self.vocab]
            vals = np.array([feats[f] for f in feats if f in self.vocab], dtype=float)
            z = self.bias + (vals @ self.weights[idx] if idx else 0.0)
            out[row] = 1.0 / (1.0 + np.exp(-z))
        return out

    def contributions(self, feats: dict[str, float], part: str, top: int = 3) -> list[tuple[str, float]]:
        """The features that pushed one clause towards a part the most (for explanations and debugging)."""
        col = self.parts.index(part)
        scored = [(f, float(self.weights[self.vocab[f], col] * v)) for f, v in feats.items() if f in self.vocab]
        return sorted(scored, key=lambda fv: -fv[1])[:top]


def model_from_dict(doc: dict[str, object]) -> ClauseModel:
    """Build the model from the file's JSON document."""
    parts = tuple(str(p) for p in doc["parts"])  # type: ignore[attr-defined]
    features: dict[str, list[float]] = doc["features"]  # type: ignore[assignment]
    names = sorted(features)
    weights = np.array([features[n] for n in names], dtype=float).reshape(len(names), len(parts))
    return ClauseModel(
        parts=parts,
        vocab={n: i for i, n in enumerate(names)},
        weights=weights,
        bias=np.array(doc["bias"], dtype=float),
        thresholds={str(k): float(v) for k, v in doc["thresholds"].items()},  # type: ignore[attr-defined]
        trained_on={str(k): str(v) for k, v in doc["trained_on"].items()},  # type: ignore[attr-defined]
    )


@lru_cache(maxsize=1)
def load_model() -> ClauseModel:
    """The shipped model, read once per process."""
    return model_from_dict(json.loads(model_path().read_text(encoding="utf-8")))
