"""Apply and inspect Alembic migrations from inside the program (``secondround db …``).

Alembic (about 11 MB once imported) is loaded only when there is something to do or to report: a
start on a database already at the newest revision reads the revision with one ``SELECT`` and
compares it with the one the packaged migration files declare.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.common.settings import ConfigError
from bot.storage.db import Database, unbounded_statements

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision(?:\s*:[^=\n]+)?\s*=\s*[\"']([^\"']+)[\"']\s*$", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=\n]+)?\s*=\s*(?:None|[\"']([^\"']+)[\"'])\s*$", re.M)


def alembic_config(db: Database) -> Config:
    """An Alembic config pointing at the packaged migrations and at ``db``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (the newest by default). Safe to run when already there.

    Its statements may run as long as they need (a migration rewriting a big table); connecting
    stays bounded by the database's timeouts.
    """
    if revision == "head" and at_head(db):
        return
    from alembic import command

    cfg = alembic_config(db)
    with db.engine.begin() as conn, unbounded_statements(conn):
        db.dialect.lock_migrations(conn)  # instances that start together migrate one at a time
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    """The newest revision this program knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def declared_head() -> str | None:
    """The newest revision, read from the migration files without Alembic (None unless one plain chain)."""
    revisions: list[str] = []
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        rev, down = _REVISION.findall(text), _DOWN.findall(text)
        if len(rev) != 1 or len(down) != 1:
            return None  # a merge point or an unusual file: Alembic decides
        revisions.append(rev[0])
        if down[0]:
            parents.add(down[0])
    heads = [r for r in revisions if r not in parents]
    return heads[0] if len(heads) == 1 else None


def at_head(db: Database) -> bool:
    """Whether the database is surely at the newest revision (one ``SELECT``; False when unsure)."""
    head = declared_head()
    if head is None:
        return False
    try:
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except ProgrammingError:  # PostgreSQL: no table yet, an empty database
        return False
    except OperationalError:  # SQLite says so for a missing table; a server that is down is reported as before
        if db.dialect.missing_table_is_operational:
            return False
        raise
    return list(rows) == [head]


def check_schema(db: Database) -> None:
    """Raise ConfigError unless the database is at the newest migration."""
    if at_head(db):  # (without loading Alembic)
        return
    current, head = current_revision(db), head_revision(db)
    if current != head:
        raise ConfigError(
            f"SECONDROUND_DATABASE_URL: the database is at migration {current or 'none'}, this version needs "
            f"{head}. Run `secondround db upgrade` first."
        )
