"""The message's one query, sent prepared, loads what the ORM loaded: the same objects, values and state.

``load_user`` makes the user and the interviews from the rows itself (``bot.storage.prepared``); the
reference here is the ORM query it replaced, kept verbatim.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, event, exists, insert, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.common.settings import Settings
from bot.common.types import ConversationRef
from bot.storage.db import Database, Timeouts
from bot.storage.models import Base, ConversationState, Interview, Reminder, User
from bot.storage.prepared import send_direct
from bot.storage.repo import StateRow, UserData, load_user, store_state

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _reference_query() -> Any:
    """The ORM query ``load_user`` sent before (verbatim)."""
    failed = (
        exists()
        .where(Reminder.user_id == User.id, Reminder.status == "failed", Reminder.failure_told.is_(False))
        .label("undelivered")
    )
    return (
        select(User, ConversationState, Interview, failed)
        .outerjoin(ConversationState, ConversationState.user_id == User.id)
        .outerjoin(Interview, Interview.user_id == User.id)
        .where(
            User.platform == bindparam("platform"),
            User.workspace == bindparam("workspace"),
            User.external_id == bindparam("external_id"),
        )
        .order_by(Interview.id)
    )


@pytest.fixture
def db(any_db_settings: Settings) -> Iterator[Database]:
    database = Database(any_db_settings.effective_database_url)
    Base.metadata.create_all(database.engine)
    with database.session() as s:
        full = User(
            platform="slack",
            workspace="T1",
            external_id="U1",
            tz="Europe/Berlin",
            tz_source="user",
            dm_channel="D1",
            created_at=NOW - timedelta(days=3),
            last_seen_at=NOW - timedelta(minutes=5),
        )
        bare = User(platform="slack", workspace="T1", external_id="U2", created_at=NOW, last_seen_at=NOW)
        s.add_all([full, bare])
        s.flush()
        s.add(
            ConversationState(
                user_id=full.id,
                pending={"kind": "confirm", "data": {"x": [1, "é"]}},
                context={"shown": ["a", "b"], "facts": {"setting": "meal"}},
                updated_at=NOW,
            )
        )
        s.add_all(
            [
                Interview(
                    user_id=full.id,
                    company="Acme",
                    local_start=datetime(2026, 3, 6, 15),
                    has_time=True,
                    duration_minutes=90,
                    tz="Europe/Berlin",
                    starts_at=NOW + timedelta(days=4),
                    interviewers=["Sarah Chen", "Tom"],
                    setting="informal",
                    setting_words="dinner",
                    decision_by=date(2026, 3, 20),
                    offer_deadline=NOW + timedelta(days=9),
                    created_at=NOW,
                    updated_at=NOW,
                ),
                Interview(
                    user_id=full.id,
                    company=None,
                    tz="UTC",
                    status="cancelled",
                    outcome="rejected",
                    thank_you_sent_at=NOW - timedelta(days=1),
                    created_at=NOW,
                    updated_at=NOW,
                ),
            ]
        )
        s.add(
            Reminder(
                user_id=full.id,
                kind="prep",
                due_at=NOW,
                planned_at=NOW,
                status="failed",
                platform="slack",
                external_user="U1",
                created_at=NOW,
            )
        )
    yield database
    database.dispose()


def _columns(obj: Base) -> dict[str, Any]:
    return {a.key: getattr(obj, a.key) for a in inspect(obj).mapper.column_attrs}


@pytest.mark.parametrize("who", ["U1", "U2"])
def test_the_prepared_load_makes_what_the_orm_loaded(db: Database, who: str) -> None:
    ref = ConversationRef("slack", "T1", "dm", who)
    identity = {"platform": "slack", "workspace": "T1", "external_id": who}
    with db.session() as s:
        rows = s.execute(_reference_query(), identity).all()
        want_user = _columns(rows[0][0])
        want_state = _columns(rows[0][1]) if rows[0][1] is not None else None
        want_interviews = [(_columns(r[2]), r[2].planned_schedule) for r in rows if r[2] is not None]
        want_undelivered = bool(rows[0][3])
    with db.session() as s:
        loaded = load_user(s, ref, NOW)
        assert _columns(loaded.user) == want_user
        for got, value in _columns(loaded.user).items():  # same Python types (a str is not a datetime)
            assert type(value) is type(want_user[got]), got
        state = {k: getattr(loaded.state, k) for k in want_state} if loaded.state is not None else None
        assert state == want_state
        assert [(_columns(i), i.planned_schedule) for i in loaded.interviews] == want_interviews
        assert loaded.undelivered is want_undelivered
        for obj in (loaded.user, *loaded.interviews):  # persistent, in the session, nothing to flush
            assert inspect(obj).persistent and obj in s
        assert not s.dirty and not s.new


def test_a_change_to_a_loaded_object_is_flushed_alone(db: Database) -> None:
    seen: list[tuple[str, Any]] = []
    event.listen(db.engine, "before_cursor_execute", lambda _c, _cur, sql, params, *_a: seen.append((sql, params)))
    with db.session() as s:
        loaded = load_user(s, ConversationRef("slack", "T1", "dm", "U1"), NOW)
        loaded.interviews[0].company = "Acme Corp"
        assert s.scalars(select(User.id).where(User.external_id == "U1")).one() == loaded.user.id  # (autoflush)
    updates = [(sql, params) for sql, params in seen if sql.startswith("UPDATE")]
    assert len(updates) == 1 and "SET company=" in updates[0][0] and "updated_at" not in updates[0][0]
    with db.session() as s:
        assert s.get(Interview, loaded.interviews[0].id).company == "Acme Corp"  # type: ignore[union-attr]


def test_the_state_is_stored_as_the_orm_stored_it(db: Database) -> None:
    later = NOW + timedelta(minutes=3)
    with db.session() as s:
        loaded = load_user(s, ConversationRef("slack", "T1", "dm", "U1"), NOW)
        stored = UserData(s, loaded.user, loaded).state_row(NOW)
        working = stored.copy()
        assert isinstance(working, StateRow) and working == stored and working.context is not stored.context
        working.context["shown"].append("c")
        assert stored.context["shown"] == ["a", "b"]  # (a deep copy)
        store_state(s, stored, None, working.context, later)
    with db.session() as s:
        row = s.get(ConversationState, loaded.user.id)
        assert row is not None
        assert (row.pending, row.context, row.updated_at) == (
            None,
            {"shown": ["a", "b", "c"], "facts": {"setting": "meal"}},
            later,
        )


def test_a_statement_on_sqlite_s_own_cursor_keeps_the_deadline_listeners_and_errors(tmp_path: Path) -> None:
    """``send_direct``: what ``exec_driver_sql`` guaranteed (the statement deadline, listeners, SQLAlchemy's errors)."""
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}", Timeouts(statement=0.3))
    Base.metadata.create_all(db.engine)
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: seen.append(sql))
    runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    insert = "INSERT INTO processed_events (platform, event_id, seen_at) VALUES (?, ?, '2026-03-02 15:00:00')"
    try:
        with db.transaction() as conn:
            assert send_direct(conn, "SELECT 1", fetch=True) == [(1,)]
            with pytest.raises(OperationalError):  # interrupted at the deadline, as through SQLAlchemy
                send_direct(conn, runaway, fetch=True)
            send_direct(conn, insert, ("slack", "e1"))
            with pytest.raises(IntegrityError):
                send_direct(conn, insert, ("slack", "e1"))
            send_direct(conn, insert, [("slack", "e2"), ("slack", "e3")], many=True)
        assert seen == ["BEGIN IMMEDIATE", "SELECT 1", runaway, insert, insert, insert]
        with db.transaction() as conn:
            got = send_direct(conn, "SELECT event_id FROM processed_events ORDER BY event_id", fetch=True)
            assert got == [("e1",), ("e2",), ("e3",)]
    finally:
        db.dispose()


def test_a_user_another_instance_created_meanwhile_is_the_object_the_session_has(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.storage.repo as repo

    real = repo.get_or_create_user
    got: list[User] = []

    def racing(session: Any, ref: ConversationRef, now: datetime) -> tuple[User, bool]:
        # the row appears between the message's query and its insert (another instance's first contact)
        session.connection().execute(
            insert(User).values(
                platform=ref.platform, workspace=ref.workspace, external_id=ref.user, created_at=now, last_seen_at=now
            )
        )
        user, created = real(session, ref, now)
        got.append(user)
        return user, created

    monkeypatch.setattr(repo, "get_or_create_user", racing)
    with db.session() as s:
        loaded = load_user(s, ConversationRef("slack", "T1", "dm", "U3"), NOW)
        assert not loaded.created and loaded.user is got[0] and loaded.state is None and loaded.interviews == []
