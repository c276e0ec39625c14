"""What the coach knows of a student's situation, and advice that fits it.

Facts (who they meet, the setting, an offer, the outcome…) are declared in ``knowledge/facts.yaml``.
They come from what the student writes ("dinner with the same hiring manager as last time"), from the
answers to the coach's questions, and from the interview on file; they decide which advice fits (see
:mod:`bot.coaching.advice`). A fact said in a message is remembered, so it is never asked again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.types import Button, Reply
from bot.knowledge.library import FactGroup, Knowledge, per_knowledge
from bot.storage.models import Interview

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;!?]")
_NEGATIONS = frozenset({"not", "never", "no", "nobody", "isnt", "isn't", "wasn't", "won't", "didn't", "don't", "dont"})
_IFFY = frozenset(
    {
        "if",
        "whether",
        "suppose",
        "supposing",
        "imagine",
        "case",
        "unless",
        "worried",
        "worry",
        "afraid",
        "scared",
        "fear",
        "hope",
        "hoping",
        "thought",
        "assumed",
        "might",
        "may",
        "would",
        "could",
        "should",
    }
)
_REPORTED = frozenset({"said", "says", "told", "tells", "mentioned", "confirmed", "informed", "explained", "wrote"})
_WOULD = frozenset({"would", "will", "gonna"})  # after "they said…", a plan reported: "they said I'd meet the CEO"
_ASKING = frozenset({"will", "would", "could", "might", "should", "may", "gonna"})
_BREAKS = frozenset({".", ",", ";", "!", "?", "but", "so", "because", "although"})
NEGATION_REACH = 4  # words before a keyword where "not" cancels it ("not the person I met before")
MAX_GAP = 2  # words that may sit between the words of a keyword ("same [hiring] manager")
# a keyword ending in one of these is a preposition, not the end of a phrase, when a noun phrase follows it:
# "the interview is over" is finished, "the interview is over lunch / over zoom / over the phone" is not
_PREPOSITIONS = frozenset({"over"})
_DETERMINERS = frozenset({"the", "a", "an", "my", "their", "our", "some", "his", "her"})
OUTCOME_VALUES = {"offer": "offered", "rejected": "rejected", "withdrawn": "withdrawn", "accepted": "accepted"}
ENDINGS = frozenset({"rejected", "withdrawn", "accepted"})  # outcomes that close a process
KEPT_AFTER_ENDING = frozenset({"outcome", "stage"})  # what still shapes advice once the process closed
SETTING_VALUES = {"video": "video", "phone": "phone", "onsite": "onsite"}
INFORMAL_VALUES = frozenset({"meal", "drinks", "coffee"})  # the informal settings (the "setting" fact's values)


# chat shorthand read as the word it stands for, so "3 ppl", "same mgr", "w/ a diff person" say their facts
SHORTHAND = {
    "ppl": "people",
    "ppls": "people",
    "ppl's": "people",
    "mgr": "manager",
    "mgrs": "managers",
    "diff": "different",
    "w": "with",
    "vid": "video",
    "b4": "before",
    "interviewr": "interviewer",
    "intvw": "interview",
    "convo": "conversation",
    # contractions typed without their apostrophe, so "didnt get it" and "wont be the same" read as typed with it
    "didnt": "didn't",
    "dont": "don't",
    "doesnt": "doesn't",
    "wont": "won't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "isnt": "isn't",
    "arent": "aren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "cant": "can't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "im": "i'm",
    "ive": "i've",
    "theyre": "they're",
    "theyll": "they'll",
    "itll": "it'll",
}


def tokens(text: str) -> list[str]:
    """Lowercase words and clause punctuation, with typographic apostrophes made plain and shorthand spelt out."""
    words = _TOKEN.findall(text.lower().replace("’", "'").replace("‘", "'"))
    return [SHORTHAND.get(w, w) for w in words]


@cache
def _keyword_tokens(keyword: str) -> tuple[str, ...]:
    return tuple(tokens(keyword))


@dataclass(frozen=True)
class Found:
    """A fact value a message reveals: the words that said it, and whether it was only supposed."""

    value: str
    words: str
    hypothetical: bool
    length: int


def _match_from(words: list[str], starts: list[int], keyword: tuple[str, ...]) -> tuple[int, int] | None:
    """Where ``keyword`` occurs in ``words`` (its first and last position), allowing short gaps.

    Only ``starts`` are tried: the places of the keyword's first word in ``words`` (:func:`_places`), in order.
    """
    rest = keyword[1:]
    for start in starts:
        pos, ok = start, True
        for part in rest:
            window = words[pos + 1 : pos + 2 + MAX_GAP]
            if part not in window or any(w in _BREAKS for w in window[: window.index(part)]):
                ok = False
                break
            pos = pos + 1 + window.index(part)
        if ok:
            return start, pos
    return None


def _places(words: list[str]) -> dict[str, list[int]]:
    """Where each word occurs in ``words``, in order."""
    out: dict[str, list[int]] = {}
    for n, w in enumerate(words):
        at = out.get(w)
        if at is None:
            out[w] = [n]
        else:
            at.append(n)
    return out


_NOT_PLURAL = frozenset(
    {"news", "this", "does", "his", "its", "yes", "bus", "plus", "thus", "always", "perhaps", "series"}
)


def _singular(words: list[str]) -> list[str]:
    """The words with a plural "s" taken off ("two partners" → "two partner"), to match keywords said in the plural."""
    return [
        w[:-1] if len(w) >= 4 and w.endswith("s") and not w.endswith("ss") and w not in _NOT_PLURAL else w
        for w in words
    ]


# after a negation, these make it doubt rather than denial: "not sure it's the same person" says nothing
_UNSURE = frozenset({"sure", "certain", "know", "knowing", "idea", "clue", "clear", "yet"})


def _negation(words: list[str], start: int, keyword: tuple[str, ...]) -> str | None:
    """Whether a negation in the clause just before a keyword cancels it: "denied", "unsure" or None.

    "denied" ("not the same person", "it won't be the same lady") says the opposite where the fact has one;
    "unsure" ("not sure it's the same person") says nothing.
    """
    if keyword[0] in _NEGATIONS:
        return None
    lo = max(0, start - NEGATION_REACH)
    for n in range(start - 1, lo - 1, -1):  # back to the clause's start
        w = words[n]
        if w in _BREAKS:
            return None
        if w in _NEGATIONS or w.endswith("n't"):
            return "unsure" if n + 1 < len(words) and words[n + 1] in _UNSURE else "denied"
    return None


# a fact about an interview's format said in a clause about the earlier round ("round one was on zoom", "last time
# it was a phone call") describes that interview, not the coming one; facts about the people (the same or a new
# interviewer, a tough one) stay: they may be met again
_EARLIER = frozenset(
    {
        ("first", "round"),
        ("round", "one"),
        ("round", "1"),
        ("1st", "round"),
        ("first", "interview"),
        ("1st", "interview"),
        ("last", "time"),
        ("previous",),
        ("previously",),
        ("last", "round"),
        ("first", "one"),
    }
)
_LATER = frozenset(
    {
        ("second",),
        ("2nd",),
        ("round", "two"),
        ("round", "2"),
        ("this", "time"),
        ("now",),
        ("next",),
        ("final",),
        ("third",),
        ("3rd",),
        ("will",),
        ("tomorrow",),
        ("upcoming",),
    }
)
_PAST = frozenset({"was", "were", "had", "did", "went", "happened", "took"})
ROUND_FORMAT = frozenset({"setting", "panel", "presentation"})


def _has(clause: list[str], marks: frozenset[tuple[str, ...]]) -> bool:
    return any(
        tuple(clause[n : n + len(m)]) == m for m in marks for n in range(len(clause) - len(m) + 1) if clause[n] == m[0]
    )


def _clause_around(words: list[str], start: int, end: int) -> tuple[int, int]:
    """The bounds of the clause holding words[start:end] (up to the nearest breaks on either side)."""
    left = start
    while left > 0 and words[left - 1] not in _BREAKS:
        left -= 1
    right = end
    while right < len(words) and words[right] not in _BREAKS:
        right += 1
    return left, right


def _about_earlier_round(words: list[str], start: int, end: int) -> bool:
    """Whether the clause holding words[start:end] tells of the earlier round, in the past ("round one was on zoom")."""
    left, right = _clause_around(words, start, end)
    clause = words[left:right]
    if not any(w in _PAST for w in clause) or not _has(clause, _EARLIER):
        return False
    return not _has(clause, _LATER) and not any(w.endswith("'ll") for w in clause)


# a keyword ending in one of these names a group, unless a word after it makes it one person ("the team lead")
_GROUP_ENDS = frozenset({"team", "staff"})
_ONE_PERSON = frozenset({"lead", "leader", "manager", "head", "member", "director", "lead's", "leader's"})
# words that join a comparison: "a different person from the first round", "other people than last time"
_COMPARING = frozenset({"from", "than", "as", "to"})


def _supposed(words: list[str], start: int, end: int) -> bool:
    """Whether the clause holding words[start:end] only supposes it ("what if…", "will it be…?")."""
    left, right = _clause_around(words, start, end)
    clause = words[left:start]
    reported = any(w in _REPORTED for w in words[:start])
    if any((w in _IFFY and not (reported and w in _WOULD)) or (w.endswith("'d") and not reported) for w in clause):
        return True  # (a plan is a fact: "it will be on zoom", "I'll be meeting a panel"; a question is not)
    return right < len(words) and words[right] == "?" and any(w in _ASKING or w.endswith("'ll") for w in clause)


# (fact name, its group, [(value key, keyword, keyword's words)…] in declaration order), per knowledge base
_Table = list[tuple[str, FactGroup, list[tuple[str, str, tuple[str, ...]]]]]
_LAST: dict[int, tuple[Knowledge, str, dict[str, Found]]] = {}  # the last message read, per knowledge base


@per_knowledge
def _table(knowledge: Knowledge) -> _Table:
    """Every keyword of every fact value, split into words once per knowledge base (not per message)."""
    return [
        (
            name,
            group,
            [
                (value.key, keyword, _keyword_tokens(keyword))
                for value in group.values
                for keyword in (*value.keywords, value.label.lower())
            ],
        )
        for name, group in knowledge.facts.items()
    ]


TYPO_MIN = 5  # keyword words this long are recognised with one typo ("diner", "resturant", "rejectd")


@per_knowledge
def _spelling(knowledge: Knowledge) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """The words the knowledge base knows (advice and fact keywords), and the keywords' words by first letter."""
    keyword_words = {w for _, _, keywords in _table(knowledge) for _, _, kw in keywords for w in kw}
    known = frozenset(tokens(knowledge.words_text)) | keyword_words
    by_letter: dict[str, list[str]] = {}
    for w in sorted(keyword_words):
        if len(w) >= TYPO_MIN and w.isalpha():
            by_letter.setdefault(w[0], []).append(w)
    return known, {k: tuple(v) for k, v in by_letter.items()}


def _one_typo(word: str, keyword: str) -> bool:
    """Whether ``word`` is ``keyword`` with one letter missing, doubled or two letters swapped.

    Not a letter changed, nor a different ending: those more often make another word than a typo
    ("coming" is no "coding", "founded" no "founder").
    """
    if word == keyword or abs(len(word) - len(keyword)) > 1:
        return False
    if len(word) == len(keyword):
        diff = [i for i, (a, b) in enumerate(zip(word, keyword, strict=True)) if a != b]
        if len(diff) != 2:
            return False
        a, b = diff
        return b == a + 1 and word[a] == keyword[b] and word[b] == keyword[a]
    short, long = (word, keyword) if len(word) < len(keyword) else (keyword, word)
    i = next((n for n, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    if short[i:] != long[i + 1 :]:
        return False
    return i < len(long) - 1 or (short is word and long[-1] in "aeiou")  # "coffe"; not "grille", "directory"


def _respelt(knowledge: Knowledge, words: list[str]) -> list[str]:
    """The words with one-typo misspellings of fact keywords put right; words the knowledge base knows stay."""
    known, by_letter = _spelling(knowledge)
    fixed = _fixes(knowledge)
    out = []
    for w in words:
        if len(w) >= TYPO_MIN and w.isalpha() and w not in known:
            right = fixed.get(w)
            if right is None:
                near = [k for k in by_letter.get(w[0], ()) if _one_typo(w, k)]
                right = near[0] if len(near) == 1 else w
                if len(fixed) >= FIXES_KEPT:
                    fixed.clear()
                fixed[w] = right
            w = right
        out.append(w)
    return out


FIXES_KEPT = 4096  # unknown words whose correction (or none) is remembered, per knowledge base


@per_knowledge
def _fixes(knowledge: Knowledge) -> dict[str, str]:
    """Unknown words read so far and their correction (themselves when none), for this knowledge base."""
    return {}


def detect(knowledge: Knowledge, text: str) -> dict[str, Found]:
    """The fact values a message reveals, by fact (the longest keyword wins within a fact).

    A message is read once: asked again about the same text (the dialogue learns from every message,
    then the coaching answer reads it), the result of the last call is reused.
    """
    last = _LAST.get(id(knowledge))
    if last is not None and last[0] is knowledge and last[1] == text:
        return dict(last[2])
    found = _detect(knowledge, text)
    _LAST[id(knowledge)] = (knowledge, text, found)
    return dict(found)


def _detect(knowledge: Knowledge, text: str) -> dict[str, Found]:
    words = _respelt(knowledge, tokens(text))
    found: dict[str, Found] = {}
    if not words:
        return found
    singular = _singular(words)
    present = set(words) | set(singular)
    entries, by_first = _index(knowledge)
    # only keywords whose first word is in the message can match; tried in declaration order (as the table)
    candidates: list[int] = []
    for w in present:
        at = by_first.get(w)
        if at is not None:
            candidates.extend(at)
    candidates.sort()
    in_words, in_singular = _places(words), _places(singular)  # (the keywords are tried only where they start)
    applies: dict[str, bool] = {}  # per fact: whether its group reads this message (``only_with``)
    matches: list[_Match] = []  # every keyword found
    for n in candidates:
        name, only_with, key, keyword, kw = entries[n]
        ok = applies.get(name)
        if ok is None:
            ok = applies[name] = not only_with or any(w.startswith(only_with) for w in words)
        if not ok:
            continue
        where = _match_from(words, in_words.get(kw[0], _NOWHERE), kw) or _match_from(
            singular, in_singular.get(kw[0], _NOWHERE), kw
        )
        if where is None:
            continue
        said = _reading(knowledge, name, key, words, where, kw)
        if said is not None:
            matches.append((name, said, keyword, kw, where[0], where[1]))
    return _pick(words, matches)


# a keyword found in a message: (fact, value, keyword, its words, first and last position)
_Match = tuple[str, str, str, tuple[str, ...], int, int]


def _reading(
    knowledge: Knowledge, fact: str, key: str, words: list[str], where: tuple[int, int], keyword: tuple[str, ...]
) -> str | None:
    """The value a keyword found at ``where`` says, or None when its context cancels it.

    Cancelled: a preposition running on ("the interview is over lunch"), a group word naming one person ("the
    team lead"), the format of the earlier round ("round one was on zoom"), doubt ("not sure it's the same
    person"). Denied, it says its fact's opposite value where one is declared ("it won't be the same lady": new).
    """
    start, end = where
    if _continues(knowledge, fact, words, end, keyword):
        return None
    if keyword[-1] in _GROUP_ENDS and end + 1 < len(words) and words[end + 1] in _ONE_PERSON:
        return None  # "meeting the team lead" is one person, not a panel
    if keyword[0] in _NEGATIONS and start + 1 < len(words) and words[start + 1] in _UNSURE:
        return None  # "not sure it's the same person" is no "not the same"
    if fact in ROUND_FORMAT and _about_earlier_round(words, start, end + 1):
        return None  # "round one was on zoom": that interview's setting, not the coming one's
    negation = _negation(words, start, keyword)
    if negation is None:
        return key
    value = knowledge.value(key)
    if negation == "unsure" or value is None or value.negated is None:
        return None
    return value.negated  # "it won't be the same interviewer": someone new


def _pick(words: list[str], matches: list[_Match]) -> dict[str, Found]:
    """One value per fact from the keywords found: the longest keyword wins within a fact."""
    found: dict[str, Found] = {}
    for name, key, keyword, kw, start, end in matches:
        # words that are part of a longer keyword of another fact say that one ("they picked someone else"
        # is a rejection, not a new interviewer)
        # (the longer keyword's own words: a gap in it may hold another fact, as "got [a written] offer" does)
        if any(
            o[0] != name and o[4] <= start and end <= o[5] and len(o[3]) > len(kw) and set(kw) <= set(o[3])
            for o in matches
        ):
            continue
        # the second half of a comparison ("a different person from the first round") says what the first
        # half is compared with, not a fact of its own
        if kw[0] in _COMPARING and any(o[0] == name and o[1] != key and start - 2 <= o[5] < start for o in matches):
            continue
        best = found.get(name)
        supposed = _supposed(words, start, end)
        # what is said beats what is only supposed ("I thought it was the same manager but it's someone new"),
        # then the longest keyword wins
        if best is None or (not supposed, len(kw)) > (not best.hypothetical, best.length):
            found[name] = Found(key, keyword, supposed, len(kw))
    return found


_NOWHERE: list[int] = []

# every keyword of the table in declaration order: (fact, the group's ``only_with`` prefixes, value key,
# keyword, its words)
_Entry = tuple[str, tuple[str, ...], str, str, tuple[str, ...]]


@per_knowledge
def _index(knowledge: Knowledge) -> tuple[list[_Entry], dict[str, list[int]]]:
    """The fact keywords in declaration order and, by first word, where they are (once per knowledge base)."""
    entries: list[_Entry] = []
    by_first: dict[str, list[int]] = {}
    for name, group, keywords in _table(knowledge):
        only_with = tuple(group.only_with or ())
        for key, keyword, kw in keywords:
            if not kw:  # (no words: never matches)
                continue
            by_first.setdefault(kw[0], []).append(len(entries))
            entries.append((name, only_with, key, keyword, kw))
    return entries, by_first


def _continues(knowledge: Knowledge, fact: str, words: list[str], end: int, keyword: tuple[str, ...]) -> bool:
    """Whether a keyword ending in a preposition ("interview is over") runs on into its object.

    The object is a determiner or the start of another fact's keyword ("over lunch", "over zoom", "over the
    phone"): the words then say how the interview happens, not that it ended.
    """
    if keyword[-1] not in _PREPOSITIONS or end + 1 >= len(words):
        return False
    after = words[end + 1]
    return after in _DETERMINERS or after in _starts(knowledge).get(fact, frozenset())


@per_knowledge
def _starts(knowledge: Knowledge) -> dict[str, frozenset[str]]:
    """By fact: the first words of the keywords of every other fact (once per knowledge base)."""
    table = _table(knowledge)
    return {
        name: frozenset(kw[0] for other, _, keywords in table if other != name for _, _, kw in keywords if kw)
        for name, _, _ in table
    }


@dataclass
class Facts:
    """A student's situation for one answer: fact name → value, and which of them are only supposed."""

    values: dict[str, str] = field(default_factory=dict)
    supposed: set[str] = field(default_factory=set)  # fact names said only hypothetically
    told: set[str] = field(default_factory=set)  # fact names stated in this very message

    def has(self, key: str) -> bool:
        """Whether the value ``key`` holds (hypothetically or not)."""
        return key in self.values.values()

    def known(self) -> set[str]:
        """The values that hold."""
        return set(self.values.values())


def group_of(knowledge: Knowledge, key: str) -> str | None:
    """The fact a value belongs to."""
    value = knowledge.value(key)
    return value.group if value else None


def _stored(turn: Turn) -> dict[str, str]:
    """Facts remembered in the conversation, by fact name (older state kept them by topic)."""
    out: dict[str, str] = {}
    for _, key in turn.facts().items():
        group = group_of(turn.knowledge, str(key))
        if group:
            out[group] = str(key)
    return out


def current_interview(turn: Turn) -> Interview | None:
    """The interview a coaching question is most likely about: the next one, else the latest past one."""
    if not turn.has_storage:
        return None
    upcoming = turn.data.upcoming(turn.now)
    if upcoming:
        return upcoming[0]
    past = turn.data.recent_past(turn.now)
    return past[0] if past else None


JUST_HAD = timedelta(days=2)  # an interview this recent, with no outcome: just after it
WAITING_AFTER = timedelta(days=4)  # …this long ago, with no outcome: waiting to hear back


def interview_facts(
    interview: Interview | None, knowledge: Knowledge | None = None, now: datetime | None = None
) -> dict[str, str]:
    """What an interview on file says about the situation (its setting, its outcome, the stage after it).

    An informal setting says which one by the student's words ("dinner": a meal), read with ``knowledge``;
    an interview that took place before ``now`` with no outcome says whether it was just now or a while ago.
    """
    if interview is None:
        return {}
    out: dict[str, str] = {}
    if now is not None and interview.starts_at is not None and interview.starts_at <= now and not interview.outcome:
        since = now - interview.starts_at
        if since <= JUST_HAD and interview.thank_you_sent_at is None:
            out["stage"] = "just_finished"
        elif since >= WAITING_AFTER:
            out["stage"] = "waiting"
    if interview.setting in SETTING_VALUES:
        out["setting"] = SETTING_VALUES[interview.setting]
    elif interview.setting == "informal" and interview.setting_words and knowledge is not None:
        said = _detect(knowledge, interview.setting_words).get("setting")
        if said is not None and said.value in INFORMAL_VALUES:
            out["setting"] = said.value
    outcome = interview.outcome
    if outcome in OUTCOME_VALUES:
        out["outcome"] = OUTCOME_VALUES[outcome]
    return out


def situation(turn: Turn, text: str, *, chosen: str | None = None) -> Facts:
    """The facts for answering ``text``: the interview on file, then what was said before, then this message.

    ``chosen`` is a value the student just picked (a button, an answer to the coach's question). Facts
    stated (not supposed) in the message are remembered for later answers.
    """
    knowledge = turn.knowledge
    facts = Facts()
    interview = current_interview(turn)
    facts.values.update(interview_facts(interview, knowledge, turn.now))
    stored = _stored(turn)
    outcome_at = turn.context.get("outcome_at")
    if "outcome" in stored and interview is not None and "outcome" not in facts.values:
        learned = _parse_time(outcome_at)
        if learned is not None and interview.created_at > learned:
            stored.pop("outcome")  # a newer interview: that outcome was about an earlier one
    facts.values.update(stored)
    if chosen:
        group = group_of(knowledge, chosen)
        if group:
            facts.values[group] = chosen
            facts.told.add(group)
            _remember(turn, group, chosen)
    said = detect(knowledge, text)
    for name, found in said.items():
        fact_group = knowledge.facts[name]
        if found.hypothetical and fact_group.strict:
            continue
        facts.values[name] = found.value
        facts.told.add(name)
        if found.hypothetical:
            facts.supposed.add(name)
        else:
            _remember(turn, name, found.value)
    if _another_process(facts, said):
        # "now I have an interview with another company": the ending said before closed an earlier process
        for name in ("outcome", "stage"):
            facts.values.pop(name, None)
        _forget(turn, "outcome")
    facts.values.pop(ANOTHER_PROCESS, None)
    if facts.values.get("outcome") and "outcome" not in facts.supposed and not _stage_said(facts, said):
        facts.values["stage"] = "decided"  # an outcome known: no longer just after the interview or waiting
    if facts.values.get("outcome") in ENDINGS and "outcome" not in facts.supposed:
        # the process closed: the setting and the people of that interview no longer shape advice (no
        # "same interviewer" or dinner tips after a no); facts stated in this very message still count
        for name in [n for n in facts.values if n not in KEPT_AFTER_ENDING and n not in facts.told]:
            del facts.values[name]
    return facts


ANOTHER_PROCESS = "process"  # the fact that a message is about another application (``knowledge/facts.yaml``)


def _another_process(facts: Facts, said: dict[str, Found]) -> bool:
    """Whether the message tells of another application while an ending said earlier is known.

    Only an ending not stated in this very message ("they said no, so I applied elsewhere" keeps the no).
    """
    other = said.get(ANOTHER_PROCESS)
    if other is None or other.hypothetical:
        return False
    return facts.values.get("outcome") in ENDINGS and "outcome" not in facts.told


def _forget(turn: Turn, name: str) -> None:
    """Drop a remembered fact from the conversation (one the student has since moved on from)."""
    if not turn.has_storage:
        return
    facts = turn.facts()
    kept = {k: v for k, v in facts.items() if group_of(turn.knowledge, str(v)) != name}
    if kept != facts:
        turn.remember("facts", kept)


def _stage_said(facts: Facts, said: dict[str, Found]) -> bool:
    """Whether a message states the stage: "what now?" asks, it does not say the interview just ended.

    (Without an outcome known, such a question is read as just after the interview.)
    """
    stage = said.get("stage")
    if stage is None or "stage" not in facts.told:
        return False
    return "outcome" in facts.told or not stage.words.startswith(("what", "now what"))


def _parse_time(raw: object) -> datetime | None:
    """A time kept in the conversation state (ISO text), or None when missing or unreadable."""
    try:
        return datetime.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def _remember(turn: Turn, name: str, key: str) -> None:
    value = turn.knowledge.value(key)
    if value is None or not value.remember or not turn.has_storage:
        return
    facts = turn.facts()
    for old, old_key in list(facts.items()):  # one value per fact, whatever key older state used
        if old != name and group_of(turn.knowledge, str(old_key)) == name:
            facts.pop(old)
    facts[name] = key
    turn.remember("facts", facts)
    if name == "outcome":
        turn.remember("outcome_at", turn.now.isoformat())


SAID_KEPT = 200  # characters of advice words of the last message kept, to read a follow-up ("how to prepare for that?")
SAID_FOR = timedelta(minutes=30)  # …for this long


def learn_from_text(turn: Turn, text: str) -> None:
    """Remember the facts a message states (the setting, who the interviewers are…), and the message itself.

    The message's advice words (those of the knowledge base: no names, places, dates or numbers) are kept
    for a moment, so that a follow-up question can be read with them (:func:`said_before`).

    Learning the same text again in one turn changes nothing while what it wrote is still there (the
    dialogue learns from every message, then the scheduler again once the interview is recorded): it
    only reads the interviews on file, as the reading would (a new interview gets its id then).
    """
    if turn.has_storage and text and turn.learned is not None and turn.learned == _learned(turn, text):
        current_interview(turn)
        return
    situation(turn, text)
    if not turn.has_storage or not text:
        return
    from bot.coaching import advice

    said = " ".join(advice.advice_words(turn.knowledge, text))[:SAID_KEPT]
    if said != turn.context.get("said"):
        turn.remember("said_before", turn.context.get("said"))
        turn.remember("said_before_at", turn.context.get("said_at"))
        turn.remember("said", said)
        turn.remember("said_at", turn.now.isoformat())
    turn.learned = _learned(turn, text)


def _learned(turn: Turn, text: str) -> tuple[object, ...]:
    """What learning ``text`` depends on and writes: the same again means learning it again is a no-op.

    (The facts said in it are set in ``facts``, an outcome's time in ``outcome_at``, its words in ``said``:
    with these as learning left them, it would write each of them again with the same value.)
    """
    ctx = turn.context
    return (text, turn.now, _copy(ctx.get("facts")), ctx.get("outcome_at"), ctx.get("said"))


def _copy(value: object) -> object:
    return dict(value) if isinstance(value, dict) else value


def said_before(turn: Turn) -> str:
    """The student's message before this one, when it was recent (else empty)."""
    if not turn.has_storage:
        return ""
    at = _parse_time(turn.context.get("said_before_at"))
    if at is None or turn.now - at > SAID_FOR:
        return ""
    return str(turn.context.get("said_before") or "")


def setting_tips(turn: Turn, interview: Interview, text: str) -> list[Reply]:
    """Advice that fits the interview's setting and interviewers, right after it is recorded.

    None when the message also asks for advice ("dinner with the VP on tuesday, who pays?"): the ask is
    answered instead (``coaching.tips_in_message``), so one message never gets more than three bullets.
    """
    from bot.coaching import advice

    if interview.setting != "informal" or _asks_for_advice(text):
        return []
    facts = situation(turn, text)
    picked = advice.pick(turn, facts, "", topic="informal_setting", count=2)
    if not picked:
        return []
    advice.mark_shown(turn, picked)
    if turn.has_storage:  # what was just offered: "any tips?" next moves on to other advice
        turn.remember("last_topic", "informal_setting")
        turn.remember("last_items", [item.id for _, item in picked])
    tips = markup.bullets([item.text for _, item in picked])
    where = turn.knowledge.value(facts.values.get("setting", ""))
    if interview.setting_words:  # as the student named it ("a dinner")
        place = formatting.setting_name(interview.setting, interview.setting_words)
    elif where and where.key in INFORMAL_VALUES | {"site_visit"}:
        place = where.words
    else:
        place = "an informal setting"
    return [
        Reply(
            f"Since it's {place}, two things to keep in mind:\n{tips}",
            (Button("More on dinner & drinks", "topic:informal_setting"),),
        )
    ]


# words of asking for advice (as the dialogue layer's ``split_ask`` reads them; kept here, which it imports)
_ASK_WORDS = re.compile(
    r"\b(?:tips?|advice|advise|etiquette|suggestions?|pointers|recommendations?|ideas|help me|"
    r"how (?:do|should|can|could|would|to|much|many)|what (?:do|should|can|could|would|to|are|is)|wh?at do i|"
    r"wat (?:do|should)|should i|shall i|can i|do i|is it ok|is it okay|ok to|okay to|what if|any thoughts)\b",
    re.I,
)


def _asks_for_advice(text: str) -> bool:
    """Whether a message also asks something ("…dinner with the VP, who pays?"): a question mark or asking words."""
    return "?" in text or bool(_ASK_WORDS.search(text))


_SEVERAL = frozenset({"two", "three", "four", "five", "six", "several", "some", "both", "all", "few", "couple", "many"})


def _plural(people: str) -> bool:
    """Whether an interviewer entry names several people ("two partners", "the engineers", "3 VPs", not "Chris")."""
    words = people.lower().split()
    if not words:
        return False
    if words[0] in _SEVERAL or words[0].isdigit() or (words[0] == "a" and words[1:2] in (["few"], ["couple"])):
        return True
    last = people.split()[-1]
    return last.islower() and last.endswith("s") and not last.endswith("ss")


def interviewer_question(turn: Turn, interview: Interview) -> tuple[str, tuple[Button, ...]] | None:
    """Ask whether the interviewers are the same as in round one, unless that is known (opens the question)."""
    topic = turn.knowledge.topics["interviewers"]
    if topic.ask is None:
        return None
    known = _stored(turn)
    if any(group_of(turn.knowledge, k) in known for k in topic.ask.options):
        return None
    turn.ask("situation", topic="interviewers")
    question = topic.ask.question
    if len(interview.interviewers) == 1 and not _plural(interview.interviewers[0]):
        question = f"Is {formatting.people(interview.interviewers)} someone you met in round one, or new to you?"
    elif interview.interviewers:
        question = f"Did you meet {formatting.people(interview.interviewers)} in round one, or are they new to you?"
    buttons = tuple(
        Button(v.label, f"situation:interviewers:{k}") for k in topic.ask.options if (v := turn.knowledge.value(k))
    )
    return question, buttons
