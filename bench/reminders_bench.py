"""The reminder engine with 100,000 pending reminders: start-up time, memory, and fire lag.

Usage: python -m bench.reminders_bench [--pending 100000] [--due 1000] [--db sqlite|postgresql|both]

Seeds the pending reminders (spread over the next 30 days) plus a batch that falls due together
seconds after the engine starts (the engine learns of it at start-up or at its next sweep, and
sets its wake-up for the exact due time); starts a real ReminderEngine (its own APScheduler, the real
clock) with a deliverer that only records, **in a process of its own** (so what seeding allocated
does not count); reports how long the engine took to start (App build + scheduler start), that
process's resident memory before building the app and once the engine runs, and the lag between
due time and delivery for the batch: median and p99. Each database is measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, update

from bench.reminder_instances import seed_users
from bot.common.settings import load_settings
from bot.ops.app import App
from bot.reminders.engine import ReminderEngine
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


def due_soon(url: str, due_count: int, seconds: float) -> datetime:
    """Move the batch (the first ``due_count`` rows seeded) to fall due ``seconds`` from now."""
    due = datetime.now(UTC) + timedelta(seconds=seconds)
    db = Database(url)
    with db.session() as s:
        first = s.scalar(select(Reminder.id).order_by(Reminder.id).limit(1))
        s.execute(
            update(Reminder)
            .where(Reminder.id < (first or 0) + due_count)
            .values(due_at=due, planned_at=due)
            .execution_options(synchronize_session=False)
        )
    db.dispose()
    return due


def engine_process(url: str, pending: int, due_count: int) -> dict[str, float]:
    """Run :func:`measure` in a fresh process (the engine's own memory); its figures."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.reminders_bench",
            "--engine",
            url,
            "--pending",
            str(pending),
            "--due",
            str(due_count),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(pending: int, due_count: int, dbs: list[str], pg: str) -> list[tuple[str, dict[str, float]]]:
    """Seed and measure each database; (label, figures) pairs."""
    results = []
    for label in dbs:
        pg_name = None
        if label == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        else:
            import psycopg

            pg_name = f"secondround_bench_{uuid.uuid4().hex[:8]}"
            try:
                with psycopg.connect(pg, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f'CREATE DATABASE "{pg_name}"')
            except Exception as exc:
                print(f"PostgreSQL not measured ({type(exc).__name__})")
                continue
            url = pg.rpartition("/")[0] + "/" + pg_name
        try:
            t = time.perf_counter()
            seed(url, pending, due_count, datetime.now(UTC) + timedelta(days=1))
            seeded = time.perf_counter() - t
            due_soon(url, due_count, 12)
            result = engine_process(url, pending, due_count)
            result["seeded_s"] = seeded
            results.append((label, result))
        finally:
            if pg_name:
                import psycopg

                with psycopg.connect(pg, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return results


def line(label: str, pending: int, result: dict[str, float]) -> str:
    """One row of the report."""
    r = result
    return (
        f"{label:10s} {pending:,} pending (seeded in {r['seeded_s']:.1f} s): start-up {r['startup_s']:.2f} s, "
        f"engine process RSS {r['rss_before_mb']:.0f} MB before App.build -> {r['rss_after_mb']:.0f} MB running; "
        f"{result['delivered']:.0f} due together: lag median {result['lag_median_s'] * 1000:.0f} ms, "
        f"p99 {result['lag_p99_s'] * 1000:.0f} ms"
    )


def main() -> None:
    """Run and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--pg", default=os.environ.get("SECONDROUND_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--engine", metavar="URL", help=argparse.SUPPRESS)  # the engine's own process
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(asyncio.run(measure(args.engine, args.pending, args.due))))
        return
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for label, result in run(args.pending, args.due, dbs, args.pg):
        print(line(label, args.pending, result))


if __name__ == "__main__":
    main()
