"""The kinds of reminder the planner makes: the one list of their names, and what each kind means.

A leaf: it imports nothing from ``bot``, so settings (offset parsing) and the knowledge check (one wording
per kind) may import it from below the reminders room.

Adding a kind: a member here (with its words and the outcomes that stop it), its wording in
``knowledge/reminders.yaml``, and, unless it is a plain offset from the interview's start, its due
time in :meth:`bot.reminders.planner.ReminderPlanner.due_times`.
"""

from __future__ import annotations

from enum import StrEnum


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


_WORDS = {
    ReminderKind.PREPARE: "prepare",
    ReminderKind.THANK_YOU: "thank-you emails",
    ReminderKind.CHECK_IN: "check on thank-yous",
    ReminderKind.FOLLOW_UP: "follow up",
    ReminderKind.OFFER_DEADLINE: "offer deadline",
}

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
