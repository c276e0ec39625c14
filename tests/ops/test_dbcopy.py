"""Moving from the embedded SQLite file to PostgreSQL: ``secondround db copy --to URL``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.common.clock import FakeClock
from bot.ops.app import App
from bot.ops.dbcopy import CopyError, copy_database
from bot.storage.db import Database
from bot.storage.models import Base
from tests.conftest import START, BotHarness, make_settings
from tests.test_cli import run


def _dump(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with db.engine.connect() as conn:
        return {
            t.name: [tuple(row) for row in conn.execute(select(t).order_by(*t.primary_key))]
            for t in Base.metadata.sorted_tables
        }


async def _some_history(bot: BotHarness) -> None:
    alice, bob = bot.chat("alice"), bot.chat("bob", tz="Europe/Berlin")
    alice.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen, over dinner")
    alice.say("note: they asked a lot about SQL")
    bob.say("I have a second interview with Initech on Thursday at 10am")
    bob.say("what should I ask them?")  # leaves conversation context behind
    bot.app.events.first_time("slack", "Ev123")
    bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    assert await bot.deliver_due()  # some reminders sent, others still pending


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'copy' / 'target.db'}"
    return request.getfixturevalue("postgres_url")


async def test_every_row_arrives_and_the_bot_carries_on_there(bot: BotHarness, target_url, tmp_path, nlu, knowledge):
    await _some_history(bot)
    target = Database(target_url)
    try:
        done = copy_database(bot.app.db, target)
        assert dict(done.tables)["interviews"] == 2 and dict(done.tables)["reminders"] >= 4
        assert _dump(target) == _dump(bot.app.db)
    finally:
        target.dispose()

    # the bot started on the new database knows everyone, and new rows get fresh ids
    settings = make_settings(tmp_path / "moved", database_url=target_url)
    app = App.build(settings, clock=FakeClock(bot.clock.now()), nlu=nlu, knowledge=knowledge, migrate_db=False)
    try:
        moved = BotHarness(app, app.clock, bot.recorder)  # type: ignore[arg-type]
        assert "Acme" in moved.chat("alice").say("what's coming up?").text
        assert "they asked a lot about SQL" in moved.chat("alice").say("show my notes").text
        carol = moved.chat("carol")
        assert "Globex" in carol.say("I have a second interview with Globex on Monday at 9am").text
        assert "Globex" in carol.say("what's coming up?").text
        assert not app.events.first_time("slack", "Ev123")  # a retried event is still recognised
    finally:
        app.close()


async def test_a_target_with_data_is_refused_and_left_alone(bot: BotHarness, tmp_path) -> None:
    await _some_history(bot)
    url = f"sqlite:///{tmp_path / 'target.db'}"
    target = Database(url)
    try:
        copy_database(bot.app.db, target)
        before = _dump(target)
        with pytest.raises(CopyError, match="already holds data"):
            copy_database(bot.app.db, target)
        assert _dump(target) == before
        with pytest.raises(CopyError, match="same database"):
            copy_database(bot.app.db, Database(bot.app.settings.effective_database_url))
    finally:
        target.dispose()


@pytest.mark.slow
def test_the_command_from_sqlite_to_another_database(env: dict[str, str], target_url: str) -> None:
    """What docs/deploy.md tells an operator to type."""
    then = {**env, "SECONDROUND_NOW": START.isoformat()}
    p = run(
        ["chat", "--jsonl", "--user", "ann", "--tz", "UTC"],
        then,
        "I have a second interview with Acme on Friday at 3pm\n",
    )
    assert p.returncode == 0, p.stderr
    target = target_url
    p = run(["db", "copy", "--to", target], then)
    assert p.returncode == 0, p.stderr
    assert "users: 1 rows" in p.stdout and "interviews: 1 rows" in p.stdout
    assert "the row counts match" in p.stdout
    p = run(["db", "copy", "--to", target], then)
    assert p.returncode == 2 and "already holds data" in p.stderr
    moved = {**then, "SECONDROUND_DATABASE_URL": target}
    p = run(["chat", "--jsonl", "--user", "ann"], moved, "what's coming up?\n")
    assert p.returncode == 0 and "Acme" in p.stdout
    assert run(["db", "copy"], then).returncode == 2


async def test_a_backup_copy_makes_no_student_wait_and_holds_one_moment(bot: BotHarness, tmp_path) -> None:
    """``db copy`` of the running bot's SQLite file: students keep writing while it reads."""
    import threading

    await _some_history(bot)
    before = _dump(bot.app.db)
    target = Database(f"sqlite:///{tmp_path / 'backup.db'}")
    halfway, go_on = threading.Event(), threading.Event()

    def pause_after_users(table: str, _rows: int) -> None:
        if table == "users":
            halfway.set()
            go_on.wait(60)

    copying = threading.Thread(target=copy_database, args=(bot.app.db, target), kwargs={"progress": pause_after_users})
    copying.start()
    try:
        assert halfway.wait(60)
        # mid-copy (the source's read transaction is open): a new student and a new note are stored
        assert "Globex" in bot.chat("carol").say("I have a second interview with Globex on Monday at 9am").text
        assert "noted" in bot.chat("alice").say("note: bring the portfolio").text.lower()
    finally:
        go_on.set()
        copying.join(60)
    try:
        assert _dump(target) == before  # the copy is the moment it started, whole
        assert len(_dump(bot.app.db)["users"]) == len(before["users"]) + 1
    finally:
        target.dispose()
