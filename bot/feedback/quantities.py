"""Numbers that measure the work or its outcome ("20%", "$5k", "two interns", "cut it in half").

Rules, not a model: a number counts unless its context says it is a date, a clock time, an age, an
ordinal, a length of employment, a school year/round number, or a fact about the company rather than
the speaker's work. In a salary answer any figure counts (DATA.md: salary figures and ranges count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Quantity", "quantities"]

_WORD_NUMBERS = (
    "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    "eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|dozen|"
    "zero"
)
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNIT = r"(?:hours?|days?|weeks?|months?|minutes?|nights?|shifts?|quarters?|person|people|call|meeting|page)"

_MENTION = re.compile(
    r"(?P<cur>[$£€₹]\s?)?(?<![A-Za-z])(?P<num>\d+(?:[.,]\d+)*)(?![A-Za-z]{2})"
    r"(?P<suf>\s?(?:k|m|bn|%|percent|per cent|x|lpa|lakhs?)\b|%)?"
    r"|\b(?P<word>(?:" + _TENS + r")-(?:one|two|three|four|five|six|seven|eight|nine)|" + _WORD_NUMBERS + r")\b"
    r"|\b(?P<frac>halved|half|twice|doubled|double (?:the|it|that|our|my|their)|tripled|quadrupled|a third|"
    r"two thirds|a quarter|"
    r"three quarters|six figures|five figures)\b"
    r"|\b(?P<one>(?:one|an?)\s+(?:whole\s+|full\s+|extra\s+)?(?:hour|day|week|month|night|minute|shift|year)s?)\b",
    re.IGNORECASE,
)

_YEAR = re.compile(r"^(?:19|20)\d\d$")
_CLOCK_AFTER = re.compile(r"^(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.|o'clock|h\b|hrs\b)", re.IGNORECASE)
_AGO_AFTER = re.compile(
    r"^[\s-]*(?:(?:years?|months?|weeks?|days?)\s+(?:ago|before that)|years?\s+old)\b", re.IGNORECASE
)
_YEARS_AFTER = re.compile(
    r"^[\s-]*(?:\+\s*)?years?\b(?!\s+(?:early|earlier|late|ahead|faster|sooner)\b)", re.IGNORECASE
)
_WITHIN_BEFORE = re.compile(r"\b(?:in|within|under)\s*$", re.IGNORECASE)
_ORDINAL_AFTER = re.compile(r"^(?:st|nd|rd|th)\b", re.IGNORECASE)
_NOT_COUNT_BEFORE = re.compile(
    r"(?:\b(?:round|year|grade|level|step|phase|version|number|no\.|i'm|i am|i was|aged|age|at|band|"
    r"stage|page|chapter|room|ward|interview|top)\s*|#\s*)$",
    re.IGNORECASE,
)
_DATE_SHAPE = re.compile(r"^\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?\.?$")
_DOUBLE_CHECK = re.compile(r"^[\s-]*(?:check|checks|checked|checking|booked|down)\b", re.IGNORECASE)
_COMPANY_FACT = re.compile(r"\b(?:you|your|you're|you've)\b", re.IGNORECASE)
_SPEAKER = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|we|our|us|mine)\b", re.IGNORECASE)
_MONTHS = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    """A number in the answer that measures the work, its scope or its outcome."""

    start: int
    end: int
    text: str


def _lead(text: str, start: int) -> str:
    """The words of the sentence before position ``start``."""
    left = max(text.rfind(ch, 0, start) for ch in ".!?;\n")
    return text[left + 1 : start]


def _counts(text: str, m: re.Match[str], salary: bool) -> bool:
    before = text[max(0, m.start() - 25) : m.start()]
    after = text[m.end() : m.end() + 30]
    raw = m.group(0).strip()
    if m.group("num"):
        num = m.group("num")
        has_unit = bool(m.group("cur") or m.group("suf"))
        if _DATE_SHAPE.match(num) or "/" in text[m.end() : m.end() + 1]:
            return False
        if re.match(r"^[.)]\s", text[m.end() : m.end() + 2]) and not text[: m.start()].strip()[-1:].isalnum():
            return False  # a list marker: "1. Safety issues"
        if _YEAR.match(num) and not has_unit:
            return False
        if _CLOCK_AFTER.match(after) and not has_unit:
            return False
        if _ORDINAL_AFTER.match(text[m.end() : m.end() + 3]):
            return False
        if _MONTHS.search(before) and not has_unit:
            return False
        if salary:
            return True
        if not has_unit:
            if _AGO_AFTER.match(after) or (_YEARS_AFTER.match(after) and not _WITHIN_BEFORE.search(before)):
                return False
            if _NOT_COUNT_BEFORE.search(before):
                return False
    elif m.group("word"):
        if salary:
            return True
        if _AGO_AFTER.match(after) or (_YEARS_AFTER.match(after) and not _WITHIN_BEFORE.search(before)):
            return False
        word = m.group("word").lower()
        if word == "zero" and re.match(r"^[\s-]*(?:tolerance|based|sum)\b", after, re.IGNORECASE):
            return False
        if re.search(
            r"\b(?:round|year|grade|level|band|page|step|month|week|day|phase|option|number)\s*$", before, re.IGNORECASE
        ):
            return False
        if word in {"two", "three"} and re.match(r"^\s*(?:or|to)\s+(?:three|four)\s+(?:times|things)\b", after):
            return True
    elif m.group("frac"):
        frac = m.group("frac").lower()
        if frac in {"double", "triple"} and _DOUBLE_CHECK.match(after):
            return False
        if frac == "half" and re.match(r"^[\s-]*(?:time|term|day)\b", after, re.IGNORECASE):
            return False
    elif m.group("one"):
        unit_after = re.match(r"^\s*(\w+)", after)
        measured = re.search(
            r"\b(?:in|within|only|just|under|than|to|from|per|by|for|about|around|over|took|take|takes|saved|"
            r"extra|another|whole)\s*$",
            before,
            re.IGNORECASE,
        )
        early = unit_after and unit_after.group(1).lower() in {"early", "earlier", "late", "later", "ahead", "before"}
        if m.group("one").lower().endswith(("year", "years")) and not early:
            return False
        if re.search(r"\b(?:once|twice|times|every|each|last|next|this|that|one)\s*$", before, re.IGNORECASE):
            return False
        if not (measured or early):
            return False
    if not raw:
        return False
    if not salary:
        lead = _lead(text, m.start())
        company = [x.end() for x in _COMPANY_FACT.finditer(lead)]
        speaker = [x.end() for x in _SPEAKER.finditer(lead)]
        if company and (not speaker or company[-1] > speaker[-1]):
            return False  # a fact about the company ("you plan to hire 200 people"), not the speaker's work
    return True


def quantities(answer: str, *, salary: bool = False) -> list[Quantity]:
    """Every number in the answer that measures the speaker's work, scope or outcome.

    In a salary answer (``salary=True``) any pay figure counts.
    """
    found: list[Quantity] = []
    for m in _MENTION.finditer(answer):
        if _counts(answer, m, salary):
            start, end = m.start(), m.end()
            while end > start and answer[end - 1].isspace():
                end -= 1
            found.append(Quantity(start, end, answer[start:end]))
    return found
