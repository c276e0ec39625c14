"""Training the intent and scope models with scikit-learn (the ``train`` extra; never imported to serve).

:func:`fit` learns from examples and returns the trained scikit-learn objects; :func:`to_served`
copies their vocabularies, IDF weights and linear coefficients into an :class:`IntentModel` that needs
only numpy. ``tests/test_nlu_serving.py`` checks that both make the same decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_union
from sklearn.svm import LinearSVC

from bot.nlu.intents import FALLBACK, SOFTMAX_SCALE, IntentModel, Vocabulary, normalise

INTENT_C = 0.5
SCOPE_C = 4.0
# Chosen on the dev sets (bench/nlu_calibrate.py, docs/nlu-scope.md): below SCOPE_THRESHOLD probability
# of being in scope a message is `fallback`, unless the intent model's confidence reaches SCOPE_KEEP.
SCOPE_THRESHOLD = 0.6
SCOPE_KEEP = 0.7


@dataclass
class Trained:
    """The fitted scikit-learn parts: shared features, the intent SVM and the scope classifier."""

    features: FeatureUnion
    svm: LinearSVC
    scope: LogisticRegression
    scope_threshold: float
    scope_keep: float

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Intents the way scikit-learn itself decides them (for checking the served model)."""
        x = self.features.transform([normalise(t) for t in texts])
        margins = self.svm.decision_function(x)
        exp = np.exp((margins - margins.max(axis=1, keepdims=True)) * SOFTMAX_SCALE)
        sure = exp.max(axis=1) / exp.sum(axis=1)
        best = [str(self.svm.classes_[i]) for i in np.argmax(margins, axis=1)]
        p_in = self.scope.predict_proba(x)[:, list(self.scope.classes_).index(1)]
        return [
            FALLBACK if b != FALLBACK and p < self.scope_threshold and c < self.scope_keep else b
            for b, p, c in zip(best, p_in, sure, strict=True)
        ]


def fit(
    texts: Sequence[str],
    intents: Sequence[str],
    scope_threshold: float = SCOPE_THRESHOLD,
    scope_keep: float = SCOPE_KEEP,
) -> Trained:
    """Fit the features, the intent SVM and the scope classifier on the examples."""
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    x = features.fit_transform([normalise(t) for t in texts])
    y = list(intents)
    svm = LinearSVC(C=INTENT_C, random_state=0)  # fixed: the same data always gives the same model
    svm.fit(x, y)
    svm.coef_ = _single_precision(svm.coef_)
    in_scope = np.array([0 if i == FALLBACK else 1 for i in y])
    scope = LogisticRegression(C=SCOPE_C, class_weight="balanced", max_iter=2000, random_state=0)
    scope.fit(x, in_scope)
    scope.coef_ = _single_precision(scope.coef_)
    return Trained(features, svm, scope, scope_threshold, scope_keep)


def _single_precision(coef: np.ndarray) -> np.ndarray:
    """Coefficients rounded to float32 values (kept as float64 for scikit-learn's arithmetic).

    The trained model *is* the rounded one: scikit-learn decides with these values and the served
    model stores them as float32 (half the memory and file) and computes in float64, so both do the
    same arithmetic on the same numbers.
    """
    rounded: np.ndarray = coef.astype(np.float32).astype(np.float64)
    return rounded


def to_served(trained: Trained) -> IntentModel:
    """The same model as numpy arrays (what ships and what the bot loads)."""
    word, char = (vec for _, vec in trained.features.transformer_list)
    sign = 1.0 if list(trained.scope.classes_) == [0, 1] else -1.0
    return IntentModel(
        labels=[str(c) for c in trained.svm.classes_],
        word_vocab=Vocabulary.of({str(t): int(i) for t, i in word.vocabulary_.items()}),
        word_idf=np.asarray(word.idf_, dtype=np.float64),
        char_vocab=Vocabulary.of({str(t): int(i) for t, i in char.vocabulary_.items()}),
        char_idf=np.asarray(char.idf_, dtype=np.float64),
        coef=np.ascontiguousarray(trained.svm.coef_.T, dtype=np.float32),
        intercept=np.asarray(trained.svm.intercept_, dtype=np.float64),
        scope_coef=(sign * trained.scope.coef_[0]).astype(np.float32),
        scope_intercept=sign * float(trained.scope.intercept_[0]),
        scope_threshold=trained.scope_threshold,
        scope_keep=trained.scope_keep,
    )


def train_served(texts: Sequence[str], intents: Sequence[str]) -> IntentModel:
    """Fit and convert in one step."""
    return to_served(fit(texts, intents))
