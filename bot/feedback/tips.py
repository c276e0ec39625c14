"""Remarks on an answer, each pointing at the student's own words (or saying what is missing).

Rules only: the measured reading (bot/feedback/reading.py) says what is there; this module turns it
into a few lines of advice, one concrete next step and the article advice that applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.feedback.kinds import STORY_KINDS
from bot.feedback.reading import Reading
from bot.feedback.text import Clause, content_words, is_past, tokens
from bot.knowledge.library import source_title

__all__ = ["Remark", "hedges", "remarks", "trim"]

_HEDGE = re.compile(
    r"\b(?:i guess|i suppose|(?<!\bwhat )(?<!\bthe )(?<!\bthis )(?<!\bthat )(?<!\ba )(?<!\bany )(?<!\bsome )"
    r"(?<!\bevery )(?<!\bsame )(?:kind of|sort of|kinda|sorta)|basically|i mean|you know(?=[,.?!]|\s*$)|"
    r"to be honest|honestly|i don't know|i'm not sure|i am not sure|maybe|probably|perhaps|hopefully|"
    r"or something|and stuff|literally|more or less|i think|a little bit|um+|uh+|erm|hmm+)\b"
    r"|(?:(?<=, )|(?<=^))like(?=,)|(?<=, )like\b(?! (?:a|the|this|that|to|it|them|him|her|me|us|you|we|they)\b)",
    re.IGNORECASE,
)

_NAMED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z0-9+#&.-]*[a-zA-Z0-9+#]")
_NOT_NAMES = {"I", "I'm", "I'd", "I've", "I'll", "OK", "Okay", "So", "And", "But", "Then", "Monday", "Tuesday",
              "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Christmas", "English"}
_PEOPLE = re.compile(
    r"\b(?:my|our|the|a|their|his|her)\s+(?:\w+\s+)?(?:manager|boss|director|client|customer|patient|lead|"
    r"ceo|cto|cfo|colleague|mentor|supervisor|teacher|nurse|doctor|engineers?|developers?|designer|partner|"
    r"owner|chef|team|staff|cashiers?|interns?|students?|parents?|users?|volunteers?|stakeholders?|"
    r"analysts?|registrar|pharmacist|head of \w+|vp|councillor|governor|auditor|supplier|vendor)\b",
    re.IGNORECASE,
)
_TIE = re.compile(
    r"\b(?:your|you're|you are|you've|you have been|you do|you did|you said|you mentioned|you told|you described|"
    r"you launched|you plan|you're planning|you want|you need|this role|the role|this job|this position|"
    r"the job ad|job ad|job description|the posting|this company|this team|round one|first round|"
    r"first (?:interview|conversation|call|meeting)|mission|values)\b",
    re.IGNORECASE,
)
_GENERIC_YOU = re.compile(r"\byou (?:know|have to|just|can't|can|need to|never|always)\b", re.IGNORECASE)
_RANGE = re.compile(
    r"(?:\d[\d,.]*\s*(?:k|K|thousand)?\s*(?:-|–|—|to|and|or)\s*[$£€]?\s*\d[\d,.]*)"
    r"|\bbetween\b[^.?!]{1,40}\band\b"
    r"|\b(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\w*\s+(?:to|and|-)\s+"
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred)"
    r"|\bin the (?:low |mid |high |upper |lower )?(?:\d0s|[a-z]+ties)\b|\b(?:low|mid|high)[- ]\w+ figures\b"
    r"|\b(?:upper|lower|top|bottom|middle) (?:half |end |part )?of (?:that|the|your|this) (?:range|band)\b"
    r"|\b(?:at least|minimum|min\.?|no less than)\b",
    re.IGNORECASE,
)
_HYPOTHETICAL = re.compile(r"\b(?:i would|i'd|i will|i'll|i'm going to|i am going to|i should|i could|i'd like to)\b",
                           re.IGNORECASE)
_PASSIVE = re.compile(r"\b(?:was|were|got|been)\s+\w+ed\b", re.IGNORECASE)

# Length for the question (words): (too short below, too long above).
_LENGTH = {
    "behavioural": (40, 260),
    "pressure": (30, 260),
    "presentation": (60, 340),
    "salary": (0, 90),
}
_DEFAULT_LENGTH = (20, 200)


@dataclass(frozen=True)
class Remark:
    """One line of feedback; ``key`` names its kind (used to pick the article advice and in tests)."""

    key: str
    text: str


_LEADING = re.compile(r"^(?:(?:and|so|but|then|because|which)\b[\s,]*)+", re.IGNORECASE)


def trim(text: str) -> str:
    """A clause without a leading "and/so/but/then" or trailing punctuation (still a verbatim substring)."""
    original = text.strip()
    text = _LEADING.sub("", original).rstrip(" ,;:.!?")
    return text if any(ch.isalnum() for ch in text) else original


def _quote(text: str, words: int = 9) -> str:
    """A short verbatim quote of the student's words ("…" marks a cut)."""
    parts = trim(text).split()
    short = " ".join(parts[:words])
    return f"\u201c{short}{'…' if len(parts) > words else ''}\u201d"


def hedges(answer: str) -> list[str]:
    """Hedges and filler in the answer, as written, each once, in order of appearance."""
    seen: dict[str, str] = {}
    for m in _HEDGE.finditer(answer):
        seen.setdefault(m.group(0).lower(), m.group(0))
    return list(seen.values())


def _hedge_count(answer: str) -> int:
    return sum(1 for _ in _HEDGE.finditer(answer))


@lru_cache(maxsize=1)
def _advice() -> tuple[dict[str, Any], ...]:
    path = Path(str(resources.files("knowledge"))) / "practice" / "advice.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(doc["items"])


def _article_for(keys: list[str]) -> str | None:
    for key in keys:
        for item in _advice():
            if key in item["for"]:
                title = source_title(str(item["source"]))
                return f"From the articles: {' '.join(str(item['text']).split())} (source: “{title}”)"
    return None


def _repeat(answer: str, told_before: list[str], clauses: tuple[Clause, ...]) -> tuple[str, str] | None:
    """The note and the answer clause that show a round-one story told again, if any."""
    answer_words = content_words(answer)
    best: tuple[float, str, str] | None = None
    for note in told_before:
        note_words = content_words(note)
        if not note_words:
            continue
        shared = answer_words & note_words
        ratio = len(shared) / len(note_words)
        if (len(shared) >= 2 and ratio >= 0.34) or len(shared) >= 4:
            clause = max(clauses, key=lambda c: len(content_words(c.text) & note_words))
            score = len(shared) + ratio
            if best is None or score > best[0]:
                best = (score, note, clause.text)
    return None if best is None else (best[1], best[2])


def _is_hypothetical(reading: Reading, answer: str) -> bool:
    toks = tokens(answer)
    return bool(_HYPOTHETICAL.search(answer)) and not any(is_past(t) for t in toks) and not reading.has("action")


def remarks(
    reading: Reading, question: str, answer: str, told_before: list[str]
) -> list[Remark]:
    """All remarks for an answer, most useful first; the last two are the next step and the article."""
    kind = reading.kind
    words = len(answer.split())
    out: list[Remark] = []
    keys: list[str] = []  # for the next step and the article, in priority order
    story_kind = kind in STORY_KINDS
    attempted_story = reading.has("action") or reading.has("situation")

    if not answer.strip():
        return [Remark("empty", "Nothing to read yet: type your answer as you would say it in the room."),
                Remark("next_step", "Next step: answer in a few sentences, then ask for feedback again.")]

    # Structure (STAR), for questions that ask for an example or when the student tells one.
    if story_kind or attempted_story:
        present = [p for p in ("situation", "task", "action", "result") if reading.has(p)]
        missing = [p for p in ("situation", "task", "action", "result") if not reading.has(p)]
        if not present:
            if _is_hypothetical(reading, answer):
                out.append(Remark("hypothetical", "Structure: you describe what you would do ("
                                  + _quote(answer, 8) + "). This question wants one real time you did it: "
                                  "where you were, what you had to do, what you did, what happened."))
                keys.append("hypothetical")
            else:
                out.append(Remark("no_story", "Structure: general claims only, no story yet. Give one real "
                                  "example: situation, task, action, result."))
                keys.append("no_story")
        else:
            shown = "; ".join(f"{p} {_quote(reading.parts[p][0].text, 6)}" for p in present)
            text = f"Structure: {shown}."
            if missing:
                hints = {
                    "situation": "where and when it happened",
                    "task": "what you had to achieve or fix",
                    "action": "the steps you took yourself",
                    "result": "what happened because of it, ideally with a number",
                }
                text += " Missing: " + "; ".join(f"{p} ({hints[p]})" for p in missing) + "."
                keys.extend(f"missing_{p}" for p in ("action", "result", "task", "situation") if p in missing)
            else:
                text += " All four STAR parts are there."
            out.append(Remark("structure", text))

    # Specificity: numbers, named tools, people or outcomes.
    if kind != "salary":
        named = [m.group(0) for m in _NAMED.finditer(answer) if m.group(0) not in _NOT_NAMES]
        people = [m.group(0) for m in _PEOPLE.finditer(answer)]
        bits = []
        if reading.quantities:
            bits.append("numbers " + ", ".join(_quote(answer[q.start :], 3) for q in reading.quantities[:3]))
        if named:
            bits.append("names " + ", ".join(_quote(n, 3) for n in dict.fromkeys(named[:3])))
        if people:
            bits.append("people " + ", ".join(_quote(p, 4) for p in dict.fromkeys(people[:2])))
        if reading.has("result"):
            bits.append("an outcome " + _quote(reading.parts["result"][0].text, 6))
        if bits:
            text = "Specific: " + "; ".join(bits) + "."
            if not reading.quantities and (story_kind or attempted_story):
                text += " No number yet: how many, how much, how long, or how much better?"
                keys.append("general")
            out.append(Remark("specific", text))
        else:
            out.append(Remark("general", "General claims only: no numbers, named tools, people or outcomes. "
                              "Add one concrete detail that proves the claim."))
            keys.append("general")

    # Ownership: what did *you* do?
    if reading.has("action"):
        if reading.ownership == "we":
            shown = _quote(reading.actor_clauses["we"][0].text, 7) if reading.actor_clauses["we"] else ""
            out.append(Remark("we_only", f"Ownership: every step is told as \u201cwe\u201d ({shown}). What did "
                              "*you* do? Say your own part with \u201cI\u201d."))
            keys.append("we_only")
        elif reading.ownership == "none":
            out.append(Remark("passive", "Ownership: the steps have no one doing them ("
                              + _quote(reading.parts["action"][0].text, 7) + "). What did *you* do?"))
            keys.append("passive")
        elif reading.ownership == "mixed":
            out.append(Remark("mixed", "Ownership: you tell both your own steps ("
                              + _quote(reading.actor_clauses["i"][0].text, 6) + ") and the team's ("
                              + _quote(reading.actor_clauses["we"][0].text, 6) + "); keep your part clear."))
        else:
            out.append(Remark("ownership_i", "Ownership: clear, you say what you did yourself ("
                              + _quote(reading.actor_clauses["i"][0].text, 6) + ")."))

    # Length for the question.
    short, long = _LENGTH.get(kind, _DEFAULT_LENGTH)
    if words < short:
        plural = "s" if words != 1 else ""
        out.append(Remark("too_short", f"Length: {words} word{plural} is too short to convince for this "
                          f"question; aim for at least {short * 2} words (30 seconds to two minutes spoken)."))
        keys.append("too_short")
    elif words > long:
        out.append(Remark("too_long", f"Length: {words} words is too long to hold attention; aim for under "
                          f"{long} and keep the situation to one or two sentences."))
        keys.append("too_long")

    # Hedges and filler.
    found = hedges(answer)
    count = _hedge_count(answer)
    if count >= 2 or (found and words < 40):
        listed = ", ".join(f"\u201c{h}\u201d" for h in found[:5])
        out.append(Remark("hedges", f"Hedges and filler: {listed} ({count} in all). Cut them: they make a good "
                          "point sound unsure."))
        keys.append("hedges")

    # A round-one story told again.
    repeat = _repeat(answer, told_before, reading.clauses) if told_before else None
    if repeat:
        note, clause = repeat
        out.insert(0, Remark("repeat", f"Repeat: this sounds like the story you already told ({_quote(clause, 8)}; "
                             f"your note: {_quote(note, 10)}). Interviewers from round one want a fresh example."))
        keys.insert(0, "repeat")

    # Salary: a range rather than a single number.
    if kind == "salary":
        span = _RANGE.search(answer)
        if span is not None and reading.quantities:
            out.append(Remark("salary_range", "Salary: you give a range (" + _quote(span.group(0), 6)
                              + "), which leaves room to negotiate. Say what it is based on (research, "
                              "your current package)."))
            keys.append("salary_range")
        elif reading.quantities:
            out.insert(0, Remark("salary_single", "Salary: a single number (" + _quote(reading.quantities[0].text, 4)
                                 + ") anchors the talk and leaves no room; give a researched range instead."))
            keys.insert(0, "salary_single")
        else:
            out.insert(0, Remark("salary_none", "Salary: no figure yet. Name a researched range for this role "
                                 "and city; dodging the question rarely helps in round two."))
            keys.insert(0, "salary_none")

    # Why you / why us: ties to the company.
    if kind in {"why_you", "why_company", "company"}:
        ties = [c for c in reading.clauses if _TIE.search(c.text) and not _GENERIC_YOU.search(c.text)]
        if ties:
            label = "Research" if kind == "company" else "Ties to the company"
            out.append(Remark("ties", f"{label}: {_quote(ties[0].text, 9)}. Good: that is about them, not "
                              "any employer."))
            keys.append("research" if kind == "company" else "ties")
        else:
            key = "no_research" if kind == "company" else "no_ties"
            out.insert(0, Remark(key, "Ties to the company: nothing here is about this company. Name something "
                                 "specific (its product, plans, values, or what you heard in round one) and "
                                 "link it to what you have done."))
            keys.insert(0, key)
    if kind in {"style", "first_90"}:
        keys.append(kind)

    out.append(Remark("next_step", "Next step: " + _next_step(keys, reading, kind)))
    article = _article_for([*keys, "good"])
    if article:
        out.append(Remark("article", article))
    return out


def _next_step(keys: list[str], reading: Reading, kind: str) -> str:
    steps = {
        "repeat": "swap in a different story from your notes' list of achievements, one the interviewer "
        "hasn't heard.",
        "salary_single": "turn the figure into a range, e.g. \u201cbased on what similar roles pay, I'm looking "
        "at X to Y\u201d.",
        "salary_none": "look up what this role pays in your city and say it as a range.",
        "no_ties": "name one thing about this company and link it to one thing you've done.",
        "no_research": "read their latest news or annual report and say one plan of theirs you could help with.",
        "hypothetical": "pick one real time you handled this and tell it in four beats: situation, task, action, "
        "result.",
        "no_story": "pick one real example and tell it in four beats: situation, task, action, result.",
        "missing_action": "add two or three steps you took yourself, each starting with \u201cI\u201d.",
        "we_only": "retell the action with \u201cI\u201d: which part was yours?",
        "passive": "retell the steps with you as the one doing them (\u201cI called…\u201d).",
        "missing_result": "add one sentence on what happened because of what you did, with a number if you can.",
        "missing_task": "add one sentence on what you had to achieve or fix.",
        "general": "add one number that measures the work or the outcome (how many, how much, how long).",
        "too_long": "cut it to the situation in one sentence, then your steps and the result.",
        "hedges": "say it once more without the filler words, as a plain statement.",
        "too_short": "add one concrete example that backs up the claim.",
        "missing_situation": "open with one sentence of context: where you were and when.",
    }
    for key in keys:
        if key in steps:
            return steps[key]
    if kind in STORY_KINDS or reading.has("action"):
        return "say it aloud in under two minutes, then try it on a different question."
    return "say it aloud once more, then back it up with one short example."
