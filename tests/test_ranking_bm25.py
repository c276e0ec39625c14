"""The ranking's fast BM25 scoring must give the same numbers as the library model it is built from."""

from __future__ import annotations

import numpy as np

from bot import advice


def test_the_fast_scoring_gives_the_library_s_bm25_numbers(knowledge) -> None:
    idx = advice.index(knowledge)
    for text in ("who pays for dinner", "how do i negotiate my salary after the offer", "zzz unknown words"):
        query = list(dict.fromkeys(advice.terms(text)))
        assert np.allclose(idx.fast.scores(query), idx.bm25.get_scores(query))
        assert np.allclose(idx.fast_whole.scores(query), idx.whole.get_scores(query))
