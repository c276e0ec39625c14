"""Clause features for the STAR classifiers: words, tense, person, cue phrases, position, question kind.

The same function builds features at training time (bench/train_feedback.py) and at run time, so the
two can never drift apart. Features are strings; the model maps the ones it knows to weights.
"""

from __future__ import annotations

import re
from itertools import pairwise

from bot.feedback.quantities import quantities
from bot.feedback.text import Clause, actors, clauses, is_past, tokens

__all__ = ["answer_context", "clause_features", "featurize"]

_MODAL = {"would", "i'd", "we'd", "will", "i'll", "we'll", "could", "should", "might", "want", "hope", "plan", "going"}
_HABIT = {"always", "usually", "never", "often", "normally", "generally", "whenever", "typically", "tend"}
_PRESENT_BE = {"am", "is", "are", "i'm", "it's", "we're", "they're", "you're"}
_CUES: dict[str, re.Pattern[str]] = {
    "task": re.compile(
        r"\b(?:my (?:job|task|role|goal|brief|target|part|responsibility|aim|mission) (?:was|is)|"
        r"i was (?:responsible|in charge|asked|tasked|given|told)|(?:i|we) (?:had|needed|wanted|must|have) to|"
        r"it was my (?:job|task|responsibility)|the (?:problem|challenge|issue|goal|aim|task) was|"
        r"(?:asked|told) me to|give me the task|gave me the task|responsible for|in charge of|"
        r"(?:i|we) (?:need|must) (?:to )?\w+|was to (?:get|make|cut|find|fix|keep|bring|reduce|turn)|"
        r"(?:goal|target|aim|deadline|brief)\b)",
        re.IGNORECASE,
    ),
    "result": re.compile(
        r"\b(?:as a result|in the end|by the end|after that|since then|ever since|now|in total|eventually|"
        r"finally|which meant|that meant|ended up|went (?:from|down|up)|dropped|fell|rose|increased|decreased|"
        r"reduced|saved|cut|halved|doubled|grew|stopped|thanked|praised|promoted|renewed|signed|won|passed|"
        r"taught me|i learned|i learnt|lesson|feedback|happy|worked|on time|early|no longer|anymore|any more)\b",
        re.IGNORECASE,
    ),
    "situation": re.compile(
        r"^(?:at|in|during|when|while|last|one|once|on|two|back|after|before|there (?:was|were)|my last|"
        r"our|so)\b|\b(?:at my (?:last|previous|current|old|first)|in my (?:last|previous|current|old|first|"
        r"final|second|third)|last (?:year|month|week|summer|winter|spring|autumn|quarter|term)|"
        r"at the (?:time|hospital|store|shop|bank|school)|when i (?:was|worked|joined|started)|we had|there was|"
        r"there were|was (?:being|getting)|kept \w+ing)\b",
        re.IGNORECASE,
    ),
}


def answer_context(question_kind: str, all_clauses: list[Clause]) -> dict[str, float]:
    """Answer-level features shared by all of its clauses."""
    toks = [t for c in all_clauses for t in tokens(c.text)]
    n = max(len(toks), 1)
    past = sum(is_past(t) for t in toks) / n
    modal = sum(t in _MODAL for t in toks) / n
    ctx = {f"kind={question_kind}": 1.0, "ans_past": min(past * 8, 1.0), "ans_modal": min(modal * 10, 1.0)}
    if len(all_clauses) <= 1:
        ctx["ans_one_clause"] = 1.0
    if n < 15:
        ctx["ans_short"] = 1.0
    if past == 0:
        ctx["ans_no_past"] = 1.0
    return ctx


def clause_features(clause: Clause, position: int, count: int, context: dict[str, float]) -> dict[str, float]:
    """Features of one clause (position = its index among ``count`` clauses)."""
    toks = tokens(clause.text)
    feats: dict[str, float] = dict(context)
    norm = ["<n>" if t[0].isdigit() else t for t in toks]
    for t in set(norm):
        feats[f"w={t}"] = 1.0
    for a, b in set(pairwise(norm)):
        feats[f"b={a}_{b}"] = 1.0
    if norm:
        feats[f"first={norm[0]}"] = 1.0
        if len(norm) > 1:
            feats[f"first2={norm[0]}_{norm[1]}"] = 1.0
    who = actors(clause.text)
    feats["actor=" + ("+".join(sorted(who)) if who else "none")] = 1.0
    past = sum(is_past(t) for t in toks)
    if past:
        feats["past"] = 1.0
    if any(t in _MODAL for t in toks):
        feats["modal"] = 1.0
    if any(t in _HABIT for t in toks):
        feats["habit"] = 1.0
    if any(t in _PRESENT_BE for t in toks):
        feats["present_be"] = 1.0
    if past and who:
        feats["past_actor"] = 1.0
    if past and not who:
        feats["past_no_actor"] = 1.0
    for name, pattern in _CUES.items():
        if pattern.search(clause.text):
            feats[f"cue={name}"] = 1.0
    if quantities(clause.text):
        feats["number"] = 1.0
    feats["pos_first" if position == 0 else ("pos_last" if position == count - 1 else "pos_mid")] = 1.0
    if count > 1:
        feats["rel_pos"] = position / (count - 1)
    if clause.sentence == 0:
        feats["sent_first"] = 1.0
    feats[f"len={min(len(toks) // 4, 5)}"] = 1.0
    if clause.text.rstrip().endswith("?"):
        feats["question_mark"] = 1.0
    return feats


def featurize(answer: str, kind: str) -> tuple[list[Clause], list[dict[str, float]]]:
    """The answer's clauses and the features of each (the one entry point for training and serving)."""
    found = clauses(answer)
    context = answer_context(kind, found)
    return found, [clause_features(c, i, len(found), context) for i, c in enumerate(found)]
