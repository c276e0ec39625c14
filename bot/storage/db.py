"""Engines and sessions for the embedded SQLite default and for PostgreSQL.

Every engine is bounded in time (:class:`Timeouts`), so a database that stops answering costs a
message a few seconds and the "storage is down" answer, never a stalled worker:

- **connect**: PostgreSQL's ``connect_timeout`` (the whole handshake: a server that accepts the TCP
  connection and never answers counts too). SQLite opens a local file and needs none.
- **statement**: PostgreSQL's ``statement_timeout`` (the server cancels a slow statement itself), plus
  a client-side limit a second longer on every round trip, for a server that does not answer at all
  (the connection is then closed and thrown away). SQLite: how long a statement waits for the
  database lock (``busy_timeout``), and a running statement is interrupted past it.
- **pool**: how long a session waits for a free pooled connection.

Each failure surfaces as :class:`sqlalchemy.exc.OperationalError`, which the coach answers with
"I can't reach my notebook" (coaching that needs no storage still answers).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.dialects import Dialect, _is_bounded, _SqliteDeadline, dialect_named, dialect_of

if TYPE_CHECKING:
    from bot.common.settings import Settings


@dataclass(frozen=True)
class Timeouts:
    """How long the database may take before the caller is told it is down (seconds).

    ``statement=None`` lifts the statement limit (migrations and copies run by an operator).
    """

    connect: int = 3
    statement: float | None = 5.0
    pool: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Timeouts:
        """The ``SECONDROUND_DATABASE_*_TIMEOUT_SECONDS`` settings."""
        return cls(
            connect=settings.database_connect_timeout_seconds,
            statement=settings.database_statement_timeout_seconds,
            pool=settings.database_pool_timeout_seconds,
        )

    def unbounded(self) -> Timeouts:
        """The same, without a statement limit (connecting and waiting for the pool stay bounded)."""
        return replace(self, statement=None)


def normalise_url(url: str) -> str:
    """The URL with the driver its engine uses (``postgresql://`` → psycopg 3); other URLs unchanged."""
    try:
        dialect = dialect_named(url.partition(":")[0].partition("+")[0])
    except ValueError:
        return url
    return dialect.normalise_url(url)


def make_engine(url: str, timeouts: Timeouts | None = None, **kwargs: Any) -> Engine:
    """Create an engine with the settings its database needs in a long-lived, multi-threaded bot.

    Each :class:`~bot.storage.dialects.Dialect` brings its own (SQLite: the file's folder, WAL, a busy
    timeout, foreign keys, ``BEGIN IMMEDIATE``; PostgreSQL: pings after idling, bounded round trips).
    Both: bounded by ``timeouts`` (see the module's docstring).
    """
    timeouts = timeouts or Timeouts()
    url = normalise_url(url)
    kwargs.setdefault("pool_timeout", timeouts.pool)
    return dialect_of(url).engine(url, timeouts, **kwargs)


@contextlib.contextmanager
def unbounded_statements(conn: Connection) -> Iterator[None]:
    """Within the block, statements on ``conn`` may run as long as they need (migrations).

    Connecting and the database lock wait stay bounded. The limit is back when the block ends (on
    PostgreSQL the lifted limit is local to the transaction, so a failed block rolls it back too).
    """
    dbapi: Any = conn.connection.dbapi_connection
    deadline = conn.connection.info.get("deadline")
    if _is_bounded(dbapi):
        before = dbapi.round_trip_limit
        server_limit = conn.exec_driver_sql("SHOW statement_timeout").scalar()  # (this begins a transaction)
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
        dbapi.round_trip_limit = None
        try:
            yield
            conn.exec_driver_sql("SELECT set_config('statement_timeout', %(limit)s, true)", {"limit": server_limit})
        finally:
            dbapi.round_trip_limit = before
    elif isinstance(deadline, _SqliteDeadline):
        before_limit = deadline.limit
        deadline.limit, deadline.deadline = None, None
        try:
            yield
        finally:
            deadline.limit = before_limit
    else:
        yield


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


def _writer_lock(url: str) -> threading.Lock:
    """The one lock of a SQLite file in this process (shared by every Database on that file)."""
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(url, threading.Lock())


class Database:
    """An engine plus a session factory. One per process; pass it to whatever needs storage.

    On SQLite, transactions of one process take turns on a lock of their own before ``BEGIN
    IMMEDIATE``: a waiting thread is woken the moment the writer commits, instead of polling in
    SQLite's busy handler (which sleeps in growing steps). The wait is bounded like the busy handler
    (the statement timeout). Other processes on the same file still meet the busy handler.
    """

    def __init__(self, url: str, timeouts: Timeouts | None = None, *, workers: int = 4, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.timeouts = timeouts or Timeouts()
        self.dialect: Dialect = dialect_of(self.url)
        for name, value in self.dialect.pool_args(workers).items():
            engine_kwargs.setdefault(name, value)
        self.engine = make_engine(self.url, self.timeouts, **engine_kwargs)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = _writer_lock(self.url) if self.dialect.embedded else None
        statement = self.timeouts.statement
        self._writer_wait = statement if statement is not None else 5.0

    @classmethod
    def from_settings(cls, settings: Settings, *, statement_limit: bool = True) -> Database:
        """The configured database with the configured timeouts.

        ``statement_limit=False`` for an operator's long-running commands (``db upgrade``, ``db copy``,
        ``db purge``): only connecting and waiting for a pooled connection are bounded then.
        """
        timeouts = Timeouts.from_settings(settings)
        return cls(
            settings.effective_database_url,
            timeouts if statement_limit else timeouts.unbounded(),
            workers=settings.inbox_workers,
        )

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite database (for callers not yet asking :attr:`dialect`)."""
        return self.dialect.embedded

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits when the block ends and rolls back on error.

        No free pooled connection within the pool timeout raises OperationalError, like a database
        that cannot be reached (it is one, for this caller); so does, on SQLite, waiting longer than
        the statement timeout for this process's writer lock.
        """
        with self._writing(), self._factory() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A writing transaction on a plain Core connection: commits when the block ends, rolls back on error.

        The same guarantees as :meth:`session` (this process's SQLite writer lock taken first, the
        same bounded wait, ``BEGIN IMMEDIATE`` through the engine's ``begin`` event, the statement
        deadline, the same commit), without an ORM session around it: for writes of prebuilt
        statements that load no objects (the inbox's record and "done" before an acknowledgement),
        where the session's own bookkeeping cost more than SQLite's work on SQLite.
        """
        with self._writing(), self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the process's SQLite writer lock (bounded wait); a pool timeout is reported as OperationalError."""
        writer = self._writer
        if writer is not None and not writer.acquire(timeout=self._writer_wait):
            raise OperationalError("(waiting for the database's writer)", None, TimeoutError("database is locked"))
        try:
            yield
        except PoolTimeoutError as exc:
            raise OperationalError("(waiting for a database connection)", None, exc) from exc
        finally:
            if writer is not None:
                writer.release()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A transaction for reading only, that sees one consistent state and makes no writer wait.

        SQLite: a deferred transaction (in WAL mode readers and the writer do not block each other);
        PostgreSQL: ``REPEATABLE READ``. For copies and backups while the bot keeps running.
        """
        with self.engine.connect() as conn:
            self.dialect.snapshot(conn)
            with conn.begin():
                yield conn

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
