"""Memory and time of the ranking's posting lists: the former (``rank_bm25`` + dicts of arrays) vs the CSR store.

Usage: python -m bench.ranking_memory [--repeat 3]

For the knowledge base in ``knowledge/``, builds the three posting lists the advice ranking scores a
message with (BM25 over every stored question, heading and text; BM25 over every item's phrasings
together; character n-grams of the stored questions), each way:

* old: ``BM25Okapi`` objects wrapped in :class:`Postings`, and :class:`CharIndex` (what
  ``advice.Index`` held before the CSR store; kept here as the reference the store must equal:
  tests/test_postings.py);
* new: :class:`bot.coaching.postings.BM25Postings` and :class:`~bot.coaching.postings.CharPostings`,
  built from the same documents.

Prints, per way, each in fresh child processes (so one way's freed memory does not hide the
other's): the build's time and the process's RSS growth (an untraced build), then the memory kept
and the peak of a second, traced build (tracemalloc: Python and numpy allocations); for the new
store, the size of its arrays. Then scores a few hundred queries made from the knowledge base
both ways and says whether every number is identical.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.coaching.postings import char_grams
from bot.knowledge.library import Knowledge

if TYPE_CHECKING:
    from rank_bm25 import BM25Okapi


def documents(knowledge: Knowledge) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """The documents ``advice.Index`` ranks: per-field BM25 docs, per-item "whole" docs, character docs.

    The same lists, in the same order, as ``advice.Index.__init__`` builds (see the report of issue 12
    for the wiring).
    """
    from bot.coaching.advice import content_words, terms

    entries = knowledge.items()
    docs: list[list[str]] = []
    for _, item in entries:
        docs.extend(terms(question) for question in item.questions)
        docs.append(terms(" ".join((item.heading, *item.keywords))))
        docs.append(terms(item.text))
    whole = [terms(" ".join((*item.questions, item.heading, *item.keywords))) for _, item in entries]
    chars = [content_words(q) for _, item in entries for q in item.questions]
    return docs, whole, chars


def queries(knowledge: Knowledge, limit: int = 400) -> list[str]:
    """Query texts made from the knowledge base: questions, headings, a keyword pair, a typo'd question."""
    out: list[str] = []
    for n, (_, item) in enumerate(knowledge.items()):
        if item.questions:
            q = item.questions[n % len(item.questions)]
            out.append(q)
            words = q.split()
            if len(words) > 2:  # drop a letter from the longest word: a typo
                longest = max(words, key=len)
                out.append(q.replace(longest, longest[:2] + longest[3:], 1))
        out.append(item.heading)
        if item.keywords:
            out.append(" ".join(item.keywords[:2]) + " " + item.text.split(".")[0])
    out += ["", "zzz qqq", "hi", "not not not", "dinner dinner dinner interview"]
    return out[:limit] + out[-5:]


# the reference: advice.Index's posting lists before the CSR store (the same numbers, far more memory) ---


class CharIndex:
    """Reference (before the CSR store): cosine of sublinear TF-IDF character n-gram vectors, per-gram lists."""

    def __init__(self, docs: list[list[str]]) -> None:
        grams = [char_grams(d) for d in docs]
        df: dict[str, int] = {}
        for g in grams:
            for t in g:
                df[t] = df.get(t, 0) + 1
        n = len(docs)
        self.idf = {t: float(np.log((1 + n) / (1 + f)) + 1.0) for t, f in df.items()}
        rows: dict[str, list[int]] = {}
        weights: dict[str, list[float]] = {}
        for d, g in enumerate(grams):
            vec = {t: (1.0 + float(np.log(c))) * self.idf[t] for t, c in g.items()}
            norm = float(np.sqrt(sum(v * v for v in vec.values()))) or 1.0
            for t, v in vec.items():
                rows.setdefault(t, []).append(d)
                weights.setdefault(t, []).append(v / norm)
        self.postings = {t: (np.asarray(rows[t]), np.asarray(weights[t])) for t in rows}
        self.size = n

    def scores(self, words: list[str]) -> np.ndarray:
        """Each document's cosine similarity with the words."""
        g = char_grams(words)
        vec = {t: (1.0 + math.log(c)) * idf for t, c in g.items() if (idf := self.idf.get(t)) is not None}
        if not vec:
            return np.zeros(self.size)
        hits = [self.postings[t] for t in vec]
        query = np.fromiter(vec.values(), dtype=float, count=len(vec))
        query /= float(np.sqrt(query @ query))
        rows = np.concatenate([at for at, _ in hits])
        weights = np.concatenate([w for _, w in hits]) * np.repeat(query, [len(at) for at, _ in hits])
        return np.bincount(rows, weights, minlength=self.size)


class Postings:
    """Reference (before the CSR store): BM25 of a built ``BM25Okapi`` from per-word posting lists."""

    def __init__(self, bm25: BM25Okapi) -> None:
        self.size = len(bm25.doc_len)
        norm = bm25.k1 * (1 - bm25.b + bm25.b * np.asarray(bm25.doc_len, dtype=float) / bm25.avgdl)
        docs: dict[str, list[int]] = {}
        freqs: dict[str, list[float]] = {}
        for d, counts in enumerate(bm25.doc_freqs):
            for t, f in counts.items():
                docs.setdefault(t, []).append(d)
                freqs.setdefault(t, []).append(float(f))
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for t, rows in docs.items():
            at, tf = np.asarray(rows), np.asarray(freqs[t])
            self.postings[t] = (at, (bm25.idf.get(t) or 0.0) * tf * (bm25.k1 + 1) / (tf + norm[at]))

    def scores(self, query: list[str]) -> np.ndarray:
        """Each document's BM25 score for ``query`` (its words once each)."""
        out = np.zeros(self.size)
        for t in query:
            hit = self.postings.get(t)
            if hit is not None:
                out[hit[0]] += hit[1]  # a word occurs once per posting list: no repeated rows
        return out


def _old(knowledge: Knowledge) -> Any:
    from rank_bm25 import BM25Okapi

    docs, whole, chars = documents(knowledge)
    return Postings(BM25Okapi(docs)), Postings(BM25Okapi(whole)), CharIndex(chars)


def _new(knowledge: Knowledge) -> Any:
    from bot.coaching.postings import BM25Postings, CharPostings

    docs, whole, chars = documents(knowledge)
    return BM25Postings.build(docs), BM25Postings.build(whole), CharPostings.build(chars)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def child(way: str) -> dict[str, float]:
    """One way's build (and, for the new store, the size of its arrays), measured in this process."""
    from bot.coaching import advice  # noqa: F401 (its imports are not the index's memory)
    from bot.knowledge.library import load_knowledge

    knowledge = load_knowledge()
    documents(knowledge)  # the tokeniser's caches warm: not the index's memory either
    build = _old if way == "old" else _new
    rss0 = _rss_mb()
    began = time.perf_counter()
    built = build(knowledge)
    seconds = time.perf_counter() - began
    out = {"build_s": seconds, "rss_mb": _rss_mb() - rss0}
    del built
    tracemalloc.start()
    built = build(knowledge)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out |= {"kept_mb": kept / 2**20, "peak_mb": peak / 2**20}
    if way == "new":
        out["arrays_mb"] = sum(s.nbytes for s in built) / 2**20
    return out


def identical(knowledge: Knowledge) -> tuple[int, int]:
    """(queries scored, queries where any of the three stores' numbers differ) between old and new."""
    import numpy as np

    from bot.coaching.advice import content_words, terms

    old, new = _old(knowledge), _new(knowledge)
    texts = queries(knowledge)
    differ = 0
    for text in texts:
        asked = list(dict.fromkeys(terms(text)))
        words = content_words(text)
        same = (
            np.array_equal(old[0].scores(asked), new[0].scores(asked))
            and np.array_equal(old[1].scores(asked), new[1].scores(asked))
            and np.array_equal(old[2].scores(words), new[2].scores(words))
        )
        differ += not same
    return len(texts), differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="child processes per way (medians are printed)")
    parser.add_argument("--child", choices=("old", "new"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(args.repeat):
        for way in ("old", "new"):  # alternated: the machine's load falls on both alike
            done = subprocess.run(
                [sys.executable, "-m", "bench.ranking_memory", "--child", way],
                capture_output=True,
                text=True,
                check=True,
            )
            results[way].append(json.loads(done.stdout))
    print(f"ranking posting lists, median of {args.repeat} fresh processes per way")
    print(f"{'':34}{'old (rank_bm25 + dicts)':>26}{'new (CSR store)':>18}")
    rows = [
        ("build, s", "build_s", "{:.3f}"),
        ("kept after build, MB (tracemalloc)", "kept_mb", "{:.1f}"),
        ("peak during build, MB (tracemalloc)", "peak_mb", "{:.1f}"),
        ("RSS growth of the build, MB", "rss_mb", "{:.1f}"),
    ]
    for label, key, fmt in rows:
        old = statistics.median(r[key] for r in results["old"])
        new = statistics.median(r[key] for r in results["new"])
        print(f"{label:36}{fmt.format(old):>24}{fmt.format(new):>18}")
    arrays = statistics.median(r["arrays_mb"] for r in results["new"])
    print(f"{'arrays in memory, MB':36}{'-':>24}{arrays:>18.1f}")
    from bot.knowledge.library import load_knowledge

    count, differ = identical(load_knowledge())
    print(f"scores identical (every float, 3 stores) on {count - differ} of {count} queries")


if __name__ == "__main__":
    main()
