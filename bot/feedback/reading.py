"""What an answer contains: STAR parts with their clauses, numbers, and who acts.

This is the measured part of the analyzer (bench/feedback_eval.py scores it); the remarks built on
top of it live in bot/feedback/tips.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.feedback.data import PARTS
from bot.feedback.features import featurize
from bot.feedback.model import ClauseModel, load_model
from bot.feedback.quantities import Quantity, quantities
from bot.feedback.text import Clause, actors, is_past, tokens

__all__ = ["Reading", "read"]


@dataclass(frozen=True)
class Reading:
    """The analyzer's reading of one answer."""

    kind: str
    clauses: tuple[Clause, ...]
    parts: dict[str, tuple[Clause, ...]]  # the clauses that show each STAR part (empty = part missing)
    quantities: tuple[Quantity, ...]
    ownership: str  # "i" | "we" | "mixed" | "none"
    actor_clauses: dict[str, tuple[Clause, ...]]  # action clauses told with "i" / "we"

    def has(self, part: str) -> bool:
        """Whether the answer shows that STAR part."""
        return bool(self.parts[part])


_INTENT = re.compile(
    r"\b(?:would|will|i'd|i'll|we'd|we'll|going to|gonna|should|could|always|usually|normally|generally|"
    r"typically|whenever|every time|try to|try my best|tend to)\b",
    re.IGNORECASE,
)


# DATA.md: "we shipped in 17 days" reports the outcome; it is a result, not a we-step, even when the model
# also reads it as an action.
_WE_OUTCOME = re.compile(
    r"\b(?:we|the team|our team)\s+(?:\w+\s+)?(?:shipped|launched|delivered|finished|completed|went live|hit|"
    r"reached|made it|won|were back|got|managed to|met|beat|closed|signed|passed)\b",
    re.IGNORECASE,
)


def _intention_or_habit(text: str) -> bool:
    """A clause that tells a plan, a hypothetical or a habit, with no past-tense verb."""
    return bool(_INTENT.search(text)) and not any(is_past(t) for t in tokens(text))


def read(answer: str, kind: str, model: ClauseModel | None = None) -> Reading:
    """Read an answer to a question of the given kind."""
    model = model or load_model()
    found, feats = featurize(answer, kind)
    probs = model.probabilities(feats)
    parts: dict[str, tuple[Clause, ...]] = {}
    for part in PARTS:
        col = model.parts.index(part)
        parts[part] = tuple(c for c, p in zip(found, probs[:, col], strict=True) if p >= model.thresholds[part])
    # DATA.md: intentions, habits and hypotheticals are not actions, whatever the words around them.
    parts["action"] = tuple(c for c in parts["action"] if not _intention_or_habit(c.text))
    # A result is the outcome of a story: with neither a scene nor a step there is no story to have one
    # ("Also the preceptor program you described" closing a "why us" answer is not an outcome).
    if not parts["action"] and not parts["situation"]:
        parts["result"] = ()
    action_col = model.parts.index("action")
    result_col = model.parts.index("result")
    by_actor: dict[str, list[Clause]] = {"i": [], "we": []}
    for clause, p in zip(found, probs, strict=True):
        action_margin = p[action_col] - model.thresholds["action"]
        result_margin = p[result_col] - model.thresholds["result"]
        if action_margin < 0 or result_margin > action_margin:
            continue  # not an action, or told as the outcome ("we shipped 2 weeks early")
        if result_margin >= 0 and _WE_OUTCOME.search(clause.text):
            continue  # an outcome told with "we" that the model also reads as a step
        for who in actors(clause.text):
            by_actor[who].append(clause)
    if not parts["action"]:
        ownership = "none"
    elif by_actor["i"] and by_actor["we"]:
        ownership = "mixed"
    elif by_actor["i"]:
        ownership = "i"
    elif by_actor["we"]:
        ownership = "we"
    else:
        ownership = "none"
    return Reading(
        kind=kind,
        clauses=tuple(found),
        parts=parts,
        quantities=tuple(quantities(answer, salary=kind == "salary")),
        ownership=ownership,
        actor_clauses={k: tuple(v) for k, v in by_actor.items()},
    )
