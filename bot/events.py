"""Remembers which platform events were handled.

A delivery retried by the platform is then not handled twice, across restarts and across instances
(the ids live in the database).
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import Clock
from bot.storage.db import Database
from bot.storage.repo import forget_events_before, remember_event

KEEP = timedelta(hours=24)


class EventLog:
    """First-time checks for platform event ids, kept for :data:`KEEP`."""

    def __init__(self, db: Database, clock: Clock, keep: timedelta = KEEP) -> None:
        self.db = db
        self.clock = clock
        self.keep = keep

    def first_time(self, platform: str, event_id: str) -> bool:
        """Record ``event_id``; True if no instance had recorded it before (so: handle it)."""
        with self.db.session() as session:
            return remember_event(session, platform, event_id[:128], self.clock.now())

    def prune(self) -> int:
        """Forget ids older than the keeping period; returns how many."""
        with self.db.session() as session:
            return forget_events_before(session, self.clock.now() - self.keep)
