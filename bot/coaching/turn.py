"""Everything a handler needs to answer one message, gathered in one object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.common.pending import DEFAULT_TTL, Pending
from bot.common.settings import Settings
from bot.common.types import IncomingMessage
from bot.knowledge.library import Knowledge
from bot.storage.models import ConversationState, Interview
from bot.storage.repo import StateRow, UserData

if TYPE_CHECKING:
    from bot.coaching.registry import Registry
    from bot.common.types import Reply
    from bot.nlu import NLU
    from bot.nlu.types import Parse
    from bot.reminders.planner import ReminderPlanner


class StorageUnavailable(Exception):
    """Raised by :attr:`Turn.data` when the database could not be reached for this message."""


@dataclass
class Turn:
    """One message being handled: who sent it, when, in which time zone, and their stored data.

    ``data`` raises :class:`StorageUnavailable` when the message is being answered without a database
    (it was down); handlers that never touch storage work either way.
    """

    msg: IncomingMessage
    now: datetime
    tz: str
    knowledge: Knowledge
    nlu: NLU
    settings: Settings
    planner: ReminderPlanner
    _data: UserData | None = None
    state: ConversationState | StateRow | None = None  # the ORM row (set_timezone) or a working copy (a message)
    pending: Pending | None = None  # the question that was open when this message came (set by dispatch)
    changed: bool = False
    confirmed: bool = False  # the user said yes to "Did you want to …?": act without asking again
    forgotten: bool = False
    _pending_set: bool = field(default=False, repr=False)
    registry: Registry | None = field(default=None, repr=False)  # set by dispatch, for handle_as
    learned: tuple[object, ...] | None = field(default=None, repr=False)  # the last text learned from (situation)

    @property
    def data(self) -> UserData:
        """The user's stored data (raises StorageUnavailable when answering without a database)."""
        if self._data is None:
            raise StorageUnavailable
        return self._data

    @property
    def has_storage(self) -> bool:
        """Whether the user's data can be read and written in this turn."""
        return self._data is not None

    @property
    def zone(self) -> ZoneInfo:
        """The user's time zone."""
        return ZoneInfo(self.tz)

    @property
    def local_now(self) -> datetime:
        """Now, as naive wall-clock time in the user's zone."""
        return self.now.astimezone(self.zone).replace(tzinfo=None)

    @property
    def context(self) -> dict[str, Any]:
        """Remembered facts about the user's situation (empty and throw-away without storage)."""
        if self.state is None:
            self.state = StateRow(0, None, {}, self.now)
        return self.state.context

    def remember(self, key: str, value: Any) -> None:
        """Store a fact in the conversation context."""
        ctx = dict(self.context)
        ctx[key] = value
        if self.state is not None:
            self.state.context = ctx  # reassign so the JSON column is written

    def facts(self) -> dict[str, str]:
        """Situations known per topic (for example ``{"interviewers": "new"}``)."""
        return dict(self.context.get("facts") or {})

    def learn(self, topic: str, situation: str) -> None:
        """Remember the situation of a topic for later answers."""
        facts = self.facts()
        facts[topic] = situation
        self.remember("facts", facts)

    def ask(self, kind: str, ttl: timedelta = DEFAULT_TTL, **data: Any) -> None:
        """Open a question whose answer the next message may carry."""
        if self.state is not None:
            self.state.pending = Pending(kind=kind, expires_at=self.now + ttl, data=data).to_json()
            self._pending_set = True

    def plan_reminders(self, interview: Interview) -> None:
        """Plan an interview's reminders again after a change to it (and mark the turn as changing data)."""
        self.planner.plan(self.data.session, self.data.user, interview)
        self.changed = True

    def handle_as(self, intent: str, parse: Parse) -> list[Reply]:
        """Answer as the handler of ``intent`` would: one job hands a message to another through the registry.

        (So handler modules of different jobs need not import each other.)
        """
        route = self.registry.get("intent", intent) if self.registry is not None else None
        if route is None:
            raise LookupError(f"no handler for intent {intent!r}")
        answered: list[Reply] = route.func(self, parse)
        return answered

    def close_question(self) -> None:
        """Drop any open question (unless this turn just asked a new one)."""
        if self.state is not None and not self._pending_set:
            self.state.pending = None
