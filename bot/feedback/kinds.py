"""What kind of interview question an answer responds to, read from the question's words."""

from __future__ import annotations

import re

__all__ = ["KINDS", "STORY_KINDS", "question_kind"]

# First match wins, so the narrow kinds come before the broad "tell me about a time".
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("salary", re.compile(r"\b(?:salary|salaries|pay|paid|compensation|package|earn|money|rate|remuneration)\b")),
    (
        "why_you",
        re.compile(
            r"\bwhy (?:should|would|must) we (?:hire|pick|choose|take|select)|\bover (?:the )?other (?:finalists|"
            r"candidates|applicants)|\bbetter (?:fit|choice|candidate) than|\bwhy (?:you|are you the)\b|"
            r"\bsets? you apart|\bwhat makes you (?:the|a better|different)"
        ),
    ),
    (
        "why_company",
        re.compile(
            r"\bwhy (?:do|would) you want to (?:work|join)|\bwhy (?:us|here|this company|our company)\b|"
            r"\bmade you want to continue|\bwhat attracts you|\bwhy do you want this|\bjoin us\b"
        ),
    ),
    (
        "company",
        re.compile(
            r"\b(?:company|business|organisation|organization|we|our \w+) (?:is |are )?(?:going|heading)|"
            r"\bour (?:plans|direction|strategy|future|roadmap)|\bnext (?:few )?years?\b.*\b(?:company|us|we)\b|"
            r"\bwhat do you know about (?:us|our)"
        ),
    ),
    (
        "first_90",
        re.compile(r"\bfirst (?:90|ninety|30|sixty|60|100) days|\bfirst (?:few |three |six )?(?:months?|weeks?)\b"),
    ),
    ("presentation", re.compile(r"\bpresent(?:ation)?\b|\btwo minutes\b|\bpitch\b")),
    (
        "style",
        re.compile(
            r"\b(?:colleagues|team|manager|friends|boss) (?:would )?describe|\bdescribe the way you|"
            r"\bworking style\b|\bdescribe yourself"
        ),
    ),
    (
        "behavioural",
        re.compile(
            r"\b(?:tell|talk) (?:me|us) about (?:a|an|the|one|your) |\bdescribe (?:a|an|the) |\bgive (?:me |us )?an? "
            r"example|\bwalk (?:me|us) through\b|\ba time (?:you|when)\b|\bexample of\b|\bsituation where\b|"
            r"\btell (?:me|us) about a different|\banother example"
        ),
    ),
    ("pressure", re.compile(r"\bpressure\b|\bconvince me\b|\bstress|\bdemanding\b|\bcope\b")),
    ("prioritise", re.compile(r"\bprioriti[sz]e|\btoo much to do\b|\beverything is urgent|\bdecide what to work on")),
    (
        "style",
        re.compile(
            r"\bdescribe (?:you|the way you|your)|\bworking style\b|\bcolleagues\b|\bstrengths?\b|\bweakness|"
            r"\bhow do you (?:handle|deal|work)|\bculture\b|\bfeedback\b"
        ),
    ),
)

KINDS = (*dict.fromkeys(name for name, _ in _RULES), "other")
STORY_KINDS = frozenset({"behavioural", "presentation", "pressure"})


def question_kind(question: str) -> str:
    """The kind of a question, read from its words.

    One of salary, why_you, why_company, company, first_90, presentation, style, behavioural, pressure,
    prioritise or other.
    """
    q = question.lower().replace("’", "'")
    for name, pattern in _RULES:
        if pattern.search(q):
            return name
    return "other"
