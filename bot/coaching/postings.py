"""Compact posting lists for the advice ranking: BM25 and character n-gram cosine scores from a few arrays.

The ranking index (:mod:`bot.coaching.advice`) scores every stored question, heading and text for a
message. Kept as Python dicts of small numpy arrays (one pair per term) and ``rank_bm25`` objects, that
cost about 11 MB kept and 27 MB at its build's peak. Here each signal's posting lists are one CSR store:

* ``terms``: every term once, UTF-8, sorted (found through a dict built on first use);
* ``indptr`` (int32, ``len(terms) + 1``): term ``i``'s postings are ``rows[indptr[i]:indptr[i + 1]]``;
* ``rows`` (int32): the documents holding the term, ascending; ``weights``: its weight there (float64 for
  BM25, exactly ``rank_bm25``'s; float32 for the character n-grams, whose cosines are only compared with
  each other: a relative error of 1e-7 changes no ranking decision on the own and dev sets, and halves
  the largest array);
* ``idf`` (float64, one per term).

:class:`BM25Postings` gives exactly the numbers of ``rank_bm25``'s ``BM25Okapi`` scored from posting
lists, :class:`CharPostings` exactly those of the per-term arrays it replaced (the same floating-point
operations in the same order); ``tests/test_postings.py`` proves it over queries built from the
knowledge base, against the replaced code kept in ``bench/ranking_memory.py``. Both are built straight
from the tokenised documents (no ``BM25Okapi``, no per-term dicts of lists: the build's peak is a few
flat arrays).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, ClassVar, Self

import numpy as np

CHAR_SIZES = (3, 4, 5)  # character n-grams of content words: paraphrases sharing a stem, typos
FEW_TERMS = 8  # up to this many terms are gathered a slice each; more in one indexing (quicker past this)


def char_grams(words: Iterable[str]) -> dict[str, int]:
    """Character n-grams (:data:`CHAR_SIZES`) of each word padded with spaces, with their counts.

    The same grams in the same order as ``advice.char_grams`` (the order sets the float sums).
    """
    counts: dict[str, int] = {}
    for w in words:
        padded = f" {w} "
        for n in CHAR_SIZES:
            for i in range(len(padded) - n + 1):
                g = padded[i : i + n]
                counts[g] = counts.get(g, 0) + 1
    return counts


@lru_cache(maxsize=256)
def _sublinear(count: int) -> float:
    """1 + log(count): a gram's sublinear term frequency (``math.log``, remembered: counts are small)."""
    return 1.0 + math.log(count)


class PostingStore:
    """Posting lists of many terms in four flat arrays (see the module docstring)."""

    kind: ClassVar[str] = "postings"

    def __init__(
        self, terms: np.ndarray, indptr: np.ndarray, rows: np.ndarray, weights: np.ndarray, idf: np.ndarray, size: int
    ) -> None:
        self.terms = terms
        self.indptr = indptr
        self.rows = rows
        self.weights = weights
        self.idf = idf
        self.size = size
        self._ids: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.terms)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return int(self.terms.nbytes + self.indptr.nbytes + self.rows.nbytes + self.weights.nbytes + self.idf.nbytes)

    def find(self, terms: Sequence[str]) -> list[int]:
        """Each term's index in the store, or -1 when it is not there (the terms' order).

        Looked up in a dict of the terms (built on first use: about 1 MB for the ranking's stores, and a
        dict look-up is ten times quicker than a :func:`numpy.searchsorted` call for a few terms).
        """
        ids = self._ids
        if ids is None:
            ids = self._ids = {t.decode(): i for i, t in enumerate(self.terms.tolist())}
        return [ids.get(t, -1) for t in terms]

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.find([term])[0] >= 0

    def idf_of(self, term: str, default: float) -> float:
        """The term's idf, or ``default`` when the store does not hold it (``dict.get`` on rank_bm25's idf)."""
        at = self.find([term])[0]
        return default if at < 0 else float(self.idf[at])

    def _gather(self, found: Sequence[int], scale: Sequence[float] | None = None) -> np.ndarray:
        """Each document's sum of the found terms' weights (times ``scale``), added in the terms' order."""
        if not found:
            return np.zeros(self.size)
        if len(found) == 1:
            a, b = self.indptr[found[0]], self.indptr[found[0] + 1]
            rows, weights = self.rows[a:b], self.weights[a:b]
            if scale is not None:
                weights = weights * scale[0]
        elif len(found) <= FEW_TERMS:
            ptr = self.indptr
            spans = [(ptr[i], ptr[i + 1]) for i in found]
            rows = np.concatenate([self.rows[a:b] for a, b in spans])
            weights = np.concatenate([self.weights[a:b] for a, b in spans])
            if scale is not None:
                weights = weights * np.repeat(np.asarray(scale, dtype=float), [b - a for a, b in spans])
        else:  # every found term's postings, one after the other, in one indexing (not a slice per term)
            terms = np.asarray(found, dtype=np.int64)
            starts = self.indptr[terms]
            lengths = self.indptr[terms + 1] - starts
            ends = np.cumsum(lengths)
            at = np.arange(int(ends[-1])) + np.repeat(starts - (ends - lengths), lengths)
            rows, weights = self.rows[at], self.weights[at]
            if scale is not None:
                weights = weights * np.repeat(np.asarray(scale, dtype=float), lengths)
        # bincount adds each row's weights in array order, from 0.0: the same sums as ``out[rows] += w``
        # term after term (a term holds a row once)
        return np.bincount(rows, weights, minlength=self.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PostingStore) or other.kind != self.kind or other.size != self.size:
            return NotImplemented if not isinstance(other, PostingStore) else False
        return all(
            np.array_equal(a, b)
            for a, b in (
                (self.terms, other.terms),
                (self.indptr, other.indptr),
                (self.rows, other.rows),
                (self.weights, other.weights),
                (self.idf, other.idf),
            )
        )

    __hash__ = None  # type: ignore[assignment]


def _csr(
    vocab: dict[str, int], term_ids: array[int], docs: array[int], values: array[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sort postings (term id, doc, value) into CSR by sorted term; docs stay ascending within a term.

    Returns the sorted terms, indptr, rows, values, and each sorted term's original id.
    """
    names = np.array([t.encode() for t in vocab], dtype=bytes)  # vocab's order is the ids' order
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    ids = np.frombuffer(term_ids, dtype=np.int32) if len(term_ids) else np.zeros(0, dtype=np.int32)
    keys = rank[ids]
    by_term = np.argsort(keys, kind="stable")  # postings were added document by document: rows ascending
    counts = np.bincount(keys, minlength=len(order))
    if len(ids) >= 2**31:
        raise ValueError("too many postings for int32 pointers")
    indptr = np.zeros(len(order) + 1, dtype=np.int32)
    np.cumsum(counts, out=indptr[1:])
    rows = np.frombuffer(docs, dtype=np.int32)[by_term] if len(docs) else np.zeros(0, dtype=np.int32)
    vals = np.frombuffer(values, dtype=np.float64)[by_term] if len(values) else np.zeros(0)
    return names[order], indptr, rows.astype(np.int32), vals.astype(np.float64), order


class BM25Postings(PostingStore):
    """Okapi BM25 (``rank_bm25.BM25Okapi``'s formula and idf floor) as a compact posting store."""

    kind = "bm25"

    @classmethod
    def build(cls, docs: Iterable[Sequence[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> Self:
        """The store for tokenised ``docs``: the numbers ``BM25Okapi(docs, k1=k1, b=b, epsilon=epsilon)`` gives."""
        vocab: dict[str, int] = {}
        term_ids, doc_ids, tfs = array("i"), array("i"), array("d")
        doc_len: list[int] = []
        nd: list[int] = []  # documents holding each term (by id)
        total = 0
        for d, document in enumerate(docs):
            doc_len.append(len(document))
            total += len(document)
            frequencies: dict[str, int] = {}
            for word in document:
                frequencies[word] = frequencies.get(word, 0) + 1
            for word, freq in frequencies.items():
                t = vocab.get(word)
                if t is None:
                    t = vocab[word] = len(vocab)
                    nd.append(0)
                nd[t] += 1
                term_ids.append(t)
                doc_ids.append(d)
                tfs.append(float(freq))
        size = len(doc_len)
        if not size:
            raise ValueError("no documents")
        avgdl = total / size
        # rank_bm25: idf per word in first-seen order, negative ones floored at epsilon × the average
        idf_sum = 0.0
        idfs: list[float] = []
        negative: list[int] = []
        for t, freq in enumerate(nd):
            idf = math.log(size - freq + 0.5) - math.log(freq + 0.5)
            idfs.append(idf)
            idf_sum += idf
            if idf < 0:
                negative.append(t)
        if idfs:
            eps = epsilon * (idf_sum / len(idfs))
            for t in negative:
                idfs[t] = eps
        names, indptr, rows, tf, order = _csr(vocab, term_ids, doc_ids, tfs)
        del term_ids, doc_ids, tfs
        idf_by_id = np.asarray(idfs, dtype=np.float64)
        norm = k1 * (1 - b + b * np.asarray(doc_len, dtype=float) / avgdl)
        # advice.Postings: (idf or 0.0) * tf * (k1 + 1) / (tf + norm[rows]), term by term; elementwise
        # float64 operations give the same numbers when done for every posting at once
        per_posting = np.repeat(idf_by_id[order], np.diff(indptr))
        weights = per_posting * tf * (k1 + 1) / (tf + norm[rows])
        return cls(names, indptr, rows, weights, idf_by_id[order], size)

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """Each document's BM25 score for ``query`` (as ``advice.Postings.scores``; words once each)."""
        found = [i for i in self.find(query) if i >= 0]
        return self._gather(found)


class CharPostings(PostingStore):
    """Cosine similarity of sublinear TF-IDF character n-gram vectors (``advice.CharIndex``'s numbers)."""

    kind = "chars"

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], dtype: type[np.floating[Any]] = np.float32) -> Self:
        """The store for documents given as their content words (one list of words per document).

        Each document's n-grams are counted twice (document frequencies, then weights) rather than
        kept for every document at once: a lower peak for a few milliseconds more. The weights are worked
        out in float64 and kept as ``dtype`` (float64: exactly the per-term arrays' numbers).
        """
        vocab: dict[str, int] = {}
        n = len(docs)
        df: list[int] = []
        for doc in docs:
            for t in char_grams(doc):
                at = vocab.get(t)
                if at is None:
                    vocab[t] = len(df)
                    df.append(1)
                else:
                    df[at] += 1
        idf_of_df = {f: float(np.log((1 + n) / (1 + f)) + 1.0) for f in set(df)}  # numpy's log, once per value
        idf = [idf_of_df[f] for f in df]
        sublinear: dict[int, float] = {}
        term_ids, doc_ids, values = array("i"), array("i"), array("d")
        for d, words in enumerate(docs):
            g = char_grams(words)
            ids = [vocab[t] for t in g]
            for c in g.values():
                if c not in sublinear:
                    sublinear[c] = 1.0 + float(np.log(c))
            vec = [sublinear[c] * idf[t] for t, c in zip(ids, g.values(), strict=True)]
            norm = float(np.sqrt(sum(v * v for v in vec))) or 1.0
            term_ids.extend(ids)
            doc_ids.extend([d] * len(ids))
            values.extend([v / norm for v in vec])
        names, indptr, rows, weights, order = _csr(vocab, term_ids, doc_ids, values)
        return cls(names, indptr, rows, weights.astype(dtype), np.asarray(idf, dtype=np.float64)[order], n)

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """Each document's cosine similarity with the words (as ``advice.CharIndex.scores``)."""
        g = char_grams(words)
        if not g:
            return np.zeros(self.size)
        found: list[int] = []
        tf: list[float] = []
        for at, c in zip(self.find(list(g)), g.values(), strict=True):
            if at >= 0:
                found.append(at)
                tf.append(_sublinear(c))
        if not found:
            return np.zeros(self.size)
        query = np.asarray(tf) * self.idf[found]  # each (1 + log count) × idf, as one float multiplication each
        query /= float(np.sqrt(query @ query))
        return self._gather(found, query.tolist())
