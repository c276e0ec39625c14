"""What differs by database engine, in one place: one :class:`Dialect` per engine, asked through the database.

``Database.dialect`` (bot/storage/db.py) is the dialect of its URL; code elsewhere asks it rather than
branching on the engine's name. A new engine is a new :class:`Dialect` here (plus its driver in
pyproject and, if its SQL needs it, a migration tweak).

- URL: the driver a plain URL uses; which URL schemes name the engine.
- engine: connect and timeout arguments, per-connection settings (SQLite's PRAGMAs), the pool.
- SQL: ``insert … on conflict``, claiming rows (``FOR UPDATE SKIP LOCKED``), a lock around migrations
  (PostgreSQL's advisory lock), batch ``ALTER`` in migrations, a consistent read-only snapshot,
  and what a copy must fix afterwards (PostgreSQL's sequences).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from sqlalchemy import Connection, Engine, Select, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from bot.storage.prepared import send_direct

if TYPE_CHECKING:
    from psycopg.abc import PQGen

    from bot.storage.db import Timeouts

CLIENT_GRACE_SECONDS = 1.0  # the server gets this long to report its own statement timeout first
_PROGRESS_OPS = 10_000  # SQLite checks its statement deadline every this many virtual-machine steps
_RV = TypeVar("_RV")
PING_IDLE_SECONDS = 1.0  # PostgreSQL: a pooled connection idle this long is pinged before use
_USED_AT = "secondround_used_at"  # connection info: when it was last given back to the pool
SNAPSHOT = "secondround_snapshot"  # execution option: a read-only SQLite transaction (plain BEGIN)
MIGRATION_LOCK = 7312026  # PostgreSQL: the advisory lock several starting instances take turns on


class Dialect:
    """What one database engine needs done its own way. Subclasses set the class attributes."""

    name: ClassVar[str]  # SQLAlchemy's backend name
    schemes: ClassVar[tuple[str, ...]]  # URL schemes (before ``+driver``) that name this engine
    embedded: ClassVar[bool]  # a file of this machine: migrated at start, one writer per process
    batch_alter: ClassVar[bool] = False  # migrations rewrite a table to alter it (Alembic's batch mode)
    missing_table_is_operational: ClassVar[bool] = False  # a missing table raises OperationalError

    def normalise_url(self, url: str) -> str:
        """The URL with the driver this engine uses."""
        return url

    def engine(self, url: str, timeouts: Timeouts, **kwargs: Any) -> Engine:
        """An engine bounded by ``timeouts`` (see bot/storage/db.py), with this engine's settings."""
        raise NotImplementedError

    def pool_args(self, workers: int) -> dict[str, int]:
        """Pool arguments for ``workers`` coach workers (none: SQLAlchemy's defaults)."""
        return {}

    def insert(self) -> Callable[..., Any]:
        """The engine's ``insert`` with ``on_conflict_do_nothing``."""
        raise NotImplementedError

    def claim(self, due: Select[Any]) -> Select[Any]:
        """A query of rows to claim, locked for this transaction where other claimers would see them."""
        return due

    def lock_migrations(self, conn: Connection) -> None:
        """Make instances that start together migrate one at a time (in ``conn``'s transaction)."""

    def snapshot(self, conn: Connection) -> None:
        """Set ``conn`` up for one consistent, read-only view that makes no writer wait."""
        raise NotImplementedError

    def after_copy(self, conn: Connection, tables: Iterable[Table]) -> None:
        """Fix what rows copied with their ids leave behind (``db copy``)."""


class SQLite(Dialect):
    """The embedded default: a file, WAL journal, one writer at a time."""

    name = "sqlite"
    schemes = ("sqlite",)
    embedded = True
    batch_alter = True
    missing_table_is_operational = True

    def engine(self, url: str, timeouts: Timeouts, **kwargs: Any) -> Engine:
        """WAL journal, a busy timeout, foreign keys on, ``BEGIN IMMEDIATE`` for every writing transaction."""
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
            # (on the connection's own cursor: the same listeners, errors and statement; bot/storage/prepared.py)
            send_direct(conn, "BEGIN" if conn.get_execution_options().get(SNAPSHOT) else "BEGIN IMMEDIATE")

        return engine

    def insert(self) -> Callable[..., Any]:
        """SQLite's ``insert`` (``INSERT … ON CONFLICT DO NOTHING``)."""
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert

    def snapshot(self, conn: Connection) -> None:
        """A deferred transaction (plain ``BEGIN``): in WAL mode readers and the writer do not block each other."""
        conn.execution_options(**{SNAPSHOT: True})


class PostgreSQL(Dialect):
    """A server: pooled connections, bounded round trips, row locks, an advisory lock for migrations."""

    name = "postgresql"
    schemes = ("postgresql", "postgres")
    embedded = False

    def normalise_url(self, url: str) -> str:
        """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    def engine(self, url: str, timeouts: Timeouts, **kwargs: Any) -> Engine:
        """A pooled connection idle for :data:`PING_IDLE_SECONDS` or more is pinged before use."""
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

    def pool_args(self, workers: int) -> dict[str, int]:
        """See :func:`pool_size_for`."""
        size, overflow = pool_size_for(workers)
        return {"pool_size": size, "max_overflow": overflow}

    def insert(self) -> Callable[..., Any]:
        """PostgreSQL's ``insert`` (``INSERT … ON CONFLICT DO NOTHING``)."""
        from sqlalchemy.dialects.postgresql import insert as postgres_insert  # (~3 MB, only when used)

        return postgres_insert

    def claim(self, due: Select[Any]) -> Select[Any]:
        """``FOR UPDATE SKIP LOCKED``: two instances never claim the same row."""
        return due.with_for_update(skip_locked=True)

    def lock_migrations(self, conn: Connection) -> None:
        """An advisory lock for the transaction."""
        # several instances may start together: one migrates, the others wait, then find it done
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")

    def snapshot(self, conn: Connection) -> None:
        """``REPEATABLE READ``."""
        conn.execution_options(isolation_level="REPEATABLE READ")

    def after_copy(self, conn: Connection, tables: Iterable[Table]) -> None:
        """Move each serial id's sequence past the highest copied id."""
        for table in tables:
            _advance_sequence(conn, table)


DIALECTS: tuple[Dialect, ...] = (SQLite(), PostgreSQL())


def dialect_named(name: str) -> Dialect:
    """The dialect of a backend or URL scheme name (``sqlite``, ``postgresql``, ``postgres``)."""
    for dialect in DIALECTS:
        if name == dialect.name or name in dialect.schemes:
            return dialect
    raise ValueError(f"unsupported database {name!r} (supported: {', '.join(d.name for d in DIALECTS)})")


def dialect_of(engine_or_url: Engine | str) -> Dialect:
    """The dialect of an engine or a URL."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return dialect_named(url.get_backend_name())


def pool_size_for(workers: int) -> tuple[int, int]:
    """PostgreSQL pool (size, overflow) for ``workers`` coach workers.

    Each worker holds one connection while it handles a message; the inbox writer and the reminder
    engine hold one each; threads answering without the inbox (Discord, the console; Python's default
    executor has ``min(32, CPUs + 4)`` of them) borrow from the overflow.
    """
    return workers + 2, min(32, (os.cpu_count() or 1) + 4)


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


def _advance_sequence(conn: Connection, table: Table) -> None:
    """Move a PostgreSQL serial id's sequence past the highest copied id (tables without one: nothing)."""
    if len(table.primary_key.columns) != 1:
        return
    column = next(iter(table.primary_key.columns)).name
    conn.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column}'), "
            f"COALESCE((SELECT MAX({column}) FROM {table.name}), 0) + 1, false) "
            f"WHERE pg_get_serial_sequence('{table.name}', '{column}') IS NOT NULL"
        )
    )
