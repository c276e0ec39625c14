"""The practice question bank (``knowledge/practice/questions.yaml``) and how a session's set is chosen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from bot.feedback.kinds import KINDS

__all__ = ["AUDIENCES", "CATEGORIES", "Point", "Question", "choose", "load_questions"]

CATEGORIES = ("deep_dive", "why_you", "pressure", "culture", "direction", "salary", "presentation", "technical")
AUDIENCES = ("any", "same", "new", "panel")
ON_REQUEST = ("presentation", "technical")  # asked only when the student said one is part of the interview
SESSION_SIZE = 4


@dataclass(frozen=True)
class Point:
    """An article point a question practises, with the seed article it comes from."""

    point: str
    source: str


@dataclass(frozen=True)
class Question:
    """One practice question."""

    id: str
    category: str
    audience: tuple[str, ...]
    kind: str
    text: str
    practises: tuple[Point, ...]

    def ask(self, company: str | None) -> str:
        """The question as the interviewer says it, with the company's name filled in."""
        return self.text.replace("{company}", company or "the company")


class QuestionBankError(ValueError):
    """The question file is malformed; the message names the question and the problem."""


def questions_path() -> Path:
    """Where the packaged question bank lives."""
    return Path(str(resources.files("knowledge"))) / "practice" / "questions.yaml"


def parse_questions(raw: object, sources: Sequence[str] = ()) -> tuple[Question, ...]:
    """Check and build the question bank from the YAML document (``sources``: known article files)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("questions"), list):
        raise QuestionBankError("expected a mapping with a 'questions' list")
    out: list[Question] = []
    seen: set[str] = set()
    for n, item in enumerate(raw["questions"], 1):
        where = f"question {n}"
        if not isinstance(item, dict):
            raise QuestionBankError(f"{where}: expected a mapping")
        qid = str(item.get("id") or "")
        where = f"question {n} ({qid or 'no id'})"
        if not qid or qid in seen:
            raise QuestionBankError(f"{where}: needs a unique id")
        seen.add(qid)
        if item.get("category") not in CATEGORIES:
            raise QuestionBankError(f"{where}: category must be one of {', '.join(CATEGORIES)}")
        audience = tuple(item.get("audience") or ("any",))
        if not set(audience) <= set(AUDIENCES):
            raise QuestionBankError(f"{where}: audience must be among {', '.join(AUDIENCES)}")
        if item.get("kind") not in KINDS:
            raise QuestionBankError(f"{where}: kind must be one of {', '.join(KINDS)}")
        text = str(item.get("text") or "").strip()
        if not text:
            raise QuestionBankError(f"{where}: needs text")
        points = []
        for p in item.get("practises") or []:
            if not isinstance(p, dict) or not p.get("point") or not p.get("source"):
                raise QuestionBankError(f"{where}: each 'practises' entry needs a point and a source")
            if sources and p["source"] not in sources:
                raise QuestionBankError(f"{where}: unknown source {p['source']!r}")
            points.append(Point(" ".join(str(p["point"]).split()), str(p["source"])))
        if not points:
            raise QuestionBankError(f"{where}: name at least one article point it practises")
        out.append(Question(qid, str(item["category"]), audience, str(item["kind"]), text, tuple(points)))
    return tuple(out)


@lru_cache(maxsize=1)
def load_questions() -> tuple[Question, ...]:
    """The packaged question bank."""
    return parse_questions(yaml.safe_load(questions_path().read_text(encoding="utf-8")))


def choose(
    bank: Sequence[Question],
    *,
    audience: str = "any",
    extras: Sequence[str] = (),
    stress: Sequence[str] = (),
    asked: Sequence[str] = (),
) -> list[Question]:
    """The questions for one session: 4, or 5 with a presentation or technical prompt.

    ``audience``: who the student meets (same person as round one, someone new, a panel, or unknown:
    "any"); questions written for that audience are preferred, so a same-interviewer or panel session
    gets a different set. ``extras``: "presentation" and/or "technical" when the student said one is
    asked for (never otherwise). ``stress``: categories the situation calls for (a tough interviewer →
    "pressure", salary talk expected → "salary"). ``asked``: question ids practised before, oldest
    first; new questions come before repeated ones, then the least recently asked.
    """
    recency = {qid: i for i, qid in enumerate(asked)}

    def last_practised(category: str) -> int:
        return max((recency[q.id] for q in bank if q.category == category and q.id in recency), default=-1)

    wanted = [c for c in ON_REQUEST if c in extras]
    core = ["deep_dive", "why_you", *[c for c in ("pressure", "salary") if c in stress]]
    rest = sorted((c for c in ("pressure", "culture", "direction", "salary") if c not in core), key=last_practised)
    size = SESSION_SIZE + (1 if wanted else 0)
    categories = list(dict.fromkeys([*core, *wanted, *rest]))[:size]
    chosen: list[Question] = []
    for category in categories:
        pool = [q for q in bank if q.category == category]
        fitting = [q for q in pool if audience in q.audience] or [q for q in pool if "any" in q.audience] or pool
        if not fitting:
            continue
        # never asked first, then the least recently asked; questions written for this audience alone
        # (not "any") first, so a same-interviewer or panel session is a different set
        fitting.sort(key=lambda q: (q.id in recency, recency.get(q.id, -1), "any" in q.audience))
        chosen.append(fitting[0])
    order = {
        c: i for i, c in enumerate(("deep_dive", *ON_REQUEST, "why_you", "culture", "pressure", "direction", "salary"))
    }
    return sorted(chosen, key=lambda q: order[q.category])
