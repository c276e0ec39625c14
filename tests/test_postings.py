"""The compact posting store gives exactly the advice ranking's numbers, and survives a save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bench.ranking_memory import OldCharIndex, OldPostings, documents, queries
from bot.coaching import advice, postings
from bot.coaching.postings import BM25Postings, CharPostings
from bot.knowledge.library import Knowledge


@pytest.fixture(scope="module")
def stores(knowledge: Knowledge) -> dict[str, tuple[object, postings.PostingStore]]:
    docs, whole, chars = documents(knowledge)
    return {
        "fields": (OldPostings(BM25Okapi(docs)), BM25Postings.build(docs)),
        "whole": (OldPostings(BM25Okapi(whole)), BM25Postings.build(whole)),
        "chars": (OldCharIndex(chars), CharPostings.build(chars)),
    }


def test_the_reference_copies_are_the_index_s_own_code_while_it_has_them(knowledge: Knowledge, stores) -> None:
    """The copies above are advice's classes of today (delete this test once ``advice`` serves from the store)."""
    docs, _, chars = documents(knowledge)
    fields_old, chars_old = advice.Postings(BM25Okapi(docs)), advice.CharIndex(chars)
    for text in queries(knowledge)[:100]:
        asked = list(dict.fromkeys(advice.terms(text)))
        assert np.array_equal(fields_old.scores(asked), stores["fields"][0].scores(asked))
        words = advice.content_words(text)
        assert np.array_equal(chars_old.scores(words), stores["chars"][0].scores(words))


def test_the_documents_are_the_index_s(knowledge: Knowledge) -> None:
    idx = advice.index(knowledge)
    docs, whole, chars = documents(knowledge)
    assert len(docs) == len(idx.owners) and len(whole) == len(idx.entries) and len(chars) == idx.chars.size
    asked = list(dict.fromkeys(advice.terms("how do I negotiate my salary after a dinner interview")))
    assert np.array_equal(BM25Postings.build(docs).scores(asked), idx.fast.scores(asked))
    assert np.array_equal(BM25Postings.build(whole).scores(asked), idx.fast_whole.scores(asked))
    assert postings.CHAR_SIZES == advice.CHAR_SIZES


def test_every_score_is_identical_to_the_index_s_over_many_queries(knowledge: Knowledge, stores) -> None:
    texts = queries(knowledge)
    assert len(texts) > 300
    (fields_old, fields), (whole_old, whole), (chars_old, chars) = stores.values()
    for text in texts:
        asked = list(dict.fromkeys(advice.terms(text)))
        extra = [t for t in advice.terms("salary offer negotiation") if "_" not in t]
        for query in (asked, asked + extra):
            assert np.array_equal(fields.scores(query), fields_old.scores(query)), text
            assert np.array_equal(whole.scores(query), whole_old.scores(query)), text
        words = advice.content_words(text)
        assert np.array_equal(chars.scores(words), chars_old.scores(words)), text


def test_the_idf_is_the_library_s(knowledge: Knowledge) -> None:
    docs, _, chars = documents(knowledge)
    bm25 = BM25Okapi(docs)
    store = BM25Postings.build(docs)
    assert len(store) == len(bm25.idf)
    asked = [*list(bm25.idf)[:500], "zzz-unknown", "interview"]
    for term in asked:
        assert store.idf_of(term, advice.OOV_WEIGHT) == bm25.idf.get(term, advice.OOV_WEIGHT)
    assert store.idfs(asked, advice.OOV_WEIGHT) == [bm25.idf.get(t, advice.OOV_WEIGHT) for t in asked]
    assert store.idfs([], 1.0) == []
    char_old, char_new = OldCharIndex(chars), CharPostings.build(chars)
    for gram in list(char_old.idf)[:500]:
        assert char_new.idf_of(gram, -1.0) == char_old.idf[gram]


def test_a_word_in_more_than_half_the_documents_gets_the_library_s_floor() -> None:
    docs = [["a", "b"], ["a"], ["a", "c", "c"], ["d"]]
    old, new = OldPostings(BM25Okapi(docs)), BM25Postings.build(docs)
    for query in (["a"], ["a", "c"], ["c", "a", "d"], ["b", "zz"], []):
        assert np.array_equal(new.scores(query), old.scores(query))
    assert new.idf_of("a", 0.0) == BM25Okapi(docs).idf["a"]


def test_save_and_load_give_the_same_store_without_pickle(stores, tmp_path: Path) -> None:
    for name, (_, store) in stores.items():
        path = tmp_path / f"{name}.npz"
        store.save(path)
        loaded = type(store).load(path)
        assert loaded == store
        with np.load(path, allow_pickle=False) as data:  # plain arrays only
            assert all(data[key].dtype != object for key in data.files)
    with pytest.raises(ValueError, match="not a chars store"):
        CharPostings.load(tmp_path / "fields.npz")


def test_a_damaged_store_is_refused(stores, tmp_path: Path) -> None:
    store = stores["fields"][1]
    broken = BM25Postings(store.terms, store.indptr, store.rows[:-1], store.weights[:-1], store.idf, store.size)
    broken.save(tmp_path / "broken.npz")
    with pytest.raises(ValueError, match="inconsistent"):
        BM25Postings.load(tmp_path / "broken.npz")


def test_the_store_is_small(stores) -> None:
    """Flat arrays: a fraction of the per-term dicts of small arrays (13 MB kept today, with BM25Okapi)."""
    assert sum(store.nbytes for _, store in stores.values()) < 3 * 2**20


def test_the_item_word_sets_give_the_index_s_coverages(knowledge: Knowledge) -> None:
    """``Index.holders`` (word → items that speak to it) as a store: the same coverage numbers."""
    idx = advice.index(knowledge)
    store = postings.PostingStore.of_rows(idx.holders, len(idx.entries))
    assert len(store) == len(idx.holders)
    for text in queries(knowledge):
        _, words = idx.parts(text)
        total = sum(words.values())
        expected = idx.coverages(words)
        got = store.sums(list(words), list(words.values())) / total if total else np.zeros(len(idx.entries))
        assert np.array_equal(got, expected), text
