"""The quicker feature code of the language models gives exactly the features of the code it replaced.

The entity tagger's features (``entities.features``) are built with precomputed neighbour prefixes and
clause cues; the intent classifier looks its n-grams up in the vocabulary's own dtype and remembers each
word's character n-gram columns. The references below are the former code: over every training example
and dev message, the CRF sees the same feature lists (in the same order, also when training drops
word-list features at random) and the classifier the same columns and the same TF-IDF values.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.library import default_dir
from bot.nlu import NLU, entities, intents
from bot.nlu.entities import _DROPPABLE, Lexicon, Token, tokenize
from bot.nlu.training import load_examples

DATA = Path(__file__).resolve().parent / "data"
DEV_FILES = ["nlu_dev.jsonl", "nlu_dev2.jsonl", "nlu_final.jsonl", "dev/scheduling.jsonl", "dev/dates.jsonl"]


def _texts() -> list[str]:
    texts = [ex.text for ex in load_examples(default_dir() / "nlu" / "intents")]
    for name in DEV_FILES:
        texts += [json.loads(line)["text"] for line in (DATA / name).read_text().splitlines() if line.strip()]
    return [*texts, "", "   ", "x" * 40 + " at 3pm", "😬😬 w/ Ms. O'Neil @ 9:15am, re: round 2!!"]


def _reference_features(tokens: list[Token], lexicon: Lexicon, rng: random.Random | None = None) -> list[list[str]]:
    """``entities.features`` before the neighbour prefixes and clause cues were precomputed."""
    words = [t.text for t in tokens]
    lows = [w.lower() for w in words]

    def own(i: int) -> list[str]:
        w = words[i]
        held = lexicon.word_features.get(w)
        if held is None:  # (the word's own features, as the tagger remembers them)
            entities.features([tokens[i]], lexicon)
            held = lexicon.word_features[w]
        head, tail = held
        f = list(head)
        if w[:1].isupper():
            f.append("title")
            if i > 0 and lows[i - 1] not in {".", "!", "?", ":", "\n"}:
                f.append("title_mid")
        f.extend(tail)
        if rng is not None:
            f = [x for x in f if x not in _DROPPABLE or rng.random() > 0.3]
        return f

    base = [own(i) for i in range(len(tokens))]
    shown = [[x for x in b if not x.startswith(("w=", "suf3", "pre3", "len="))] for b in base]
    out: list[list[str]] = []
    for i in range(len(tokens)):
        f = list(base[i])
        if i == 0:
            f.append("BOS")
        if i == len(tokens) - 1:
            f.append("EOS")
        for d in (-3, -2, -1, 1, 2, 3):
            j = i + d
            if 0 <= j < len(tokens):
                f.append(f"{d}:w={lows[j]}")
                if abs(d) <= 2:
                    f.extend([f"{d}:{x}" for x in shown[j]])
        if i > 0:
            f.append(f"bigram={lows[i - 1]}|{lows[i]}")
        if i + 1 < len(tokens):
            f.append(f"bigram+={lows[i]}|{lows[i + 1]}")
        clause: list[str] = []
        prep_seen = False
        for j in range(i - 1, max(-1, i - 7), -1):
            low = lows[j]
            if low in entities._CLAUSE_BREAK:
                break
            if not prep_seen and low in entities._PREP:
                clause.append(f"lastprep={low}")
                prep_seen = True
            if "bgcue" in base[j]:
                clause.append("bg_before")
            if "setting" in base[j]:
                clause.append("setting_before")
            if "role" in base[j] and i - j <= 3:
                clause.append("role_before")
        f.extend(sorted(set(clause)))
        out.append(f)
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    out = _texts()
    assert len(out) > 2_000
    return out


def test_the_tagger_s_features_are_the_former_ones_for_every_message(nlu: NLU, texts: list[str]) -> None:
    lexicon = nlu.tagger.lexicon
    for n, text in enumerate(texts):
        tokens = tokenize(text)
        assert entities.features(tokens, lexicon) == _reference_features(tokens, lexicon), text
        if n % 5 == 0:  # training drops word-list features at random: the same ones for the same draws
            got = entities.features(tokens, lexicon, random.Random(n))
            assert got == _reference_features(tokens, lexicon, random.Random(n)), text


_AS_IT_WAS: dict[int, tuple[intents.Vocabulary, np.ndarray, np.ndarray]] = {}


def _reference_lookup(vocab: intents.Vocabulary, grams: list[str]) -> np.ndarray:
    if id(vocab) not in _AS_IT_WAS:  # the vocabulary as it was: a sorted copy of the terms and their columns
        terms = vocab.terms()
        order = np.argsort(terms, kind="stable")
        _AS_IT_WAS[id(vocab)] = (vocab, terms[order], order.astype(np.int64))
    _, sorted_terms, columns = _AS_IT_WAS[id(vocab)]
    if not grams or not len(sorted_terms):
        return np.zeros(0, dtype=np.int64)
    query = np.array(grams, dtype=str)
    pos = np.searchsorted(sorted_terms, query)
    np.minimum(pos, len(sorted_terms) - 1, out=pos)
    found = sorted_terms[pos] == query
    cols: np.ndarray = columns[pos[found]]
    return cols


def test_the_classifier_finds_the_same_columns_for_every_message(nlu: NLU, texts: list[str]) -> None:
    model = nlu.classifier
    long_word = "supercalifragilisticexpialidocious-and-then-some"
    for text in [*texts, f"{long_word} interview {long_word} tomorrow"]:
        clean = intents.normalise(text)
        for grams, vocab in (
            (intents.word_ngrams(clean), model.word_vocab),
            (intents.char_wb_ngrams(clean), model.char_vocab),
        ):
            assert np.array_equal(vocab.lookup(grams), _reference_lookup(vocab, grams)), text


def _reference_vector(model: intents.IntentModel, text: str) -> tuple[np.ndarray, np.ndarray]:
    """``IntentModel.features`` before each word's character n-gram columns were remembered."""
    clean = intents.normalise(text)
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    offset = 0
    for grams, vocab, idf in (
        (intents.word_ngrams(clean), model.word_vocab, model.word_idf),
        (intents.char_wb_ngrams(clean), model.char_vocab, model.char_idf),
    ):
        found = _reference_lookup(vocab, grams)
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


def test_the_classifier_s_vectors_are_the_former_ones_with_words_remembered_or_not(
    nlu: NLU, texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = nlu.classifier
    for kept in (intents.WORDS_KEPT, 50):  # and with the memory emptied again and again
        monkeypatch.setattr(intents, "WORDS_KEPT", kept)
        for text in texts:
            cols, vals = model.features(text)
            want_cols, want_vals = _reference_vector(model, text)
            assert np.array_equal(cols, want_cols) and vals.tobytes() == want_vals.tobytes(), text
        assert len(model._word_columns) <= kept
