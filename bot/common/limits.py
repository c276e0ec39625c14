"""Per-user limits: how much one student can keep with the coach, and the clear answer when it is full.

The limits are generous for a real job search (a busy season has a handful of second interviews, a few
notes each) and small enough that no single user can grow a reply, an export or the database without
bound. They are checked where data is created (:class:`bot.storage.repo.UserData`,
:class:`bot.reminders.planner.ReminderPlanner`), which raise :class:`LimitReached`; the dialogue turns that
into a reply and keeps everything the student already had (the message's changes are rolled back).
"""

from __future__ import annotations

from typing import Final

MAX_INTERVIEWS: Final = 100
"""Interviews on file at once (upcoming, past and cancelled; past ones leave with data retention)."""

MAX_NOTES: Final = 500
"""Notes on file at once."""

MAX_NOTE_CHARS: Final = 4000
"""Characters in one note (the same as the longest message the coach reads)."""

MAX_OPEN_REMINDERS: Final = 300
"""Reminders waiting to go out at once (about three per upcoming interview)."""

MAX_ID: Final = 2**31 - 1
"""The largest row id the database holds (a 32-bit integer column on PostgreSQL)."""


class LimitReached(Exception):
    """Storing this would go over one of the user's limits; ``reply`` says so in plain words."""

    def __init__(self, what: str, limit: int, reply: str) -> None:
        super().__init__(f"{what} limit ({limit}) reached")
        self.what = what
        self.limit = limit
        self.reply = reply


def parse_id(value: object) -> int | None:
    """A row id from a button or a stored question: ASCII digits within the column's range, else None.

    Values from buttons come from outside (a Discord autocomplete field is free text), so an id is
    never trusted: "²", "١٢", a 23-digit number or "-1" are all refused rather than sent to the
    database.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and 0 < len(value) <= 10 and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None
