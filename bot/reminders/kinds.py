"""The kinds of reminder the planner makes: the one list of their names, and what each kind means.

A leaf: it imports nothing from ``bot``, so settings (offset parsing) and the knowledge check (one wording
per kind) may import it from below the reminders room.

Adding a kind: a member here with its words, its rule in ``_RULES`` (its due time and its default
offset) and the outcomes that stop it, and its wording in ``knowledge/reminders.yaml``. The planner and
the settings read the rest from here, and the documentation does not copy the kinds:
``python -m bot.reminders.kinds`` prints them with their default offsets (docs/configuration.md points
there). tests/test_reminder_kinds.py checks that deploy/.env.example's commented default still matches.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

DAYTIME_DEFAULT = time(18, 0)
"""When a day-only interview's reminders go out."""

MORNING = time(9, 0)


class ReminderKind(StrEnum):
    """A planned reminder's kind, as stored in ``reminders.kind`` and named in ``SECONDROUND_REMINDER_OFFSETS``."""

    PREPARE = "prepare"
    THANK_YOU = "thank_you"
    CHECK_IN = "check_in"
    FOLLOW_UP = "follow_up"
    OFFER_DEADLINE = "offer_deadline"

    @property
    def words(self) -> str:
        """How a reply names the kind ("Next reminder (thank-you emails): …")."""
        return _WORDS[self]

    @property
    def rule(self) -> Rule:
        """When the kind is due and its default offset."""
        return _RULES[self]


_WORDS = {
    ReminderKind.PREPARE: "prepare",
    ReminderKind.THANK_YOU: "thank-you emails",
    ReminderKind.CHECK_IN: "check on thank-yous",
    ReminderKind.FOLLOW_UP: "follow up",
    ReminderKind.OFFER_DEADLINE: "offer deadline",
}


class Planned(Protocol):
    """What a due-time rule reads of an interview (``bot.storage.models.Interview`` has it)."""

    status: str
    local_start: datetime | None
    has_time: bool
    tz: str
    thank_you_sent_at: datetime | None
    decision_by: date | None
    offer_deadline: datetime | None


class Quiet(Protocol):
    """Moves a local time out of quiet hours (:meth:`bot.reminders.planner.ReminderPlanner.out_of_quiet`)."""

    def __call__(self, local: datetime, *, before: datetime | None = None) -> datetime:  # noqa: D102
        ...


@dataclass(frozen=True)
class Rule:
    """A kind's planning rule: its local due time for an interview (None: not wanted), and its default offset.

    ``due(interview, offset, quiet)`` gets the configured offset and the planner's quiet-hours rule.
    ``default`` is the offset it has when ``SECONDROUND_REMINDER_OFFSETS`` is not set ("" : off by default).
    """

    due: Callable[[Planned, timedelta, Quiet], datetime | None]
    default: str


def _base(iv: Planned) -> datetime | None:
    """The start a thank-you counts from (None once thank-yous are sent, or without a scheduled start)."""
    start = iv.local_start
    if iv.status != "scheduled" or start is None or iv.thank_you_sent_at is not None:
        return None
    return start if iv.has_time else datetime.combine(start.date(), DAYTIME_DEFAULT)


def _prepare(iv: Planned, offset: timedelta, quiet: Quiet) -> datetime | None:
    start = iv.local_start
    if iv.status != "scheduled" or start is None:
        return None
    if iv.has_time:
        return quiet(start + offset, before=start)
    return quiet(datetime.combine(start.date() + timedelta(days=offset.days or -1), DAYTIME_DEFAULT))


def _thank_you(iv: Planned, offset: timedelta, quiet: Quiet) -> datetime | None:
    base = _base(iv)
    return None if base is None else quiet(base + (offset if iv.has_time else timedelta()))


def _check_in(iv: Planned, offset: timedelta, quiet: Quiet) -> datetime | None:
    base = _base(iv)
    return None if base is None else quiet(base + offset)


def _follow_up(iv: Planned, offset: timedelta, quiet: Quiet) -> datetime | None:
    if iv.status != "scheduled" or iv.decision_by is None:
        return None
    return quiet(datetime.combine(iv.decision_by, MORNING) + offset)


def _offer_deadline(iv: Planned, offset: timedelta, quiet: Quiet) -> datetime | None:
    if iv.offer_deadline is None:
        return None
    deadline = iv.offer_deadline.astimezone(ZoneInfo(iv.tz)).replace(tzinfo=None)
    return quiet(deadline + offset, before=deadline)


_RULES = {
    ReminderKind.PREPARE: Rule(_prepare, "-24h"),
    ReminderKind.THANK_YOU: Rule(_thank_you, "+2h"),
    ReminderKind.CHECK_IN: Rule(_check_in, "+1d"),
    ReminderKind.FOLLOW_UP: Rule(_follow_up, "+1d"),
    ReminderKind.OFFER_DEADLINE: Rule(_offer_deadline, "-1d"),
}

DEFAULT_OFFSETS = ",".join(f"{kind}={rule.default}" for kind, rule in _RULES.items() if rule.default)
"""``SECONDROUND_REMINDER_OFFSETS`` when it is not set."""

REMINDER_KINDS: tuple[str, ...] = tuple(kind.value for kind in ReminderKind)
"""Every planned kind's name, in order."""

CUSTOM = "custom"
"""The kind of a reminder the student asked for ("remind me tomorrow at 9 to email Sarah"); never planned."""

THANK_YOU_CHAIN = (ReminderKind.THANK_YOU, ReminderKind.CHECK_IN)
"""The kinds that a sent thank-you settles."""

OUTCOME_STOPS: dict[str, tuple[ReminderKind, ...] | None] = {
    "offer": (ReminderKind.FOLLOW_UP, ReminderKind.PREPARE),
    "accepted": (ReminderKind.FOLLOW_UP, ReminderKind.OFFER_DEADLINE, ReminderKind.PREPARE),
    "rejected": None,
    "withdrawn": None,
}
"""Kinds that no longer make sense once a process has this outcome (None: every planned kind)."""


def words(kind: str) -> str:
    """How a reply names a stored kind (the name itself for one this version doesn't know)."""
    try:
        return ReminderKind(kind).words
    except ValueError:
        return kind


def table() -> str:
    """Every planned kind as a Markdown table: its name, its default offset, its words, what stops it."""
    rows = ["| kind | default offset | named in replies | outcomes that stop it |", "|---|---|---|---|"]
    for kind in ReminderKind:
        stops = [outcome for outcome, kinds in OUTCOME_STOPS.items() if kinds is None or kind in kinds]
        default = f"`{kind.rule.default}`" if kind.rule.default else "off"
        rows.append(f"| `{kind}` | {default} | {kind.words} | {', '.join(stops)} |")
    rows.append(f"\nSECONDROUND_REMINDER_OFFSETS default: {DEFAULT_OFFSETS}")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table())
