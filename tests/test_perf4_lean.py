"""The sixth pass's leaner paths give exactly what the code they replaced gave.

* A ranking's items read as a slice or by iteration are made together from the columns' lists; the
  reference is the former reading, one ``Ranked._make`` per item: the same values, types and attribute
  order, over hundreds of questions with items seen and a message before, and the same objects on a
  second read.
* The intent vocabulary keeps its terms as UTF-8 bytes, searched as loaded when they are in order (no
  sorted copy, no column array); the reference is the former ``Vocabulary`` (a sorted ``str`` copy and
  its columns), over every training and dev message's n-grams and the awkward ones (accents, emoji, a
  lone surrogate, a NUL, grams longer than every term), for the served model and a vocabulary out of order.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from bench.ranking_memory import queries
from bot.coaching import advice, situation
from bot.knowledge.library import Knowledge
from bot.nlu import NLU, intents
from tests.test_perf_nlu import _texts
from tests.test_perf_ranking import _fields

# the ranking's items -------------------------------------------------------------------------------------


def _one_by_one(items: advice.Ranked, places: range) -> list[advice.Scored]:
    """The former slice: ``[self._make(j) for j in range(*i.indices(len(self._made)))]``."""
    return [items._make(j) for j in places]


def test_a_ranking_read_in_slices_and_loops_is_made_as_item_by_item(knowledge: Knowledge) -> None:
    texts = queries(knowledge)
    topics = sorted(knowledge.topics)
    checked = 0
    for n, (text, before) in enumerate(itertools.pairwise(["", *texts])):
        facts = situation.Facts()
        for name, found in situation.detect(knowledge, text).items():
            facts.values[name] = found.value
        priors = {topics[n % len(topics)]: 0.7, topics[(n * 3) % len(topics)]: 0.2}
        first = advice.rank(knowledge, facts, text, priors)
        seen = [s.item.id for s in first.scored[: 1 + n % 4]]
        kwargs = {"seen": seen, "led": seen[:1], "context": before} if n % 2 else {}
        got = advice.rank(knowledge, facts, text, priors, **kwargs)  # type: ignore[arg-type]
        want = advice.rank(knowledge, facts, text, priors, **kwargs)  # type: ignore[arg-type]
        a, b = got.scored, want.scored
        assert isinstance(a, advice.Ranked) and isinstance(b, advice.Ranked)
        size = len(a)
        if n % 3 == 0:
            _ = a[n % max(size, 1)] if size else None  # one read alone first: the slice gives that same object
        part = [slice(1, None), slice(None, 3), slice(5, 40), slice(None, None, 2), slice(-7, None)][n % 5]
        got_part = a[part]
        assert [_fields(s) for s in got_part] == [_fields(s) for s in _one_by_one(b, range(*part.indices(size)))]
        assert all(x is y for x, y in zip(got_part, a[part], strict=True))  # made once
        assert [_fields(s) for s in a] == [_fields(s) for s in _one_by_one(b, range(size))]  # (iteration)
        assert all(x is y for x, y in zip(a, [a[j] for j in range(size)], strict=True))
        checked += size
    assert checked > 20_000


# the intent vocabulary ---------------------------------------------------------------------------------


class _FormerVocabulary:
    """``intents.Vocabulary`` before this pass (verbatim but for the name)."""

    def __init__(self, terms: np.ndarray) -> None:
        order = np.argsort(terms, kind="stable")
        self.sorted: np.ndarray = terms[order]
        self.columns: np.ndarray = order.astype(np.int64)

    def terms(self) -> np.ndarray:
        out = np.empty_like(self.sorted)
        out[self.columns] = self.sorted
        return out

    def lookup(self, grams: list[str]) -> np.ndarray:
        if not grams or not len(self.sorted):
            return np.zeros(0, dtype=np.int64)
        width = self.sorted.dtype.itemsize // 4  # (numpy's str dtype holds 4 bytes a character)
        if max(map(len, grams)) > width:  # longer than every term: not one of them
            grams = [g for g in grams if len(g) <= width]
        query = np.array(grams, dtype=self.sorted.dtype)
        pos = np.searchsorted(self.sorted, query)
        np.minimum(pos, len(self.sorted) - 1, out=pos)
        found = self.sorted[pos] == query
        cols: np.ndarray = self.columns[pos[found]]
        return cols

    def columns_of(self, grams: list[str]) -> np.ndarray:
        if not grams or not len(self.sorted):
            return np.full(len(grams), -1, dtype=np.int64)
        width = self.sorted.dtype.itemsize // 4
        query = np.array([g if len(g) <= width else "" for g in grams], dtype=self.sorted.dtype)
        pos = np.searchsorted(self.sorted, query)
        np.minimum(pos, len(self.sorted) - 1, out=pos)
        found = (self.sorted[pos] == query) & np.fromiter((len(g) <= width for g in grams), bool, len(grams))
        return np.where(found, self.columns[pos], -1)


AWKWARD = [
    "café crème à 9h",
    "naïve résumé for the 2nd round",
    "😬😬 w/ Ms. O'Neil @ 9:15am",
    "so nervous \ud83d about it",  # a lone surrogate (a broken emoji from a client)
    "nul\x00 byte",
    "x" * 60 + " interview",
    "ｆｕｌｌｗｉｄｔｈ letters and 中文",
]


def _same(new: intents.Vocabulary, old: _FormerVocabulary, grams: list[str]) -> None:
    got, want = new.lookup(grams), old.lookup(grams)
    assert got.dtype == want.dtype == np.int64 and np.array_equal(got, want), grams[:5]
    got, want = new.columns_of(grams), old.columns_of(grams)
    assert got.dtype == want.dtype == np.int64 and np.array_equal(got, want), grams[:5]


@pytest.fixture(scope="module")
def served(nlu: NLU) -> intents.IntentModel:
    return nlu.classifier


def test_the_served_vocabulary_is_searched_as_loaded(served: intents.IntentModel) -> None:
    path = Path(intents.__file__).parent / "model" / "intents.npz"
    with np.load(path, allow_pickle=False) as data:
        for vocab, key in ((served.word_vocab, "word_terms"), (served.char_vocab, "char_terms")):
            stored = data[key]
            assert vocab.columns is None and vocab.sorted.dtype.kind == "S"  # no copy, no column array
            terms = vocab.terms()
            assert terms.dtype == stored.dtype and np.array_equal(terms, stored)  # (what save() writes back)


def test_every_message_s_grams_find_the_former_columns(served: intents.IntentModel) -> None:
    path = Path(intents.__file__).parent / "model" / "intents.npz"
    with np.load(path, allow_pickle=False) as data:
        old_words, old_chars = _FormerVocabulary(data["word_terms"]), _FormerVocabulary(data["char_terms"])
    for text in [*_texts(), *AWKWARD]:
        clean = intents.normalise(text)
        _same(served.word_vocab, old_words, intents.word_ngrams(clean))
        _same(served.char_vocab, old_chars, intents.char_wb_ngrams(clean))
        _same(served.char_vocab, old_chars, [g for w in intents.char_words(clean) for g in (w, f" {w}", f"{w} ")])


def test_a_vocabulary_out_of_order_is_searched_through_its_sorted_copy() -> None:
    terms = ["zeta", "alpha", "é", "mid", "a b", "😬", "beta", "al"]
    vocab = intents.Vocabulary.of({t: j for j, t in enumerate(terms)})
    old = _FormerVocabulary(np.array(terms, dtype=str))
    assert vocab.columns is not None and np.array_equal(vocab.terms(), old.terms())
    grams = [*terms, "alp", "zz", "", "x" * 30, "\ud83d", "é ", "al\x00"]
    for k in range(1, len(grams) + 1):
        _same(vocab, old, grams[:k])
    ordered = intents.Vocabulary(np.array(sorted(terms), dtype=str))
    assert ordered.columns is None
    _same(ordered, _FormerVocabulary(np.array(sorted(terms), dtype=str)), grams)


def test_terms_are_encoded_a_block_at_a_time_as_all_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    terms = np.array(sorted(["a", "b\nc", "café", "d", "e", "😬", "zz", "z"]), dtype=str)
    whole = intents.Vocabulary(terms)
    monkeypatch.setattr(intents, "ENCODE_BLOCK", 3)
    blocks = intents.Vocabulary(terms)
    assert blocks.sorted.dtype == whole.sorted.dtype and np.array_equal(blocks.sorted, whole.sorted)
    assert np.array_equal(blocks.terms(), terms) and blocks.columns is None


# patterns compiled once ----------------------------------------------------------------------------------


def test_the_date_reader_s_fixes_and_the_tagger_s_shapes_are_the_former_re_sub_calls() -> None:
    import re

    from bot.nlu import dates, entities

    assert [(p.pattern, p.flags, r) for p, r in dates._FIXES_COMPILED] == [
        (pattern, re.compile(pattern).flags, r) for pattern, r in dates._FIXES
    ]

    def former_prepare_fixes(low: str) -> str:
        for pattern, repl in dates._FIXES:
            low = re.sub(pattern, repl, low)
        return low

    def former_shape(word: str) -> str:
        shape = re.sub(r"[A-Z]", "X", word)
        shape = re.sub(r"[a-z]", "x", shape)
        shape = re.sub(r"\d", "d", shape)
        return re.sub(r"(.)\1{2,}", r"\1\1", shape)

    for text in [*_texts(), *AWKWARD, "tmrw 2nite @ 3pm", "AAAbbb111 ÉÉÉ"]:
        low = text.lower()
        fixed = low
        for pattern, repl in dates._FIXES_COMPILED:
            fixed = pattern.sub(repl, fixed)
        assert fixed == former_prepare_fixes(low), text
        for word in text.split():
            assert entities._shape(word) == former_shape(word), word
