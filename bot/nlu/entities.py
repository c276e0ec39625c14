"""Finds an interview's company, time, interviewers, setting and venue in a message.

A linear-chain CRF (python-crfsuite) tags each token as part of a company, a date/time expression,
an interviewer, a setting word, a venue (the restaurant or place where it happens) or the student's
own background (their current employer, school or home country: "I work at TCS", "from india"),
learning from the annotated examples in ``knowledge/nlu``. Background spans are tagged only so that
they are not mistaken for the company; they are never reported.

The tagged spans are then read with a few linguistic rules: a name does not end in a time word
("the director tmrw"), a role phrase is a person and not the company ("the VP of engineering"), a
country or city alone is not an employer, and when several stretches look like the company the one
the model is surest of wins. The date/time expression is resolved by :mod:`bot.nlu.dates`, the setting
word through the lexicon in ``knowledge/nlu/lexicon.yaml``. Serving needs only python-crfsuite and
the word lists.
"""

from __future__ import annotations

import itertools
import random
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pycrfsuite
import yaml

from bot.nlu import dates
from bot.nlu.training import Example, Span
from bot.nlu.types import Entities

MODEL_VERSION = 6

# Function words (a plain list: the serving path does not load scikit-learn for this).
# fmt: off
STOP_WORDS = frozenset((
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
    "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down",
    "during", "each", "either", "else", "even", "ever", "every", "few", "for", "from", "further", "had",
    "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here",
    "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've",
    "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "just", "let's", "me", "more", "most",
    "much", "must", "my", "myself", "neither", "no", "nor", "not", "of", "off", "on", "once", "only", "or",
    "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "quite", "rather", "same", "shall",
    "she", "she'd", "she'll", "she's", "should", "shouldn't", "so", "some", "such", "than", "that", "that's",
    "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd",
    "they'll", "they're", "they've", "this", "those", "though", "through", "thus", "to", "too", "under",
    "until", "up", "upon", "us", "very", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were",
    "weren't", "what", "what's", "when", "when's", "where", "where's", "whether", "which", "while", "who",
    "who's", "whom", "whose", "why", "will", "with", "within", "without", "won't", "would", "wouldn't", "yet",
    "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "im", "ive", "id",
    "ill", "youre", "theyre", "dont", "cant",
))
# fmt: on

_TOKEN = re.compile(
    r"(?:mr|mrs|ms|dr|prof|st)\.(?=\s)"
    r"|\d{1,4}(?:[:./\-]\d{1,4})*\.?(?:am|pm|a\.m\.|p\.m\.|st|nd|rd|th|h|k)?"
    r"|[^\W\d_](?:[\w&]|['’](?![sS]\b)|[.\-](?=[^\W\d_]))*"
    r"|['’][sS]\b"
    r"|[^\w\s]",
    re.UNICODE | re.IGNORECASE,
)
_WEEKDAY = set(dates.WEEKDAYS) | {
    "mon",
    "tue",
    "tues",
    "wed",
    "weds",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
}
_MONTH = set(dates.MONTHS) | {m[:3] for m in dates.MONTHS} | {"sept"}
_TIMEWORD = {
    "am",
    "pm",
    "noon",
    "today",
    "tonight",
    "tomorrow",
    "tmrw",
    "tmr",
    "tmrow",
    "tomorow",
    "tommorow",
    "tommorrow",
    "2moro",
    "2morrow",
    "next",
    "morning",
    "afternoon",
    "evening",
    "week",
    "weeks",
    "day",
    "days",
    "uhr",
    "midday",
    "half",
    "past",
    "quarter",
    "oclock",
    "o'clock",
    "eod",
    "asap",
    "tonite",
}
_PREP = {
    "with",
    "at",
    "for",
    "from",
    "by",
    "on",
    "in",
    "to",
    "called",
    "named",
    "over",
    "via",
    "w",
    "w/",
    "@",
    "of",
}
_POSSESSIVES = {"my", "our", "their", "his", "her"}
_DETERMINERS = {"the", "a", "an", "my", "our", "their", "his", "her", "its", "two", "three", "some", "one", "2", "3"}
_CONTEXT_WORDS = {
    "interview",
    "interviews",
    "interveiw",
    "intreview",
    "round",
    "rnd",
    "meeting",
    "called",
    "company",
    "startup",
    "firm",
    "bank",
    "agency",
    "team",
    "moved",
    "cancel",
    "call",
    "chat",
    "2nd",
    "second",
    "final",
}
# Where a clause ends: a background remark ("I work at TCS") does not reach past it.
_CLAUSE_BREAK = {",", ".", "!", "?", ";", ":", "but", "and", "so", "-", "–", "—", "(", ")", "/", "|", "anyway", "now"}
# Words that can sit next to a company's name without being part of it ("Tesco HQ", "Wipro HR").
_TRAILING = {
    "hq",
    "hr",
    "office",
    "offices",
    "campus",
    "team",
    "corporate",
    "headquarters",
    "branch",
    "store",
    "round",
    "interview",
    "people",
    "recruiting",
    "recruiter",
    "site",
    "company",
}
_NOT_NAMES = STOP_WORDS | {
    "hi",
    "hey",
    "hello",
    "yo",
    "ok",
    "okay",
    "omg",
    "lol",
    "got",
    "alright",
    "xmas",
    "round",
    "interview",
    "second",
    "2nd",
    "final",
    # kinds of round, capitalised at the start of a forum title ("Technical round coming up with Citadel")
    "technical",
    "behavioral",
    "behavioural",
    "onsite",
    "on-site",
    "panel",
    "coding",
    "third",
    "3rd",
    "first",
    "1st",
    "last",
    "upcoming",
    "virtual",
    "superday",
    "managerial",
    "tmrw",
    "today",
    "sir",
    "madam",
    "maam",
    "bro",
    "guys",
    "someone",
    "somebody",
    "they",
    "i.e",
    "e.g",
    "etc",
    "ie",
    "eg",
}
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "mister", "herr", "frau", "pan", "pani"}
_TITLES |= {"señor", "senor", "señora", "senora", "sr", "sra", "monsieur", "madame", "mme", "signor", "signora", "anh"}
_PRONOUNS = {"him", "her", "them", "he", "she", "they", "me", "us", "you", "it", "someone", "somebody", "whoever"}
# Time words that can be caught at the edge of a name ("the director tmrw", "Priya on friday").
_TIME_EDGE = _WEEKDAY | _MONTH | _TIMEWORD | {"this", "at", "on", "around", "by", "ish", "@", "from", "between"}
_TIME_EDGE |= {"later", "soon", "again", "tbd", "too", "also", "then", "now", "instead", "anymore"}
# Words after which a role phrase's head noun has been said ("the recruiter from Acme", "the guy who").
_PHRASE_END = {"of", "from", "at", "in", "for", "as", "who", "that", "i", "we", "with", "on", "to", "whom"}
_PARAMS: dict[str, object] = {"c1": 0.05, "c2": 0.05, "max_iterations": 100, "feature.possible_transitions": True}
_VENUE_SECOND_GUESS = 0.2
# Lowercase words after a venue's name that describe the spot, not the name ("the Marriott lobby").
_VENUE_GENERIC = {
    "bar",
    "lobby",
    "rooftop",
    "terrace",
    "restaurant",
    "cafe",
    "café",
    "lounge",
    "downstairs",
    "upstairs",
}
_VENUE_GENERIC |= {"patio", "garden", "downtown", "uptown", "branch", "location", "outlet", "place", "spot", "area"}
# How a student introduces themselves ("Myself Ramesh", "I'm Aditi"): that name is not an interviewer.
_SELF_INTRO = re.compile(r"(?:\b(?:i'?m|i am|myself|my name is|my name's|this is|me is|name:)\s*)$", re.I)
# A name said in the student's account of themselves ("Myself Suresh from Madurai", "working in
# Wipro"): when several names could be the company, such a one loses.
_BACKGROUND_BEFORE = re.compile(
    r"(?:\b(?:i'?m|i am|im|myself|my name is)\b(?:(?!interview|round|second|2nd)[^,.;!?]){0,40}"
    r"|\b(?:work(?:s|ed|ing)?|employed|intern(?:ed|ing)?|study(?:ing)?|studied|graduated|currently|job)"
    r"(?:\s+\w+){0,2}?)\s+(?:from|at|in|for|with)\s+$",
    re.I,
)
# Who brought the news is not an interviewer ("got a call from the recruiter", "an email from HR").
_MESSENGER = re.compile(
    r"\b(call|called|email|e-mail|mail|message|text|news|heard|invite|invitation|reply|ping)\s+from\s+$", re.I
)
# A change of mind between two date expressions: the later one counts ("sunday? no wait, saturday").
_CORRECTION = re.compile(r"\b(no wait|wait no|actually|sorry|i mean|i meant|correction|scratch that|oops|not)\b", re.I)
_LABELS = ("company", "when", "interviewer", "setting", "venue", "background")


@dataclass(frozen=True)
class Token:
    """A token and where it sits in the message."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split a message into tokens with their character offsets."""
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


_UPPER, _LOWER, _DIGIT, _RUN = re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"\d"), re.compile(r"(.)\1{2,}")


def _shape(word: str) -> str:
    shape = _UPPER.sub("X", word)
    shape = _LOWER.sub("x", shape)
    shape = _DIGIT.sub("d", shape)
    return _RUN.sub(r"\1\1", shape)


def _fold(word: str) -> str:
    """Lowercase without accents, for word-list look-ups ("Zürich" = "zurich")."""
    nfkd = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in nfkd if not unicodedata.combining(c)).replace("’", "'")


def _words(doc: dict[str, object], key: str) -> list[str]:
    value = doc.get(key) or []
    return [str(v) for v in value] if isinstance(value, list) else []


class Lexicon:
    """Word lists the tagger uses.

    The settings table, role words and background cues come from ``knowledge/nlu/lexicon.yaml``; the
    name lists (first names, organisation words, places, venue words, and the names used to vary the
    training examples) from ``knowledge/nlu/names.yaml``.
    """

    def __init__(self, path: Path) -> None:
        doc = _read_yaml(path)
        names_path = path.with_name("names.yaml")
        names = _read_yaml(names_path) if names_path.exists() else {}
        self.first_names = {_fold(n) for n in _words(names, "first_names")}
        self.org_words = {_fold(n) for n in _words(names, "organisation_words")}
        self.places = {_fold(n) for n in _words(names, "places")}
        self.venue_words = {_fold(n) for n in _words(names, "venue_words")}
        self.companies = _words(names, "companies")
        self.people = _words(names, "people")
        self.roles_phrases = _words(names, "roles")
        self.venues = _words(names, "venues")
        self.settings: dict[str, str] = {}
        for category, words in doc["settings"].items():
            for word in words:
                self.settings[str(word).lower()] = category
        self.roles = {str(w).lower() for w in doc["people_roles"]}
        self.weak = {str(w).lower() for w in doc.get("tagged_only", [])}
        self.background_cues = {str(w).lower() for w in doc.get("background_cues", [])}
        self.role_modifiers = {str(w).lower() for w in doc.get("role_modifiers", [])}
        self.person_nouns = {str(w).lower() for w in doc.get("person_nouns", [])}
        self._setting_words = {w for phrase in self.settings for w in phrase.split()}
        self._phrases = sorted(self.settings, key=len, reverse=True)
        # a word's own CRF features that depend on nothing else (see ``features``), by word
        self.word_features: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def setting_word(self, word: str) -> bool:
        """Whether ``word`` is (part of) a setting phrase."""
        return word.lower() in self._setting_words

    def setting_of(self, text: str, *, strong_only: bool = False) -> str | None:
        """The setting category of a phrase, by its longest known sub-phrase.

        With ``strong_only``, words that are often not about the setting ("call", "office") are
        ignored: that is how a whole message is scanned when the tagger found no setting word.
        """
        low = " " + " ".join(re.findall(r"[\w'\-]+", text.lower())) + " "
        for phrase in self._phrases:
            if strong_only and phrase in self.weak:
                continue
            if f" {phrase} " in low:
                return self.settings[phrase]
        return None

    def words_for(self, text: str, category: str) -> str | None:
        """How ``text`` names a setting of ``category``, as written ("dinner", "Zoom", "over the phone").

        Its longest phrase of that category; a word often not about the setting ("call") only when no
        other is there.
        """
        weak: str | None = None
        for phrase in self._phrases:  # longest first
            if self.settings[phrase] != category or (weak is not None and phrase in self.weak):
                continue
            m = re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text, re.I)
            if m is None:
                continue
            if phrase not in self.weak:
                return m.group(0)
            weak = m.group(0)
        return weak

    def mentions(self, text: str, category: str) -> bool:
        """Whether ``text`` has a setting word of ``category`` (any of them, weak ones too)."""
        low = " " + " ".join(re.findall(r"[\w'\-]+", text.lower())) + " "
        return any(f" {phrase} " in low for phrase, kind in self.settings.items() if kind == category)

    def is_place(self, name: str) -> bool:
        """Whether ``name`` is only a country, city or nationality ("india", "New York")."""
        return _fold(name).strip(" .,!?") in self.places

    def is_role(self, name: str) -> bool:
        """Whether ``name`` is a role phrase ("the VP of engineering", "a senior engineer", "HR").

        The head noun (the last word before "of"/"from"/"at"/"in"/"for", or the last word) is a role
        word, and the words before it only say which one ("the", "senior", "engineering"): so
        "Oakridge Partners" is not a role but "the partners" is.
        """
        words = [_fold(w) for w in re.findall(r"[\w&'\-]+", name)]
        if len(words) > 2 and words[1] == "of" and words[0] in _DETERMINERS | {"each", "any", "all", "both"}:
            words = words[2:]  # "one of the analysts"
        for i, w in enumerate(words):
            if w in _PHRASE_END and i > 0:
                words = words[:i]
                break
        if not words or not self._person_noun(words[-1]):
            return False
        if words[0] in _DETERMINERS:
            return True
        return all(w in self.roles or w in self.role_modifiers for w in words[:-1])

    def _person_noun(self, word: str) -> bool:
        """A role or a noun for people, also in the plural ("VPs", "MDs", "engineers")."""
        nouns = self.roles | self.person_nouns
        singular = {word, word[:-1] if word.endswith("s") else word, word[:-2] if word.endswith("es") else word}
        return bool(singular & nouns)

    def looks_like_person(self, name: str) -> bool:
        """Whether ``name`` reads as a person: a known first name, a title, a role or a pronoun."""
        words = [_fold(w).strip(".,") for w in name.split()]
        if not words:
            return False
        first = words[0]
        return (
            first in self.first_names
            or first in _TITLES
            or first in _DETERMINERS
            or first in _PRONOUNS
            or self.is_role(name)
            or bool(re.search(r"-(san|sama|kun|ji)$", words[-1]))
        )


WORD_FEATURES_KEPT = 5_000  # words whose own features are remembered (~0.6 KB each; emptied past this)

# Gazetteer features that training sometimes hides, so that the tagger also learns from the context
# and still finds a name that is in no list.
_DROPPABLE = ("firstname", "orgword", "role", "place", "venueword")


def features(tokens: list[Token], lexicon: Lexicon, rng: random.Random | None = None) -> list[list[str]]:
    """CRF features of every token: the word, its shape, word-list hits, its clause and its neighbours.

    With ``rng`` (training only), word-list features are dropped at random.
    """
    words = [t.text for t in tokens]
    lows = [w.lower() for w in words]

    def own(i: int) -> list[str]:
        w = words[i]
        if rng is None:  # the features of the word alone are the same in every message: remembered
            held = lexicon.word_features.get(w)
            if held is None:
                if len(lexicon.word_features) > WORD_FEATURES_KEPT:
                    lexicon.word_features.clear()
                held = lexicon.word_features[w] = (tuple(_head(w, lows[i])), tuple(_tail(w, lows[i], _fold(w))))
            head, tail = held
        else:
            head, tail = tuple(_head(w, lows[i])), tuple(_tail(w, lows[i], _fold(w)))
        f = list(head)
        if w[:1].isupper():
            f.append("title")
            if i > 0 and lows[i - 1] not in {".", "!", "?", ":", "\n"}:
                f.append("title_mid")
        f.extend(tail)
        if rng is not None:
            f = [x for x in f if x not in _DROPPABLE or rng.random() > 0.3]
        return f

    def _head(w: str, low: str) -> list[str]:
        return [
            f"w={low}",
            f"shape={_shape(w)}",
            f"suf3={low[-3:]}",
            f"pre3={low[:3]}",
            f"len={min(len(w), 8)}",
        ]

    def _tail(w: str, low: str, fold: str) -> list[str]:
        f: list[str] = []
        if w.isupper() and len(w) > 1:
            f.append("upper")
        if any(c.isdigit() for c in w):
            f.append("digit")
        if low in _WEEKDAY or low.rstrip("s") in _WEEKDAY:
            f.append("weekday")
        if low.rstrip(".") in _MONTH:
            f.append("month")
        if low in _TIMEWORD or re.fullmatch(r"\d{1,2}([:.]\d\d)?(am|pm|h)?", low):
            f.append("timeword")
        if lexicon.setting_word(low):
            f.append("setting")
        if low in lexicon.roles:
            f.append("role")
        if fold in lexicon.first_names:
            f.append("firstname")
        if fold in lexicon.org_words:
            f.append("orgword")
        if fold in lexicon.places:
            f.append("place")
        if fold in lexicon.venue_words:
            f.append("venueword")
        if low in lexicon.background_cues:
            f.append("bgcue")
        if low.rstrip(".") in _TITLES:
            f.append("honorific")
        if low in STOP_WORDS:
            f.append("stop")
        if low in _DETERMINERS:
            f.append("det")
        if low in _PREP:
            f.append("prep")
        if low in _CONTEXT_WORDS:
            f.append("ctx")
        if not any(c.isalnum() for c in w):
            f.append("punct")
        return f

    base = [own(i) for i in range(len(tokens))]
    n = len(tokens)
    # what a neighbour shows of each token (its features but the word itself: the head's w=, suf3, pre3
    # and len= are its items 0, 2, 3 and 4), found once per token
    shown = [b[1:2] + b[5:] for b in base]
    cues = [("bgcue" in b, "setting" in b, "role" in b) for b in base]  # read by the clause features
    out: list[list[str]] = []
    for i in range(n):
        f = list(base[i])
        if i == 0:
            f.append("BOS")
        if i == n - 1:
            f.append("EOS")
        for d, word, near in _NEIGHBOURS:
            j = i + d
            if 0 <= j < n:
                f.append(word + lows[j])
                if near:
                    f.extend([near + x for x in shown[j]])
        if i > 0:
            f.append(f"bigram={lows[i - 1]}|{lows[i]}")
        if i + 1 < n:
            f.append(f"bigram+={lows[i]}|{lows[i + 1]}")
        f.extend(_clause_features(i, lows, cues))
        out.append(f)
    return out


# each neighbour's offset, the prefix of its word, and of what it shows (only the nearest two on each side)
_NEIGHBOURS = tuple((d, f"{d}:w=", f"{d}:" if abs(d) <= 2 else "") for d in (-3, -2, -1, 1, 2, 3))


def _clause_features(i: int, lows: list[str], cues: list[tuple[bool, bool, bool]]) -> list[str]:
    """What the clause says before token ``i``: the last preposition, a background cue, a setting word.

    ``cues``: whether each token's own features hold ``bgcue``, ``setting`` and ``role``.
    """
    f: list[str] = []
    prep_seen = False
    for j in range(i - 1, max(-1, i - 7), -1):
        low = lows[j]
        if low in _CLAUSE_BREAK:
            break
        if not prep_seen and low in _PREP:
            f.append(f"lastprep={low}")
            prep_seen = True
        bgcue, setting, role = cues[j]
        if bgcue:
            f.append("bg_before")
        if setting:
            f.append("setting_before")
        if role and i - j <= 3:
            f.append("role_before")
    return sorted(set(f))


def bio(tokens: list[Token], example: Example) -> list[str]:
    """BIO tags for an annotated example."""
    tags = ["O"] * len(tokens)
    for span in example.spans:
        first = True
        for i, tok in enumerate(tokens):
            if tok.start >= span.start and tok.end <= span.end:
                tags[i] = ("B-" if first else "I-") + span.label
                first = False
    return tags


def _role_phrase(rng: random.Random, lexicon: Lexicon) -> str:
    if lexicon.roles_phrases and rng.random() < 0.8:
        return rng.choice(lexicon.roles_phrases)
    return rng.choice(lexicon.people) if lexicon.people else "the recruiter"


def vary(examples: Iterable[Example], lexicon: Lexicon, seed: int = 11) -> list[Example]:
    """Copies of the examples that show a venue, the student's background or a role, with other values.

    Venue names, background names (a place stays a place) and interviewers (names or role phrases) are
    swapped for others from ``names.yaml``, some copies lowercased or without punctuation, so the
    tagger learns the sentence patterns rather than the particular words. Deterministic for a seed.
    """
    rng = random.Random(seed)
    out: list[Example] = []
    for ex in examples:
        if not any(s.label in {"venue", "background", "interviewer"} for s in ex.spans):
            continue
        pieces: list[str] = []
        spans: list[Span] = []
        pos = length = 0
        for span in sorted(ex.spans, key=lambda s: s.start):
            before = ex.text[pos : span.start]
            pieces.append(before)
            length += len(before)
            value = ex.text[span.start : span.end]
            if span.label == "venue" and lexicon.venues:
                value = rng.choice(lexicon.venues)
            elif span.label == "background":
                if lexicon.is_place(value):
                    value = rng.choice(sorted(lexicon.places)).title()
                elif lexicon.companies:
                    value = rng.choice(lexicon.companies)
            elif span.label == "interviewer":
                value = _role_phrase(rng, lexicon) if rng.random() < 0.6 else rng.choice(lexicon.people or [value])
            elif span.label == "company" and lexicon.companies and rng.random() < 0.5:
                value = rng.choice(lexicon.companies)
            if span.label != "when" and rng.random() < 0.3:
                value = value.lower()
            pieces.append(value)
            spans.append(Span(length, length + len(value), span.label))
            length += len(value)
            pos = span.end
        pieces.append(ex.text[pos:])
        text = "".join(pieces)
        if rng.random() < 0.25:
            text = text.lower()
        out.append(Example(text, ex.intent, tuple(spans)))
    return out


@dataclass(frozen=True)
class Tagged:
    """A span the tagger labelled, and the model's probability of each label over it (its weakest token)."""

    span: Span
    sure: dict[str, float]

    @property
    def confidence(self) -> float:
        """The probability of the label it was given."""
        return self.sure[self.span.label]


def _read_yaml(path: Path) -> Any:
    """A YAML file read with libyaml when PyYAML has it (ten times faster at start than pure Python)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


class EntityTagger:
    """The trained CRF plus the interpretation of its spans."""

    def __init__(self, model_path: Path, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(model_path))
        self._lock = threading.Lock()
        self._names: list[tuple[str, list[str]]] | None = None

    @staticmethod
    def train(examples: Iterable[Example], lexicon: Lexicon, model_path: Path) -> None:
        """Train on the annotated examples (and varied copies of them) and write the model."""
        examples = list(examples)
        trainer = pycrfsuite.Trainer(verbose=False)
        rng = random.Random(5)
        for ex in examples + vary(examples, lexicon):
            tokens = tokenize(ex.text)
            if tokens:  # half the sequences hide some word-list features
                trainer.append(features(tokens, lexicon, rng if rng.random() < 0.5 else None), bio(tokens, ex))
        trainer.set_params(_PARAMS)
        model_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=model_path.parent, delete=False, suffix=".tmp") as tmp:
            tmp_path = Path(tmp.name)
        trainer.train(str(tmp_path))
        tmp_path.replace(model_path)  # atomic: another process may be loading the model

    def _tag(self, text: str) -> list[Tagged]:
        """The labelled spans of a message, each with how sure the model is of each label there."""
        tokens = tokenize(text)
        if not tokens:
            return []
        xseq = features(tokens, self.lexicon)
        with self._lock:  # marginals read the state of the last tag() call
            tags = self._tagger.tag(xseq)
            if self._names is None:  # the model's B-/I- tag names of each label, read once
                known = set(self._tagger.labels())
                self._names = [(label, [f"{k}-{label}" for k in "BI" if f"{k}-{label}" in known]) for label in _LABELS]
            marginal = self._tagger.marginal
            probs: list[dict[str, float]] = [  # only where a label was tagged: the rest is never read
                {label: sum(map(marginal, names, (i, i))) for label, names in self._names} if tag != "O" else {}
                for i, tag in enumerate(tags)
            ]
        spans: list[Tagged] = []
        for tok, tag, p in zip(tokens, tags, probs, strict=True):
            if tag == "O":
                continue
            kind, label = tag.split("-", 1)
            if kind == "I" and spans and spans[-1].span.label == label:
                last = spans[-1]
                sure = {k: min(v, p[k]) for k, v in last.sure.items()}
                spans[-1] = Tagged(Span(last.span.start, tok.end, label), sure)
            else:
                spans.append(Tagged(Span(tok.start, tok.end, label), dict(p)))
        return spans

    def spans(self, text: str) -> list[tuple[str, str]]:
        """(label, text) of every tagged span, in order."""
        return [(t.span.label, text[t.span.start : t.span.end]) for t in self._tag(text)]

    def _company(self, span: str) -> str | None:
        """A company span cleaned of generic neighbours; None when it is no company's name."""
        name = _first_part(_clean_name(span))
        words = _trim_time(name.split())
        while (
            len(words) > 1
            and words[-2].lower() not in {"&", "and", "of", "+"}
            and (
                words[-1].lower() in _TRAILING
                or (any(c.isdigit() for c in words[-1]) and not any(c.isalpha() for c in words[-1]))
            )
        ):
            words.pop()
        name = " ".join(words)
        if not name or all(w.lower().strip(".,!?") in _NOT_NAMES for w in words):
            return None
        if self.lexicon.is_place(name) or self.lexicon.is_role(name):
            return None
        if name.islower() and name in self.lexicon.settings:
            return None  # "offered me the job at dinner": a setting word, not written as a name ("Zoom")
        if all(_fold(w) in self.lexicon.role_modifiers | {"ops", "hr", "team"} for w in words) and name.islower():
            return None  # "Jess from people ops": a department, not the employer
        return name

    def _person(self, span: str) -> str | None:
        """An interviewer span cleaned of time words and joiners; None for a pronoun or nothing."""
        name = _clean_name(span)
        words = name.split()
        while words and words[0].lower() in {"with", "w", "w/", "and", "&", "+", "meeting", "meet"}:
            words.pop(0)
        words = _trim_time(words)
        name = " ".join(words).strip(" ,.;:!?")
        if not name or name.lower() in _PRONOUNS or all(w.lower() in _NOT_NAMES for w in words):
            return None
        if not any(c.isalpha() for c in name):
            return None
        first = _fold(words[0])
        if first in _DETERMINERS and first not in _POSSESSIVES and not self.lexicon.is_role(name):
            return None  # "the details", "a bit": such a phrase names a person only by a role ("her postdoc" does)
        return name

    def _drop_appositions(self, text: str, spans: list[Span]) -> list[Span]:
        """People spans, less a role said beside a name for the same person.

        "Femi Adebayo, the brand director" and "a partner, Hiroshi Tanaka" name one person each; in a
        list ("the CTO, Priya and Tom") every item stays.
        """

        def joined(x: Span, y: Span, marks: set[str]) -> bool:
            return text[x.end : y.start].strip() in marks

        drop: set[int] = set()
        for i in range(len(spans) - 1):
            a, b = spans[i], spans[i + 1]
            if joined(a, b, {"called", "named", ", called", ", named"}):
                drop.add(i)  # "a senior PM called Oksana Kovalenko"
                continue
            if not joined(a, b, {",", "-", "–", "—"}):
                continue
            in_list = bool(re.match(r"\s*,?\s*(and|&|\+|or)\b", text[b.end :])) or (
                i > 0 and joined(spans[i - 1], a, {",", "and", "&", "+", ", and"})
            )
            if in_list:
                continue
            roles = [self.lexicon.is_role(text[s.start : s.end]) and not _plural(text[s.start : s.end]) for s in (a, b)]
            if roles[0] != roles[1]:
                drop.add(i if roles[0] else i + 1)
        return [s for j, s in enumerate(spans) if j not in drop]

    def _with_department(self, text: str, span: Span, spans: list[Span]) -> Span:
        """A person span with the part of the company they come from.

        "two people from the team" and "someone from HR" keep it; a named person ("Alex from product")
        and a company after "from" ("the hiring manager from Figma") do not.
        """
        first = _fold(text[span.start : span.end].split()[0]) if text[span.start : span.end].split() else ""
        if first not in _DETERMINERS | {"someone", "somebody", "people", "folks"} and not first.isdigit():
            return span
        m = re.match(r"\s+from\s+(?:the\s+|my\s+|our\s+|their\s+)?([\w&\-]+(?:\s+[\w&\-]+)?)", text[span.end :])
        if not m or any(s.start < span.end + m.end() and s.end > span.end for s in spans):
            return span
        words = [_fold(w) for w in m.group(1).split()]
        known = self.lexicon.role_modifiers | self.lexicon.roles | {"team", "hr", "finance", "people"}
        while words and words[-1] not in known:
            words.pop()
        if not words or not all(w in known for w in words):
            return span
        end = span.end + m.start(1) + len(" ".join(m.group(1).split()[: len(words)]))
        return Span(span.start, end, span.label)

    def _venue_like(self, text: str, tagged: list[Tagged], span: Span) -> bool:
        """Whether a name is said as where a meal happens: "at X" after a meal word ("dinner ... at Nopa")."""
        if not re.search(r"(?:\bat|@)\s*(?:the\s+)?$", text[: span.start], re.I):
            return False
        before = list(text[: span.start])
        for t in tagged:  # the student's own job ("a barista at a coffee shop") is no meal
            if t.span.label == "background" and t.span.start < span.start:
                before[t.span.start : t.span.end] = " " * (t.span.end - t.span.start)
        return self.lexicon.mentions("".join(before), "informal")

    def _setting(self, text: str, tagged: list[Tagged], chosen: list[Span]) -> str | None:
        """The interview's setting: the surest setting span, else a plain setting word elsewhere.

        A setting word that says how the news came ("a phone call from HR") gives way to another one;
        the words of the company (``chosen``), the venue and the student's background are not read for it.
        """
        found = [
            (t, kind)
            for t in tagged
            if t.span.label == "setting" and (kind := self.lexicon.setting_of(text[t.span.start : t.span.end]))
        ]
        news = [f for f in found if re.match(r"\s+(from|by)\b", text[f[0].span.end :])]
        if len(found) > len(news):
            found = [f for f in found if f not in news]
        kinds = sorted(found, key=lambda f: f[0].span.start)
        for (a, kind_a), (b, kind_b) in itertools.pairwise(kinds):
            if kind_a != kind_b and re.search(r"\bor\b", text[a.span.end : b.span.start]):
                return None  # "idk if its zoom or in person yet": not decided
        if found:
            return max(found, key=lambda f: f[0].confidence)[1]
        blanked = list(text)
        for t in tagged:
            if t.span.label in {"venue", "background"} or t.span in chosen:
                blanked[t.span.start : t.span.end] = " " * (t.span.end - t.span.start)
        return self.lexicon.setting_of("".join(blanked), strong_only=True)

    def _venue(self, span: str) -> str | None:
        """A venue span as the place's name: "the Ace Hotel bar" -> "Ace Hotel", "The Ivy" stays.

        A lowercase "the" and trailing lowercase generic words (bar, lobby, rooftop) are not part of
        the name; "their London office" is the company's own place, not a venue.
        """
        words = _trim_time(_clean_name(span).split())
        while words and words[0].lower() in {"at", "@", "in"}:
            words.pop(0)
        if words and words[0].lower() in {"their", "our", "his", "her", "its", "my"}:
            return None
        if len(words) > 1 and words[0] in {"the", "a", "an"}:
            words.pop(0)
        while len(words) > 1 and words[-1].islower() and _fold(words[-1]) in _VENUE_GENERIC:
            words.pop()
        name = " ".join(words).strip(" ,.;:!?")
        if not name or all(w.lower() in _NOT_NAMES for w in words):
            return None
        return name

    def _employer_in_role(self, text: str, span: Span) -> tuple[str, Span] | None:
        """The company named inside a role phrase, and the role's span: "the Initech founders" -> Initech, founders.

        A capitalised name between "the" and a role; None when the span is no such phrase, or the name reads as
        a person's.
        """
        m = _NAME_IN_ROLE.match(text[span.start : span.end])
        if m is None:
            return None
        name, role = m.group(1).strip(), m.group(2).strip()
        if not self.lexicon.is_role(f"the {role}") or self.lexicon.looks_like_person(name):
            return None
        company = self._company(name)
        if company is None:
            return None
        return company, Span(span.start + m.start(2), span.start + m.start(2) + len(role), span.label)

    def extract(self, text: str, now: datetime, tz: str, *, company_only: bool = False) -> Entities:
        """The entities of a message, with the time resolved against ``now`` (naive local) in ``tz``."""
        tagged = self._tag(text)
        spans = [t.span for t in tagged]
        companies: list[tuple[bool, bool, bool, float, int, str]] = []
        people_spans: list[Span] = []
        for n, t in enumerate(tagged):
            span = t.span
            piece = text[span.start : span.end]
            if span.label == "company":
                name = self._company(piece)
                if name:
                    # "the recruiter from Nike", "the CEO of Zomato": a person's employer wins
                    # (not a recruiter's: "the recruiter from Hays" may work for an agency)
                    person = text[spans[n - 1].start : spans[n - 1].end].lower() if n > 0 else ""
                    attached = (
                        n > 0
                        and spans[n - 1].label == "interviewer"
                        and not re.search(r"recruit|headhunt|agent|agency|talent", person)
                        and bool(re.fullmatch(r"\s*(from|of|at|@)\s*", text[spans[n - 1].end : span.start], re.I))
                    )
                    companies.append(
                        (
                            not self._venue_like(text, tagged, span),
                            not _BACKGROUND_BEFORE.search(text[max(0, span.start - 60) : span.start]),
                            attached,
                            t.confidence,
                            -n,
                            _completed(name, text, span),
                        )
                    )
                elif self.lexicon.is_role(_clean_name(piece)):
                    people_spans.append(span)  # "with the VP of engineering": a person, not the company
            elif span.label == "interviewer":
                people_spans.append(span)
        company = max(companies)[-1] if companies else None
        if company is None:
            # "with Zephyr Labs", "2nd round w/ Booz Allen": tagged as a person, but no person's name
            for span in people_spans:
                piece = _clean_name(text[span.start : span.end])
                words = [_fold(w) for w in piece.split()]
                org = len(words) > 1 and words[-1] in self.lexicon.org_words
                if (org or not self.lexicon.looks_like_person(piece)) and (name := self._company(piece)):
                    company = _completed(name, text, span)
                    people_spans.remove(span)
                    break
        if company is None:
            # "dinner with the Initech founders", "the Globex CTO": the company's name inside a role phrase
            for n, span in enumerate(people_spans):
                split = self._employer_in_role(text, span)
                if split is not None:
                    company, people_spans[n] = split
                    break
        if company_only:
            return Entities(company=company)
        people: list[str] = []
        for span in self._drop_appositions(text, people_spans):
            if _SELF_INTRO.search(text[max(0, span.start - 20) : span.start]):
                continue  # "Myself Ramesh from Chennai": the student, not an interviewer
            if _MESSENGER.search(text[max(0, span.start - 30) : span.start]):
                continue  # "got a call from the recruiter": who brought the news
            span = self._with_department(text, span, spans)
            name = self._person(text[span.start : span.end])
            if not name or name.lower() in {p.lower() for p in people}:
                continue
            if company and re.search(rf"(?<!\w){re.escape(company.lower())}(?!\w)", name.lower()):
                continue  # "the Acme team" is the company itself, not a person
            people.append(name)
        setting = self._setting(
            text, tagged, [s for s in spans if s.label == "company" and company and company in text[s.start : s.end]]
        )
        venue = None
        for t in tagged if setting == "informal" else []:  # a venue is where a meal or a drink happens
            # another name where a venue was nearly as likely ("dinner at Balthazar"), or a second
            # company-like name said with "at" ("coffee w/ the recruiter from Nike at Stumptown")
            at = bool(re.search(r"(?:\bat|@)\s*(?:the\s+)?$", text[: t.span.start], re.I))
            maybe = t.span.label != "when" and t.sure["venue"] >= _VENUE_SECOND_GUESS
            maybe |= t.span.label == "company" and at and t.sure["venue"] >= t.sure["background"]
            name = self._venue(text[t.span.start : t.span.end]) if t.span.label == "venue" or maybe else None
            if name and (company is None or name.lower() != company.lower()):
                venue = name
                break
        when_spans = [s for s in spans if s.label == "when"]
        for i in range(len(when_spans) - 1, 0, -1):
            if _CORRECTION.search(text[when_spans[i - 1].end : when_spans[i].start]):
                when_spans = when_spans[i:]  # "sunday? no wait, saturday at 9am"
                break
        when_parts = [text[s.start : s.end] for s in when_spans]
        when, when_text, when_problem = dates.interview_when(text, when_parts, now, tz)
        return Entities(
            company=company,
            when=when,
            interviewers=tuple(people),
            setting=setting,
            when_text=when_text,
            venue=venue,
            when_problem=when_problem,
        )


# "the Initech founders": "the", a capitalised name, then lowercase role words
_NAME_IN_ROLE = re.compile(r"\s*the\s+((?:[A-Z][\w&'.-]*\s+)+)([a-z][a-z\s'-]*?)\s*$")

_ABBREVIATIONS = {"st", "mr", "mrs", "ms", "dr", "co", "inc", "corp", "ltd", "bros", "jr", "sr", "no", "intl", "dept"}


def _completed(name: str, text: str, span: Span) -> str:
    """``name`` completed with what the tokenizer split off.

    That is an abbreviation's period ("Gap Inc.") or the "'s" of a brand ("with Papa John's",
    "McDonald's on friday"), but not a possessive ("Grab's second round").
    """
    at = text.find(name, span.start)
    if at < 0:
        return name
    after = text[at + len(name) :]
    if after[:1] == "." and name.split()[-1].lower() in _ABBREVIATIONS:
        return name + "."
    m = re.match(r"(['’][sS])(?!\w)\s*([\w']*)", after)
    if m and (not m.group(2) or m.group(2).lower() in _AFTER_BRAND):
        return name + m.group(1)
    return name


# Words that follow a brand name ending in 's rather than a possessed noun ("Macy's on friday").
_AFTER_BRAND = {"on", "at", "for", "in", "this", "next", "tomorrow", "tmrw", "today", "tonight", "and", "with", "is"}
_AFTER_BRAND |= {"was", "wants", "called", "asked", "has", "invited", "said", "emailed", "moved", "rescheduled"}
_AFTER_BRAND |= _WEEKDAY


def _plural(phrase: str) -> bool:
    words = re.findall(r"[\w'\-]+", phrase.lower())
    return bool(words) and (words[-1].endswith("s") or words[0] in {"two", "three", "both", "all", "2", "3"})


def _first_part(name: str) -> str:
    """A name up to the end of its sentence or a comma/dash ("St. Luke's. see you" -> "St. Luke's")."""
    for m in re.finditer(r"\.\s|\s[-–—]\s|,", name):
        before = name[: m.start()].split()
        if m.group(0).startswith(".") and before and before[-1].lower() in _ABBREVIATIONS:
            continue
        return name[: m.start()].strip()
    return name.strip()


def _is_time_word(word: str) -> bool:
    low = word.lower().strip(".,!?")
    return low in _TIME_EDGE or bool(re.fullmatch(r"\d{1,2}([:.]\d\d)?\s*(am|pm|a|p|h|ish)?", low))


def _trim_time(words: list[str]) -> list[str]:
    """Drop time words caught at the end of a name ("the director tmrw" -> "the director").

    "am"/"pm" only go with a number before them: "one senior PM" keeps its PM.
    """
    words = list(words)
    while len(words) > 1 and _is_time_word(words[-1]):
        if words[-1].lower().strip(".,!?") in {"am", "pm"} and not any(c.isdigit() for c in words[-2]):
            break
        words.pop()
    return words


_EDGE = re.compile(r"^[\s\"'“”‘’(\[{<,.;:!?\-–—]+|[\s\"'“”‘’)\]}>,.;:!?\-–—]+$")


def _clean_name(span: str) -> str:
    name = span.split("(", 1)[0]  # "Lucía (head of design)": the role in brackets is not the name
    name = _EDGE.sub("", name.strip())
    name = re.sub(r"^(?:a startup called|a company called|the company|company)\s+", "", name, flags=re.I)
    return name.strip()
