"""Per-user pending questions with a timeout, in the manner of a conversation state machine.

When the coach asks something ("What time does it start?", "Delete everything?"), it stores a
:class:`Pending` in the user's conversation state. The next message is first offered to the handler
of that pending kind, so a short answer like "3pm" or "yes" lands where it belongs. A pending question
expires (default 15 minutes); after that, or when the next message is clearly about something else,
it is dropped and the message is handled on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.types import Reply

if TYPE_CHECKING:
    from bot.nlu.types import Parse
    from bot.registry import Registry
    from bot.turn import Turn

DEFAULT_TTL = timedelta(minutes=15)

_POLITE = r"(?:\s+(?:please|pls|plz|thanks?|thank you|ty|sure|for sure|go ahead|do it|i'?m sure|i am sure|"
_POLITE += (
    r"delete(?: it| them| everything| all(?: of it)?| my data)?|confirm(?:ed)?|keep(?: it| them| my data| everything)?|"
)
_POLITE += r"don'?t|do not|never ?mind|not now|cancel|stop))*"
_YES = re.compile(
    r"^(?:y|ya|yah|yes+|yea+h?|yep|yup|sure|ok(?:ay)?|k|confirm(?:ed)?|do it|go ahead|please do|absolutely|"
    r"of course|correct|right|delete(?: it| everything| all)?|si|sí|oui|ja)" + _POLITE + r"$"
)
_NO = re.compile(
    r"^(?:n|no+|nope|nah|never ?mind|cancel|stop|keep(?: it| my data| everything)?|don'?t|do not|not now|abort|"
    r"wait|no thanks?)" + _POLITE + r"$"
)


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


def yes_no(text: str) -> bool | None:
    """Read a yes or a no from a short answer; None when it is neither."""
    low = " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())
    if not low or len(low.split()) > 8:
        return None
    if _NO.match(low):
        return False
    if _YES.match(low):
        return True
    return None


ACTION_INTENTS = frozenset(
    {
        "schedule_interview",
        "list_interviews",
        "cancel_interview",
        "add_note",
        "show_notes",
        "thank_you_sent",
        "export_data",
        "forget_me",
        "set_timezone",
    }
)


def is_other_action(parse_intent: str, confidence: float, accepted: tuple[str, ...] = ()) -> bool:
    """Whether a message is confidently a request to do something else than answer the open question."""
    return parse_intent in ACTION_INTENTS and parse_intent not in accepted and confidence >= 0.6


def dispatch(registry: Registry, turn: Turn, text: str) -> tuple[list[Reply], str]:
    """Route one message: a button to its action, an answer to the open question, else the intent's handler.

    Returns the replies and a label of what was handled (for metrics and logs).
    """
    if turn.msg.action is not None:
        verb, _, rest = turn.msg.action.partition(":")
        route = registry.get("action", verb)
        if route is None:
            return [Reply(turn.knowledge.response("unknown_action"))], "action:unknown"
        turn.close_question()
        return route.func(turn, rest.split(":") if rest else []), f"action:{verb}"
    parse: Parse = turn.nlu.parse(text, turn.local_now, turn.tz)
    pending = Pending.from_json(turn.state.pending) if turn.state is not None else None
    if pending is not None and not pending.expired(turn.now):
        route = registry.get("pending", pending.kind)
        if route is not None:
            answered = route.func(turn, pending, parse)
            if answered is not None:
                turn.close_question()
                return answered, f"answer:{pending.kind}"
    turn.close_question()
    route = registry.get("intent", parse.intent) or registry.get("intent", "fallback")
    assert route is not None
    return route.func(turn, parse), parse.intent
