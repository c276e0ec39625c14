"""``Database.transaction``: a plain connection's writing transaction keeps every guarantee of a session's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.storage.db import Database
from bot.storage.models import Base

INSERT = "INSERT INTO processed_events (platform, event_id, seen_at) VALUES (?, ?, '2026-03-02 15:00:00')"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def _events(db: Database) -> list[str]:
    with db.snapshot() as conn:
        return list(conn.execute(text("SELECT event_id FROM processed_events ORDER BY event_id")).scalars())


def test_a_finished_block_is_committed_and_another_process_sees_it(db: Database, tmp_path: Path) -> None:
    with db.transaction() as conn:
        conn.exec_driver_sql(INSERT, ("slack", "e1"))
    other = Database(f"sqlite:///{tmp_path / 'bot.db'}")  # a new engine, as another process would open the file
    try:
        assert _events(other) == ["e1"]
    finally:
        other.dispose()


def test_a_failing_block_keeps_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.exec_driver_sql(INSERT, ("slack", "e1"))
        raise RuntimeError("the process failed before the acknowledgement")
    assert _events(db) == []


def test_it_writes_with_begin_immediate_as_a_session_does(db: Database) -> None:
    seen: list[str] = []

    def sent(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", sent)
    with db.session() as session:
        session.connection().exec_driver_sql(INSERT, ("slack", "e1"))
    through_session = list(seen)
    seen.clear()
    with db.transaction() as conn:
        conn.exec_driver_sql(INSERT, ("slack", "e2"))
    assert seen == through_session == ["BEGIN IMMEDIATE", INSERT]
    assert _events(db) == ["e1", "e2"]


def test_it_takes_turns_with_sessions_on_the_writer_lock(db: Database) -> None:
    db._writer_wait = 0.01
    assert db._writer is not None
    with db._writer, pytest.raises(OperationalError), db.transaction():  # a session of this process is writing
        pass
    with db.transaction() as conn:  # free again: released after the failed wait, and after each block
        conn.exec_driver_sql(INSERT, ("slack", "e1"))
    with db.transaction() as conn:
        conn.exec_driver_sql(INSERT, ("slack", "e2"))
    assert _events(db) == ["e1", "e2"]
