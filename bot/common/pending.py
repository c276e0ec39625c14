"""An open question in a conversation: what the next message may be an answer to.

Stored as plain data in the conversation state. The coaching dialog asks and answers them; the reminder
engine opens one when it sends a reminder (so "remind me later" lands on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

DEFAULT_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class Pending:
    """An open question: its kind (which handler answers it), its data and when it stops applying."""

    kind: str
    expires_at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the conversation state column."""
        return {"kind": self.kind, "expires_at": self.expires_at.isoformat(), "data": self.data}

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> Pending | None:
        """Rebuild from stored data; None when absent or malformed."""
        if not raw or "kind" not in raw:
            return None
        try:
            return cls(
                kind=str(raw["kind"]),
                expires_at=datetime.fromisoformat(raw["expires_at"]),
                data=dict(raw.get("data") or {}),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def expired(self, now: datetime) -> bool:
        """Whether the question no longer applies."""
        return now >= self.expires_at
