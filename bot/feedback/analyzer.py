"""Temporary minimal analyzer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.feedback.kinds import question_kind
from bot.feedback.reading import read


@dataclass
class Feedback:
    d: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.d


def analyze(question: str, answer: str, *, kind: str | None = None, told_before: list[str] = ()) -> Feedback:
    r = read(answer, kind or question_kind(question))
    return Feedback({"star": {p: r.has(p) for p in r.parts}, "quantified": bool(r.quantities), "ownership": r.ownership})
