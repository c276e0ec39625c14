"""Finds an interview's company, time, interviewers and setting in a message.

A linear-chain CRF (python-crfsuite) tags each token as part of a company, a date/time expression,
an interviewer or a setting word; it learns from the annotated examples in ``knowledge/nlu``.
The tagged spans are then interpreted: the date/time expression by :mod:`bot.nlu.dates`, the
setting word through the lexicon in ``knowledge/nlu/lexicon.yaml``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pycrfsuite
import yaml
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from bot.nlu import dates
from bot.nlu.training import Example
from bot.nlu.types import Entities

_TOKEN = re.compile(
    r"(?:mr|mrs|ms|dr|prof|st)\.(?=\s)"
    r"|\d{1,4}(?:[:./\-]\d{1,4})*\.?(?:am|pm|a\.m\.|p\.m\.|st|nd|rd|th|h|k)?"
    r"|[^\W\d_](?:[\w&'’]|[.\-](?=[^\W\d_]))*"
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
}
_CONTEXT_WORDS = {
    "interview",
    "interviews",
    "round",
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
MODEL_VERSION = 4
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
}
_NOT_NAMES = ENGLISH_STOP_WORDS | {
    "hi",
    "hey",
    "hello",
    "yo",
    "ok",
    "okay",
    "omg",
    "lol",
    "got",
    "so",
    "alright",
    "xmas",
    "round",
    "interview",
    "second",
    "2nd",
    "final",
    "tmrw",
    "today",
}


@dataclass(frozen=True)
class Token:
    """A token and where it sits in the message."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split a message into tokens with their character offsets."""
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    shape = re.sub(r"[A-Z]", "X", word)
    shape = re.sub(r"[a-z]", "x", shape)
    shape = re.sub(r"\d", "d", shape)
    return re.sub(r"(.)\1{2,}", r"\1\1", shape)


class Lexicon:
    """Word lists the tagger uses.

    The settings table and role words come from ``knowledge/nlu/lexicon.yaml``; the first-name and
    organisation-word feature lists from ``knowledge/nlu/names.yaml``.
    """

    def __init__(self, path: Path) -> None:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        names_path = path.with_name("names.yaml")
        names = yaml.safe_load(names_path.read_text(encoding="utf-8")) if names_path.exists() else {}
        self.first_names = {str(n).lower() for n in names.get("first_names", [])}
        self.org_words = {str(n).lower() for n in names.get("organisation_words", [])}
        self.settings: dict[str, str] = {}
        for category, words in doc["settings"].items():
            for word in words:
                self.settings[str(word).lower()] = category
        self.roles = {str(w).lower() for w in doc["people_roles"]}
        self.weak = {str(w).lower() for w in doc.get("tagged_only", [])}
        self._setting_words = {w for phrase in self.settings for w in phrase.split()}
        self._phrases = sorted(self.settings, key=len, reverse=True)

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


def features(tokens: list[Token], lexicon: Lexicon) -> list[list[str]]:
    """CRF features of every token: the word itself, its shape, lexicon hits, and its neighbours."""
    words = [t.text for t in tokens]
    lows = [w.lower() for w in words]

    def own(i: int) -> list[str]:
        w, low = words[i], lows[i]
        f = [
            f"w={low}",
            f"shape={_shape(w)}",
            f"suf3={low[-3:]}",
            f"pre3={low[:3]}",
        ]
        if w[:1].isupper():
            f.append("title")
        if w.isupper() and len(w) > 1:
            f.append("upper")
        if any(c.isdigit() for c in w):
            f.append("digit")
        if low in _WEEKDAY or low.rstrip("s") in _WEEKDAY:
            f.append("weekday")
        if low.rstrip(".") in _MONTH:
            f.append("month")
        if low in _TIMEWORD or re.fullmatch(r"\d{1,2}(:\d\d)?(am|pm)?", low):
            f.append("timeword")
        if lexicon.setting_word(low):
            f.append("setting")
        if low in lexicon.roles:
            f.append("role")
        if low in lexicon.first_names:
            f.append("firstname")
        if low in lexicon.org_words:
            f.append("orgword")
        if low in ENGLISH_STOP_WORDS:
            f.append("stop")
        if low in _PREP:
            f.append("prep")
        if low in _CONTEXT_WORDS:
            f.append("ctx")
        if not any(c.isalnum() for c in w):
            f.append("punct")
        return f

    base = [own(i) for i in range(len(tokens))]
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
                    f.extend(f"{d}:{x}" for x in base[j] if not x.startswith(("w=", "suf3", "pre3")))
        if i > 0:
            f.append(f"bigram={lows[i - 1]}|{lows[i]}")
        out.append(f)
    return out


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


class EntityTagger:
    """The trained CRF plus the interpretation of its spans."""

    def __init__(self, model_path: Path, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(model_path))

    @staticmethod
    def train(examples: Iterable[Example], lexicon: Lexicon, model_path: Path) -> None:
        """Train on the annotated examples and write the model to ``model_path``."""
        trainer = pycrfsuite.Trainer(verbose=False)
        for ex in examples:
            tokens = tokenize(ex.text)
            if tokens:
                trainer.append(features(tokens, lexicon), bio(tokens, ex))
        trainer.set_params({"c1": 0.05, "c2": 0.05, "max_iterations": 200, "feature.possible_transitions": True})
        model_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=model_path.parent, delete=False, suffix=".tmp") as tmp:
            tmp_path = Path(tmp.name)
        trainer.train(str(tmp_path))
        tmp_path.replace(model_path)  # atomic: another process may be loading the model

    def _company(self, span: str) -> str | None:
        """A company span cleaned of generic neighbours; None when only generic words are left."""
        name = _clean_name(span)
        name = re.split(r"\.\s|\s[-–—]\s|,", name, maxsplit=1)[0].strip()
        words = name.split()
        while len(words) > 1 and (
            words[-1].lower() in _TRAILING
            or (any(c.isdigit() for c in words[-1]) and not any(c.isalpha() for c in words[-1]))
        ):
            words.pop()
        name = " ".join(words)
        if not name or all(w.lower().strip(".,!?") in _NOT_NAMES for w in words):
            return None
        return name

    def spans(self, text: str) -> list[tuple[str, str]]:
        """(label, text) of every tagged span, in order."""
        tokens = tokenize(text)
        if not tokens:
            return []
        tags = self._tagger.tag(features(tokens, self.lexicon))
        spans: list[tuple[str, int, int]] = []
        for tok, tag in zip(tokens, tags, strict=True):
            if tag == "O":
                continue
            kind, label = tag.split("-", 1)
            if kind == "I" and spans and spans[-1][0] == label:
                spans[-1] = (label, spans[-1][1], tok.end)
            else:
                spans.append((label, tok.start, tok.end))
        return [(label, text[a:b]) for label, a, b in spans]

    def extract(self, text: str, now: datetime, tz: str, *, company_only: bool = False) -> Entities:
        """The entities of a message, with the time resolved against ``now`` (naive local) in ``tz``."""
        spans = self.spans(text)
        company = next((c for label, s in spans if label == "company" and (c := self._company(s))), None)
        if company is None:  # "with Zephyr Labs": tagged as a person, but it is an organisation's name
            for i, (label, s) in enumerate(spans):
                words = s.lower().split()
                if label == "interviewer" and len(words) > 1 and words[-1] in self.lexicon.org_words:
                    company, spans = self._company(s), spans[:i] + spans[i + 1 :]
                    break
        if company_only:
            return Entities(company=company)
        people = []
        for label, s in spans:
            name = _clean_name(s)
            if label == "interviewer" and name and name.lower() not in {p.lower() for p in people}:
                people.append(name)
        setting = None
        for label, s in spans:
            if label == "setting":
                setting = self.lexicon.setting_of(s)
                if setting:
                    break
        if setting is None:
            setting = self.lexicon.setting_of(text, strong_only=True)
        when_parts = [s for label, s in spans if label == "when"]
        when, when_text, when_problem = dates.interview_when(text, when_parts, now, tz)
        return Entities(
            company=company,
            when=when,
            interviewers=tuple(people),
            setting=setting,
            when_text=when_text,
            when_problem=when_problem,
        )


_EDGE = re.compile(r"^[\s\"'“”‘’(\[{<,.;:!?\-–—]+|[\s\"'“”‘’)\]}>,.;:!?\-–—]+$")


def _clean_name(span: str) -> str:
    name = span.split("(", 1)[0]  # "Lucía (head of design)": the role in brackets is not the name
    name = _EDGE.sub("", name.strip())
    name = re.sub(r"^(?:a startup called|a company called|the company|company)\s+", "", name, flags=re.I)
    return name.strip()
