"""The planner's prebuilt queries are the queries it used to build per message: same SQL, same rows."""

from __future__ import annotations

import re

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.reminders.planner import OPEN, _insert_reminders, _open_count, _pending_query
from bot.storage.models import Reminder


def _sql(statement: object, dialect: object) -> str:
    return str(statement.compile(dialect=dialect))  # type: ignore[attr-defined]


def test_prebuilt_queries_send_the_same_sql() -> None:
    pending = select(Reminder).where(Reminder.interview_id == 7, Reminder.user_id == 3, Reminder.status == "pending")
    count = select(func.count()).select_from(Reminder).where(Reminder.user_id == 3, Reminder.status.in_(OPEN))
    for dialect in (sqlite.dialect(), postgresql.dialect()):  # type: ignore[no-untyped-call]
        for built, prebuilt in ((pending.order_by(Reminder.id), _pending_query()), (count, _open_count())):
            # only the bound parameters' names may differ (SQLite's "?" placeholders don't show them)
            assert _unnamed(_sql(built, dialect)) == _unnamed(_sql(prebuilt, dialect))


def _unnamed(sql: str) -> str:
    return re.sub(r"%\(\w+\)s|__\[POSTCOMPILE_\w+\]", "<param>", sql)


def test_planned_reminders_are_inserted_with_the_same_sql_as_through_the_orm() -> None:
    row = dict.fromkeys(("user_id", "interview_id", "kind", "due_at", "planned_at", "status", "attempts"), None)
    for dialect in (sqlite.dialect(), postgresql.dialect()):  # type: ignore[no-untyped-call]
        orm = insert(Reminder).values(row).compile(dialect=dialect)
        core = _insert_reminders().values(row).compile(dialect=dialect)
        assert str(orm) == str(core)
