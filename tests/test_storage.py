"""Storage behaves the same on the embedded SQLite default and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, inspect, select
from sqlalchemy.exc import OperationalError

from bot.common import markup
from bot.common.types import ConversationRef
from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.models import Interview, Note, User
from bot.storage.repo import UserData, get_or_create_user, remember_event
from tests.conftest import BotHarness

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_migrations_create_every_table(any_bot: BotHarness) -> None:
    db = any_bot.app.db
    assert migrate.current_revision(db) == migrate.head_revision(db)
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "interviews", "notes", "conversation_state", "reminders", "processed_events"} <= tables
    migrate.upgrade(db)  # idempotent
    assert migrate.current_revision(db) == migrate.head_revision(db)


def test_a_conversation_round_trips_through_storage(any_bot: BotHarness) -> None:
    me = any_bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen, over dinner")
    me.say("note: they asked a lot about SQL")
    with any_bot.app.db.session() as s:
        interview = s.scalars(select(Interview)).one()
        assert interview.company == "Acme"
        assert interview.starts_at == datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # 3pm New York = 20:00 UTC
        assert interview.local_start == datetime(2026, 3, 6, 15, 0)
        assert interview.interviewers == ["Sarah Chen"]
        assert interview.setting == "informal"
        assert s.scalars(select(Note)).one().interview_id == interview.id


def test_queries_are_scoped_to_one_user(any_bot: BotHarness) -> None:
    with any_bot.app.db.session() as s:
        alice, _ = get_or_create_user(s, ConversationRef("test", "", "c", "alice"), NOW)
        bob, _ = get_or_create_user(s, ConversationRef("test", "", "c", "bob"), NOW)
        a, b = UserData(s, alice), UserData(s, bob)
        acme = a.add_interview(NOW, company="Acme", tz="UTC", interviewers=[], has_time=False, status="scheduled")
        a.add_note("alice's note", NOW, acme)
        assert b.interview(acme.id) is None
        assert b.interviews() == [] and b.notes() == [] and b.find_by_company("Acme") == []
        assert [n.text for n in a.notes()] == ["alice's note"]
        b.forget()
        assert a.interview(acme.id) is not None


def test_user_creation_is_idempotent(any_bot: BotHarness) -> None:
    ref = ConversationRef("test", "T1", "c", "carol")
    with any_bot.app.db.session() as s:
        first, created = get_or_create_user(s, ref, NOW)
        assert created
    with any_bot.app.db.session() as s:
        again, created = get_or_create_user(s, ref, NOW)
        assert not created and again.id == first.id
        assert s.scalar(select(func.count()).select_from(User)) == 1


def test_event_ids_are_remembered_once(any_bot: BotHarness) -> None:
    with any_bot.app.db.session() as s:
        assert remember_event(s, "slack", "Ev1", NOW)
        assert not remember_event(s, "slack", "Ev1", NOW)
        assert remember_event(s, "discord", "Ev1", NOW)


def test_postgres_schema_needs_upgrade_before_running(postgres_url: str, tmp_path) -> None:
    from bot.common.settings import ConfigError
    from bot.ops.app import App
    from bot.storage.migrate import check_schema
    from tests.conftest import make_settings

    db = Database(postgres_url)
    with pytest.raises(ConfigError, match="secondround db upgrade"):
        check_schema(db)
    migrate.upgrade(db)
    check_schema(db)
    db.dispose()
    app = App.build(make_settings(tmp_path, database_url=postgres_url))  # at head: starts
    app.close()


def test_sqlite_uses_wal_and_a_busy_timeout(bot: BotHarness) -> None:
    with bot.app.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# timeouts: a database that is slow, locked or out of connections ------------------------------------

RUNAWAY = {
    # a statement that never ends on its own
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(3600)",
}


def test_a_runaway_statement_is_stopped_at_the_statement_timeout(any_db_settings) -> None:
    from bot.storage.db import Timeouts

    db = Database(any_db_settings.effective_database_url, Timeouts(statement=0.5))
    try:
        with pytest.raises(OperationalError), db.engine.connect() as conn:
            conn.exec_driver_sql(RUNAWAY[db.engine.url.get_backend_name()]).scalar()
        with db.engine.connect() as conn:  # and the database is usable again at once
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        db.dispose()


def test_migrations_are_not_cut_short_by_the_statement_timeout(any_db_settings) -> None:
    """``unbounded_statements`` (what migrations run under) lifts the limit, and only inside it."""
    from bot.storage.db import Timeouts, unbounded_statements

    db = Database(any_db_settings.effective_database_url, Timeouts(statement=0.2))
    # longer than the limit for sure: half a second's sleep, then (SQLite) plenty of steps to check it
    slow = {
        "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) "
        "SELECT count(*) FROM c WHERE x > 1 OR sleep_ms(500)",
        "postgresql": "SELECT pg_sleep(0.5)",
    }
    statement = slow[db.engine.url.get_backend_name()]

    @event.listens_for(db.engine, "connect")
    def _sleep_function(dbapi_conn, _record) -> None:
        if db.is_sqlite:
            dbapi_conn.create_function("sleep_ms", 1, lambda ms: time.sleep(ms / 1000) or 0)

    try:
        with db.engine.begin() as conn:
            with unbounded_statements(conn):
                conn.exec_driver_sql(statement).scalar()
            with pytest.raises(OperationalError):
                conn.exec_driver_sql(statement).scalar()
    finally:
        db.dispose()


def test_settings_reach_the_connections(tmp_path) -> None:
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, database_statement_timeout_seconds=7.5, database_pool_timeout_seconds=1.5)
    db = Database.from_settings(settings)
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7500  # how long a writer waits
        assert db.engine.pool.timeout() == 1.5
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgres_sessions_carry_the_statement_timeout(postgres_url: str, tmp_path) -> None:
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, database_url=postgres_url, database_statement_timeout_seconds=4)
    db = Database.from_settings(settings)
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "4s"
    finally:
        db.dispose()


def test_a_locked_database_gets_the_storage_down_answer_and_coaching_still_works(tmp_path, nlu, knowledge) -> None:
    """Another process holds the SQLite write lock (a backup, a stuck tool): the lock wait is bounded."""
    from bot.common.clock import FakeClock
    from bot.ops.app import App
    from tests.conftest import START, BotHarness, Recorder, make_settings

    settings = make_settings(tmp_path, database_statement_timeout_seconds=0.5)
    app = App.build(settings, clock=FakeClock(START), nlu=nlu, knowledge=knowledge)
    harness = BotHarness(app, FakeClock(START), Recorder())
    me = harness.chat()
    question = "how do I negotiate salary in the second interview?"
    expected = harness.chat("someone-new").say(question).text  # with the database up
    me.say("I have a second interview with Acme on Friday at 3pm")
    holder = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        assert me.say("what's coming up?").text == markup.to_plain(knowledge.response("storage_down"))
        assert me.say(question).text == expected
        holder.execute("ROLLBACK")
        assert "Acme" in me.say("what's coming up?").text
    finally:
        holder.close()
        app.close()


def test_no_free_connection_in_time_gets_the_storage_down_answer(tmp_path, nlu, knowledge) -> None:
    """Every pooled connection busy past the pool timeout: "can't reach my notebook", not a crash."""
    from bot.common.clock import FakeClock
    from bot.ops.app import App
    from tests.conftest import START, BotHarness, Recorder, make_settings

    app = App.build(
        make_settings(tmp_path, database_pool_timeout_seconds=0.2), clock=FakeClock(START), nlu=nlu, knowledge=knowledge
    )
    harness = BotHarness(app, FakeClock(START), Recorder())
    me = harness.chat()
    question = "how do I negotiate salary in the second interview?"
    expected = harness.chat("someone-new").say(question).text  # with a free connection
    pool = app.db.engine.pool
    held = [app.db.engine.connect() for _ in range(pool.size() + pool._max_overflow)]  # type: ignore[attr-defined]
    try:
        assert me.say("what's coming up?").text == markup.to_plain(knowledge.response("storage_down"))
        assert me.say(question).text == expected
    finally:
        for conn in held:
            conn.close()
    assert "no upcoming interviews" in me.say("what's coming up?").text
    app.close()


def test_installed_workspaces_keep_their_rows_when_the_table_is_renamed(any_db_settings) -> None:
    """Migration 0007 moves ``slack_installations`` to ``installations``: rows kept, new ids still free."""
    from bot.storage import installations

    db = Database(any_db_settings.effective_database_url)
    try:
        migrate.upgrade(db, "0006")
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO slack_installations (id, enterprise_id, team_id, data, installed_at) "
                "VALUES (7, '', 'T1', 'sealed-1', '2026-03-02 15:00:00')"
            )
        migrate.upgrade(db)
        assert "slack_installations" not in inspect(db.engine).get_table_names()
        with db.session() as s:
            installations.save(s, "", "T2", "sealed-2", NOW)  # a new id after the copied one
        with db.session() as s:
            assert [(r.id, r.team_id, r.data) for r in installations.all_rows(s)] == [
                (7, "T1", "sealed-1"),
                (8, "T2", "sealed-2"),
            ]
    finally:
        db.dispose()


def test_interviews_on_file_keep_their_rows_when_the_setting_words_arrive(any_db_settings) -> None:
    """Migration 0008 adds ``interviews.setting_words``: older interviews keep their setting and get none."""
    from alembic import command

    db = Database(any_db_settings.effective_database_url)
    try:
        migrate.upgrade(db, "0007")
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO users (id, platform, workspace, external_id, created_at, last_seen_at) "
                "VALUES (1, 'test', '', 'u1', '2026-03-02 15:00:00', '2026-03-02 15:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO interviews (id, user_id, company, has_time, tz, interviewers, setting, status, "
                "created_at, updated_at) VALUES (1, 1, 'Acme', false, 'UTC', '[]', 'informal', 'scheduled', "
                "'2026-03-02 15:00:00', '2026-03-02 15:00:00')"
            )
        migrate.upgrade(db)
        with db.session() as s:
            interview = s.get(Interview, 1)
            assert interview is not None and interview.setting == "informal" and interview.setting_words is None
            interview.setting_words = "dinner"
            s.commit()
        command.downgrade(migrate.alembic_config(db), "0007")
        assert "setting_words" not in {c["name"] for c in inspect(db.engine).get_columns("interviews")}
    finally:
        db.dispose()
