"""Runs adapters on one event loop around the (thread-safe, synchronous) coach.

The runtime owns what lives for the whole process: the worker threads that run the coach, the
reminder engine, the data-retention job, the health endpoint, the metrics, and the adapters.
``serve`` runs it until SIGTERM/SIGINT and then shuts down in order (see :meth:`Runtime.stop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import signal
import weakref
from collections import Counter
from collections.abc import Awaitable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from bot.coaching.throttle import Verdict
from bot.common.memory import release_freed_memory
from bot.common.types import Handled, IncomingMessage, Reply, RouteData
from bot.office.insights import flush_topic_counts
from bot.ops import retention
from bot.ops.app import App
from bot.ops.events import Inbox, InboxReceipt, InboxStatus, Stored, log_key, owner_of, user_hash
from bot.ops.metrics import Metrics, RuntimeCollector

if TYPE_CHECKING:
    from bot.common.settings import Settings
    from bot.ops.health import HealthServer
    from bot.reminders.delivery import Adapter, Responder
    from bot.reminders.engine import ReminderEngine

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 20.0
_T = TypeVar("_T")


class Accepted(enum.Enum):
    """What :meth:`Runtime.accept` did with an event; the adapter acknowledges all but ``BUSY``."""

    QUEUED = "queued"  # recorded: it will be answered, even after a crash
    DUPLICATE = "duplicate"  # recorded before (a platform retry): nothing more to do
    ANSWERED = "answered"  # the database could not record it: answered before the acknowledgement
    BUSY = "busy"  # not taken (full, flooded, or shutting down): the platform should retry later


class InboxWriter:
    """The inbox's writes (new events, finished items), batched into one transaction at a time.

    A new event is written at once (its acknowledgement waits for it); whatever arrives while a
    transaction runs goes into the next one. A finished item ("done": its replies went out) is not
    worth a transaction of its own: it rides along with the next events' write, or is written on its
    own after :attr:`DONE_DELAY` when no event comes (and at once by :meth:`flush`, which
    :meth:`Runtime.drain` and a shutdown call). The writes run on a thread of their own, so
    acknowledgements never queue behind the coach's work, and under load many events share one
    commit. No task lingers when there is nothing to write.
    """

    MAX_BATCH = 200
    DONE_DELAY = 0.25  # seconds a finished item waits for a write to share (a crash in between resends it)

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self._records: list[tuple[IncomingMessage, RouteData, str, asyncio.Future[int | None]]] = []
        self._done: list[int] = []
        self._finishing: set[int] = set()  # items whose "done" is not yet committed (queued or being written)
        self._due = False  # the finished items are to be written now, with or without new events
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None

    def record(self, msg: IncomingMessage, route: RouteData, key: str) -> asyncio.Future[int | None]:
        """Store an event: its id, or None when it was stored before."""
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._records.append((msg, route, key, future))
        self._wake()
        return future

    def done(self, item: int) -> None:
        """Mark an item done (its replies went out), with the next write or within :attr:`DONE_DELAY`.

        A failed write is logged; the item stays ``handled`` and a later sweep sends its replies again.
        """
        self._done.append(item)
        self._finishing.add(item)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.DONE_DELAY, self._done_due)

    def busy(self) -> bool:
        """Whether anything is waiting to be written, or being written."""
        return bool(self._records or self._done) or (self._task is not None and not self._task.done())

    def finishing(self, item: int) -> bool:
        """Whether ``item`` is done here but not yet written so (a sweep must not take it over)."""
        return item in self._finishing

    async def flush(self) -> None:
        """Write every finished item now (and whatever events are waiting), and wait for it."""
        while self._done or (self._task is not None and not self._task.done()):
            self._due = bool(self._done) or self._due
            self._wake()
            assert self._task is not None
            await asyncio.shield(self._task)

    def close(self) -> None:
        """Release the writer's thread (after the last write)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    def _done_due(self) -> None:
        self._timer = None
        if self._done:
            self._due = True
            self._wake()

    def _wake(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._records or (self._done and self._due):
            records, self._records = self._records[: self.MAX_BATCH], self._records[self.MAX_BATCH :]
            done, self._done, self._due = self._done, [], False
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="inbox")
            try:
                ids = await loop.run_in_executor(self._executor, self.inbox.write, [r[:3] for r in records], done)
            except Exception as exc:
                for *_, waiting in records:
                    if not waiting.done():
                        waiting.set_exception(exc)
                if done:  # they stay "handled": the sweep sends their replies again after the lease
                    log.warning("inbox_done_failed", extra={"items": len(done), "error": type(exc).__name__})
                continue
            finally:
                self._finishing.difference_update(done)
            for (*_, recorded), item in zip(records, ids, strict=True):
                if not recorded.done():
                    recorded.set_result(item)


class InboxSettings:
    """Limits of the inbox, from the ``SECONDROUND_INBOX_*`` settings (adjustable on a running runtime)."""

    def __init__(self, settings: Settings) -> None:
        self.record_timeout = settings.inbox_record_timeout_seconds
        self.capacity = settings.inbox_capacity
        self.per_user = settings.inbox_per_user
        self.workers = settings.inbox_workers
        self.lease = timedelta(seconds=settings.inbox_lease_seconds)
        self.sweep_seconds = settings.inbox_sweep_seconds


class Runtime:
    """The running bot: adapters in, coach in the middle, reminders out."""

    def __init__(
        self, app: App, adapters: Sequence[Adapter] = (), *, health: bool = True, reminders: bool = True
    ) -> None:
        self.app = app
        self.adapters: list[Adapter] = list(adapters)
        self.health_enabled = health
        self.reminders_enabled = reminders
        self._inflight: set[asyncio.Future[Any]] = set()
        self._accepting = True
        self._running = False
        self._stopped = False
        self.reminder_engine: ReminderEngine | None = None
        self.health_server: HealthServer | None = None
        self._retention_task: asyncio.Task[None] | None = None
        self._purging: asyncio.Future[retention.Purged] | None = None
        self.inbox = Inbox(app.db, app.clock, app.settings.instance_id)
        self._writer = InboxWriter(self.inbox)
        self.inbox_settings = InboxSettings(app.settings)
        self._responders: dict[str, Responder] = {}
        self._inbox_open = True  # until stop(): adapters may be started on their own (tests, tools)
        self._queued: dict[int, asyncio.Future[None]] = {}  # inbox items being worked on here
        self._last_of: weakref.WeakValueDictionary[str, asyncio.Future[None]] = weakref.WeakValueDictionary()
        self._per_owner: Counter[str] = Counter()
        self._waiting = 0  # sum(self._per_owner.values()), kept as it changes (not summed per event)
        self._trimmed = False  # free memory given back after the first message handled (see bot.common.memory)
        self._slots: asyncio.Semaphore | None = None
        self._answered_inline: dict[tuple[str, str], asyncio.Future[list[Reply]]] = {}
        self._sweep_task: asyncio.Task[None] | None = None
        self._log_key: bytes = os.urandom(32)  # replaced by the installation's key at start
        self.metrics = Metrics()
        self.metrics.add_collector(
            RuntimeCollector(
                adapters=lambda: list(self.adapters),
                database=app.db,
                now=app.clock.now,
                engine_stats=lambda: self.reminder_engine.stats if self.reminder_engine is not None else None,
                inflight=lambda: len(self._inflight),
            )
        )

    @property
    def settings(self) -> Settings:
        """The app's settings."""
        return self.app.settings

    def add(self, adapter: Adapter) -> None:
        """Register an adapter (before :meth:`start`)."""
        self.adapters.append(adapter)

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer a message on a worker thread, so the event loop keeps serving others.

        Returns no replies once the runtime has stopped taking events (late in :meth:`stop`).
        """
        replies = await self.handle_once(msg)
        return replies if replies is not None else []

    async def handle_once(self, msg: IncomingMessage, event_id: str | None = None) -> list[Reply] | None:
        """Like :meth:`handle`, but None (no answer) for a platform event already handled.

        ``event_id`` is the platform's id for the event; a retry of it, reaching this or another
        instance, gets no answer. The id is recorded in the transaction that handles the message, so
        a crash in between leaves neither (and the retry is handled). When the database is down the
        message is answered anyway: answering twice beats never answering.
        """
        if not self._accepting:
            return []
        receipt = self.app.events.receipt(msg.ref.platform, event_id) if event_id else None
        return await self._track(asyncio.to_thread(self.app.coach.handle_once, msg, receipt))

    async def _track(self, work: Awaitable[_T]) -> _T:
        task = asyncio.ensure_future(work)
        self._inflight.add(task)
        try:
            return await task
        finally:
            self._inflight.discard(task)

    # the inbox: accepted events are answered, even after a crash (docs/delivery.md) ---------------------

    def register(self, platform: str, responder: Responder) -> None:
        """Let ``responder`` answer ``platform``'s events from the inbox (adapters call it in ``start``)."""
        self._responders[platform] = responder

    def unregister(self, platform: str) -> None:
        """Stop answering ``platform``'s inbox items here (its adapter stopped)."""
        self._responders.pop(platform, None)

    async def accept(self, msg: IncomingMessage, route: RouteData, key: str) -> Accepted:
        """Take a platform event before it is acknowledged; the answer follows in the background.

        The event is recorded in the inbox (within ``record_timeout``) before this returns, so an
        acknowledged event is answered even if the process dies right after; ``key`` identifies it
        across the platform's retries. ``BUSY`` means "do not acknowledge": the inbox is at its
        limit (overall, or for this person), the person is flooding, or the bot is shutting down.
        When the database cannot record the event, it is answered now, before the acknowledgement.
        """
        platform = msg.ref.platform
        if not self._inbox_open or platform not in self._responders:
            return Accepted.BUSY
        owner = owner_of(msg.ref)
        limits = self.inbox_settings
        if self._waiting >= limits.capacity or self._per_owner[owner] >= limits.per_user:
            log.warning("inbox_full", extra={"platform": platform, "waiting": self._waiting})
            return Accepted.BUSY
        coach = self.app.coach
        if platform not in coach.unthrottled and coach.flood.check(owner) is not Verdict.OK:
            log.info("inbox_flood_deferred", extra={"platform": platform})
            return Accepted.BUSY
        self._per_owner[owner] += 1
        self._waiting += 1
        record = self._writer.record(msg, route, key)
        try:
            item = await asyncio.wait_for(asyncio.shield(record), limits.record_timeout)
        except Exception as exc:  # the database is down or too slow: answer before acknowledging
            record.add_done_callback(self._recorded_late)
            self._release_owner(owner)
            log.warning("inbox_unavailable", extra={"platform": platform, "error": type(exc).__name__})
            await self._answer_inline(msg, route, key)
            return Accepted.ANSWERED
        if item is None:
            self._release_owner(owner)
            log.info("inbox_duplicate", extra={"platform": platform})
            return Accepted.DUPLICATE
        self._queue(item, owner, Stored(item, platform, InboxStatus.PENDING, msg, dict(route)))
        return Accepted.QUEUED

    def _recorded_late(self, record: asyncio.Future[int | None]) -> None:
        """A record that timed out went through after all: the event was answered inline, so close it."""
        if record.cancelled() or record.exception() is not None or record.result() is None:
            return
        item = record.result()
        assert item is not None
        self._writer.done(item)  # (a failed write is logged: the sweep finds it, and it is answered twice)

    async def _answer_inline(self, msg: IncomingMessage, route: RouteData, key: str) -> None:
        """Answer without the inbox (it is unavailable); a retry of the same event waits for this answer."""
        ident = (msg.ref.platform, key)
        running = self._answered_inline.get(ident)
        if running is not None:
            await asyncio.wait([running], timeout=self.inbox_settings.record_timeout)
            return
        responder = self._responders[msg.ref.platform]
        future: asyncio.Future[list[Reply]] = asyncio.ensure_future(self._handle_inline(msg, route, responder))
        if len(self._answered_inline) > 10_000:
            self._answered_inline.clear()
        self._answered_inline[ident] = future
        await future

    async def _handle_inline(self, msg: IncomingMessage, route: RouteData, responder: Responder) -> list[Reply]:
        msg = await responder.prepare(msg, route)
        replies = await self.handle(msg)
        await responder.respond(msg, route, replies)
        return replies

    def _queue(self, item: int, owner: str, stored: Stored | None = None) -> None:
        """Work on ``item`` after the same person's earlier items (answers keep their order)."""
        before = self._last_of.get(owner)
        task = asyncio.ensure_future(self._work(item, owner, before, stored))
        self._queued[item] = task
        self._last_of[owner] = task
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    def _release_owner(self, owner: str) -> None:
        self._per_owner[owner] -= 1
        self._waiting -= 1
        if self._per_owner[owner] <= 0:
            del self._per_owner[owner]

    async def _work(self, item: int, owner: str, before: asyncio.Future[None] | None, stored: Stored | None) -> None:
        try:
            if before is not None and not before.done():
                await asyncio.wait([before])
            await self._answer_item(item, stored)
        except Exception:
            log.exception("inbox_item_failed", extra={"item": item})
        finally:
            self._queued.pop(item, None)
            self._release_owner(owner)

    async def _answer_item(self, item: int, stored: Stored | None) -> None:
        """Handle a stored event (or, if it was handled before a crash, resend its replies), then mark it done.

        Only the coach's work takes one of the ``workers`` slots: waiting on the platform (sending,
        pacing) does not hold up other students.
        """
        if stored is None:  # taken over from the database (not just accepted here)
            stored = await asyncio.to_thread(self.inbox.load, item)
        if stored is None or stored.message is None or stored.status not in {InboxStatus.PENDING, InboxStatus.HANDLED}:
            return
        responder = self._responders.get(stored.platform)
        if responder is None:  # its adapter stopped: another instance, or the next start, takes it
            return
        msg = await responder.prepare(stored.message, stored.route)
        if stored.status is InboxStatus.PENDING:
            if self._slots is None:
                self._slots = asyncio.Semaphore(self.inbox_settings.workers)
            async with self._slots:
                receipt = InboxReceipt(item, self.app.clock.now())
                replies = await asyncio.to_thread(self.app.coach.handle_once, msg, receipt, throttle=False)
            if replies is None:  # another instance handled it: it sends the answer
                return
        else:
            replies = stored.replies
            log.info("inbox_replies_resent", extra={"item": item})
        try:
            await responder.respond(msg, stored.route, replies)
        finally:
            self._writer.done(item)  # written with the next events, or on its own shortly (InboxWriter)

    async def recover(self, lease: timedelta | None = None) -> int:
        """Take over unfinished inbox items of stopped or dead instances (this one before a restart too).

        Runs at start and every ``sweep_seconds``; returns how many items were taken.
        """
        taken = await asyncio.to_thread(
            self.inbox.reclaim, self.inbox_settings.lease if lease is None else lease, list(self._responders)
        )
        count = 0
        for item, owner in taken:
            if item not in self._queued and not self._writer.finishing(item):
                self._per_owner[owner] += 1
                self._waiting += 1
                self._queue(item, owner)
                count += 1
        if count:
            log.info("inbox_recovered", extra={"items": count})
        return count

    async def drain(self, timeout: float) -> bool:
        """Wait until no inbox item is being worked on here (or ``timeout`` passes); True if none is.

        An item is finished once it is written ``done``: the writes still waiting are made now.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pending = [t for t in self._queued.values() if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        if any(not t.done() for t in self._queued.values()):
            return False
        if not self._writer.busy():
            return True
        flushing = asyncio.ensure_future(self._writer.flush())
        done, _ = await asyncio.wait([flushing], timeout=max(0.0, deadline - loop.time()))
        if not done:
            flushing.add_done_callback(_quietly)
            return False
        return flushing.exception() is None

    async def _sweep(self) -> None:
        await self._recover_quietly()
        while True:
            await asyncio.sleep(self.inbox_settings.sweep_seconds)
            await self._recover_quietly()

    async def _recover_quietly(self) -> None:
        try:
            await self.recover()
        except Exception as exc:  # the database may be away: the next sweep tries again
            log.warning("inbox_recovery_failed", extra={"error": type(exc).__name__})
        await asyncio.to_thread(self._sweep_work)

    def _sweep_work(self) -> None:
        """A sweep's work on a worker thread: the office's batched counts (never raises), then free memory."""
        flush_topic_counts(self.app)
        release_freed_memory()

    def _trim_after_first(self, event: Handled) -> None:
        """After the first message handled here (models and indexes built on first use): free memory back."""
        if not self._trimmed:
            self._trimmed = True
            release_freed_memory()

    async def start(self) -> None:
        """Start the health endpoint, the adapters, then the reminder engine and the retention job.

        The health endpoint comes first so a liveness probe is answered during a slow connect (it
        says "not ready" until everything is up). If any part fails to start, what was started is
        stopped again and the error is raised.
        """
        self._accepting, self._stopped, self._inbox_open = True, False, True
        self.metrics.watch_logs()
        self.app.coach.observers.extend([self.metrics.on_handled, self._log_handled, self._trim_after_first])
        try:
            if self.health_enabled and self.settings.health_host_port:
                from bot.ops.health import HealthServer  # (aiohttp's server: not loaded by `chat`)

                self.health_server = HealthServer(self)
                await self.health_server.start()
            try:
                configured = self.app.settings.log_key.get_secret_value() if self.app.settings.log_key else ""
                self._log_key = await asyncio.to_thread(log_key, self.app.db, self.app.clock, configured)
            except Exception as exc:  # the database is away: this process's own key until the next start
                log.warning("log_key_unavailable", extra={"error": type(exc).__name__})
            for adapter in self.adapters:
                await adapter.start()
            self._sweep_task = asyncio.ensure_future(self._sweep())
            if self.reminders_enabled:
                from bot.reminders.engine import ReminderEngine

                self.reminder_engine = ReminderEngine(self.app, {a.platform: a for a in self.adapters})
                self.reminder_engine.observers.append(self.metrics.on_reminder)
                await self.reminder_engine.start()
                self._retention_task = asyncio.ensure_future(self._retention_loop())
        except BaseException:
            await self.stop()
            raise
        self._running = True

    def readiness(self) -> dict[str, bool]:
        """Each readiness check by name: ``running``, ``database``, ``adapter:<platform>``."""
        checks = {"running": self._running and self._accepting}
        try:
            self.app.db.ping()
            checks["database"] = True
        except Exception:
            checks["database"] = False
        for adapter in self.adapters:
            try:
                checks[f"adapter:{adapter.platform}"] = bool(adapter.ready())
            except Exception:
                checks[f"adapter:{adapter.platform}"] = False
        return checks

    def ready(self) -> bool:
        """Whether the runtime is running, every adapter is connected and the database answers."""
        return all(self.readiness().values())

    async def stop(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Shut down in order; safe to call twice.

        1. Report not ready (``/readyz`` answers 503 at once, so load balancers stop sending work),
           and stop the retention job (a pass under way stops after its current batch).
        2. Stop the reminder engine: no new claims, sends in progress finish (each is bounded by
           the engine's send timeout), claimed-but-unsent reminders are released for others.
        3. Stop each adapter (up to ``grace`` seconds each): it stops taking events, finishes the
           replies it has in flight (the coach still answers them), and disconnects.
        4. Stop taking events at all, and wait for any reply still being composed (up to ``grace``).
        5. Close the health endpoint.
        """
        if self._stopped:
            return
        self._stopped, self._running = True, False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        if self._retention_task is not None:
            self._retention_task.cancel()
            self._retention_task = None
        if self._purging is not None and not self._purging.done():  # its worker thread ends after one batch
            await asyncio.wait([self._purging], timeout=grace)
        if self.reminder_engine is not None:
            try:
                await self.reminder_engine.stop()
            except Exception:
                log.exception("reminder_engine_stop_failed")
        await self._close_inbox(max(0.1, deadline - loop.time()))
        self._writer.close()
        for adapter in reversed(self.adapters):
            try:
                await asyncio.wait_for(adapter.stop(), timeout=max(1.0, deadline - loop.time()))
            except Exception:
                log.exception("adapter_stop_failed", extra={"platform": adapter.platform})
        self._accepting = False
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=max(0.1, deadline - loop.time()))
        if self.health_server is not None:
            await self.health_server.stop()
            self.health_server = None
        for observer in (self.metrics.on_handled, self._log_handled, self._trim_after_first):
            with contextlib.suppress(ValueError):
                self.app.coach.observers.remove(observer)
        self.metrics.unwatch_logs()

    async def _close_inbox(self, grace: float) -> None:
        """Take no more events (the platforms retry them), finish the ones taken, give back the rest."""
        self._inbox_open = False
        if self._sweep_task is not None:
            self._sweep_task.cancel()
            self._sweep_task = None
        if await self.drain(grace):
            return
        unfinished = list(self._queued)
        try:
            await asyncio.to_thread(self.inbox.release, unfinished)
        except Exception as exc:
            log.warning("inbox_release_failed", extra={"error": type(exc).__name__})
        for task in list(self._queued.values()):
            task.cancel()
        log.warning("inbox_left_unfinished", extra={"items": len(unfinished)})

    def _log_handled(self, event: Handled) -> None:
        """One INFO line per handled message: a keyed hash of the person, timing, never ids or text.

        The hash (``user``) lets an operator follow one person's lines without the log naming them;
        after "forget me" nothing in the log leads back to the person (see :func:`bot.ops.events.user_hash`).
        """
        if not log.isEnabledFor(logging.INFO):  # (the hash and the fields cost more than the call)
            return
        ref = event.ref
        log.info(
            "message_handled",
            extra={
                "platform": ref.platform,
                "workspace": ref.workspace,
                "user": user_hash(self._log_key, ref),
                "intent": str(event.intent),
                "replies": event.replies,
                "data_changed": event.data_changed,
                "ms": round(event.seconds * 1000, 1),
            },
        )

    async def purge(self) -> retention.Purged:
        """Run one data-retention pass now (on a worker thread); log and count what it deleted."""
        app = self.app
        self._purging = asyncio.ensure_future(
            asyncio.to_thread(
                retention.purge,
                app.db,
                app.clock.now(),
                self.settings.retention_days,
                app.events,
                keep_going=lambda: not self._stopped,
            )
        )
        done = await asyncio.shield(self._purging)  # stop() waits for it rather than cutting it short
        for table, count in done.as_dict().items():
            if count:
                self.metrics.retention_deleted.labels(table).inc(count)
        log.info("retention_purged", extra={**done.as_dict(), "retention_days": self.settings.retention_days})
        return done

    async def _retention_loop(self) -> None:
        """A pass a minute after start, then daily. The pass itself carries no state between runs."""
        await asyncio.sleep(retention.FIRST_AFTER.total_seconds())
        while True:
            try:
                await self.purge()
            except Exception:  # the database may be away: try again at the next run
                log.exception("retention_failed")
            await asyncio.sleep(retention.EVERY.total_seconds())


def _quietly(task: asyncio.Future[Any]) -> None:
    """Retrieve a background task's outcome (its failure was logged where it happened)."""
    if not task.cancelled():
        task.exception()


async def serve(runtime: Runtime) -> int:
    """Run until SIGTERM or SIGINT, then shut down gracefully; returns the exit status (0).

    A signal during start-up stops the start and shuts down the same way. A second signal while
    shutting down exits at once (status 130): claimed reminders are then taken over by another
    instance, or by this one on its next start, after ``SECONDROUND_REMINDER_CLAIM_TIMEOUT_SECONDS``.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        if received:
            log.warning("shutdown_forced", extra={"signal": sig.name})
            os._exit(130)
        received.append(sig.name)
        stop.set()

    sigs = (signal.SIGTERM, signal.SIGINT)
    for sig in sigs:
        loop.add_signal_handler(sig, on_signal, sig)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        starting = asyncio.ensure_future(runtime.start())
        await asyncio.wait({starting, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # a failed start has cleaned up after itself; report it
            log.info(
                "started",
                extra={"platforms": [a.platform for a in runtime.adapters], "instance": runtime.settings.instance_id},
            )
            await waiter
        else:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        log.info("stopping", extra={"signal": received[0] if received else None})
        began = loop.time()
        await runtime.stop()
        log.info("stopped", extra={"seconds": round(loop.time() - began, 3)})
        return 0
    finally:
        waiter.cancel()
        for sig in sigs:
            loop.remove_signal_handler(sig)
