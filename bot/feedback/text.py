"""Text primitives for the feedback analyzer: clauses with offsets, tokens, tense and actor cues.

Everything here is plain Python and deterministic; the clause boundaries are the units the trained
classifiers score, and every piece of evidence shown to a student is one of these clauses, cut from
the answer by offset (so it is always a verbatim substring).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "Clause",
    "actors",
    "clauses",
    "content_words",
    "is_past",
    "tokens",
]


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Clause:
    """A clause of the answer: its text is ``answer[start:end]``."""

    start: int
    end: int
    text: str
    sentence: int  # index of the sentence the clause belongs to
    index: int  # index of the clause in the answer


# Sentence ends: . ! ? ; and a colon that labels ("Problem: ..."), or a line break, or a dash used as a
# pause. A full stop inside a number (2.5) or a lone initial is not followed by a space, so it stays.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?;:])|(?<=\.\.\.))\s+|\s*\n+\s*|\s+[—–]\s+|\s+-\s+")
_ABBREVIATIONS = {"e.g.", "i.e.", "etc.", "dr.", "mr.", "mrs.", "ms.", "vs.", "approx.", "st.", "no.", "inc."}

# Clause boundaries inside a sentence: a coordinating word after a comma, or "and"/"so"/"but" when a new
# subject follows ("I set up check-ins and we shipped early").
_SUBJECT = r"(?:i|we|he|she|they|it|you|the|my|our|their|his|her|everyone|nobody|everybody|people)\b"
_CLAUSE_START = re.compile(
    r",\s+(?=(?:and|but|so|then|which|while|whereas|after that|as a result|and then|because of that)\b)"
    r"|\s+(?=(?:and|but|so|then)\s+" + _SUBJECT + r")"
    r"|,\s+(?=(?:after that|as a result|in the end|by the end|eventually|finally|since then|now)\b)"
    r"|,\s+(?=(?:saving|cutting|reducing|bringing|raising|increasing|halving|doubling|which (?:cut|saved|"
    r"reduced|brought|took|raised|increased|halved|doubled|meant))\b)"
    r"|\s+(?=and\s+(?:cut|saved|reduced|won|halved|doubled|increased|raised|no one|none of)\b)",
    re.IGNORECASE,
)

_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,]\d+)*")


def _sentence_spans(answer: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(answer):
        before = answer[start : m.start()]
        last_word = before.rsplit(None, 1)[-1].lower() if before.strip() else ""
        if last_word in _ABBREVIATIONS:
            continue
        if answer[start : m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    if answer[start:].strip():
        spans.append((start, len(answer)))
    return spans


def _strip(answer: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (answer[start].isspace() or answer[start] in ",;"):
        start += 1
    while end > start and (answer[end - 1].isspace() or answer[end - 1] in ","):
        end -= 1
    return start, end


def clauses(answer: str) -> list[Clause]:
    """Split an answer into sentences and then clauses, keeping offsets into the answer."""
    result: list[Clause] = []
    for sentence_index, (s_start, s_end) in enumerate(_sentence_spans(answer)):
        cuts = [s_start]
        for m in _CLAUSE_START.finditer(answer, s_start, s_end):
            if m.end() - cuts[-1] > 1:
                cuts.append(m.end())
        cuts.append(s_end)
        for a, b in pairwise(cuts):
            a, b = _strip(answer, a, b)
            if b > a and any(ch.isalnum() for ch in answer[a:b]):
                result.append(Clause(a, b, answer[a:b], sentence_index, len(result)))
    return result


def tokens(text: str) -> list[str]:
    """Lowercased word and number tokens (apostrophes normalised to ')."""
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


_IRREGULAR_PAST = _wordset(
    """was were had did made took got went came gave told found built wrote ran sent kept left brought bought
    thought taught caught felt held led met paid said saw set put cut spent stood sat won lost began chose drove
    fell grew knew rose spoke broke froze hit let shut understood became forgot gotten done given taken written
    shown seen known fought sold swapped lent struck stuck threw thrown woke wore overcame undertook oversaw
    rebuilt rewrote reran withdrew upheld sought dealt meant heard slept"""
)
_NOT_PAST_ED = _wordset(
    """need feed bed red speed seed hundred indeed shed breed proceed succeed exceed weed deed greed
    embed"""
)


def is_past(token: str) -> bool:
    """Whether a token looks like a past-tense verb or participle."""
    if token in _IRREGULAR_PAST:
        return True
    return len(token) > 4 and token.endswith("ed") and token not in _NOT_PAST_ED


# Who performs a clause: "I"/"we" (or "our team", "the team") as the subject of an action verb.
_STATE_VERBS = _wordset(
    """was were is are am be been had have has having did do does don't didn't doesn't can can't could couldn't
    would wouldn't will won't should shouldn't might must may need needed needs want wanted wants knew know
    knows think thought believe believed feel felt guess mean meant hope hoped love loved like liked still
    realised realized remember remembered wish wished never not just'd i'd we'd i've we've i'm we're i'll we'll
    get gets seem seemed managed ended"""
)
_SKIP = _wordset(
    """also then just all quickly finally basically really actually together first immediately both kind of sort
    eventually later even straight right away as a team whole"""
)
_BOUNDARY_WORDS = _wordset(
    """and then so but also first later finally together afterwards next eventually yes ok okay well right
    basically um uh honestly actually sure"""
)
_TEAM_NOUNS = {"team", "group", "class", "department", "unit", "ward", "staff", "squad", "crew", "committee"}
_WORD_SPAN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,]\d+)*")


def _acts(words: list[str], after: int) -> bool:
    """Whether the words from ``after`` on start with an action verb (skipping adverbs)."""
    i = after
    while i < len(words) and words[i] in _SKIP and i - after < 4:
        i += 1
    if i >= len(words):
        return False
    verb = words[i]
    return verb.isalpha() and verb not in _STATE_VERBS and verb not in {"i", "we", "my", "our", "the", "a", "to"}


def actors(text: str) -> set[str]:
    """The actors of the action verbs in a clause: {"i"}, {"we"}, both or none.

    "my colleague and I built" is an I-step (the speaker acts); "we", "our team", "the team" are we-steps.
    A pronoun counts only as the subject of an action verb at a clause boundary ("the runbook we still
    use", "so we knew", "we'd need" do not).
    """
    found: set[str] = set()
    matches = list(_WORD_SPAN.finditer(text))
    words = [m.group(0).lower().replace("’", "'") for m in matches]
    for k, word in enumerate(words):
        gap = text[matches[k - 1].end() : matches[k].start()] if k else ""
        at_boundary = k == 0 or any(ch in gap for ch in ",;:.!?(—–-") or words[k - 1] in _BOUNDARY_WORDS
        if word == "i":  # "I" is a subject wherever it stands ("the fix I wrote", "my colleague and I")
            if _acts(words, k + 1):
                found.add("i")
        elif word == "we":
            if at_boundary and _acts(words, k + 1):
                found.add("we")
        elif word in _TEAM_NOUNS and k >= 1 and words[k - 1] in {"our", "the", "my"}:
            lead = k - 1
            boundary = (
                lead == 0
                or words[lead - 1] in _BOUNDARY_WORDS
                or any(ch in text[matches[lead - 1].end() : matches[lead].start()] for ch in ",;:.!?")
            )
            if k + 1 < len(words) and words[k + 1] == "and" and k + 2 < len(words) and words[k + 2] == "i":
                continue  # "my team and I" is told by the I-branch
            if boundary and _acts(words, k + 1):
                found.add("we")
    return found


_STOP = _wordset(
    """the a an and or but so to of in on at for with from by about as into over after before then than that this
    these those it its is was were be been being are am do did does have has had i me my mine we us our ours you
    your they them their he him his she her what which who whom when where why how all any some each every very
    just really also not no yes one two first last time like kind sort basically actually honestly guess think
    mean know would could should will can may might there here because while until again still only more most
    much many told talked said story example round interview"""
)


def content_words(text: str) -> set[str]:
    """Distinctive lowercased words (no stop words, 4+ letters), cut to a 6-letter stem."""
    out: set[str] = set()
    for t in tokens(text):
        if len(t) < 4 or t in _STOP or t.isdigit():
            continue
        out.add(t[:6])  # a crude stem: "migration"/"migrating", "parsers"/"parser"
    return out
