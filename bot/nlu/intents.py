"""The intent classifier: TF-IDF over word 1–2-grams and character 2–5-grams, and a linear SVM.

Character n-grams carry it through typos ("interveiw", "sallary") and chat spellings; word n-grams
carry the phrasing ("note:", "what's coming up"). It learns from ``knowledge/nlu/intents``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
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

    def predict(self, text: str) -> tuple[str, float]:
        """The best intent for ``text`` and its confidence."""
        scores = self.pipeline.decision_function([normalise(text)])[0]
        exp = np.exp((scores - scores.max()) * 4.0)
        probs = exp / exp.sum()
        best = int(np.argmax(probs))
        return self.labels[best], float(probs[best])

    def predict_many(self, texts: Sequence[str]) -> list[str]:
        """Intents for many texts at once (evaluation)."""
        return [str(p) for p in self.pipeline.predict([normalise(t) for t in texts])]
