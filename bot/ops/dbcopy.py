"""``secondround db copy --to URL``: copy every row into another (empty) database.

For moving from the embedded SQLite file to PostgreSQL (or between servers), and for a consistent
copy (a backup) of a SQLite database while the bot keeps running and writing: the source is read as
one snapshot that makes no writer wait. The target is migrated to the newest
schema first and must hold no data; the rows go over table by table in foreign-key order, keeping
their ids, in one transaction on each side (so the copy is all or nothing, and the source is read
as one snapshot); PostgreSQL id sequences are then moved past the copied ids so new rows do not
collide. Finally the row counts of both sides are compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.migrate import check_schema
from bot.storage.models import Base

BATCH = 1000


class CopyError(Exception):
    """The copy cannot be made (the message says why); nothing was written."""


@dataclass(frozen=True)
class Copied:
    """Rows copied, by table, in the order they were copied."""

    tables: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """All rows copied."""
        return sum(n for _, n in self.tables)


def copy_database(source: Database, target: Database, *, progress: Callable[[str, int], None] | None = None) -> Copied:
    """Copy every row of ``source`` into ``target`` (migrated here, and required to be empty).

    Raises :class:`CopyError` when the target already holds data, when both are the same
    database, or when the counts differ afterwards (the target transaction is then rolled back).
    """
    if source.engine.url == target.engine.url:
        raise CopyError("the source and the target are the same database")
    if source.dialect.embedded:
        migrate.upgrade(source)  # as the bot itself does at start
    check_schema(source)
    migrate.upgrade(target)
    tables = list(Base.metadata.sorted_tables)
    with target.engine.begin() as dst:
        for table in tables:
            if dst.scalar(select(func.count()).select_from(table)):
                raise CopyError(f"the target already holds data (table {table.name}): copy only into an empty database")
        counts: list[tuple[str, int]] = []
        with source.snapshot() as src:  # one consistent state; the bot's writes go on meanwhile
            for table in tables:
                copied = 0
                result = src.execution_options(yield_per=BATCH).execute(select(table).order_by(*table.primary_key))
                for rows in result.mappings().partitions(BATCH):
                    dst.execute(table.insert(), [dict(r) for r in rows])
                    copied += len(rows)
                counts.append((table.name, copied))
                if progress is not None:
                    progress(table.name, copied)
            for table in tables:
                there = dst.scalar(select(func.count()).select_from(table))
                here = src.scalar(select(func.count()).select_from(table))
                if there != here:
                    raise CopyError(f"table {table.name}: {here} rows in the source but {there} copied")
        target.dialect.after_copy(dst, tables)  # PostgreSQL: move the id sequences past the copied ids
    return Copied(tuple(counts))
