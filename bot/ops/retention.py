"""Data retention: what is deleted ``SECONDROUND_RETENTION_DAYS`` after it stopped mattering.

One pass (:func:`purge`) deletes, across every user:

- past interviews: those whose start (or, with no date, last change) is older than the retention
  period, unless a later date of theirs is still within it (a decision date, an offer deadline),
  together with their notes and all their reminders;
- notes tied to no interview, written longer ago than the retention period;
- finished reminders tied to no interview (sent, cancelled, failed, skipped) due longer ago;
- the career office's anonymous topic counts (``topic_asks``) older than the retention period;
- ids of handled platform events past their de-duplication window (:meth:`bot.ops.events.EventLog.prune`).

Users themselves, their time zone and their upcoming interviews stay; ``forget me`` deletes
everything of one user at once. Deletes go in batches (short transactions), so a first pass over a
large backlog does not hold locks for long, and running it on several instances at once is harmless.
The runtime runs a pass a minute after start and then daily (:data:`EVERY`); ``secondround db
purge`` runs one now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select

from bot.ops.events import EventLog
from bot.storage.db import Database
from bot.storage.models import Interview, Note, Reminder, TopicAsk

EVERY = timedelta(days=1)
FIRST_AFTER = timedelta(minutes=1)
BATCH = 500
FINISHED = ("sent", "cancelled", "failed", "skipped")


@dataclass
class Purged:
    """How many rows one pass deleted, by table."""

    interviews: int = 0
    notes: int = 0
    reminders: int = 0
    topic_asks: int = 0
    processed_events: int = 0

    def as_dict(self) -> dict[str, int]:
        """Counts by table name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def total(self) -> int:
        """All rows deleted."""
        return sum(self.as_dict().values())


def cutoff(now: datetime, retention_days: int) -> datetime:
    """The instant before which past data is deleted."""
    return now - timedelta(days=retention_days)


def _stale_interviews(before: datetime) -> Any:
    return and_(
        or_(
            Interview.starts_at < before,
            and_(Interview.starts_at.is_(None), Interview.updated_at < before),
        ),
        or_(Interview.decision_by.is_(None), Interview.decision_by < before.date()),
        or_(Interview.offer_deadline.is_(None), Interview.offer_deadline < before),
    )


def purge(
    db: Database,
    now: datetime,
    retention_days: int,
    events: EventLog | None = None,
    *,
    batch: int = BATCH,
    keep_going: Callable[[], bool] = lambda: True,
) -> Purged:
    """Delete what is past the retention period (see the module's description); returns the counts.

    ``keep_going`` is asked before each batch: returning False (shutting down) ends the pass early;
    the next pass carries on where this one stopped.
    """
    before = cutoff(now, retention_days)
    done = Purged()
    while keep_going():
        with db.session() as s:
            ids = list(s.scalars(select(Interview.id).where(_stale_interviews(before)).limit(batch)))
            if not ids:
                break
            done.notes += _count(s.execute(delete(Note).where(Note.interview_id.in_(ids))))
            done.reminders += _count(s.execute(delete(Reminder).where(Reminder.interview_id.in_(ids))))
            done.interviews += _count(s.execute(delete(Interview).where(Interview.id.in_(ids))))
    done.notes += _batched(db, Note, and_(Note.interview_id.is_(None), Note.created_at < before), batch, keep_going)
    done.reminders += _batched(
        db,
        Reminder,
        and_(Reminder.interview_id.is_(None), Reminder.status.in_(FINISHED), Reminder.due_at < before),
        batch,
        keep_going,
    )
    done.topic_asks += _batched(db, TopicAsk, TopicAsk.asked_at < before, batch, keep_going)
    if events is not None and keep_going():
        done.processed_events = events.prune()
    return done


def _batched(db: Database, model: Any, where: Any, batch: int, keep_going: Callable[[], bool]) -> int:
    deleted = 0
    while keep_going():
        with db.session() as s:
            ids = list(s.scalars(select(model.id).where(where).limit(batch)))
            if not ids:
                return deleted
            deleted += _count(s.execute(delete(model).where(model.id.in_(ids))))
    return deleted


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
