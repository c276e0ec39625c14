"""Plain, platform-neutral data exchanged between the adapters and the coaching core."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ButtonStyle = Literal["primary", "danger"] | None

JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"
"""Plain data as JSON holds it."""

RouteData: TypeAlias = Mapping[str, JSONValue]
"""Where an adapter will send the answer to an event, in the adapter's own plain-data words.

Stored with the event in the inbox (:meth:`bot.ops.runtime.Runtime.accept`) and handed back to the
adapter's ``prepare``/``respond``, also after a restart; only the adapter reads its keys.
"""


class Outcome(StrEnum):
    """What :class:`Handled` names instead of an intent when the message was not understood and acted on.

    The values are the words observers and ``/metrics`` have always seen in the ``intent`` label.
    """

    THROTTLED = "throttled"  # over the flood guard: answered with a warning, or not at all
    EMPTY = "empty"  # no words in it
    TOO_LONG = "too_long"  # longer than SECONDROUND_MAX_MESSAGE_CHARS
    STORAGE_DOWN = "storage_down"  # the database could not be reached
    ERROR = "error"  # a handler failed; the user got an apology


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """Where a message came from and where an answer (or a reminder) should go.

    ``workspace`` scopes the user id: a Slack team id; empty for platforms whose user ids are global
    (Discord, the console). ``channel`` is the platform's conversation id, empty when unknown (the
    adapter then opens a direct message with ``user``).
    """

    platform: str
    workspace: str
    channel: str
    user: str
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered under a reply. ``value`` is what comes back when it is pressed.

    Values carry all the state a click needs (for example ``reminder:sent:42``), so buttons keep
    working after a restart and on another instance.
    """

    label: str
    value: str
    style: ButtonStyle = None


@dataclass(frozen=True, slots=True)
class File:
    """A document attached to a reply (an export): a file name, its MIME type and its text."""

    name: str
    mime: str
    content: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message from the coach, in neutral markup (see :mod:`bot.common.markup`).

    ``private`` marks replies that hold the user's own data (interviews, notes, figures): adapters
    must never post those where other people can read them. ``files`` are sent with the message
    (an upload on Slack, an attachment on Discord), with the same privacy as its text.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    private: bool = False
    kind: str | None = None  # what the reply is, when adapters may show it differently (a reminder's kind)
    files: tuple[File, ...] = ()


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A user's message or button press, as the core sees it.

    Exactly one of ``text`` (typed words) and ``action`` (a pressed button's value) is meaningful:
    when ``action`` is set, ``text`` is ignored. ``fields`` is the action's payload when a platform
    collects structured input (a slash command's options). ``tz_hint`` is a time zone the platform knows for
    the user (a Slack profile); it is used only until the user sets one themselves. ``direct`` is
    false in shared channels, where adapters must route private replies privately.
    """

    ref: ConversationRef
    text: str = ""
    action: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    direct: bool = True
    tz_hint: str | None = None


@dataclass(frozen=True, slots=True)
class Handled:
    """Told to the core's observers after each message: what was understood and what changed.

    Observers use it for metrics and to refresh views of the user's data (Slack's App Home); it never
    carries message text. ``kinds`` are the replies' kinds (``unanswered:<topic>`` for a question the
    knowledge base had no good answer to).
    """

    ref: ConversationRef
    intent: str | Outcome  # the intent handled, or why none was
    replies: int
    data_changed: bool
    seconds: float
    kinds: tuple[str, ...] = ()


class Receipt(Protocol):
    """Marks a message as handled, inside the transaction that handles it.

    See :meth:`bot.coaching.coach.Coach.handle_once`.
    """

    def record(self, session: Session, replies: Sequence[Reply]) -> bool:
        """Record the message as handled, with its replies, as the last write of the handling transaction.

        False when it was handled already (a retry, or another instance): the caller rolls back and
        answers nothing. Recording last costs nothing in safety (the transaction commits both or
        neither) and saves a statement: the claim and the outcome are one write.
        """
        ...
