"""A practice session's explicit state, the record of each answer, the summary and progress over sessions.

Like python-telegram-bot's ``ConversationHandler``, a session is a small state machine with a timeout:

* no session (``None``) --start--> ``ANSWERING`` (question 1 asked)
* ``ANSWERING`` --an answer--> feedback, then ``ANSWERING`` the next question, or the end (summary)
* ``ANSWERING`` --"skip"--> the next question (or the end); --"stop"/"quit"--> the end (summary)
* ``ANSWERING`` --no message for :data:`TIMEOUT`--> ended: the answers given so far are kept

Everything is plain JSON kept in the user's conversation state (``context["practice"]``), the same row
as the rest of the dialogue state: so it survives restarts, is in "export my data" and is deleted by
"forget me". Answers are the student's data: never logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.feedback import Feedback
from bot.feedback.kinds import STORY_KINDS

__all__ = [
    "ANSWERING",
    "HISTORY_LIMIT",
    "MAX_STORED_CHARS",
    "TIMEOUT",
    "Session",
    "kept",
    "progress_lines",
    "record",
    "summary_lines",
]

ANSWERING = "answering"
TIMEOUT = timedelta(minutes=30)
HISTORY_LIMIT = 20  # finished sessions kept (the oldest go first)
MAX_STORED_CHARS = 4000  # an answer is kept up to this length

# What progress is measured on: (record key, how a sentence names it).
MEASURES = (
    ("result", "results"),
    ("quantified", "numbers"),
    ("i_steps", "your own steps (\u201cI\u201d)"),
    ("situation", "context (the situation)"),
)
# The one thing to work on, from the remark seen most often in the session.
WORK_ON = {
    "hypothetical": "answer with a real example from your past, not what you would do",
    "no_story": "answer with a real example from your past: situation, task, action, result",
    "missing_action": "say the two or three steps you took yourself",
    "we_only": "say what *you* did: tell the steps with \u201cI\u201d",
    "passive": "tell the steps with you as the one doing them",
    "missing_result": "end every story with its result, with a number if you can",
    "repeat": "bring fresh stories the round-one interviewer hasn't heard",
    "salary_single": "give salary expectations as a researched range, not one number",
    "salary_none": "name a researched salary range",
    "no_ties": "tie your answers to this company: its product, plans or values",
    "no_research": "research the company's plans and mention one",
    "general": "back each claim with one number (how many, how much, how long)",
    "too_short": "give more: one concrete example behind each claim",
    "too_long": "keep it to two minutes: one sentence of context, your steps, the result",
    "hedges": "drop the filler words and say it as a plain statement",
    "missing_task": "say what you had to achieve or fix",
    "missing_situation": "open with one sentence of context",
}


@dataclass
class Session:
    """An open practice session (the JSON in ``context["practice"]["session"]``)."""

    state: str
    questions: list[str]
    at: int
    expires_at: datetime
    started_at: datetime
    company: str | None
    audience: str
    answers: list[dict[str, Any]]
    skipped: int = 0

    def to_json(self) -> dict[str, Any]:
        """Plain data for the conversation state."""
        return {
            "state": self.state,
            "questions": self.questions,
            "at": self.at,
            "expires_at": self.expires_at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "company": self.company,
            "audience": self.audience,
            "answers": self.answers,
            "skipped": self.skipped,
        }

    @classmethod
    def from_json(cls, raw: object) -> Session | None:
        """Rebuild from stored data; None when absent or malformed."""
        if not isinstance(raw, dict) or raw.get("state") != ANSWERING:
            return None
        try:
            return cls(
                state=ANSWERING,
                questions=[str(q) for q in raw["questions"]],
                at=int(raw["at"]),
                expires_at=datetime.fromisoformat(raw["expires_at"]),
                started_at=datetime.fromisoformat(raw["started_at"]),
                company=raw.get("company"),
                audience=str(raw.get("audience") or "any"),
                answers=list(raw.get("answers") or []),
                skipped=int(raw.get("skipped") or 0),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def expired(self, now: datetime) -> bool:
        """Whether the session timed out (no message for :data:`TIMEOUT`)."""
        return now >= self.expires_at

    @property
    def current(self) -> str | None:
        """The id of the question waiting for an answer (None past the last one)."""
        return self.questions[self.at] if self.at < len(self.questions) else None

    def finished(self) -> dict[str, Any]:
        """The history entry for this session."""
        return {
            "started_at": self.started_at.isoformat(),
            "company": self.company,
            "asked": self.questions[: self.at],
            "skipped": self.skipped,
            "answers": self.answers,
        }


def kept(history: Sequence[dict[str, Any]], since: datetime) -> list[dict[str, Any]]:
    """The finished sessions started at or after ``since`` (older ones fall under the retention period)."""
    out = []
    for entry in history:
        try:
            started = datetime.fromisoformat(str(entry.get("started_at")))
        except ValueError:
            continue
        if started >= since:
            out.append(dict(entry))
    return out


def record(question_id: str, question: str, answer: str, feedback: Feedback) -> dict[str, Any]:
    """What is kept of one answer: the student's words, what was found and the remarks' kinds."""
    star = feedback.star
    return {
        "question_id": question_id,
        "question": question,
        "answer": answer[:MAX_STORED_CHARS],
        "kind": feedback.kind,
        "star": {"situation": star.situation, "task": star.task, "action": star.action, "result": star.result},
        "quantified": feedback.quantified,
        "ownership": feedback.ownership,
        "words": feedback.words,
        "hedges": len(feedback.hedges),
        "remarks": [r.key for r in feedback.remarks]
        + [
            f"missing_{p}"
            for p in ("action", "result", "situation", "task")
            if feedback.kind in STORY_KINDS and not getattr(star, p)
        ],
    }


def _story_answers(answers: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answers to questions that want a story (salary, why-you… are measured on other things)."""
    return [a for a in answers if a.get("kind") in STORY_KINDS]


def _has(answer: dict[str, Any], measure: str) -> bool:
    if measure == "quantified":
        return bool(answer.get("quantified"))
    if measure == "i_steps":
        return answer.get("ownership") in {"i", "mixed"}
    return bool((answer.get("star") or {}).get(measure))


def _rate(answers: Sequence[dict[str, Any]], measure: str) -> tuple[int, int]:
    pool = _story_answers(answers) if measure in {"result", "situation", "i_steps"} else list(answers)
    return sum(_has(a, measure) for a in pool), len(pool)


def summary_lines(answers: Sequence[dict[str, Any]], skipped: int) -> list[str]:
    """The end-of-session summary: what was practised, strengths and the one thing to work on."""
    if not answers:
        return [
            "You didn't answer any question this time, so there's nothing to score. Say "
            "\u201clet's practise\u201d whenever you're ready."
        ]
    lines = [
        f"**Practice summary**: {len(answers)} answer{'s' if len(answers) != 1 else ''}"
        + (f", {skipped} skipped" if skipped else "")
        + "."
    ]
    strengths = []
    for measure, label in MEASURES:
        has, total = _rate(answers, measure)
        if total and has == total:
            strengths.append(f"{label} in every answer" if total > 1 else f"{label} in your answer")
        elif total and has * 2 > total:
            strengths.append(f"{label} in {has} of {total}")
    lines.append("Strengths: " + ("; ".join(strengths) if strengths else "you answered; that is the first step") + ".")
    counts: dict[str, int] = {}
    for a in answers:
        for key in a.get("remarks") or []:
            if key in WORK_ON:
                counts[key] = counts.get(key, 0) + 1
    if counts:
        order = list(WORK_ON)
        top = max(counts, key=lambda k: (counts[k], -order.index(k)))
        lines.append(f"The one thing to work on: {WORK_ON[top]} ({counts[top]} of {len(answers)} answers).")
    else:
        lines.append("The one thing to work on: say these answers aloud once, timed, so they sound natural.")
    return lines


def progress_lines(history: Sequence[dict[str, Any]]) -> list[str]:
    """Progress over sessions: the latest session against the one before, in the student's own counts."""
    done = [h for h in history if h.get("answers")]
    if not done:
        return ["No practice answers yet. Say \u201clet's practise\u201d for a short mock second interview."]
    latest = done[-1]["answers"]
    total_answers = sum(len(h["answers"]) for h in done)
    lines = [
        f"**Your practice so far**: {len(done)} session{'s' if len(done) != 1 else ''}, "
        f"{total_answers} answer{'s' if total_answers != 1 else ''}."
    ]
    if len(done) == 1:
        for measure, label in MEASURES:
            has, total = _rate(latest, measure)
            if total:
                lines.append(f"- {label}: {has} of {total}")
        lines.append("Practise again and I'll show how this changes.")
        return lines
    before = done[-2]["answers"]
    for measure, label in MEASURES:
        has, total = _rate(latest, measure)
        was, was_total = _rate(before, measure)
        if not total:
            continue
        if not was_total:
            lines.append(f"- {label}: {has} of {total} times")
            continue
        now_rate, was_rate = has / total, was / was_total
        trend = "up from" if now_rate > was_rate else "down from" if now_rate < was_rate else "the same as"
        lines.append(f"- your answers now include {label} {has} of {total} times, {trend} {was} of {was_total}")
    return lines
