"""The intent classifier: TF-IDF over word 1–2-grams and character 2–5-grams, and a linear SVM.

Character n-grams carry it through typos ("interveiw", "sallary") and chat spellings; word n-grams
carry the phrasing ("note:", "what's coming up"). It learns from ``knowledge/nlu/intents``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_union
from sklearn.svm import LinearSVC

_LEADING_MENTION = re.compile(r"^\s*(?:(?:@\S+|<@\w+>|hey bot|hi bot|yo bot|bot)\s*[,:\-]?\s+)+", re.I)


def normalise(text: str) -> str:
    """What the classifier sees: lowercase, without a leading "@coach"/"hey bot"."""
    return _LEADING_MENTION.sub("", text).lower().strip()


class IntentClassifier:
    """Predicts an intent and a confidence in [0, 1] (a softmax over the SVM's margins)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.labels: list[str] = [str(c) for c in pipeline.classes_]

    @classmethod
    def train(cls, texts: Sequence[str], intents: Sequence[str]) -> IntentClassifier:
        """Fit on examples."""
        pipeline = Pipeline(
            [
                (
                    "features",
                    make_union(
                        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                    ),
                ),
                ("svm", LinearSVC(C=0.5)),
            ]
        )
        pipeline.fit([normalise(t) for t in texts], list(intents))
        return cls(pipeline)

    def scores(self, text: str) -> np.ndarray:
        """The SVM's margin for every label.

        It is the pipeline's own arithmetic, without its per-call validation and job machinery
        (which cost more than the arithmetic itself for one message).
        """
        parts = getattr(self, "_parts", None)
        if parts is None:
            union = self.pipeline.named_steps["features"]
            svm = self.pipeline.named_steps["svm"]
            parts = ([vec for _, vec in union.transformer_list], np.ascontiguousarray(svm.coef_.T), svm.intercept_)
            self._parts = parts
        vectorizers, coef_t, intercept = parts
        x = sparse.hstack([vec.transform([normalise(text)]) for vec in vectorizers], format="csr")
        return np.asarray(x @ coef_t).ravel() + intercept

    def predict(self, text: str) -> tuple[str, float]:
        """The best intent for ``text`` and its confidence."""
        return self.ranked(text, 1)[0]

    def ranked(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` likeliest intents for ``text`` with their confidences, best first."""
        scores = self.scores(text)
        exp = np.exp((scores - scores.max()) * 4.0)
        probs = exp / exp.sum()
        order = np.argsort(-probs)[:k]
        return [(self.labels[int(i)], float(probs[int(i)])) for i in order]

    def predict_many(self, texts: Sequence[str]) -> list[str]:
        """Intents for many texts at once (evaluation)."""
        return [str(p) for p in self.pipeline.predict([normalise(t) for t in texts])]
