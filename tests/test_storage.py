"""Storage behaves the same on the embedded SQLite default and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select

from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.models import Interview, Note, User
from bot.storage.repo import UserData, get_or_create_user, remember_event
from bot.types import ConversationRef
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
    from bot.app import App, check_schema
    from bot.settings import ConfigError
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
