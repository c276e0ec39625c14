"""PostgreSQL's pool: a connection idle for a while is checked before use; a busy one is not pinged every time."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.storage import dialects
from bot.storage.db import Database


@pytest.fixture
def database(postgres_url: str):  # type: ignore[no-untyped-def]
    database = Database(postgres_url, workers=1)
    yield database
    database.dispose()


def _age_pooled_connections(database: Database, seconds: float) -> None:
    """Make every pooled connection look last used ``seconds`` earlier (no waiting in the test)."""
    for record in list(database.engine.pool._pool.queue):  # type: ignore[attr-defined]
        record.info[dialects._USED_AT] -= seconds


def _kill_pooled(database: Database, postgres_url: str) -> int:
    with database.session() as session:
        pid = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # the server drops the pooled connection
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    return pid


def test_a_connection_used_a_moment_ago_is_not_pinged_again(database: Database, postgres_url: str) -> None:
    """No round trip before each use of a connection that just worked (the trade: a server lost in that
    moment surfaces once, as it would for a statement already under way, and the next use reconnects)."""
    pid = _kill_pooled(database, postgres_url)
    with pytest.raises(OperationalError), database.session() as session:
        session.execute(text("SELECT 1"))
    with database.session() as session:
        assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_a_connection_whose_server_went_away_while_idle_is_replaced(database: Database, postgres_url: str) -> None:
    pid = _kill_pooled(database, postgres_url)
    _age_pooled_connections(database, dialects.PING_IDLE_SECONDS + 1)
    with database.session() as session:  # no error: the ping found it dead and the pool reconnected
        assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
