"""Core statements compiled once for an engine's dialect and run through ``exec_driver_sql``.

SQLAlchemy's per-execution work (the compiled-cache key, parameter processing, the execution context,
and for ORM queries the loading machinery) costs more than the statement itself on SQLite. A statement
used on every message or event is compiled here once: its SQL text, parameter order and SQLAlchemy's
own bind and result processors (the JSON columns, the UTC datetime type) are kept, so the same values
are stored and read as through Core. The engine's events (the SQLite statement deadline, statement
counts in tests) and SQLAlchemy's error handling still apply.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect as SQLDialect
from sqlalchemy.exc import DBAPIError


class Prepared:
    """A Core statement compiled once for an engine's dialect, run on the driver's own cursor.

    The inbox's record and "done" writes run once or twice per event: SQLAlchemy's per-execution
    work (the compiled-cache key, parameter processing, the execution context) cost more than the
    statement itself on SQLite (about 30 µs of 150). Here the SQL text, the parameter order and
    SQLAlchemy's own bind processors (the JSON columns' serializer, the UTC datetime type) are
    taken from the compiled statement once, so the same values are stored as through Core
    (``tests/test_slack_perf_inbox.py`` compares them).
    """

    def __init__(self, statement: Any, dialect: SQLDialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.dialect = dialect
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        self.required = [name for name, bind in by_name.items() if bind.required]
        every = compiled.construct_params(dict.fromkeys(self.required))  # constants filled in
        processors = {name: by_name[name].type.dialect_impl(dialect).bind_processor(dialect) for name in every}
        self.processors = {name: processors[name] for name in self.required}
        self.constants = {
            name: (processors[name](value) if processors[name] is not None else value)
            for name, value in every.items()
            if name not in self.processors
        }
        self.order: list[str] | None = list(compiled.positiontup or ()) if compiled.positional else None
        columns = getattr(statement, "selected_columns", None)
        if columns is None and getattr(statement, "_returning", None):
            columns = statement._returning  # (INSERT/UPDATE … RETURNING)
        # SQLite (a file: no connection to lose) runs on the driver's cursor, see _send
        self.direct = dialect.name == "sqlite"
        self.results: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns or ()
        ]

    def parameters(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for ``values`` (by bind name), processed as SQLAlchemy would."""
        out = dict(self.constants)
        for name, process in self.processors.items():
            value = values[name]
            out[name] = process(value) if process is not None else value
        return tuple(out[name] for name in self.order) if self.order is not None else out

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]], *, returning: bool) -> list[Any]:
        """Execute for each of ``rows`` on ``conn``; the first column returned by each (``returning``).

        Through ``exec_driver_sql`` (on SQLite in a transaction: :func:`send_direct`): the engine's
        events (the SQLite statement deadline, statement counts in tests) and SQLAlchemy's errors still
        apply; only the per-execution compilation and parameter machinery is skipped.
        """
        direct = self.direct and conn.in_transaction()  # (SQLite: see send_direct)
        if not returning:
            params = [self.parameters(row) for row in rows]
            if direct:
                send_direct(conn, self.sql, params, many=True)
            else:
                conn.exec_driver_sql(self.sql, params)
            return []
        out: list[Any] = []
        for row in rows:
            got = self._send(conn, self.parameters(row), fetch=True)
            out.append(got[0][0] if got else None)
        return out

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> None:
        """Execute once with ``values`` (a statement that returns no rows)."""
        self._send(conn, self.parameters(values), fetch=False)

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Execute once with ``values`` and return every row, each value processed as SQLAlchemy's result would."""
        raw = self._send(conn, self.parameters(values), fetch=True)
        results = self.results
        if not any(p is not None for p in results):
            return [tuple(row) for row in raw]
        return [tuple(v if p is None or v is None else p(v) for p, v in zip(results, row, strict=True)) for row in raw]

    def _send(self, conn: Connection, params: Any, *, fetch: bool) -> list[Any]:
        """Send the statement once; its rows when ``fetch`` (on SQLite, in a transaction: :func:`send_direct`)."""
        if not self.direct or not conn.in_transaction():
            result = conn.exec_driver_sql(self.sql, params)
            return list(result.fetchall()) if fetch else []
        return send_direct(conn, self.sql, params, fetch=fetch)


def send_direct(conn: Connection, sql: str, params: Any = (), *, fetch: bool = False, many: bool = False) -> list[Any]:
    """Send one statement on a SQLite connection's own cursor; its rows when ``fetch``.

    ``many``: ``params`` is a list of parameter sets, sent with the driver's ``executemany``.

    What ``exec_driver_sql`` does that matters here, without its per-statement execution context
    (about 50 µs of a 60-80 µs statement): the engine's ``before_cursor_execute`` and
    ``after_cursor_execute`` listeners are called as SQLAlchemy calls them (the statement deadline
    starts; tests count the statement), and a driver error is raised as SQLAlchemy raises it
    (``OperationalError`` for a locked or interrupted database, ``IntegrityError``…). Only for SQLite:
    PostgreSQL's lost connections need SQLAlchemy's error handling (it invalidates them).
    """
    dialect = conn.dialect
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        dispatch = conn.dispatch
        dispatch.before_cursor_execute(conn, cursor, sql, params, None, many)
        try:
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
            rows = list(cursor.fetchall()) if fetch else []
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error) from exc
        dispatch.after_cursor_execute(conn, cursor, sql, params, None, many)
        return rows
    finally:
        cursor.close()


@functools.cache
def prepared(statement: Any, dialect: SQLDialect) -> Prepared:
    """The statement prepared for ``dialect`` (once per statement object and dialect)."""
    return Prepared(statement, dialect)
