"""Reminders across real processes: restarts, several instances on one PostgreSQL, the real scheduler."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from bench.reminder_instances import run as run_instances
from bot.common.clock import SystemClock
from bot.ops.app import App
from bot.reminders.engine import ReminderEngine
from bot.storage.models import Reminder, User
from tests.conftest import Recorder
from tests.test_cli import run


def _reminder_lines(stdout: str) -> list[dict]:
    return [json.loads(line)["reminder"] for line in stdout.splitlines() if line.startswith('{"reminder"')]


def test_chat_restart_delivers_a_missed_reminder_exactly_once(env: dict[str, str]) -> None:
    first = {**env, "SECONDROUND_NOW": "2026-03-02T15:00:00+00:00"}  # Monday 10:00 in New York
    p = run(
        ["chat", "--jsonl", "--user", "ann", "--tz", "America/New_York"],
        first,
        "I have a second interview with Acme tomorrow at 9am with Sarah Chen\n",
    )
    assert p.returncode == 0, p.stderr
    assert _reminder_lines(p.stdout) == []
    # the chat is closed; the thank-you reminder (11:00 New York on Tuesday) falls due meanwhile
    later = {**env, "SECONDROUND_NOW": "2026-03-03T16:30:00+00:00"}
    p = run(["chat", "--jsonl", "--user", "ann"], later, "what's coming up?\n")
    [reminder] = _reminder_lines(p.stdout)
    assert reminder["kind"] == "thank_you" and "Sarah Chen" in reminder["text"] and reminder["private"]
    assert {b["label"] for b in reminder["buttons"]} >= {"Sent ✓", "Remind me later"}
    p = run(["chat", "--jsonl", "--user", "ann"], later, "")
    assert _reminder_lines(p.stdout) == []  # once, not again at the next start
    # another console user never sees Ann's reminders
    p = run(["chat", "--jsonl", "--user", "bob"], {**later, "SECONDROUND_NOW": "2026-03-05T16:30:00+00:00"}, "")
    assert _reminder_lines(p.stdout) == []


def test_three_instances_on_one_postgres_deliver_each_reminder_once(
    postgres_url: str, env: dict[str, str], monkeypatch
) -> None:
    monkeypatch.setenv("SECONDROUND_CACHE_DIR", env["SECONDROUND_CACHE_DIR"])
    result = run_instances(postgres_url, count=1000, instances=3)
    print(result.summary())
    assert len(result.deliveries) == 1000
    assert set(result.deliveries.values()) == {1}
    assert result.statuses == {"sent": 1000}
    assert len(result.per_instance) >= 2  # the work really was shared


async def test_the_scheduler_wakes_up_for_a_reminder_by_itself(settings, nlu, knowledge) -> None:
    """The real APScheduler (not a manual tick) fires a reminder due a moment from now."""
    app = App.build(settings, clock=SystemClock(), nlu=nlu, knowledge=knowledge)
    delivered = asyncio.Event()

    class Signal(Recorder):
        async def deliver(self, ref, replies) -> None:
            await super().deliver(ref, replies)
            delivered.set()

    recorder = Signal()
    now = datetime.now(UTC)
    with app.db.session() as s:
        user = User(platform="test", workspace="", external_id="zoe", tz="UTC", created_at=now, last_seen_at=now)
        s.add(user)
        s.flush()
        s.add(
            Reminder(
                user_id=user.id,
                interview_id=None,
                kind="check_in",
                due_at=now + timedelta(seconds=0.3),
                planned_at=now,
                status="pending",
                attempts=0,
                failure_told=False,
                platform="test",
                workspace="",
                channel="",
                external_user="zoe",
                created_at=now,
            )
        )
    engine = ReminderEngine(app, {"test": recorder}, pacing=0.0)
    await engine.start()
    try:
        await asyncio.wait_for(delivered.wait(), timeout=15)
    finally:
        await engine.stop()
        app.close()
    assert len(recorder.sent) == 1 and recorder.sent[0][0].user == "zoe"
