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
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from psycopg.abc import PQGen

    from bot.common.settings import Settings

CLIENT_GRACE_SECONDS = 1.0  # the server gets this long to report its own statement timeout first
_PROGRESS_OPS = 10_000  # SQLite checks its statement deadline every this many virtual-machine steps
_RV = TypeVar("_RV")
PING_IDLE_SECONDS = 1.0  # PostgreSQL: a pooled connection idle this long is pinged before use
_USED_AT = "secondround_used_at"  # connection info: when it was last given back to the pool
_SNAPSHOT = "secondround_snapshot"  # execution option: a read-only SQLite transaction (plain BEGIN)


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
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """Whether the engine (or URL) is SQLite."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


@cache
def bounded_connection() -> type[Any]:
    """The class of PostgreSQL connections (psycopg is imported here: a SQLite bot never loads it, ~9 MB)."""
    import psycopg

    # what psycopg raises when a wait's timeout expires (private in psycopg 3.3, hence looked up)
    wait_timeout: type[BaseException] = getattr(psycopg.errors, "_WaitTimeout", psycopg.errors.OperationalError)

    class BoundedConnection(psycopg.Connection[Any]):
        """A psycopg connection whose every round trip to the server ends within ``round_trip_limit``.

        psycopg waits for the server without a limit; a server that accepted the connection and then
        went silent would hold the calling thread for good. Past the limit the connection is closed
        (its state is unknown) and :class:`psycopg.OperationalError` raised, which SQLAlchemy treats as
        a disconnect: the connection is discarded and the pool reconnects later.
        """

        round_trip_limit: float | None = None

        def wait(self, gen: PQGen[_RV], interval: float = 0.1, timeout: float | None = None) -> _RV:
            """Like psycopg's, with ``round_trip_limit`` as the timeout when none is given."""
            limit = self.round_trip_limit
            if limit is None or timeout is not None:
                return super().wait(gen, interval, timeout)
            try:
                return super().wait(gen, interval, limit)
            except wait_timeout:
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the database did not answer within {limit:g} s; the connection was closed"
                ) from None

    return BoundedConnection


def _is_bounded(dbapi: object) -> bool:
    """Whether a driver connection is a PostgreSQL one of :func:`bounded_connection` (without importing psycopg)."""
    return "psycopg" in sys.modules and isinstance(dbapi, bounded_connection())


class _SqliteDeadline:
    """The statement deadline of one SQLite connection, checked by its progress handler."""

    __slots__ = ("deadline", "limit")

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.deadline: float | None = None

    def start(self) -> None:
        self.deadline = None if self.limit is None else time.monotonic() + self.limit

    def expired(self) -> int:
        """The progress handler: non-zero interrupts the running statement."""
        return 1 if self.deadline is not None and time.monotonic() > self.deadline else 0


def make_engine(url: str, timeouts: Timeouts | None = None, **kwargs: Any) -> Engine:
    """Create an engine with the settings each backend needs in a long-lived, multi-threaded bot.

    SQLite: the file's folder is created, WAL journal, a busy timeout, foreign keys on, and
    ``BEGIN IMMEDIATE`` for every transaction so read-then-write sequences never deadlock.
    PostgreSQL: a pooled connection idle for :data:`PING_IDLE_SECONDS` or more is pinged before use, so a
    restarted server does not surface as errors.
    Both: bounded by ``timeouts`` (see the module's docstring).
    """
    timeouts = timeouts or Timeouts()
    url = normalise_url(url)
    u = make_url(url)
    kwargs.setdefault("pool_timeout", timeouts.pool)
    if u.get_backend_name() == "sqlite":
        return _sqlite_engine(url, timeouts, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, **kwargs)
    statement = timeouts.statement

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # A connection that was idle for a while may have lost its server (a restart, a failover):
        # one ``SELECT 1`` finds out, and the pool reconnects instead of the caller seeing an error.
        # One used within the last PING_IDLE_SECONDS was working a moment ago: no round trip per
        # checkout (three per message) for a check that has just been made.
        used = record.info.get(_USED_AT)
        if used is None or time.monotonic() - used < PING_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer") from exc

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_USED_AT] = time.monotonic()

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        cparams["connect_timeout"] = timeouts.connect
        if statement is not None:
            option = f"-c statement_timeout={max(1, round(statement * 1000))}"
            cparams["options"] = f"{cparams.get('options', '')} {option}".strip()
        conn = bounded_connection().connect(*cargs, **cparams)
        conn.round_trip_limit = None if statement is None else statement + CLIENT_GRACE_SECONDS
        return conn

    return engine


def _sqlite_engine(url: str, timeouts: Timeouts, **kwargs: Any) -> Engine:
    u = make_url(url)
    if u.database and u.database != ":memory:":
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # a writer waits this long for the lock; with no statement limit, the platform's advice (5 s)
    busy_ms = max(1, round((timeouts.statement if timeouts.statement is not None else 5.0) * 1000))
    engine = create_engine(url, connect_args={"timeout": busy_ms / 1000, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        deadline = _SqliteDeadline(timeouts.statement)
        record.info["deadline"] = deadline
        dbapi_conn.set_progress_handler(deadline.expired, _PROGRESS_OPS)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Connection, *_args: Any) -> None:
        deadline = conn.connection.info.get("deadline")
        if isinstance(deadline, _SqliteDeadline):
            deadline.start()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # a snapshot read (see Database.snapshot) takes no write lock: in WAL mode it blocks no writer
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_SNAPSHOT) else "BEGIN IMMEDIATE")

    return engine


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


def pool_size_for(workers: int) -> tuple[int, int]:
    """PostgreSQL pool (size, overflow) for ``workers`` coach workers.

    Each worker holds one connection while it handles a message; the inbox writer and the reminder
    engine hold one each; threads answering without the inbox (Discord, the console; Python's default
    executor has ``min(32, CPUs + 4)`` of them) borrow from the overflow.
    """
    return workers + 2, min(32, (os.cpu_count() or 1) + 4)


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
        if not is_sqlite(self.url):
            size, overflow = pool_size_for(workers)
            engine_kwargs.setdefault("pool_size", size)
            engine_kwargs.setdefault("max_overflow", overflow)
        self.engine = make_engine(self.url, self.timeouts, **engine_kwargs)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = _writer_lock(self.url) if self.is_sqlite else None
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
        """Whether this is the embedded SQLite database."""
        return is_sqlite(self.engine)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits when the block ends and rolls back on error.

        No free pooled connection within the pool timeout raises OperationalError, like a database
        that cannot be reached (it is one, for this caller); so does, on SQLite, waiting longer than
        the statement timeout for this process's writer lock.
        """
        writer = self._writer
        if writer is not None and not writer.acquire(timeout=self._writer_wait):
            raise OperationalError("(waiting for the database's writer)", None, TimeoutError("database is locked"))
        try:
            with self._factory() as session, session.begin():
                yield session
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
            if self.is_sqlite:
                conn.execution_options(**{_SNAPSHOT: True})
            else:
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
