"""The intent classifier as served: TF-IDF over word 1–2-grams and character 2–5-grams, linear scores.

Character n-grams carry it through typos ("interveiw", "sallary") and chat spellings; word n-grams
carry the phrasing ("note:", "what's coming up"). It is trained with scikit-learn
(:mod:`bot.nlu.train`, not needed at run time) and served here from plain numpy arrays: the same
tokenisation, the same sublinear TF-IDF weights, the same linear arithmetic, so the decisions are the
trained model's (``tests/test_nlu_serving.py`` checks every training and dev message).

Two linear models share the features:

* the intent model (one-vs-rest linear SVM): a margin per intent, turned into a confidence by a
  softmax over the margins;
* the scope model (logistic regression, in scope vs. out of scope): the probability that the message
  is something this coach handles at all. Below :attr:`IntentModel.scope_threshold` a message is
  ``fallback`` unless the intent model is itself very sure (:attr:`IntentModel.scope_keep`); both
  values are chosen on the dev sets (bench/nlu_calibrate.py, docs/nlu-scope.md).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FALLBACK = "fallback"
SOFTMAX_SCALE = 4.0  # margins are multiplied by this before the softmax that gives a confidence
CHAR_MIN, CHAR_MAX = 2, 5  # the character n-grams' sizes (the trained model's)
ENCODE_BLOCK = 2_048  # terms encoded to UTF-8 together when a model is loaded
WORDS_KEPT = 2_048  # words whose character n-gram columns are remembered (~0.3 KB each; emptied past this)

_UTF8, _ERRORS = "utf-8", "surrogatepass"  # how terms and grams are held as bytes (a lone surrogate too)
_LEADING_MENTION = re.compile(r"^\s*(?:(?:@\S+|<@\w+>|hey bot|hi bot|yo bot|bot)\s*[,:\-]?\s+)+", re.I)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's char_wb whitespace folding


def normalise(text: str) -> str:
    """What the classifier sees: lowercase, without a leading "@coach"/"hey bot"."""
    return _LEADING_MENTION.sub("", text).lower().strip()


def word_ngrams(text: str) -> list[str]:
    """Word 1- and 2-grams, exactly as scikit-learn's ``TfidfVectorizer(ngram_range=(1, 2))`` makes them."""
    tokens = _TOKEN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def char_wb_ngrams(text: str, min_n: int = CHAR_MIN, max_n: int = CHAR_MAX) -> list[str]:
    """Character n-grams inside space-padded words, as scikit-learn's ``analyzer="char_wb"``."""
    out: list[str] = []
    for word in char_words(text):
        _word_grams(word, min_n, max_n, out)
    return out


def char_words(text: str) -> list[str]:
    """The words :func:`char_wb_ngrams` takes its n-grams from (each word's are its own)."""
    return _WHITE_SPACES.sub(" ", text.lower()).split()


def _word_grams(word: str, min_n: int, max_n: int, out: list[str]) -> None:
    """Append one word's character n-grams to ``out``."""
    w = f" {word} "
    w_len = len(w)
    for n in range(min_n, max_n + 1):
        offset = 0
        out.append(w[offset : offset + n])
        while offset + n < w_len:
            offset += 1
            out.append(w[offset : offset + n])
        if offset == 0:  # the whole padded word was shorter than n: longer n add nothing new
            break


class Vocabulary:
    """Terms and their feature columns, as a sorted term array searched in one call per message.

    Smaller than dicts of 60,000 Python strings and ints (the whole model in memory 12.3 MB instead
    of 15.8); the same columns for the same n-grams. The terms are held as UTF-8 bytes (``sorted``,
    numpy ``S``: a byte a character for most, where numpy's ``U`` takes four; 3.7 → 1.3 MB for the
    served model), searched with each gram encoded the same way (UTF-8 orders bytes as code points
    are ordered, and two grams are equal exactly when their bytes are). A trained model's terms are
    already in order (scikit-learn numbers its features alphabetically), and then no sorted copy nor
    column array is kept (``columns`` is None: a term's place is its column).
    """

    def __init__(self, terms: np.ndarray) -> None:
        encoded = _encoded(terms)
        if len(encoded) < 2 or bool(np.all(encoded[1:] > encoded[:-1])):  # in order, no repeats: as it is
            self.sorted: np.ndarray = encoded
            self.columns: np.ndarray | None = None
        else:
            order = np.argsort(encoded, kind="stable")
            self.sorted = encoded[order]
            self.columns = order.astype(np.int64)

    @classmethod
    def of(cls, vocab: Mapping[str, int] | Vocabulary) -> Vocabulary:
        """A vocabulary from scikit-learn's ``vocabulary_`` (term → column), or the same one."""
        return vocab if isinstance(vocab, Vocabulary) else cls(np.array(_terms(dict(vocab)), dtype=str))

    def __len__(self) -> int:
        return len(self.sorted)

    def terms(self) -> np.ndarray:
        """The term of every column, in column order (numpy ``str``, as many characters as the longest)."""
        held = self.sorted if self.columns is None else self.sorted[np.argsort(self.columns, kind="stable")]
        return np.array([t.decode(_UTF8, _ERRORS) for t in held.tolist()], dtype=str)

    def _query(self, grams: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """The grams as a search array in the terms' dtype, and which of them can be a term (None: all)."""
        width = self.sorted.dtype.itemsize
        encoded = [g.encode(_UTF8, _ERRORS) for g in grams]
        if max(map(len, encoded)) <= width:
            return np.array(encoded, dtype=self.sorted.dtype), None
        fits = np.fromiter((len(b) <= width for b in encoded), bool, len(encoded))
        # a gram longer than every term is not one of them (numpy would cut it to the width)
        return np.array([b if len(b) <= width else b"" for b in encoded], dtype=self.sorted.dtype), fits

    def _search(self, grams: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each gram's place among the sorted terms, and whether the term there is that gram."""
        query, fits = self._query(grams)
        pos = np.searchsorted(self.sorted, query)
        np.minimum(pos, len(self.sorted) - 1, out=pos)
        found = self.sorted[pos] == query
        if fits is not None:
            found &= fits
        return pos, found

    def lookup(self, grams: list[str]) -> np.ndarray:
        """The column of each gram that is a known term (unknown ones are left out), as int64."""
        if not grams or not len(self.sorted):
            return np.zeros(0, dtype=np.int64)
        pos, found = self._search(grams)
        cols: np.ndarray = pos[found] if self.columns is None else self.columns[pos[found]]
        return cols.astype(np.int64, copy=False)

    def columns_of(self, grams: list[str]) -> np.ndarray:
        """Each gram's column, or -1 where it is not a known term (in the grams' order), as int64."""
        if not grams or not len(self.sorted):
            return np.full(len(grams), -1, dtype=np.int64)
        pos, found = self._search(grams)
        return np.where(found, pos if self.columns is None else self.columns[pos], -1).astype(np.int64, copy=False)


@dataclass
class IntentModel:
    """The trained intent and scope models as arrays; :meth:`ranked` and :meth:`in_scope` serve them."""

    labels: list[str]
    word_vocab: Vocabulary
    word_idf: np.ndarray
    char_vocab: Vocabulary
    char_idf: np.ndarray
    coef: np.ndarray  # (n_features, n_labels) float32: word features first, then character features
    intercept: np.ndarray  # (n_labels,)
    scope_coef: np.ndarray  # (n_features,) float32
    scope_intercept: float
    scope_threshold: float
    scope_keep: float
    # each word's known character n-grams (their columns, repeated as often as they occur), remembered
    _word_columns: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)

    # features ----------------------------------------------------------------------------------

    def char_columns(self, text: str) -> np.ndarray:
        """The columns of ``text``'s character n-grams that are known terms, each as often as it occurs.

        The same multiset as ``self.char_vocab.lookup(char_wb_ngrams(text))``, in another order (each
        word's n-grams are its own, and a word's columns are remembered: students reuse their words).
        """
        words = char_words(text)
        if not words:
            return np.zeros(0, dtype=np.int64)
        held = self._word_columns
        known = {w: held.get(w) for w in words}  # (read once: another thread may empty the memory meanwhile)
        missing = [w for w, cols in known.items() if cols is None]
        if missing:
            grams: list[str] = []
            ends: list[int] = []
            for w in missing:
                _word_grams(w, CHAR_MIN, CHAR_MAX, grams)
                ends.append(len(grams))
            found = self.char_vocab.columns_of(grams)
            fresh: dict[str, np.ndarray] = {}
            start = 0
            for w, end in zip(missing, ends, strict=True):
                part = found[start:end]
                known[w] = fresh[w] = part[part >= 0]
                start = end
            if len(held) + len(fresh) > WORDS_KEPT:
                held.clear()
            held.update(fresh)
        return np.concatenate([cols for w in words if (cols := known[w]) is not None])

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The message's TF-IDF vector as (column indices, values), each block L2-normalised."""
        clean = normalise(text)
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        offset = 0
        for found, idf in (
            (self.word_vocab.lookup(word_ngrams(clean)), self.word_idf),
            (self.char_columns(clean), self.char_idf),
        ):
            if found.size:
                idx, counts = np.unique(found, return_counts=True)
                tf = counts.astype(np.float64)
                weights = (np.log(tf) + 1.0) * idf[idx]
                norm = math.sqrt(float(np.dot(weights, weights)))
                if norm > 0.0:
                    weights = weights / norm
                cols.append(idx + offset)
                vals.append(weights)
            offset += len(idf)
        if not cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return np.concatenate(cols), np.concatenate(vals)

    # decisions ---------------------------------------------------------------------------------

    def scores(self, text: str) -> np.ndarray:
        """The intent model's margin for every label (``self.labels`` order)."""
        cols, vals = self.features(text)
        margins: np.ndarray = vals @ self.coef[cols] + self.intercept
        return margins

    def scope_probability(self, text: str) -> float:
        """The scope model's probability that ``text`` is something this coach handles."""
        cols, vals = self.features(text)
        return _sigmoid(float(vals @ self.scope_coef[cols]) + self.scope_intercept)

    def ranked(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` likeliest intents for ``text`` with their confidences, best first.

        Out of scope (the scope model below its threshold, the intent model not sure enough to
        overrule it) puts ``fallback`` first with the scope model's confidence that it is out of
        scope; the intent model's guesses follow.
        """
        return self.ranked_in_scope(text, k)[0]

    def ranked_in_scope(self, text: str, k: int = 3) -> tuple[list[tuple[str, float]], float]:
        """:meth:`ranked`, and the scope model's probability that ``text`` is for this coach (one reading)."""
        cols, vals = self.features(text)
        margins = vals @ self.coef[cols] + self.intercept
        exp = np.exp((margins - margins.max()) * SOFTMAX_SCALE)
        probs = exp / exp.sum()
        order = [int(i) for i in np.argsort(-probs, kind="stable")[:k]]
        ranked = [(self.labels[i], float(probs[i])) for i in order]
        p_in = _sigmoid(float(vals @ self.scope_coef[cols]) + self.scope_intercept)
        if ranked[0][0] != FALLBACK and p_in < self.scope_threshold and ranked[0][1] < self.scope_keep:
            ranked = [(FALLBACK, 1.0 - p_in), *[(lab, p) for lab, p in ranked if lab != FALLBACK]][:k]
        return ranked, p_in

    def predict(self, text: str) -> tuple[str, float]:
        """The best intent for ``text`` and its confidence."""
        return self.ranked(text, 1)[0]

    def predict_many(self, texts: Sequence[str]) -> list[str]:
        """Intents for many texts (evaluation)."""
        return [self.predict(t)[0] for t in texts]

    # files -------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the arrays to ``path`` (an ``.npz``; no pickled objects, loadable without scikit-learn)."""
        meta = {
            "labels": self.labels,
            "scope_intercept": self.scope_intercept,
            "scope_threshold": self.scope_threshold,
            "scope_keep": self.scope_keep,
        }
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                meta=np.array(json.dumps(meta)),
                word_terms=self.word_vocab.terms(),
                word_idf=self.word_idf,
                char_terms=self.char_vocab.terms(),
                char_idf=self.char_idf,
                coef=self.coef,
                intercept=self.intercept,
                scope_coef=self.scope_coef,
            )

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        """Read a model written by :meth:`save` (raises ``OSError``/``ValueError``/``KeyError`` when unusable)."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return cls(
                labels=[str(x) for x in meta["labels"]],
                word_vocab=Vocabulary(data["word_terms"]),
                word_idf=data["word_idf"].astype(np.float64),
                char_vocab=Vocabulary(data["char_terms"]),
                char_idf=data["char_idf"].astype(np.float64),
                coef=np.ascontiguousarray(data["coef"], dtype=np.float32),
                intercept=data["intercept"].astype(np.float64),
                scope_coef=data["scope_coef"].astype(np.float32),
                scope_intercept=float(meta["scope_intercept"]),
                scope_threshold=float(meta["scope_threshold"]),
                scope_keep=float(meta["scope_keep"]),
            )


def _encoded(terms: np.ndarray) -> np.ndarray:
    """The terms as UTF-8 bytes (numpy ``S``, as many bytes as the longest), in the same order.

    Encoded a block at a time (one join, encode and split each), so that only a block's Python strings
    are alive at once: the process does not keep the memory of 60,000 of them after loading.
    """
    if not len(terms):
        return np.zeros(0, dtype="S1")
    parts = []
    for start in range(0, len(terms), ENCODE_BLOCK):
        block = terms[start : start + ENCODE_BLOCK]
        listed = block.tolist()
        joined = "\n".join(listed)  # (no term of a trained model holds a line break; one that does is encoded alone)
        if joined.count("\n") == len(listed) - 1:
            parts.append(np.array(joined.encode(_UTF8, _ERRORS).split(b"\n")))
        else:
            parts.append(np.char.encode(block, _UTF8, _ERRORS))
        del listed, joined
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _terms(vocab: dict[str, int]) -> list[str]:
    terms = [""] * len(vocab)
    for term, j in vocab.items():
        terms[j] = term
    return terms


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
