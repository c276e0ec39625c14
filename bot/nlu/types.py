"""What understanding a message produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any


@dataclass(frozen=True, slots=True)
class When:
    """A day, and a clock time when one was actually said, in the user's time zone."""

    day: date
    at: time | None = None
    end: time | None = None  # the end of a range ("between 2 and 4"), when one was said

    def iso(self) -> str:
        """``YYYY-MM-DDTHH:MM`` with a time, ``YYYY-MM-DD`` without."""
        if self.at is None:
            return self.day.isoformat()
        return f"{self.day.isoformat()}T{self.at.strftime('%H:%M')}"

    def local(self) -> datetime:
        """Naive local datetime (midnight when no time was said)."""
        return datetime.combine(self.day, self.at or time(0, 0))


@dataclass(frozen=True, slots=True)
class Entities:
    """The details of an interview found in a message."""

    company: str | None = None
    when: When | None = None
    interviewers: tuple[str, ...] = ()
    setting: str | None = None
    when_text: str | None = None
    venue: str | None = None  # where it happens ("Nobu"), never the company
    when_problem: str | None = None  # why ``when_text`` gave no single day ("vague", "unreadable")

    def as_json(self) -> dict[str, Any]:
        """The form printed by ``secondround nlu``; ``venue`` is there only when one was said."""
        out: dict[str, Any] = {
            "company": self.company,
            "when": self.when.iso() if self.when else None,
            "interviewers": list(self.interviewers),
            "setting": self.setting,
        }
        if self.venue:
            out["venue"] = self.venue
        return out


@dataclass(frozen=True, slots=True)
class Parse:
    """A message's intent (with confidence) and entities."""

    text: str
    intent: str
    confidence: float
    entities: Entities = field(default_factory=Entities)
    alternatives: tuple[tuple[str, float], ...] = ()  # the likeliest intents, best first, with confidences
    scope: float | None = None  # the scope model's probability that this coach handles it (None: not read)

    def as_json(self) -> dict[str, Any]:
        """The JSON object printed by ``secondround nlu`` for one message."""
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "entities": self.entities.as_json(),
        }
