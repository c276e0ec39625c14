"""Builds the whole bot from settings: the composition root shared by the CLI and the tests."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import OperationalError

from bot.coaching.coach import Coach
from bot.common.clock import Clock, OffsetClock, SystemClock
from bot.common.settings import Settings
from bot.knowledge.check import load_with_override
from bot.knowledge.library import Knowledge
from bot.nlu import NLU
from bot.office.insights import TopicRecorder, flush_topic_counts
from bot.ops.events import EventLog
from bot.reminders.planner import ReminderPlanner
from bot.storage import migrate
from bot.storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class App:
    """Every long-lived part of the bot, wired together. Adapters receive one of these."""

    settings: Settings
    clock: Clock
    db: Database
    knowledge: Knowledge
    nlu: NLU
    planner: ReminderPlanner
    coach: Coach
    events: EventLog

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        nlu: NLU | None = None,
        knowledge: Knowledge | None = None,
        migrate_db: bool | None = None,
    ) -> App:
        """Create the database, knowledge, understanding and coach.

        The embedded SQLite database is migrated automatically; a PostgreSQL one must already be at
        the newest revision (``secondround db upgrade``), unless ``migrate_db`` says otherwise. A
        PostgreSQL server that cannot be reached (within ``SECONDROUND_DATABASE_CONNECT_TIMEOUT_SECONDS``)
        does not stop the start: the bot coaches without storage until it answers.
        """
        clock = clock or (OffsetClock(settings.now) if settings.now else SystemClock())
        db = Database.from_settings(settings)
        auto = db.dialect.embedded if migrate_db is None else migrate_db
        try:
            if auto:
                migrate.upgrade(db)
            else:
                migrate.check_schema(db)
        except OperationalError as exc:
            if db.dialect.embedded:  # its own file: nothing to wait for
                raise
            # a database server that is down or hung: start anyway; coaching works, storage says so
            log.warning("database_unreachable_at_start", extra={"error": type(exc).__name__})
        knowledge = knowledge or load_with_override(settings.knowledge_dir)
        nlu = nlu or NLU.load(cache_dir=nlu_cache_dir(settings))
        planner = ReminderPlanner(settings, knowledge, clock)
        coach = Coach(settings=settings, db=db, knowledge=knowledge, nlu=nlu, clock=clock, planner=planner)
        coach.observers.append(TopicRecorder(db, clock.now))  # the office's anonymous topic counts
        return cls(settings, clock, db, knowledge, nlu, planner, coach, EventLog(db, clock))

    def close(self) -> None:
        """Write the counts still held in memory, then release the database connections."""
        flush_topic_counts(self)
        self.db.dispose()


def nlu_cache_dir(settings: Settings) -> Path:
    """Where trained language models are cached."""
    return settings.cache_dir / "nlu"
