"""``analyze``: the practice-feedback result for one typed answer (issue 15's contract)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.feedback.data import PARTS
from bot.feedback.kinds import KINDS, question_kind
from bot.feedback.reading import read
from bot.feedback.tips import Remark, hedges, remarks, trim

__all__ = ["Feedback", "Ownership", "Star", "analyze"]

Ownership = Literal["i", "we", "mixed", "none"]


@dataclass(frozen=True)
class Star:
    """Which STAR parts the answer has."""

    situation: bool
    task: bool
    action: bool
    result: bool


@dataclass(frozen=True)
class Feedback:
    """What an answer contains and what to do about it; ``to_dict`` gives the issue's JSON contract."""

    star: Star
    quantified: bool
    ownership: Ownership
    words: int
    hedges: tuple[str, ...]
    evidence: dict[str, tuple[str, ...]]
    tips: tuple[str, ...]
    kind: str = "other"
    remarks: tuple[Remark, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The contract: star, quantified, ownership, words, hedges, evidence, tips (and nothing else)."""
        return {
            "star": {p: getattr(self.star, p) for p in PARTS},
            "quantified": self.quantified,
            "ownership": self.ownership,
            "words": self.words,
            "hedges": list(self.hedges),
            "evidence": {p: list(self.evidence[p]) for p in PARTS},
            "tips": list(self.tips),
        }


def analyze(question: str, answer: str, *, kind: str | None = None, told_before: Sequence[str] = ()) -> Feedback:
    """Read a typed answer to an interview question and say what is in it.

    ``kind`` overrides the question kind read from the question (one of ``bot.feedback.kinds.KINDS``);
    ``told_before`` holds the student's notes on stories already told in earlier rounds. Every piece of
    evidence is a verbatim substring of ``answer``.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown question kind {kind!r}; expected one of {', '.join(KINDS)}")
    kind = kind or question_kind(question)
    reading = read(answer, kind)
    notes = [n for n in told_before if n and n.strip()]
    found = remarks(reading, question, answer, notes)
    ownership: Ownership = reading.ownership  # type: ignore[assignment]
    return Feedback(
        star=Star(**{p: reading.has(p) for p in PARTS}),
        quantified=bool(reading.quantities),
        ownership=ownership,
        words=len(answer.split()),
        hedges=tuple(hedges(answer)),
        evidence={p: tuple(trim(c.text) for c in reading.parts[p]) for p in PARTS},
        tips=tuple(r.text for r in found),
        kind=kind,
        remarks=tuple(found),
    )
