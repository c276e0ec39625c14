"""Reading a message for facts through the first-word index gives exactly what trying every keyword gave.

``situation._detect`` tries only the keywords whose first word is in the message (found through one dict
per knowledge base, in declaration order) and remembers each unknown word's typo correction. The reference
below is the former code: every fact group in order, every keyword tried. For messages made of every
keyword of the knowledge base (alone, with typos, plural, negated, supposed, mixed with others) and
for the project's own test messages, the facts found must be the same, field for field.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bot.coaching import situation
from bot.coaching.situation import (
    _BREAKS,
    MAX_GAP,
    TYPO_MIN,
    Found,
    _one_typo,
    _pick,
    _reading,
    _singular,
    _spelling,
    _table,
    tokens,
)
from bot.knowledge.library import Knowledge

DATA = Path(__file__).parent / "data"


def _reference_match(words: list[str], keyword: tuple[str, ...]) -> tuple[int, int] | None:
    """Where ``keyword`` occurs in ``words`` (its first and last position), allowing short gaps."""
    if not keyword:
        return None
    for start, word in enumerate(words):
        if word != keyword[0]:
            continue
        pos, ok = start, True
        for part in keyword[1:]:
            window = words[pos + 1 : pos + 2 + MAX_GAP]
            if part not in window or any(w in _BREAKS for w in window[: window.index(part)]):
                ok = False
                break
            pos = pos + 1 + window.index(part)
        if ok:
            return start, pos
    return None


def _reference_respelt(knowledge: Knowledge, words: list[str]) -> list[str]:
    known, by_letter = _spelling(knowledge)
    out = []
    for w in words:
        if len(w) >= TYPO_MIN and w.isalpha() and w not in known:
            near = [k for k in by_letter.get(w[0], ()) if _one_typo(w, k)]
            if len(near) == 1:
                w = near[0]
        out.append(w)
    return out


def _reference_detect(knowledge: Knowledge, text: str) -> dict[str, Found]:
    """The former reading: every group in order, every keyword of it tried."""
    words = _reference_respelt(knowledge, tokens(text))
    found: dict[str, Found] = {}
    if not words:
        return found
    singular = _singular(words)
    present = set(words) | set(singular)
    matches: list[tuple[str, str, str, tuple[str, ...], int, int]] = []
    for name, group, keywords in _table(knowledge):
        if group.only_with and not any(w.startswith(p) for w in words for p in group.only_with):
            continue
        for key, keyword, kw in keywords:
            if not kw or kw[0] not in present:
                continue
            where = _reference_match(words, kw) or _reference_match(singular, kw)
            said = None if where is None else _reading(knowledge, name, key, words, where, kw)
            if where is None or said is None:
                continue
            matches.append((name, said, keyword, kw, where[0], where[1]))
    return _pick(words, matches)  # (the choice among the keywords found is the same code: the index only finds them)


def _typos(word: str, rng: random.Random) -> list[str]:
    """A few one-letter slips of a word: a letter dropped, doubled, two swapped, one changed."""
    if len(word) < 3:
        return []
    i = rng.randrange(1, len(word) - 1)
    return [
        word[:i] + word[i + 1 :],
        word[:i] + word[i] + word[i:],
        word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :],
        word[:i] + "x" + word[i + 1 :],
        word[:-1],
        word + "e",
    ]


def _messages(knowledge: Knowledge) -> list[str]:
    rng = random.Random(12)
    keywords = [keyword for _, _, kws in _table(knowledge) for _, keyword, _ in kws]
    frames = [
        "{}",
        "what if it's {}?",
        "not {} this time",
        "they said it would be {}, any tips",
        "{}s and {}",
        "it was {}. but then {}",
        "i think {} will it be {}?",
        "the interview is over {} now what",
        "{} with the same {} as before",
        "never {}, it's {} w/ 3 ppl",
    ]
    out = []
    for keyword in keywords:
        out.append(keyword)
        for frame in rng.sample(frames, 3):
            out.append(
                frame.format(*(rng.choice([keyword, *rng.sample(keywords, 1)]) for _ in range(frame.count("{}"))))
            )
        words = keyword.split()
        if words:
            j = rng.randrange(len(words))
            for slip in _typos(words[j], rng)[:3]:
                out.append(" ".join([*words[:j], slip, *words[j + 1 :]]) + " tomorrow?")
        out.append(keyword.upper() + "!!")
    for _ in range(600):  # run-ons of several keywords
        out.append(" ".join(rng.sample(keywords, rng.randint(2, 6))))
    for path in sorted(DATA.glob("*.jsonl")):  # the project's own messages (never the blind or dev sets)
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if isinstance(row, dict) and isinstance(row.get("text"), str):
                    out.append(row["text"])
    return out


def test_index_reads_every_message_as_trying_every_keyword(knowledge: Knowledge) -> None:
    messages = _messages(knowledge)
    assert len(messages) > 3000
    differ = [m for m in messages if situation._detect(knowledge, m) != _reference_detect(knowledge, m)]
    assert differ == []


def test_remembered_typo_corrections_stay_right_after_the_memory_fills(
    knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(situation, "FIXES_KEPT", 5)  # cleared often: every word computed afresh again
    messages = [m for m in _messages(knowledge) if any(len(w) >= TYPO_MIN for w in m.split())][:800]
    for text in messages + messages:  # the second pass reads words remembered (or forgotten) by the first
        assert situation._detect(knowledge, text) == _reference_detect(knowledge, text), text


def test_a_misspelt_setting_is_still_read(knowledge: Knowledge) -> None:
    said = situation.detect(knowledge, "its a diner with the team, who pays")
    assert said["setting"].value == _reference_detect(knowledge, "its a diner with the team, who pays")["setting"].value
    assert said["setting"].value == "meal"
