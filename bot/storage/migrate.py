"""Apply and inspect Alembic migrations from inside the program (``secondround db …``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.storage.db import Database, unbounded_statements

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(db: Database) -> Config:
    """An Alembic config pointing at the packaged migrations and at ``db``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (the newest by default). Safe to run when already there.

    Its statements may run as long as they need (a migration rewriting a big table); connecting
    stays bounded by the database's timeouts.
    """
    cfg = alembic_config(db)
    with db.engine.begin() as conn, unbounded_statements(conn):
        if not db.is_sqlite:
            # several instances may start together: one migrates, the others wait, then find it done
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7312026)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    """The newest revision this program knows."""
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()
