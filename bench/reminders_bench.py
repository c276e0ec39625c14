"""The reminder engine with 100,000 pending reminders: start-up time, memory, and fire lag.

Usage: python -m bench.reminders_bench [--pending 100000] [--due 1000] [--db sqlite|postgresql|both]

Seeds the pending reminders (spread over the next 30 days) plus a batch that falls due together
seconds after the engine starts (the engine learns of it at start-up or at its next sweep, and
sets its wake-up for the exact due time); starts a real ReminderEngine (its own APScheduler, the real
clock) with a deliverer that only records; reports how long the engine took to start (App build +
scheduler start), the process's resident memory before and after, and the lag between due time and
delivery for the batch: median and p99. Each database is measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.reminder_instances import seed_users
from bot.app import App
from bot.delivery_engine import ReminderEngine
from bot.settings import load_settings
from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.models import Reminder, User


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(url: str, pending: int, due_count: int, due: datetime) -> None:
    """Users and reminders: ``pending`` in the future, ``due_count`` due at ``due``."""
    db = Database(url)
    migrate.upgrade(db)
    now = datetime.now(UTC)
    users = 5000
    with db.session() as s:
        seed_users(s, users, now)
        ids = dict(s.execute(select(User.external_id, User.id)).all())
    rows = []
    for i in range(pending + due_count):
        user = f"u{i % users}"
        when = due if i < due_count else now + timedelta(days=1 + (i % 30), seconds=i)
        rows.append(
            {
                "user_id": ids[user],
                "interview_id": None,
                "kind": "check_in",
                "due_at": when,
                "planned_at": when,
                "status": "pending",
                "attempts": 0,
                "failure_told": False,
                "platform": "bench",
                "workspace": "",
                "channel": "",
                "external_user": f"{user}-{i}",
                "created_at": now,
            }
        )
        if len(rows) == 10_000:
            with db.session() as s:
                s.execute(insert(Reminder), rows)
            rows = []
    if rows:
        with db.session() as s:
            s.execute(insert(Reminder), rows)
    db.dispose()


async def measure(url: str, pending: int, due_count: int) -> dict[str, float]:
    """Start an engine over the seeded database and time the due batch."""
    memory_before = rss_mb()
    settings = load_settings(
        database_url=url,
        data_dir=tempfile.mkdtemp(),
        health_addr="",
        reminder_rate_per_second=100_000,
        reminder_sweep_seconds=5,
    )
    started = time.perf_counter()
    app = App.build(settings, migrate_db=False)

    class Nothing:
        platform = "bench"

        async def deliver(self, ref: object, replies: object) -> None:
            return None

    engine = ReminderEngine(app, {"bench": Nothing()}, pacing=0.0)
    lags: list[float] = []
    done = asyncio.Event()

    def record(outcome: str, item: object, lag: float | None) -> None:
        if outcome == "sent" and lag is not None:
            lags.append(lag)
            if len(lags) >= due_count:
                done.set()

    engine.observers.append(record)
    await engine.start()
    startup = time.perf_counter() - started
    memory_after = rss_mb()
    await asyncio.wait_for(done.wait(), timeout=120)
    await engine.stop()
    app.close()
    q = statistics.quantiles(lags, n=100)
    return {
        "startup_s": startup,
        "rss_before_mb": memory_before,
        "rss_after_mb": memory_after,
        "lag_median_s": statistics.median(lags),
        "lag_p99_s": q[98],
        "delivered": len(lags),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--pg", default=os.environ.get("SECONDROUND_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    args = parser.parse_args()
    targets = []
    if args.db in ("sqlite", "both"):
        targets.append(("sqlite", f"sqlite:///{tempfile.mkdtemp()}/bench.db", None))
    if args.db in ("postgresql", "both"):
        import psycopg

        name = f"secondround_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        targets.append(("postgresql", args.pg.rpartition("/")[0] + "/" + name, name))
    for label, url, pg_name in targets:
        t = time.perf_counter()
        due_at = datetime.now(UTC) + timedelta(seconds=25)
        seed(url, args.pending, args.due, due_at)
        seeded = time.perf_counter() - t
        result = asyncio.run(measure(url, args.pending, args.due))
        print(
            f"{label:10s} {args.pending:,} pending (seeded in {seeded:.1f} s): start-up {result['startup_s']:.2f} s, "
            f"RSS {result['rss_before_mb']:.0f} -> {result['rss_after_mb']:.0f} MB; "
            f"{result['delivered']} due together: lag median {result['lag_median_s'] * 1000:.0f} ms, "
            f"p99 {result['lag_p99_s'] * 1000:.0f} ms"
        )
        if pg_name:
            import psycopg

            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
