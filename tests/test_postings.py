"""The compact posting store gives exactly the advice ranking's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bench.ranking_memory import CharIndex, Postings, documents, queries
from bot.coaching import advice, postings, situation
from bot.coaching.postings import BM25Postings, CharPostings
from bot.knowledge.library import Knowledge


@pytest.fixture(scope="module")
def stores(knowledge: Knowledge) -> dict[str, tuple[object, postings.PostingStore]]:
    docs, whole, chars = documents(knowledge)
    return {
        "fields": (Postings(BM25Okapi(docs)), BM25Postings.build(docs)),
        "whole": (Postings(BM25Okapi(whole)), BM25Postings.build(whole)),
        "chars": (CharIndex(chars), CharPostings.build(chars)),
    }


def test_the_index_serves_the_stores_built_from_these_documents(knowledge: Knowledge, stores) -> None:
    idx = advice.index(knowledge)
    assert idx.fast == stores["fields"][1] and idx.chars == stores["chars"][1]
    assert idx.fast_whole == stores["whole"][1]


def test_every_score_is_identical_to_the_index_s_over_many_queries(knowledge: Knowledge, stores) -> None:
    """BM25 exactly; the character cosines exactly when kept in float64, within float32's rounding as kept."""
    texts = queries(knowledge)
    assert len(texts) > 300
    (fields_old, fields), (whole_old, whole), (chars_old, chars) = stores.values()
    chars64 = CharPostings.build(documents(knowledge)[2], dtype=np.float64)
    assert chars.weights.dtype == np.float32 and np.array_equal(chars.weights, chars64.weights.astype(np.float32))
    for text in texts:
        asked = list(dict.fromkeys(advice.terms(text)))
        extra = [t for t in advice.terms("salary offer negotiation") if "_" not in t]
        for query in (asked, asked + extra):
            assert np.array_equal(fields.scores(query), fields_old.scores(query)), text
            assert np.array_equal(whole.scores(query), whole_old.scores(query)), text
        words = advice.content_words(text)
        assert np.array_equal(chars64.scores(words), chars_old.scores(words)), text
        assert np.allclose(chars.scores(words), chars_old.scores(words), rtol=0, atol=1e-6), text


def test_the_character_weights_kept_in_float32_choose_the_same_advice(knowledge: Knowledge) -> None:
    """The float32 character weights change no answer: the same bullets as float64 for every query."""
    idx = advice.index(knowledge)
    kept = idx.chars
    exact = CharPostings.build(documents(knowledge)[2], dtype=np.float64)
    facts = situation.Facts(values={"setting": "meal"})
    try:
        for text in queries(knowledge)[::3]:
            picked = []
            for store in (kept, exact):
                idx.chars = store
                idx.forget()
                picked.append([s.item.id for s in advice.choose(advice.rank(knowledge, facts, text, {}))])
            assert picked[0] == picked[1], text
    finally:
        idx.chars = kept
        idx.forget()


def test_the_idf_is_the_library_s(knowledge: Knowledge) -> None:
    docs, _, chars = documents(knowledge)
    bm25 = BM25Okapi(docs)
    store = BM25Postings.build(docs)
    assert len(store) == len(bm25.idf)
    for term in [*list(bm25.idf)[:500], "zzz-unknown", "interview"]:
        assert store.idf_of(term, advice.OOV_WEIGHT) == bm25.idf.get(term, advice.OOV_WEIGHT)
    char_old, char_new = CharIndex(chars), CharPostings.build(chars)
    for gram in list(char_old.idf)[:500]:
        assert char_new.idf_of(gram, -1.0) == char_old.idf[gram]


def test_a_word_in_more_than_half_the_documents_gets_the_library_s_floor() -> None:
    docs = [["a", "b"], ["a"], ["a", "c", "c"], ["d"]]
    old, new = Postings(BM25Okapi(docs)), BM25Postings.build(docs)
    for query in (["a"], ["a", "c"], ["c", "a", "d"], ["b", "zz"], []):
        assert np.array_equal(new.scores(query), old.scores(query))
    assert new.idf_of("a", 0.0) == BM25Okapi(docs).idf["a"]


def test_the_store_is_small(stores) -> None:
    """Flat arrays: a fraction of the per-term dicts of small arrays (13 MB kept today, with BM25Okapi).

    int32 pointers and float32 character weights keep it well under the budget (2.3 MB with 2,647 phrasings).
    """
    assert sum(store.nbytes for _, store in stores.values()) < 3 * 2**20
