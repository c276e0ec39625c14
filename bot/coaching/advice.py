"""Ranks the knowledge items for one message and the student's situation, and lays the answer out.

Each item lists the questions it answers (``questions:`` in ``knowledge/topics``). A message is matched
against those phrasings, the item's heading and keywords, and its text with BM25 (Okapi, as
``rank_bm25`` computes it, served from the compact posting lists of :mod:`bot.coaching.postings`),
after putting typos right and adding the knowledge base's words for the student's
(``knowledge/synonyms.yaml``); that match is combined with the intent classifier's belief in each
topic, with whether the item fits the student's facts (see :mod:`bot.coaching.situation`), and with what this
conversation has already shown. The weights are plain constants, chosen with ``bench/ranking_tune.py``
on the labelled own and dev sets; docs/ranking.md explains each signal.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache, lru_cache
from threading import Lock
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import snowballstemmer

from bot.coaching.postings import BM25Postings, CharPostings
from bot.common import markup
from bot.common.types import Button, Reply
from bot.knowledge.library import TOPIC_LABELS, Item, Knowledge, Topic, per_knowledge

if TYPE_CHECKING:
    from bot.coaching.situation import Facts
    from bot.coaching.turn import Turn

PAGE = 3
MAX_BULLET = 300  # characters; items are written shorter, this is the guard

# How the signals add up (tuned on tests/data/ranking_own.jsonl and the dev ranking set).
W_MATCH = 1.0  # times the item's match relative to the best match for the question
MATCH_SCALE = 1.33  # a best match below this is not scaled up to 1: a weak match stays weak
W_TOPIC = 0.34  # times the classifier's confidence in the item's topic
W_CONTEXT = 1.0  # times the match with the message a follow-up refers to
W_BEFORE = 0.25  # …with the message before a short question that doesn't point back ("what happens now?")
W_COVER = 0.92  # times the share of the question's words the item speaks to
FIT_BONUS = 0.4  # the item is for a situation the student is in
FIT_TOLD = 0.0  # …and said so in this very message
FIT_STRICT = 0.3  # …and it is a fact that changes everything (an outcome: rejected, accepted…)
OFF_SITUATION = 0.3  # an item not made for such a known, decisive situation
FIT_SLOT = 2.0  # the best item made for the student's situation comes second when it scores within this of the first
SLOT_MATCH = 0.4  # …if it matches the question's own words this well (relative)…
NEAR_SLOT = 0.7  # …else only within this of the first, unless the question is broad or the situation decisive
SLOT_BROAD = 2  # a question with this many content words or fewer is broad ("how should I prepare?")
FIT_RELEVANT = 0.3  # asked something specific, a fit counts in full for an item matching it this well, less below
GUESS_PENALTY = 0.5  # the item is for a situation the student has not mentioned
POSITION_PENALTY = 0.02  # times the item's place in its topic (0 first … 1 last): counsellors order by importance
VARIANT_MATCH = 0.25  # asked again, another item making the same point is shown instead if it matches this well
VARIANT_PENALTY = 0.5  # the same article point was already shown in other words
SAME_TOPIC = 0.0  # bullets after the first: staying on the first one's topic
FOLLOW_MATCH = 0.0  # bullets after the first lean less on the question's words…
FOLLOW_POSITION = 0.2  # …and more on the order counsellors gave their topic
REPEAT_FLOOR = 0.75  # an item already shown comes back only as the answer to a question it matches this well
EXPLICIT = 0.85  # an item shown only as a side bullet can lead a question whose own words match it this well
# (relative to the best match; it then leads the reply, see choose)
DOC_WEIGHTS = {"question": 0.2, "meta": 0.85, "text": 0.8, "whole": 1.4, "chars": 0.5}
SPELL_MIN = 5  # words this long that the knowledge base doesn't know are checked for a typo
OOV_WEIGHT = 3.0  # how much a word the knowledge base has never seen counts against the match
SITUATION_MATCH = 0.3  # a weakly matched question still gets advice made for the student's situation matching this well
STRONG = 0.75  # the best items speak to this share of the question: answer whatever the classifier thinks
WEAK = 0.5  # below this share (and with a classifier unsure, below SURE) the knowledge base has no answer
SURE = 0.6  # classifier confidence above which a weakly matched question still gets the topic's best
CLOSEST = 0.3  # an honest "no good answer" still shows the closest item when it speaks to this share
RESPELT_KEPT = 5_000  # unknown words remembered with their correction (emptied past this)
SHOWN_KEEP = 80  # item ids remembered per conversation
READS_KEPT = 64  # questions whose match with every item is remembered (see Index.read)
STANDINGS_KEPT = 512  # sets of facts whose fit with every item is remembered (see Index.standing)
FORGET_AFTER = timedelta(hours=12)  # a conversation this quiet starts afresh

_WORD = re.compile(r"[a-z0-9]+")
_POSSESSIVE = re.compile(r"'s\b")
_STOP_TEXT = """a about above after again all am an and any are as at be been being both but by can could did do does
    doing done during each few for from further had has have having he her here hers him his how i if in
    into is it its itself just me more most my of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what which while will with would you your yours
    ive id ill youre dont didnt doesnt isnt cant wont shouldnt wouldnt s t d ll m re ve hi hey hello pls
    please thanks thx ok okay so um uh like really just also get got go going want wanna gonna know
    think thing things anything something one bit lot tip tips advice round second 2nd interview
    help suggestion suggestions guidance actually honestly basically literally lol tbh omg kinda sorta
    what's that's how's there's here's it's they're they've they'll we've you've you'll he's she's"""
# words are read with their apostrophes removed ("what's" → "whats"): a filler counts in both spellings. "im"
# is not filler: the knowledge base's questions about the student's feelings ("I'm so nervous") use it, and
# treating it as filler lost three such dev questions (docs/ranking.md, pass 6)
STOPWORDS = frozenset(w for word in _STOP_TEXT.split() for w in (word, word.replace("'", "")))
_NAMES = frozenset(  # days and months: the knowledge base's words, but about a date rather than advice
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "tomorrow",
        "yesterday",
        "tonight",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
_KEEP = frozenset({"not", "no", "who", "why", "when", "where", "again", "same", "before", "after"})
_NOT = frozenset(
    {"dont", "didnt", "doesnt", "isnt", "wont", "cant", "havent", "hasnt", "wasnt", "arent", "werent", "never"}
)
_UNSPELT = STOPWORDS | _NOT | _KEEP


@cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


_STEM_LOCK = Lock()  # one Snowball stemmer object, which keeps state while it works


@lru_cache(maxsize=10_000)
def _stem(word: str) -> str:
    """A word's Snowball stem (remembered: students use the same few thousand words)."""
    with _STEM_LOCK:
        return str(_stemmer().stemWord(word))


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text`` and the pairs of neighbouring ones (``same_person``)."""
    words = [
        "not" if w in _NOT else w
        for w in _WORD.findall(_POSSESSIVE.sub("", text.lower().replace("’", "'")).replace("'", ""))
        if w in _NOT or w not in STOPWORDS or w in _KEEP
    ]
    stems = [_stem(w) for w in words]
    return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems)]


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning (no filler, negations kept as "not"), unstemmed."""
    return [
        "not" if w in _NOT else w
        for w in _WORD.findall(_POSSESSIVE.sub("", text.lower().replace("’", "'")).replace("'", ""))
        if (w in _NOT or w not in STOPWORDS or w in _KEEP) and not w.isdigit()
    ]


class Index:
    """BM25 over every item's questions, heading and keywords, and text; built once per knowledge base."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.entries: list[tuple[Topic, Item]] = knowledge.items()
        docs: list[list[str]] = []
        owners: list[int] = []
        kind: list[str] = []
        for n, (_, item) in enumerate(self.entries):
            for question in item.questions:
                docs.append(terms(question))
                owners.append(n)
                kind.append("question")
            docs.append(terms(" ".join((item.heading, *item.keywords))))
            owners.append(n)
            kind.append("meta")
            docs.append(terms(item.text))
            owners.append(n)
            kind.append("text")
        self.owners = np.asarray(owners)
        kinds = np.asarray(kind)
        self.fields = {field: np.flatnonzero(kinds == field) for field in ("question", "meta", "text")}
        # every phrasing of an item together: words from different questions add up
        whole = [terms(" ".join((*item.questions, item.heading, *item.keywords))) for _, item in self.entries]
        self.fast, self.fast_whole = BM25Postings.build(docs), BM25Postings.build(whole)
        question_rows = self.fields["question"]
        self.chars = CharPostings.build([content_words(q) for _, item in self.entries for q in item.questions])
        counts = np.bincount(self.owners[question_rows], minlength=len(self.entries))
        self.char_items = np.flatnonzero(counts)  # items with stored questions, and where each one's start
        self.char_starts = (np.cumsum(counts) - counts)[self.char_items]
        self._rows = {item.id: n for n, (_, item) in enumerate(self.entries)}
        self.position = np.zeros(len(self.entries))
        for topic in knowledge.topics.values():
            for pos, item in enumerate(topic.items):
                self.position[self.where(item.id)] = pos / max(1, len(topic.items) - 1)
        self.vocab = [
            {t for t in terms(" ".join((*item.questions, item.heading, *item.keywords, item.text))) if "_" not in t}
            for _, item in self.entries
        ]
        self.surface: dict[str, int] = {}  # every word of the knowledge base, with how often it occurs
        for _, item in self.entries:
            for w in _WORD.findall(" ".join((*item.questions, item.heading, *item.keywords, item.text)).lower()):
                self.surface[w] = self.surface.get(w, 0) + 1
        self.synonyms = dict(knowledge.synonyms)
        self.phrases = [  # synonyms of several words, matched in the question's words put right
            (f" {' '.join(_WORD.findall(key))} ", [t for syn in syns for t in terms(syn) if "_" not in t])
            for key, syns in self.synonyms.items()
            if len(_WORD.findall(key)) > 1
        ]
        self._respelt: dict[str, str] = {}  # words put right before, with what they became
        holders: dict[str, list[int]] = {}
        for n, vocab in enumerate(self.vocab):
            for t in vocab:
                holders.setdefault(t, []).append(n)
        self.holders = {t: np.asarray(rows) for t, rows in holders.items()}
        # a word of the question is spoken to by an item that has it or one of its synonyms' words; a key of
        # several words ("pay rise") only when the whole phrase is asked (see widened): "pay" alone is not "salary"
        self.phrase_holders: list[tuple[str, dict[str, np.ndarray]]] = []  # (" stem stem ", words' items)
        for word, synonyms in self.synonyms.items():
            asked = [t for t in terms(word) if "_" not in t]
            alike = {t for syn in synonyms for t in terms(syn) if "_" not in t}
            phrase = len(_WORD.findall(word)) > 1
            widened: dict[str, np.ndarray] = {}
            for t in asked:
                rows = {int(r) for a in (t, *alike) for r in self.holders.get(a, ())}
                if rows:
                    widened[t] = np.asarray(sorted(rows))
            if phrase:
                if widened:
                    self.phrase_holders.append((f" {' '.join(_stem(w) for w in _WORD.findall(word))} ", widened))
            else:
                self.holders.update(widened)
        self.phrase_starts: dict[str, list[int]] = {}  # each phrase by its first stem (checked only when asked)
        for n, (key, _) in enumerate(self.phrase_holders):
            self.phrase_starts.setdefault(key.split()[0], []).append(n)
        topic_rows: dict[str, list[int]] = {}
        for n, (top, _) in enumerate(self.entries):
            topic_rows.setdefault(top.intent, []).append(n)
        self.topic_rows = {intent: tuple(rows) for intent, rows in topic_rows.items()}
        # what each item's conditions ask of the situation, read once here instead of per message
        self.strict = [group for group, spec in knowledge.facts.items() if spec.strict]
        self.wanted: list[dict[str, set[str]]] = []
        self.groups: list[frozenset[str]] = []
        self.unconditional: list[bool] = []
        for _, item in self.entries:
            wanted: dict[str, set[str]] = {}
            for key in item.when:
                value = knowledge.value(key)
                if value is not None:
                    wanted.setdefault(value.group, set()).add(key)
            self.wanted.append(wanted)
            self.groups.append(frozenset(wanted))
            self.unconditional.append(not wanted and not item.unless)
        # the same, as arrays over every item, for scoring them all at once (see rank)
        self.all_rows = np.arange(len(self.entries))
        self.topic_arrays = {intent: np.asarray(rows, dtype=np.int64) for intent, rows in self.topic_rows.items()}
        self.intents = list(self.topic_rows)
        intent_at = {intent: n for n, intent in enumerate(self.intents)}
        self.topic_of = np.asarray([intent_at[top.intent] for top, _ in self.entries], dtype=np.int64)
        point_at: dict[str, int] = {}
        self.point_of = np.asarray(
            [point_at.setdefault(item.point, len(point_at)) for _, item in self.entries], dtype=np.int64
        )
        self.points = len(point_at)
        # each field's documents are stored item by item: an item's best is the maximum over its run of rows
        self.runs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for field, field_rows in self.fields.items():
            owners_of = self.owners[field_rows]
            if len(owners_of) > 1 and bool(np.any(np.diff(owners_of) < 0)):
                raise ValueError(f"the {field} documents are not stored item by item")
            counts = np.bincount(owners_of, minlength=len(self.entries))
            held = np.flatnonzero(counts)
            self.runs[field] = (field_rows, held, (np.cumsum(counts) - counts)[held])
        # the documents as stored when every item has questions: each item's questions, then its meta, then
        # its text; the first row of each of these runs, in order (else None: the runs are reduced apart)
        firsts = [self.runs[field][0][self.runs[field][2]] for field in ("question", "meta", "text")]
        self.segments: np.ndarray | None = None
        if all(len(self.runs[field][1]) == len(self.entries) for field in self.runs) and len(self.entries):
            segments = np.stack(firsts, axis=1).reshape(-1)
            if segments[0] == 0 and bool(np.all(np.diff(segments) > 0)):
                self.segments = segments
        self._standings: dict[tuple[frozenset[tuple[str, str]], frozenset[str], frozenset[str]], _Standing] = {}
        self._reads: dict[str, tuple[np.ndarray, dict[str, float], np.ndarray]] = {}
        self._cache_lock = Lock()
        self._weights = _weights()

    def where(self, item_id: str) -> int:
        """An item's row in the index."""
        return self._rows[item_id]

    def query(self, text: str) -> tuple[list[str], list[str]]:
        """The question's terms, misspelt words put right, and the knowledge base's words for the student's."""
        asked, extra, _ = self._query(text)
        return asked, extra

    def _query(self, text: str) -> tuple[list[str], list[str], str]:
        """:meth:`query`, and the question with its misspelt words put right."""
        words = []
        for w in _WORD.findall(_POSSESSIVE.sub("", text.lower().replace("’", "'")).replace("'", "")):
            if (
                len(w) >= SPELL_MIN
                and w not in self.surface
                and w not in self.synonyms
                and not w.isdigit()
                and w not in _UNSPELT  # filler and negations ("doesnt") are read as such, never "corrected"
                and _stem(w) not in self.fast  # another form of a word it knows ("offers"): the stem matches
            ):
                w = self.respell(w)
            words.append(w)
        plain = " ".join(words)
        extra = [t for w in words for syn in self.synonyms.get(w, ()) for t in terms(syn) if "_" not in t]
        padded = f" {plain} "
        extra += [t for phrase, ts in self.phrases if phrase in padded for t in ts]  # "hit it off" → click
        return terms(plain), extra, plain

    def respell(self, word: str) -> str:
        """A word the knowledge base knows one typo away from ``word`` (the most common), else ``word``."""
        fixed = self._respelt.get(word)
        if fixed is None:
            if len(self._respelt) > RESPELT_KEPT:
                self._respelt.clear()
            fixed = self._respelt[word] = self._respell(word)
        return fixed

    def _respell(self, word: str) -> str:
        letters = "abcdefghijklmnopqrstuvwxyz"
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        edits = {a + b[1:] for a, b in splits if b}
        edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        edits |= {a + c + b[1:] for a, b in splits if b for c in letters}
        edits |= {a + c + b for a, b in splits for c in letters}
        # a typo seldom hits the first letter: "found" is not "round", "slick" not "click"
        known = [e for e in edits if e in self.surface and e[0] == word[0]]
        return max(known, key=lambda e: (self.surface[e], e)) if known else word

    def parts(self, text: str) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """Each item's match with ``text`` per field, and the weight of each word asked.

        Fields: its best question, its heading and keywords, its text, all its phrasings together; each
        scaled by the total weight of the question's words. And ``chars``: the cosine similarity of its
        best question's character n-grams with the question's (a paraphrase sharing word parts, a typo).
        """
        parts, words, _ = self._parts(text)
        return parts, words

    def widened(self, plain: str) -> dict[str, np.ndarray]:
        """The items speaking to a word of a synonym phrase found whole in ``plain`` (the question put right).

        "pay rise" makes the items about salary speak to "pay" and "rise" in that question only.
        """
        stems = [_stem(w) for w in plain.split()]  # "called back" is "call back"
        maybe = [n for t in dict.fromkeys(stems) for n in self.phrase_starts.get(t, ())]
        if not maybe:
            return {}
        padded = f" {' '.join(stems)} "
        out: dict[str, np.ndarray] = {}
        for phrase, rows_of in (self.phrase_holders[n] for n in sorted(maybe)):
            if phrase in padded:
                for t, rows in rows_of.items():
                    held = out.get(t, self.holders.get(t))
                    out[t] = rows if held is None else np.union1d(held, rows)
        return out

    def _parts(self, text: str) -> tuple[dict[str, np.ndarray], dict[str, float], str]:
        """:meth:`parts`, and the question with its misspelt words put right."""
        asked, extra, plain = self._query(text)
        query = list(dict.fromkeys(asked))
        if not query:
            zero = np.zeros(len(self.entries))
            return {field: zero for field in DOC_WEIGHTS}, {}, plain
        idf = self.fast.idf_of
        words = {t: idf(t, OOV_WEIGHT) for t in query if "_" not in t and not any(c.isdigit() for c in t)}
        scale = max(sum(words.values()), 1.0)
        asked = list(dict.fromkeys([*query, *extra]))
        raw = self.fast.scores(asked)
        parts: dict[str, np.ndarray] = {}
        if self.segments is not None:  # every item's questions, meta and text in a row: one reduction for all
            best_of = np.maximum(np.maximum.reduceat(raw, self.segments), 0.0).reshape(len(self.entries), 3)
            for k, field in enumerate(("question", "meta", "text")):
                parts[field] = best_of[:, k] / scale
        else:
            for field, (rows, held, starts) in self.runs.items():
                best = np.zeros(len(self.entries))
                if len(held):  # the maximum over each item's run of documents, never below 0 (as ufunc.at on zeros)
                    best[held] = np.maximum(np.maximum.reduceat(raw[rows], starts), 0.0)
                parts[field] = best / scale
        parts["whole"] = self.fast_whole.scores(asked) / scale
        chars = np.zeros(len(self.entries))
        if DOC_WEIGHTS["chars"] and len(self.char_items):  # an item's best question (they are stored item by item)
            chars[self.char_items] = np.maximum.reduceat(self.chars.scores(content_words(plain)), self.char_starts)
        parts["chars"] = chars
        return parts, words, plain

    def forget(self) -> None:
        """Forget the questions read (a benchmark timing a question's first reading)."""
        with self._cache_lock:
            self._reads.clear()

    def _remembered_with(self) -> None:
        """Forget the remembered reads and standings when the module's weights changed (bench/ranking_tune.py)."""
        weights = _weights()
        if weights != self._weights:
            with self._cache_lock:
                self._reads.clear()
                self._standings.clear()
                self._weights = weights

    def read(self, text: str) -> tuple[np.ndarray, dict[str, float], np.ndarray]:
        """The question's match with every item (:func:`combine` of :meth:`parts`), its words, and their coverages.

        Remembered for the last :data:`READS_KEPT` texts: a message is ranked more than once (on its own
        words, then with the message before; the next message reads it as the message before). The arrays
        are read-only.
        """
        held = self._reads.get(text)
        if held is not None:
            return held
        parts, words, plain = self._parts(text)
        match, cover = combine(parts), self.coverages(words, self.widened(plain))
        match.flags.writeable = False
        cover.flags.writeable = False
        held = (match, words, cover)
        with self._cache_lock:
            if len(self._reads) >= READS_KEPT:
                del self._reads[next(iter(self._reads))]  # the oldest first
            self._reads[text] = held
        return held

    def standing(self, knowledge: Knowledge, facts: Facts) -> _Standing:
        """What the student's facts make of every item (remembered per set of facts: students share a few)."""
        key = (frozenset(facts.values.items()), frozenset(facts.supposed), frozenset(facts.told))
        held = self._standings.get(key)
        if held is None:
            held = _Standing.of(knowledge, self, facts)
            with self._cache_lock:
                if len(self._standings) >= STANDINGS_KEPT:
                    self._standings.clear()
                self._standings[key] = held
        return held

    def coverages(self, words: Mapping[str, float], widened: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """The share of the question's word weight each item speaks to (0 to 1), for every item at once.

        ``widened``: the items speaking to some words in this question (a synonym phrase asked, see :meth:`widened`).
        """
        total = sum(words.values())
        if not total:
            return np.zeros(len(self.entries))
        get = self.holders.get
        found = [
            (rows, w)
            for t, w in words.items()
            if (rows := (widened.get(t) if widened and t in widened else get(t))) is not None
        ]
        out: np.ndarray
        if len(found) < 2:
            out = np.zeros(len(self.entries))
            for rows, w in found:
                out[rows] += w
        else:  # each item's weights added word after word from 0.0, as ``out[rows] += w`` per word does
            out = np.bincount(
                np.concatenate([rows for rows, _ in found]),
                np.repeat([w for _, w in found], [len(rows) for rows, _ in found]),
                minlength=len(self.entries),
            )
        return out / total


def _weights() -> tuple[object, ...]:
    """The module's weights that :meth:`Index.read` and :meth:`Index.standing` remember results under."""
    return (tuple(DOC_WEIGHTS.items()), OOV_WEIGHT, FIT_BONUS, FIT_TOLD, FIT_STRICT, OFF_SITUATION, GUESS_PENALTY)


def combine(parts: Mapping[str, np.ndarray]) -> np.ndarray:
    """One match per item from the per-field matches (:data:`DOC_WEIGHTS`)."""
    return sum((DOC_WEIGHTS[field] * part for field, part in parts.items()), np.zeros(len(next(iter(parts.values())))))


def advice_words(knowledge: Knowledge, text: str) -> list[str]:
    """The words of ``text`` the knowledge base uses for advice (content words it knows; no names or numbers).

    Reads only the knowledge base's vocabulary (a few milliseconds, once), not the ranking index.
    """
    known = _vocabulary(knowledge)
    return [w for w in content_words(text) if w in known and w not in _NAMES]


@per_knowledge
def _vocabulary(knowledge: Knowledge) -> frozenset[str]:
    """Every word of the knowledge base's items."""
    return frozenset(_WORD.findall(knowledge.words_text.lower()))


@per_knowledge
def index(knowledge: Knowledge) -> Index:
    """The ranking index of a knowledge base (built on first use, then shared)."""
    return Index(knowledge)


# fitting the situation ---------------------------------------------------------------------------------


def fit(knowledge: Knowledge, item: Item, facts: Facts) -> float | None:
    """How well an item fits the student's facts: None when it contradicts them, else a bonus or penalty."""
    idx = index(knowledge)
    return _fit(knowledge, item, facts, idx.wanted[idx.where(item.id)], idx.strict, set(facts.values.values()))


def _fit(
    knowledge: Knowledge,
    item: Item,
    facts: Facts,
    wanted: dict[str, set[str]],
    strict: list[str],
    known: set[str],
) -> float | None:
    """:func:`fit` with the item's wanted values by fact, the strict facts and the values known, found once."""
    if any(key in known for key in item.unless):
        return None
    bonus = 0.0
    for group in strict:  # a fact that changes everything is known (rejected, accepted…)
        if group in facts.values and group not in wanted:
            bonus -= OFF_SITUATION
    for group, keys in wanted.items():
        have = facts.values.get(group)
        if have is not None and group in facts.supposed:  # only a possibility ("should I ask if it's the same
            if have not in keys:  # person?"): it rules out advice for another case, but earns no fit bonus
                return None
            continue
        if have is None:
            if knowledge.facts[group].strict:
                return None
            bonus -= GUESS_PENALTY
        elif have in keys:
            bonus += FIT_BONUS + (FIT_TOLD if group in facts.told else 0.0)
            bonus += FIT_STRICT if knowledge.facts[group].strict else 0.0
        else:
            return None
    return bonus


def fits_known(knowledge: Knowledge, item: Item, facts: Facts) -> frozenset[str]:
    """The facts (by name) the item is made for when the student is known to be in that situation, else none."""
    idx = index(knowledge)
    return _fits_known(item, facts, idx.groups[idx.where(item.id)])


def _fits_known(item: Item, facts: Facts, groups: frozenset[str]) -> frozenset[str]:
    """:func:`fits_known` with the facts the item's conditions name, found once."""
    return groups if groups and all(facts.values.get(g) in item.when for g in groups) else frozenset()


@dataclass(frozen=True)
class _Standing:
    """Every item's fit with one set of facts (see :meth:`Index.standing`), in index rows."""

    allowed: np.ndarray  # bool: the item does not contradict the facts (:func:`fit` is not None)
    bonus: np.ndarray  # the fit bonus or penalty (0.0 where not allowed)
    fits: list[frozenset[str]]  # :func:`fits_known`
    fitted: np.ndarray  # bool: fits is not empty
    decisive: np.ndarray  # bool: one of fits is a strict fact

    @classmethod
    def of(cls, knowledge: Knowledge, idx: Index, facts: Facts) -> _Standing:
        """Work it out item by item, as :func:`fit` and :func:`fits_known` do."""
        # a value said only hypothetically ("should I ask whether it's the same person?") rules nothing out
        known = {v for k, v in facts.values.items() if k not in facts.supposed}
        plain = 0.0  # what _fit gives an item without conditions: only the decisive facts known count
        for group in idx.strict:
            if group in facts.values:
                plain -= OFF_SITUATION
        allowed: list[bool] = []
        bonuses: list[float] = []
        fits: list[frozenset[str]] = []
        for n, (_, item) in enumerate(idx.entries):
            bonus = plain if idx.unconditional[n] else _fit(knowledge, item, facts, idx.wanted[n], idx.strict, known)
            allowed.append(bonus is not None)
            bonuses.append(0.0 if bonus is None else bonus)
            fits.append(_fits_known(item, facts, idx.groups[n]) if idx.groups[n] else idx.groups[n])
        return cls(
            np.asarray(allowed, dtype=bool),
            np.asarray(bonuses, dtype=np.float64),
            fits,
            np.asarray([bool(f) for f in fits], dtype=bool),
            np.asarray([any(knowledge.facts[g].strict for g in f) for f in fits], dtype=bool),
        )


# the conversation's memory -----------------------------------------------------------------------------


def remembers_shown(turn: Turn) -> bool:
    """Whether this conversation still remembers the advice it showed (not after a long pause, see FORGET_AFTER)."""
    if not turn.has_storage:
        return False
    at = turn.context.get("shown_at")
    try:
        last = datetime.fromisoformat(str(at)) if at else None
    except ValueError:
        last = None
    return last is not None and turn.now - last <= FORGET_AFTER


def shown(turn: Turn) -> list[str]:
    """Item ids already shown in this conversation (forgotten after a long pause)."""
    if not remembers_shown(turn):
        return []
    return [str(i) for i in turn.context.get("shown") or []]


def led(turn: Turn) -> list[str]:
    """Item ids shown as the first bullet of a reply in this conversation (the others were side bullets)."""
    if not shown(turn):
        return []
    return [str(i) for i in turn.context.get("led") or []]


def mark_shown(turn: Turn, picked: Iterable[tuple[Topic, Item]]) -> None:
    """Remember that these items were shown (the first as a reply's lead)."""
    if not turn.has_storage:
        return
    picked = list(picked)
    ids = [i for i in shown(turn)]
    for _, item in picked:
        if item.id in ids:
            ids.remove(item.id)
        ids.append(item.id)
    turn.remember("shown", ids[-SHOWN_KEEP:])
    if picked:
        first = picked[0][1].id
        leads = [i for i in led(turn) if i != first]
        turn.remember("led", [*leads, first][-SHOWN_KEEP:])
    turn.remember("shown_at", turn.now.isoformat())


# ranking -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """One item's standing for a message."""

    topic: Topic
    item: Item
    score: float
    match: float
    seen: bool = False
    side: bool = False  # seen only as a side bullet, and now asked for explicitly
    position: float = 0.0  # place in its topic, 0 (first) to 1 (last)
    fits: frozenset[str] = frozenset()  # the known facts of the student's situation this item is made for
    variant: bool = False  # says in other words what an item already shown said
    relative: float = 0.0  # match relative to the best match for the question
    decisive: bool = False  # made for a decisive situation the student is in (rejected, accepted…)
    cover: float = 0.0  # the share of the question's words the item speaks to (1 when nothing specific asked)
    own: float = 0.0  # match with the question's own words (without the message a follow-up refers to), relative


ITER_CHUNK = 32  # past the first FEW_MADE, iterating a Ranked makes its items this many at a time
FEW_MADE = 12  # the first items of a ranking are made from the arrays one value at a time, later ones from lists
_SCORED_COLUMNS = ("score", "match", "seen", "side", "position", "variant", "relative", "decisive", "cover", "own")
_SCORED_FIELDS = tuple(f.name for f in fields(Scored))  # (a Scored's attributes in the dataclass's order)


class Ranked(Sequence[Scored]):
    """A ranking's items, best first, each made a :class:`Scored` only when read.

    Every item is scored (see :func:`rank`), but most answers read only the first few: :func:`choose` and
    :meth:`Ranking.top_topics` work on the arrays, and an item read (by index, slice or iteration) is made
    once and is the same object on every read.
    """

    __slots__ = ("_columns", "_entries", "_fits", "_lists", "_made", "decisive", "fitted", "own", "point",
                 "position", "relative", "rows", "score", "seen", "topic", "variant")  # fmt: skip

    def __init__(
        self,
        entries: list[tuple[Topic, Item]],
        fits: list[frozenset[str]],
        rows: np.ndarray,
        columns: dict[str, np.ndarray],
    ) -> None:
        self._entries = entries
        self._fits = fits
        self.rows = rows
        self._columns = columns  # per item in ranking order: score, match, seen, side, position, variant,
        # relative, decisive, cover, own, point, topic, fitted
        self.score, self.relative, self.seen = columns["score"], columns["relative"], columns["seen"]
        self.point, self.topic, self.position = columns["point"], columns["topic"], columns["position"]
        self.decisive, self.fitted = columns["decisive"], columns["fitted"]
        self.variant, self.own = columns["variant"], columns["own"]
        self._made: list[Scored | None] = [None] * len(rows)
        self._lists: dict[str, list[Any]] | None = None

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, i: int) -> Scored: ...

    @overload
    def __getitem__(self, i: slice) -> list[Scored]: ...

    def __getitem__(self, i: int | slice) -> Scored | list[Scored]:
        if isinstance(i, slice):
            return self._make_all(range(*i.indices(len(self._made))))
        if i < 0:
            i += len(self._made)
        if not 0 <= i < len(self._made):
            raise IndexError("ranking index out of range")
        return self._make(i)

    def __iter__(self) -> Iterator[Scored]:
        size = len(self._made)
        for j in range(min(FEW_MADE, size)):  # the first few one at a time (most loops stop early)
            yield self._make(j)
        for start in range(FEW_MADE, size, ITER_CHUNK):  # the rest made a chunk at a time
            yield from self._make_all(range(start, min(start + ITER_CHUNK, size)))

    def _make_all(self, places: range) -> list[Scored]:
        """The items at these places (a slice), those not made yet made in one pass over the columns' lists.

        The same objects, with the same values in the same attribute order, as :meth:`_make` one by one (a
        slice of a long ranking made ~130 items one dict at a time: ~8 µs each).
        """
        made = self._made
        if len(places) <= FEW_MADE and self._lists is None:
            return [self._make(j) for j in places]
        c = self.lists()
        entries, fits, rows = self._entries, self._fits, c["rows"]
        score, match, seen, side, position = c["score"], c["match"], c["seen"], c["side"], c["position"]
        variant, relative, decisive, cover, own = c["variant"], c["relative"], c["decisive"], c["cover"], c["own"]
        new = object.__new__
        out: list[Scored] = []
        for i in places:
            one = made[i]
            if one is None:
                n = rows[i]
                top, item = entries[n]
                one = new(Scored)  # a frozen dataclass filled without its per-field __setattr__
                one.__dict__.update(  # (the dataclass's field order, as _scored puts them)
                    topic=top, item=item, score=score[i], match=match[i], seen=seen[i], side=side[i],
                    position=position[i], fits=fits[n], variant=variant[i], relative=relative[i],
                    decisive=decisive[i], cover=cover[i], own=own[i],
                )  # fmt: skip
                made[i] = one
            out.append(one)
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Ranked | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def lists(self) -> dict[str, list[Any]]:
        """The columns as plain Python values (made once: floats and bools read faster than numpy's)."""
        if self._lists is None:
            self._lists = {name: column.tolist() for name, column in self._columns.items()}
            self._lists["rows"] = self.rows.tolist()
        return self._lists

    def fits(self, i: int) -> frozenset[str]:
        """The known facts the ``i``-th item is made for (its :attr:`Scored.fits`)."""
        return self._fits[int(self.rows[i])]

    def _make(self, i: int) -> Scored:
        one = self._made[i]
        if one is None:
            if self._lists is None and i < FEW_MADE:  # one value at a time (cheaper for the first few)
                values = {name: self._columns[name][i].item() for name in _SCORED_COLUMNS}
                n = int(self.rows[i])
            else:  # every column as a list, once (cheaper when most items are read)
                c = self.lists()
                values = {name: c[name][i] for name in _SCORED_COLUMNS}
                n = c["rows"][i]
            one = self._made[i] = self._scored(n, values)
        return one

    def pick(self, places: list[int]) -> list[Scored]:
        """The items at these places, made together (one read of each column for all of them)."""
        wanted = [i for i in dict.fromkeys(places) if self._made[i] is None]
        if wanted:
            at = np.asarray(wanted)
            columns = {name: self._columns[name][at].tolist() for name in _SCORED_COLUMNS}
            rows = self.rows[at].tolist()
            for k, i in enumerate(wanted):
                self._made[i] = self._scored(rows[k], {name: columns[name][k] for name in _SCORED_COLUMNS})
        return [self._make(i) for i in places]

    def _scored(self, n: int, values: dict[str, Any]) -> Scored:
        """A Scored for index row ``n`` with these column values."""
        top, item = self._entries[n]
        one = object.__new__(Scored)  # a frozen dataclass filled without its per-field __setattr__
        values.update(topic=top, item=item, fits=self._fits[n])
        one.__dict__.update({name: values[name] for name in _SCORED_FIELDS})
        return one


@dataclass(frozen=True)
class Ranking:
    """Every fitting item for a message, best first, with what the match says about the question."""

    scored: Sequence[Scored]  # a Ranked from rank(); callers may put a list of some of them in its place
    best_match: float
    coverage: float  # how much of the question the best item speaks to (0 to 1; 1 when nothing specific asked)
    asked: bool = True  # the question has words of its own (not only "what now?" and the like)
    addressed: frozenset[str] = frozenset()  # known facts that advice already shown was made for
    words: int = 0  # how many content words the question has

    def top_topics(self, n: int = 2) -> list[str]:
        """The topics of the best items, without repeats."""
        out: list[str] = []
        if isinstance(self.scored, Ranked):  # from the arrays: no item made
            intents = self.scored._entries
            for row in self.scored.lists()["rows"]:
                intent = intents[row][0].intent
                if intent not in out:
                    out.append(intent)
                if len(out) == n:
                    break
            return out
        for s in self.scored:
            if s.topic.intent not in out:
                out.append(s.topic.intent)
            if len(out) == n:
                break
        return out


def rank(
    knowledge: Knowledge,
    facts: Facts,
    text: str,
    priors: Mapping[str, float],
    *,
    seen: Iterable[str] = (),
    topic: str | None = None,
    context: str = "",
    context_weight: float | None = None,
    led: Iterable[str] = (),
) -> Ranking:
    """Score every item that fits the facts for ``text``; ``priors`` is the belief in each topic.

    Items already ``seen`` are left out; items saying what a seen item said get a penalty. With
    ``topic``, only that topic's items are ranked. ``context``: the message a follow-up question refers
    to, matched with weight ``context_weight`` (default :data:`W_CONTEXT`; how much of the question is covered
    stays the question's). ``led``: the seen items that were a reply's first bullet; one that was only a side
    bullet, asked for explicitly (its own words match it :data:`EXPLICIT` well), gets no "said already" penalty:
    it can lead again (in other words when another item makes its point, see :func:`choose`).

    Every item is scored at once on arrays (the same floating-point operations, in the same order, as
    scoring them one by one: ``tests/test_perf_ranking.py`` holds the item-by-item reference).
    """
    idx = index(knowledge)
    idx._remembered_with()
    weight = W_CONTEXT if context_weight is None else context_weight
    match, words, cover = idx.read(text)
    own_match = match
    context_cover = None
    if context:  # a follow-up ("how do I prepare for that?"): what it refers to counts too, less
        context_match, context_words, context_cover_of = idx.read(context)
        if context_words:
            match = match + weight * context_match
            context_cover = context_cover_of
    scale = max(float(match.max()), MATCH_SCALE, 1e-6) if len(match) else 1.0  # the best match counts 1 (when strong)
    if context_cover is not None:
        cover = (cover + weight * context_cover) / (1 + weight)
    standing = idx.standing(knowledge, facts)
    rows = idx.all_rows if topic is None else idx.topic_arrays.get(topic, _NO_ROWS)
    relative = match / scale
    owns = own_match / scale if context_cover is not None else relative
    seen_rows = [r for i in dict.fromkeys(seen) if (r := idx._rows.get(i)) is not None]
    is_seen = np.zeros(len(idx.entries), dtype=bool)
    is_seen[seen_rows] = True
    keep = standing.allowed[rows]
    if seen_rows:  # a seen item comes back only as the answer to this question's own words, among what can be shown
        shown_best = float(own_match[standing.allowed].max()) if standing.allowed.any() else 0.0
        shown_at = np.asarray(seen_rows)
        gone = shown_at[own_match[shown_at] / max(shown_best, MATCH_SCALE, 1e-6) < REPEAT_FLOOR]
        if len(gone):
            left_out = np.zeros(len(idx.entries), dtype=bool)
            left_out[gone] = True
            keep &= ~left_out[rows]
    rows = rows[keep]
    bonus = standing.bonus[rows]
    if len(words) > SLOT_BROAD:  # asked something specific: a fit counts for advice speaking to it
        lifted = bonus > 0
        if FIT_RELEVANT:
            bonus[lifted] *= np.minimum(1.0, owns[rows[lifted]] / FIT_RELEVANT)
    led_rows = np.zeros(len(idx.entries), dtype=bool)
    led_rows[[r for i in dict.fromkeys(led) if (r := idx._rows.get(i)) is not None]] = True
    seen_kept = is_seen[rows]
    side = seen_kept & ~led_rows[rows] & (owns[rows] >= EXPLICIT)  # asked for, as itself
    point = idx.point_of[rows]
    said = np.zeros(idx.points, dtype=bool)  # the article points already made
    said[idx.point_of[seen_rows]] = True
    variant = said[point] & ~side
    prior_of = np.asarray([priors.get(intent, 0.0) for intent in idx.intents], dtype=np.float64)
    topic_of = idx.topic_of[rows]
    score = W_MATCH * match[rows] / scale
    score += W_TOPIC * prior_of[topic_of]
    score += W_COVER * cover[rows]
    score += bonus
    score -= POSITION_PENALTY * idx.position[rows]
    score -= np.where(variant, VARIANT_PENALTY, 0.0)
    order = np.argsort(-score, kind="stable")  # best first; equal scores keep the index's order
    rows = rows[order]
    kept_cover = cover[rows]
    columns = {
        "score": score[order],
        "match": match[rows],
        "seen": seen_kept[order],
        "side": side[order],
        "position": idx.position[rows],
        "variant": variant[order],
        "relative": relative[rows],
        "decisive": standing.decisive[rows],
        "cover": kept_cover if words else np.ones(len(rows)),
        "own": owns[rows],
        "point": point[order],
        "topic": topic_of[order],
        "fitted": standing.fitted[rows],
    }
    best = float(match[rows].max()) if len(rows) else 0.0
    covered = float(kept_cover[:3].max()) if len(rows) else 0.0
    addressed = frozenset(g for n in dict.fromkeys(seen_rows) for g in standing.fits[n])
    ranked = Ranked(idx.entries, standing.fits, rows, columns)
    return Ranking(ranked, best, covered if words else 1.0, bool(words), addressed, len(words))


_NO_ROWS = np.zeros(0, dtype=np.int64)


def choose(ranking: Ranking, count: int = PAGE) -> list[Scored]:
    """The items to show: the best, then the next best that don't repeat its article point."""
    if isinstance(ranking.scored, Ranked):
        return _choose_ranked(ranking, ranking.scored, count)
    if not ranking.scored:
        return []
    lead = ranking.scored[0]
    if lead.seen:  # asked again: say it in other words when another item makes the same point
        fresh = [
            s
            for s in ranking.scored
            if not s.seen
            and s.item.point == lead.item.point
            and s.relative >= VARIANT_MATCH
            and (s.decisive or not lead.decisive)
        ]
        lead = fresh[0] if fresh else lead
    rest = [s for s in ranking.scored if s is not lead and not s.seen and s.item.point != lead.item.point]
    rest.sort(key=lambda s: -_follow_on(s, lead))
    picked = [lead]
    points = {lead.item.point}
    # the answer to the question first, then the advice made for a part of the student's situation it
    # doesn't speak to (a point made for their situation may come back in other words: it still holds)
    situational = [
        s
        for s in rest
        if s.fits - lead.fits
        # advice that doesn't speak to what was asked must come closer (unless little was asked: a broad
        # "how should I prepare?", or the situation is decisive: after a rejection)
        and _unpenalised(s)
        >= lead.score - (FIT_SLOT if s.own >= SLOT_MATCH or ranking.words <= SLOT_BROAD or s.decisive else NEAR_SLOT)
    ]
    if situational and count > 1:  # first the part of their situation no advice shown so far was made for
        second = max(situational, key=lambda s: (bool(s.fits - lead.fits - ranking.addressed), _unpenalised(s)))
        picked.append(second)
        points.add(second.item.point)
    for s in rest:
        if len(picked) == count:
            break
        if s.item.point not in points:
            picked.append(s)
            points.add(s.item.point)
    return picked


def _choose_ranked(ranking: Ranking, ranked: Ranked, count: int) -> list[Scored]:
    """:func:`choose` on a :class:`Ranked`'s arrays: the same items, made as :class:`Scored` only when picked."""
    if not len(ranked):
        return []
    seen, point, relative, decisive = ranked.seen, ranked.point, ranked.relative, ranked.decisive
    score, variant, own = ranked.score, ranked.variant, ranked.own
    lead = 0
    if seen[0]:  # asked again: say it in other words when another item makes the same point
        fresh = np.flatnonzero(
            ~seen & (point == point[0]) & (relative >= VARIANT_MATCH) & (decisive | (not decisive[0]))
        )
        lead = int(fresh[0]) if len(fresh) else 0
    rest = np.flatnonzero(~seen & (point != point[lead]))
    rest = rest[rest != lead]
    same = np.where(ranked.topic[rest] == ranked.topic[lead], SAME_TOPIC, 0.0)
    follow = score[rest] - FOLLOW_MATCH * W_MATCH * relative[rest] + same - FOLLOW_POSITION * ranked.position[rest]
    rest = rest[np.argsort(-follow, kind="stable")]  # how well each follows the first bullet (see _follow_on)
    picked = [lead]
    points = {int(point[lead])}
    lead_fits, lead_score = ranked.fits(lead), float(score[lead])

    def unpenalised(i: int) -> float:
        return float(score[i]) + (VARIANT_PENALTY if variant[i] else 0.0)

    broad = ranking.words <= SLOT_BROAD
    situational = [
        i
        for i in rest[ranked.fitted[rest]].tolist()  # only an item made for a known fact can add to the lead's
        if ranked.fits(i) - lead_fits
        and unpenalised(i)
        >= lead_score - (FIT_SLOT if float(own[i]) >= SLOT_MATCH or broad or decisive[i] else NEAR_SLOT)
    ]
    if situational and count > 1:  # first the part of their situation no advice shown so far was made for
        second = max(situational, key=lambda i: (bool(ranked.fits(i) - lead_fits - ranking.addressed), unpenalised(i)))
        picked.append(second)
        points.add(int(point[second]))
    if len(picked) != count:
        for i, p in zip(rest.tolist(), point[rest].tolist(), strict=True):
            if p not in points:
                picked.append(i)
                points.add(p)
                if len(picked) == count:
                    break
    return ranked.pick(picked)


def _unpenalised(s: Scored) -> float:
    return s.score + (VARIANT_PENALTY if s.variant else 0.0)


def _follow_on(s: Scored, lead: Scored) -> float:
    """How well an item follows the first bullet: less on the words, more on its topic and its importance."""
    same = SAME_TOPIC if s.topic.intent == lead.topic.intent else 0.0
    return s.score - FOLLOW_MATCH * W_MATCH * s.relative + same - FOLLOW_POSITION * s.position


def pick(
    turn: Turn, facts: Facts, text: str, *, topic: str | None = None, count: int = PAGE
) -> list[tuple[Topic, Item]]:
    """The best unseen items of ``topic`` (or of any topic) for ``text`` and the student's facts."""
    priors = {topic: 1.0} if topic else {}
    ranking = rank(turn.knowledge, facts, text, priors, seen=shown(turn), topic=topic)
    return [(s.topic, s.item) for s in choose(ranking, count)]


# layout ------------------------------------------------------------------------------------------------


def bullet(text: str) -> str:
    """An item's text, kept chat-sized."""
    if len(text) <= MAX_BULLET:
        return text
    cut = text[: MAX_BULLET - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def render(
    heading: str,
    items: list[tuple[Topic, Item]],
    *,
    lead: str | None = None,
    intro: str | None = None,
    question: str | None = None,
    buttons: Iterable[Button] = (),
) -> Reply:
    """A reply: an optional first line, a heading, up to three bullets, an optional question and buttons."""
    lines: list[str] = []
    if lead:
        lines.append(lead)
    lines.append(f"**{heading}**")
    if intro:
        lines.append(intro)
    lines.append(markup.bullets([bullet(item.text) for _, item in items[:PAGE]]))
    if question:
        lines.append(question)
    return Reply("\n".join(lines), tuple(buttons))


def short(intent: str) -> str:
    """A topic's button label."""
    return TOPIC_LABELS.get(intent, intent.replace("_", " ").capitalize())


def topic_buttons(
    intents: tuple[str, ...] = ("expectations", "interviewers", "informal_setting", "preparation", "offer"),
) -> tuple[Button, ...]:
    """Buttons that open a topic each."""
    return tuple(Button(short(i), f"topic:{i}") for i in intents)
