"""Data retention: past interviews, their notes and finished reminders go; the rest stays."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.ops import retention
from bot.ops.retention import purge
from bot.ops.runtime import Runtime
from bot.storage.models import Interview, Note, ProcessedEvent, Reminder, TopicAsk, User
from tests.conftest import START, BotHarness
from tests.test_cli import run

ACME = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # Friday 6 March, 15:00 in New York


def _rows(bot: BotHarness, user: str) -> dict[str, list]:
    """Everything stored for one user, per table."""
    with bot.app.db.session() as s:
        uid = s.scalar(select(User.id).where(User.external_id == user))
        return {
            "interviews": sorted(s.scalars(select(Interview.company).where(Interview.user_id == uid))),
            "notes": sorted(s.scalars(select(Note.text).where(Note.user_id == uid))),
            "reminders": sorted(
                f"{r.kind}:{r.status}" for r in s.scalars(select(Reminder).where(Reminder.user_id == uid))
            ),
            "user": [uid] if uid is not None else [],
        }


def _add(bot: BotHarness, user: str, **interview: object) -> None:
    """An interview stored directly (shapes a chat cannot easily produce)."""
    now = bot.clock.now()
    with bot.app.db.session() as s:
        uid = s.scalar(select(User.id).where(User.external_id == user))
        if uid is None:
            u = User(platform="test", workspace="", external_id=user, created_at=now, last_seen_at=now)
            s.add(u)
            s.flush()
            uid = u.id
        s.add(Interview(user_id=uid, tz="UTC", created_at=now, updated_at=now, **interview))


async def _history(bot: BotHarness) -> None:
    """Alice's Acme interview with notes and delivered reminders; Bob's, three months later."""
    alice = bot.chat("alice")
    alice.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    alice.say("note: Acme asked a lot about SQL")
    bot.clock.set(ACME - timedelta(hours=24))
    assert len(await bot.deliver_due()) == 1  # prepare
    bot.clock.set(ACME + timedelta(hours=2))
    assert len(await bot.deliver_due()) == 1  # thank-you
    alice.say("I sent my thank-you emails")
    bot.app.events.first_time("test", "Ev-old")

    bot.clock.set(START + timedelta(days=100))  # Wednesday 10 June
    bob = bot.chat("bob")
    bob.say("I have a second interview with Initech on Friday at 2pm")
    bob.say("note: Initech wants a portfolio")


async def test_a_past_interview_goes_with_its_notes_and_reminders_others_stay(bot: BotHarness) -> None:
    await _history(bot)
    before_alice = _rows(bot, "alice")
    assert before_alice["interviews"] == ["Acme"] and before_alice["notes"] == ["Acme asked a lot about SQL"]
    assert "prepare:sent" in before_alice["reminders"] and "thank_you:sent" in before_alice["reminders"]

    # 179 days after the interview: nothing of it is past the retention period yet
    bot.clock.set(ACME + timedelta(days=179))
    done = purge(bot.app.db, bot.clock.now(), 180, bot.app.events)
    assert (done.interviews, done.notes, done.reminders) == (0, 0, 0)
    assert done.processed_events == 1  # de-duplication ids only live a day
    assert _rows(bot, "alice") == before_alice

    # 181 days after: Alice's interview, its note and every reminder of it are gone
    bot.clock.set(ACME + timedelta(days=181))
    alice = bot.chat("alice")
    alice.say("I have a second interview with Globex next Friday at 10am")
    alice.say("note: Globex dress code is casual")
    bot.app.events.first_time("test", "Ev-new")
    bob_before = _rows(bot, "bob")
    done = purge(bot.app.db, bot.clock.now(), 180, bot.app.events)
    assert done.interviews == 1 and done.notes == 1 and done.reminders == len(before_alice["reminders"])

    after = _rows(bot, "alice")
    assert after["interviews"] == ["Globex"] and after["notes"] == ["Globex dress code is casual"]
    assert after["reminders"] and all(r.endswith(":pending") for r in after["reminders"])
    assert after["user"] == before_alice["user"]  # the student stays, with what is current
    assert _rows(bot, "bob") == bob_before  # Bob's interview is only 83 days past
    with bot.app.db.session() as s:
        assert set(s.scalars(select(ProcessedEvent.event_id))) == {"Ev-new"}
    # what the student sees: the old interview is no longer listed, the new one is
    listed = alice.say("what's coming up?").text
    assert "Globex" in listed and "Acme" not in listed
    # a second pass finds nothing more
    assert purge(bot.app.db, bot.clock.now(), 180, bot.app.events).total == 0


def test_later_dates_keep_an_interview_and_undated_ones_age_from_their_last_change(bot: BotHarness) -> None:
    _add(bot, "carol", company="Umbrella", starts_at=START, offer_deadline=START + timedelta(days=200))
    _add(bot, "carol", company="Hooli", starts_at=START, decision_by=date(2026, 9, 30))
    _add(bot, "dan", company="Undated", starts_at=None)
    bot.clock.set(START + timedelta(days=190))
    done = purge(bot.app.db, bot.clock.now(), 180)
    assert done.interviews == 1
    assert _rows(bot, "carol")["interviews"] == ["Hooli", "Umbrella"]  # a deadline or decision still to come
    assert _rows(bot, "dan")["interviews"] == []


def test_finished_reminders_without_an_interview_go_pending_ones_stay(bot: BotHarness) -> None:
    now = START
    with bot.app.db.session() as s:
        u = User(platform="test", workspace="", external_id="erin", created_at=now, last_seen_at=now)
        s.add(u)
        s.flush()
        common = {"user_id": u.id, "interview_id": None, "kind": "check_in", "planned_at": now, "created_at": now}
        common |= {"platform": "test", "external_user": "erin"}
        s.add(Reminder(**common, due_at=now, status="sent"))
        s.add(Reminder(**common, due_at=now, status="failed"))
        s.add(Reminder(**common, due_at=now + timedelta(days=400), status="pending"))
        s.add(Note(user_id=u.id, interview_id=None, text="an old loose note", created_at=now))
    bot.clock.set(START + timedelta(days=181))
    done = purge(bot.app.db, bot.clock.now(), 180)
    assert (done.reminders, done.notes) == (2, 1)
    assert _rows(bot, "erin")["reminders"] == ["check_in:pending"]


async def test_the_runtime_runs_the_job_by_itself_and_counts_it(bot: BotHarness, monkeypatch) -> None:
    await _history(bot)
    bot.clock.set(ACME + timedelta(days=181))
    monkeypatch.setattr(retention, "FIRST_AFTER", timedelta(0))
    passes: list[retention.Purged] = []
    ran = asyncio.Event()
    runtime = Runtime(bot.app, health=False)
    real = runtime.purge

    async def watched() -> retention.Purged:
        passes.append(await real())
        ran.set()
        return passes[-1]

    monkeypatch.setattr(runtime, "purge", watched)
    await runtime.start()
    try:
        await asyncio.wait_for(ran.wait(), 30)
    finally:
        await runtime.stop()
    assert passes[0].interviews == 1
    metrics = runtime.metrics.render().decode()
    assert 'secondround_retention_deleted_total{table="interviews"} 1.0' in metrics
    with bot.app.db.session() as s:
        assert s.scalar(select(func.count(Interview.id))) == 1  # Bob's


@pytest.mark.slow
def test_db_purge_command(env: dict[str, str]) -> None:
    """An operator can run a pass by hand: ``secondround db purge``."""
    then = {**env, "SECONDROUND_NOW": "2026-03-02T15:00:00+00:00"}
    p = run(
        ["chat", "--jsonl", "--user", "ann", "--tz", "UTC"],
        then,
        "I have a second interview with Zorblax on Friday at 3pm\n",
    )
    assert p.returncode == 0, p.stderr
    assert "Zorblax" in p.stdout
    later = {**env, "SECONDROUND_NOW": "2026-09-10T12:00:00+00:00", "SECONDROUND_RETENTION_DAYS": "180"}
    p = run(["db", "purge"], later)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("deleted 1 interviews, 0 notes, ")
    assert "before 2026-03-14 12:00 UTC" in p.stdout
    p = run(["chat", "--jsonl", "--user", "ann"], later, "export my data\n")
    assert '\\"interviews\\": []' in p.stdout  # the student's own export: no interviews left
    assert "Zorblax" not in p.stdout  # and no months-late reminders about it either


def test_a_pass_cut_short_by_shutdown_is_finished_by_the_next(bot: BotHarness) -> None:
    for n in range(5):
        _add(bot, "frank", company=f"Old {n}", starts_at=START)
    bot.clock.set(START + timedelta(days=200))
    asked: list[int] = []

    def until_shutdown() -> bool:  # the runtime's "not stopping yet", turning False after one batch
        asked.append(1)
        return len(asked) == 1

    first = purge(bot.app.db, bot.clock.now(), 180, batch=2, keep_going=until_shutdown)
    assert first.interviews == 2
    assert purge(bot.app.db, bot.clock.now(), 180, batch=2).interviews == 3
    assert _rows(bot, "frank")["interviews"] == []


def test_the_career_offices_topic_counts_age_out_like_the_rest(bot: BotHarness) -> None:
    with bot.app.db.session() as s:
        u = User(platform="test", workspace="", external_id="fay", created_at=START, last_seen_at=START)
        s.add(u)
        s.flush()
        s.add(TopicAsk(user_id=u.id, topic="salary", answered=True, asked_at=START))
        s.add(TopicAsk(user_id=u.id, topic="nerves", answered=False, asked_at=START + timedelta(days=100)))
    bot.clock.set(START + timedelta(days=181))
    done = purge(bot.app.db, bot.clock.now(), 180)
    assert done.topic_asks == 1
    with bot.app.db.session() as s:
        assert list(s.scalars(select(TopicAsk.topic))) == ["nerves"]
