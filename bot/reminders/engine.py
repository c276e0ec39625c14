"""Claims due reminders and delivers them through the adapters: at most once, and never lost.

The reminders table is the truth. APScheduler is only the alarm clock: a short periodic sweep (to
see rows other instances added) and a one-off wake-up at the next due time. Its jobs carry no data
and live in memory; every run asks the database what is due.

Each instance claims due rows with one atomic conditional UPDATE (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite serialises writers), so two instances never claim the same row. A claim whose
sender died is taken over after ``reminder_claim_timeout_seconds``. A failed send is retried with
backoff up to ``reminder_max_attempts`` times, then marked failed, and the user is told next time.
"""

from __future__ import annotations

import asyncio
import logging
import time as _time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.common.pending import Pending
from bot.common.types import ConversationRef, Handled, Reply
from bot.reminders.delivery import Deliverer, DeliveryError
from bot.storage.models import ConversationState, Interview, Reminder, User

if TYPE_CHECKING:
    from bot.common.clock import Clock
    from bot.common.settings import Settings
    from bot.reminders.planner import ReminderPlanner
    from bot.storage.db import Database

log = logging.getLogger(__name__)

SEND_TIMEOUT = 30.0
MAX_PARALLEL_SENDS = 16
PER_USER_INTERVAL = 1.0  # about one message per second per conversation
REMINDER_REPLY_TTL = timedelta(hours=12)


class SendOutcome(StrEnum):
    """What became of one attempt to send a reminder (told to the engine's observers; a metrics label)."""

    SENT = "sent"
    RETRIED = "retried"  # it failed and will be tried again
    FAILED = "failed"  # it failed for good (a permanent error, or out of attempts)


ReminderObserver = Callable[[SendOutcome, "Outgoing", "float | None"], None]  # (outcome, reminder, lag)


@dataclass(frozen=True)
class Outgoing:
    """A claimed reminder, ready to send."""

    reminder_id: int
    user_id: int
    interview_id: int | None
    ref: ConversationRef
    replies: list[Reply]
    kind: str
    due_at: datetime


@dataclass(frozen=True)
class Sent:
    """How one delivery went: ``error`` is None when the platform took it, ``lag`` seconds late."""

    item: Outgoing
    error: DeliveryError | None
    lag: float | None


class Pacer:
    """Spaces messages to the same conversation at least ``interval`` seconds apart."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, key: str) -> None:
        """Sleep until a message to ``key`` may go out, and reserve that slot."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = _time.monotonic()
            ready = self._next.get(key, 0.0)
            if ready > now:
                await asyncio.sleep(ready - now)
            self._next[key] = max(now, ready) + self.interval
            if len(self._next) > 50_000:
                cutoff = _time.monotonic()
                for k in [k for k, t in self._next.items() if t < cutoff]:
                    self._next.pop(k, None)
                    self._locks.pop(k, None)


class RateLimiter:
    """At most ``rate`` sends per second on one platform (a burst of due reminders is spread out)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Sleep until the next send slot, and take it."""
        async with self._lock:
            now = _time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(now, self._next) + self.interval


class Observed(Protocol):
    """The coach, as the engine sees it: whom to tell after each handled message."""

    @property
    def observers(self) -> list[Callable[[Handled], None]]:
        """Called with a :class:`Handled` after each message."""
        ...


class EngineHost(Protocol):
    """What the engine needs from the wired-up bot (:class:`bot.ops.app.App` is one).

    A protocol, so the reminders room needs nothing from the operations room above it.
    """

    @property
    def settings(self) -> Settings:
        """Instance id, sweep interval and rate limits."""
        ...

    @property
    def clock(self) -> Clock:
        """The bot's clock."""
        ...

    @property
    def db(self) -> Database:
        """Where the reminders table lives."""
        ...

    @property
    def planner(self) -> ReminderPlanner:
        """Decides whether a reminder still applies and words it."""
        ...

    @property
    def coach(self) -> Observed:
        """Told the engine's observer, so a handled message can answer a reminder."""
        ...


class ReminderEngine:
    """Sends due reminders for the platforms this instance serves."""

    def __init__(
        self, app: EngineHost, deliverers: Mapping[str, Deliverer], *, pacing: float = PER_USER_INTERVAL
    ) -> None:
        self.app = app
        self.settings = app.settings
        self.clock = app.clock
        self.deliverers = dict(deliverers)
        self.instance = self.settings.instance_id
        self.scheduler: AsyncIOScheduler | None = None
        self.pacer = Pacer(pacing)
        self.limits = {p: RateLimiter(self.settings.reminder_rate_per_second) for p in self.deliverers}
        self._tick_lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sends: set[asyncio.Task[Any]] = set()
        self._running: asyncio.Future[None] | None = None
        self._again = False
        self._semaphore = asyncio.Semaphore(MAX_PARALLEL_SENDS)
        self.stats = {"sent": 0, "failed": 0, "retried": 0, "skipped": 0}
        self.observers: list[ReminderObserver] = []

    # lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the alarm clock; reminders that fell due while the bot was down go out now."""
        self._loop = asyncio.get_running_loop()
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.scheduler.add_job(
            self.kick,
            IntervalTrigger(seconds=self.settings.reminder_sweep_seconds),
            id="sweep",
            replace_existing=True,
        )
        self.scheduler.add_job(self.kick, DateTrigger(run_date=datetime.now(UTC)), id="wake", replace_existing=True)
        self.scheduler.start()
        self.app.coach.observers.append(self._on_handled)

    async def stop(self) -> None:
        """Stop waking up, let sends in progress finish, and release claims not yet sent."""
        if self.scheduler is not None:
            self.scheduler.pause()
            for _ in range(3):  # let job coroutines already submitted finish (they only kick a run)
                await asyncio.sleep(0)
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if self._on_handled in self.app.coach.observers:
            self.app.coach.observers.remove(self._on_handled)
        if self._running is not None and not self._running.done():
            await asyncio.wait([self._running], timeout=SEND_TIMEOUT)
        if self._sends:
            await asyncio.wait(list(self._sends), timeout=SEND_TIMEOUT)
        await asyncio.to_thread(self._release_claims)

    def _on_handled(self, event: Handled) -> None:
        """A message changed someone's data: their next reminder may be sooner than the next sweep."""
        if event.data_changed and self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._rearm()))

    # the work --------------------------------------------------------------------------------------

    async def kick(self) -> None:
        """What the scheduler calls: start a run unless one is going (then it runs again right after).

        It returns at once, so a slow run never makes the scheduler skip or pile up its jobs.
        """
        if self._running is not None and not self._running.done():
            self._again = True
            return
        self._running = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self.tick()
            except Exception:  # the database may be down: log it, the next sweep tries again
                log.exception("reminder_tick_failed")
            if not self._again:
                return

    async def tick(self) -> int:
        """Claim and send everything due now; returns how many reminders were claimed."""
        async with self._tick_lock:
            claimed = 0
            while True:
                batch = await asyncio.to_thread(self._claim, self.settings.reminder_batch_size)
                if not batch:
                    break
                claimed += len(batch)
                tasks = [asyncio.ensure_future(self._send(item)) for item in batch]
                for task in tasks:
                    self._sends.add(task)
                    task.add_done_callback(self._sends.discard)
                results = [r for r in await asyncio.gather(*tasks, return_exceptions=True) if isinstance(r, Sent)]
                for outcome, item, lag in await asyncio.to_thread(self._finish, results):
                    self._notify(outcome, item, lag)
                if len(batch) < self.settings.reminder_batch_size:
                    break
            await self._rearm()
            return claimed

    async def _rearm(self) -> None:
        """Set the one-off wake-up to the next due reminder, if it comes before the next sweep."""
        if self.scheduler is None:
            return
        nxt = await asyncio.to_thread(self._next_due)
        if nxt is None:
            return
        now = self.clock.now()
        delay = max(0.0, (nxt - now).total_seconds())
        if delay < self.settings.reminder_sweep_seconds:
            run_at = datetime.now(UTC) + timedelta(seconds=delay)
            self.scheduler.add_job(self.kick, DateTrigger(run_date=run_at), id="wake", replace_existing=True)

    def _scope(self) -> ColumnElement[bool] | None:
        clauses: list[ColumnElement[bool]] = []
        for platform, deliverer in self.deliverers.items():
            only = getattr(deliverer, "only_user", None)
            clause = Reminder.platform == platform
            if only is not None:
                clause = and_(clause, Reminder.external_user == only)
            clauses.append(clause)
        return or_(*clauses) if clauses else None

    def _next_due(self) -> datetime | None:
        scope = self._scope()
        if scope is None:
            return None
        with self.app.db.session() as session:
            return session.scalar(select(func.min(Reminder.due_at)).where(Reminder.status == "pending", scope))

    def _claim(self, limit: int) -> list[Outgoing]:
        """Atomically take up to ``limit`` due reminders for this instance and compose them."""
        scope = self._scope()
        if scope is None:
            return []
        now = self.clock.now()
        stale = now - timedelta(seconds=self.settings.reminder_claim_timeout_seconds)
        with self.app.db.session() as session:
            due = (
                select(Reminder.id)
                .where(
                    scope,
                    or_(
                        and_(Reminder.status == "pending", Reminder.due_at <= now),
                        and_(Reminder.status == "sending", Reminder.claimed_at < stale),
                    ),
                )
                .order_by(Reminder.due_at, Reminder.id)
                .limit(limit)
            )
            due = self.app.db.dialect.claim(due)  # PostgreSQL: FOR UPDATE SKIP LOCKED
            ids = list(
                session.scalars(
                    update(Reminder)
                    .where(Reminder.id.in_(due.scalar_subquery()))
                    .values(
                        status="sending",
                        claimed_by=self.instance,
                        claimed_at=now,
                        attempts=Reminder.attempts + 1,
                    )
                    .returning(Reminder.id)
                )
            )
            if not ids:
                return []
            rows = list(session.scalars(select(Reminder).where(Reminder.id.in_(ids)).order_by(Reminder.due_at)))
            users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({r.user_id for r in rows})))}
            wanted = {r.interview_id for r in rows if r.interview_id is not None}
            interviews = (
                {i.id: i for i in session.scalars(select(Interview).where(Interview.id.in_(wanted)))} if wanted else {}
            )
            out = []
            for row in rows:
                item = self._compose(row, users.get(row.user_id), interviews.get(row.interview_id or 0), now)
                if item is not None:
                    out.append(item)
            return out

    def _compose(self, row: Reminder, user: User | None, interview: Interview | None, now: datetime) -> Outgoing | None:
        reason = self.app.planner.still_relevant(row, interview, now)
        if reason is not None or user is None:
            row.status = "skipped"
            row.last_error = reason or "user deleted"
            self.stats["skipped"] += 1
            log.info("reminder_skipped", extra={"reminder": row.id, "kind": row.kind, "reason": row.last_error})
            return None
        tz = user.tz or self.settings.default_tz
        late = now - row.due_at > timedelta(minutes=self.settings.reminder_late_after_minutes)
        reply = self.app.planner.compose(row, interview, tz, late=late)
        ref = ConversationRef(row.platform, row.workspace, row.channel or user.dm_channel or "", row.external_user)
        return Outgoing(row.id, row.user_id, row.interview_id, ref, [reply], row.kind, row.due_at)

    async def _send(self, item: Outgoing) -> Sent:
        """Deliver one reminder; the outcome is written back with the rest of its batch."""
        deliverer = self.deliverers[item.ref.platform]
        async with self._semaphore:
            await self.pacer.wait(f"{item.ref.platform}:{item.ref.workspace}:{item.ref.user}")
            await self.limits[item.ref.platform].wait()
            try:
                await asyncio.wait_for(deliverer.deliver(item.ref, item.replies), timeout=SEND_TIMEOUT)
            except DeliveryError as exc:
                return Sent(item, exc, None)
            except Exception as exc:  # a bug or an unexpected platform error: retry, bounded
                log.exception("reminder_send_error", extra={"reminder": item.reminder_id})
                return Sent(item, DeliveryError(type(exc).__name__), None)
        return Sent(item, None, (self.clock.now() - item.due_at).total_seconds())

    def _notify(self, outcome: SendOutcome | None, item: Outgoing, lag: float | None) -> None:
        """Tell observers (metrics, benchmarks) on the event loop's thread, never from a worker thread."""
        if outcome is None:
            return
        for observer in self.observers:
            try:
                observer(outcome, item, lag)
            except Exception:
                log.exception("observer_failed")

    def _finish(self, results: list[Sent]) -> list[tuple[SendOutcome, Outgoing, float | None]]:
        """Record a batch's outcomes in one transaction: sent rows, retries, failures."""
        now = self.clock.now()
        done: list[tuple[SendOutcome, Outgoing, float | None]] = []
        sent = [r for r in results if r.error is None]
        with self.app.db.session() as session:
            if sent:
                session.execute(
                    update(Reminder)
                    .where(Reminder.id.in_([r.item.reminder_id for r in sent]), Reminder.claimed_by == self.instance)
                    .values(status="sent", sent_at=now, last_error=None)
                )
                states = {
                    st.user_id: st
                    for st in session.scalars(
                        select(ConversationState).where(ConversationState.user_id.in_({r.item.user_id for r in sent}))
                    )
                }
                for r in sent:  # a typed "remind me later" or "sent" now answers this reminder
                    state = states.get(r.item.user_id)
                    current = Pending.from_json(state.pending) if state else None
                    if state is not None and (current is None or current.expired(now) or current.kind == "reminder"):
                        state.pending = Pending(
                            "reminder",
                            now + REMINDER_REPLY_TTL,
                            {"reminder_id": r.item.reminder_id, "interview_id": r.item.interview_id},
                        ).to_json()
                    self.stats["sent"] += 1
                    log.info(
                        "reminder_sent",
                        extra={
                            "reminder": r.item.reminder_id,
                            "kind": r.item.kind,
                            "lag_seconds": round(r.lag or 0.0, 3),
                        },
                    )
                    done.append((SendOutcome.SENT, r.item, r.lag))
            for r in results:
                if r.error is not None:
                    outcome = self._failed(session, r.item, r.error, now)
                    if outcome is not None:
                        done.append((outcome, r.item, None))
        return done

    def _failed(self, session: Session, item: Outgoing, exc: DeliveryError, now: datetime) -> SendOutcome | None:
        """Schedule a retry with back-off, or give up (permanent error, or out of attempts)."""
        row = session.get(Reminder, item.reminder_id)
        if row is None or row.claimed_by != self.instance:
            return None
        row.last_error = exc.reason[:500]
        row.claimed_by = None
        row.claimed_at = None
        fields = {"reminder": row.id, "kind": row.kind, "reason": row.last_error, "attempts": row.attempts}
        if exc.permanent or row.attempts >= self.settings.reminder_max_attempts:
            row.status = "failed"
            self.stats["failed"] += 1
            log.warning("reminder_failed", extra=fields)
            return SendOutcome.FAILED
        backoff = exc.retry_after if exc.retry_after is not None else min(30 * 2 ** (row.attempts - 1), 3600)
        row.status = "pending"
        row.due_at = now + timedelta(seconds=backoff)
        self.stats["retried"] += 1
        log.info("reminder_retry", extra={**fields, "in_seconds": backoff})
        return SendOutcome.RETRIED

    def _release_claims(self) -> None:
        """Hand back rows this instance claimed but did not finish (shutdown)."""
        with self.app.db.session() as session:
            session.execute(
                update(Reminder)
                .where(Reminder.status == "sending", Reminder.claimed_by == self.instance)
                .values(status="pending", claimed_by=None, claimed_at=None, attempts=Reminder.attempts - 1)
            )
