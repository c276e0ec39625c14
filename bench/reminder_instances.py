"""Several bot instances (separate processes) sharing one database deliver due reminders once each.

Usage: python -m bench.reminder_instances [--db URL] [--reminders 1000] [--instances 3]

Seeds N reminders for N users, all due in the same second a few seconds ahead; starts the worker
processes (each a real ReminderEngine with its own APScheduler, recording what it delivered); waits
until nothing is left to send; then checks every reminder was delivered exactly once and prints the
spread of delivery lag (delivery time minus due time). The test suite runs the same harness.
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

WORKER = "bench.reminder_instances"


@dataclass
class Result:
    """What the instances did."""

    deliveries: dict[int, int]  # reminder id -> times delivered
    lags: list[float]  # seconds after the due time
    per_instance: dict[str, int]
    statuses: dict[str, int]
    seconds: float

    def summary(self) -> str:
        """A human-readable report."""
        lags = sorted(self.lags)
        q = statistics.quantiles(lags, n=100) if len(lags) > 1 else lags * 99
        return (
            f"{len(self.deliveries)} reminders, delivered {sum(self.deliveries.values())} times "
            f"({sum(1 for c in self.deliveries.values() if c != 1)} not exactly once) by "
            f"{len(self.per_instance)} instances {dict(sorted(self.per_instance.items()))}; statuses {self.statuses}\n"
            f"delivery lag: min {lags[0]:.3f} s, median {statistics.median(lags):.3f} s, p99 {q[98]:.3f} s, "
            f"max {lags[-1]:.3f} s; all done {self.seconds:.1f} s after the due time"
        )


def seed_users(session: Any, count: int, now: datetime) -> None:
    """Insert ``count`` bench users ``u0``, ``u1``, … in one statement."""
    from bot.storage.models import User

    session.execute(
        insert(User),
        [
            {
                "platform": "bench",
                "workspace": "",
                "external_id": f"u{i}",
                "tz": "UTC",
                "created_at": now,
                "last_seen_at": now,
            }
            for i in range(count)
        ],
    )


def seed(url: str, count: int, due: datetime) -> None:
    """Create ``count`` users with one reminder each, all due at ``due``."""
    from bot.storage.db import Database
    from bot.storage.models import Reminder, User

    db = Database(url)
    now = datetime.now(UTC)
    with db.session() as s:
        seed_users(s, count, now)
        ids = dict(s.execute(select(User.external_id, User.id)).all())
        s.execute(
            insert(Reminder),
            [
                {
                    "user_id": ids[f"u{i}"],
                    "interview_id": None,
                    "kind": "check_in",
                    "due_at": due,
                    "planned_at": due,
                    "status": "pending",
                    "attempts": 0,
                    "failure_told": False,
                    "platform": "bench",
                    "workspace": "",
                    "channel": "",
                    "external_user": f"u{i}",
                    "created_at": now,
                }
                for i in range(count)
            ],
        )
    db.dispose()


def run(url: str, count: int = 1000, instances: int = 3, timeout: float = 120.0) -> Result:
    """Start the instances as separate processes, then seed reminders all due in one second, and
    collect what the instances delivered."""
    from bot.common.settings import load_settings
    from bot.nlu import NLU
    from bot.ops.app import nlu_cache_dir
    from bot.storage import migrate
    from bot.storage.db import Database

    NLU.load(cache_dir=nlu_cache_dir(load_settings()))  # warm the model cache the instances will load
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    out_dir = Path(tempfile.mkdtemp(prefix="instances-"))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", WORKER, "--worker", url, str(out_dir / f"i{n}.jsonl"), f"instance-{n}", str(count)],
            env=env,
        )
        for n in range(instances)
    ]
    try:
        ready_by = time.monotonic() + timeout
        while len(list(out_dir.glob("*.ready"))) < instances:
            if time.monotonic() > ready_by or any(p.poll() is not None for p in procs):
                raise RuntimeError("the instances did not start")
            time.sleep(0.05)
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        seed(url, count, due)
        for p in procs:
            p.wait(timeout=timeout)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    deliveries: dict[int, int] = {}
    lags: list[float] = []
    per_instance: dict[str, int] = {}
    last = due
    for path in out_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            deliveries[row["id"]] = deliveries.get(row["id"], 0) + 1
            lags.append(row["lag"])
            per_instance[row["instance"]] = per_instance.get(row["instance"], 0) + 1
            last = max(last, datetime.fromisoformat(row["at"]))
    from bot.storage.db import Database
    from bot.storage.models import Reminder

    db = Database(url)
    with db.session() as s:
        statuses = dict(s.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all())
    db.dispose()
    return Result(deliveries, lags, per_instance, statuses, (last - due).total_seconds())


def worker(url: str, out: str, instance: str, expected: int) -> None:
    """One bot instance: a ReminderEngine with its own scheduler, recording what it delivers."""
    from bot.common.settings import load_settings
    from bot.ops.app import App
    from bot.reminders.engine import ReminderEngine
    from bot.storage.db import Database
    from bot.storage.models import Reminder

    settings = load_settings(
        database_url=url,
        instance_id=instance,
        reminder_sweep_seconds=0.25,
        reminder_rate_per_second=10_000,
        data_dir=tempfile.mkdtemp(),
        health_addr="",
    )
    app = App.build(settings, migrate_db=False)
    db = Database(url)

    class Recording:
        platform = "bench"

        async def deliver(self, ref: object, replies: object) -> None:
            return None

    async def main() -> None:
        engine = ReminderEngine(app, {"bench": Recording()}, pacing=0.0)
        with open(out, "w") as fh:

            def record(outcome: str, item: object, lag: float | None) -> None:
                if outcome == "sent":
                    fh.write(
                        json.dumps(
                            {
                                "id": item.reminder_id,
                                "instance": instance,
                                "lag": lag,  # type: ignore[attr-defined]
                                "at": datetime.now(UTC).isoformat(),
                            }
                        )
                        + "\n"
                    )

            engine.observers.append(record)
            await engine.start()
            Path(out).with_suffix(".ready").touch()
            deadline = time.monotonic() + 90
            seen = False
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                with db.session() as s:
                    total = s.scalar(select(func.count()).select_from(Reminder))
                    left = s.scalar(
                        select(func.count()).select_from(Reminder).where(Reminder.status.in_(("pending", "sending")))
                    )
                seen = seen or bool(total)
                if seen and not left:
                    break
            await engine.stop()

    asyncio.run(main())
    db.dispose()
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--db", default=os.environ.get("SECONDROUND_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--reminders", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        url, out, instance, expected = args.worker
        worker(url, out, instance, int(expected))
        return
    import uuid

    import psycopg

    name = f"secondround_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = args.db.rpartition("/")[0] + "/" + name
    try:
        print(run(url, args.reminders, args.instances).summary())
    finally:
        with psycopg.connect(args.db, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
