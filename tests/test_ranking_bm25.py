"""The ranking's fast BM25 scoring must give the same numbers as the library model it is built from."""

from __future__ import annotations

import numpy as np
from rank_bm25 import BM25Okapi

from bench.ranking_memory import documents
from bot.coaching import advice
from bot.coaching.postings import char_grams


def test_the_fast_scoring_gives_the_library_s_bm25_numbers(knowledge) -> None:
    idx = advice.index(knowledge)
    docs, whole, _ = documents(knowledge)
    library, library_whole = BM25Okapi(docs), BM25Okapi(whole)
    for text in ("who pays for dinner", "how do i negotiate my salary after the offer", "zzz unknown words"):
        query = list(dict.fromkeys(advice.terms(text)))
        assert np.allclose(idx.fast.scores(query), library.get_scores(query))
        assert np.allclose(idx.fast_whole.scores(query), library_whole.get_scores(query))


def test_the_character_match_is_the_cosine_of_tf_idf_character_vectors(knowledge) -> None:
    idx = advice.index(knowledge)
    questions = [q for _, item in idx.entries for q in item.questions]
    grams = [char_grams(advice.content_words(q)) for q in questions]

    def vector(counts: dict[str, int]) -> dict[str, float]:
        vec = {t: (1 + np.log(c)) * idx.chars.idf_of(t, 0.0) for t, c in counts.items() if t in idx.chars}
        norm = np.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    for text in ("who pays for the diner", "negotiatting salary after an offer", "zzz qqq"):
        q = vector(char_grams(advice.content_words(text)))
        expected = [sum(v * vector(g).get(t, 0.0) for t, v in q.items()) for g in grams[:200]]
        assert np.allclose(idx.chars.scores(advice.content_words(text))[:200], expected)


def test_a_paraphrase_still_finds_its_item_by_characters(knowledge) -> None:
    idx = advice.index(knowledge)
    parts, _ = idx.parts("who covers the check at the restaurant dinner")
    best = idx.entries[int(np.argmax(parts["chars"]))][1]
    assert best.id == "informal-setting-bill"
