"""Runs adapters on one event loop around the (thread-safe, synchronous) coach.

The runtime owns what lives for the whole process: the worker threads that run the coach, the
reminder engine, the data-retention job, the health endpoint, the metrics, and the adapters.
``serve`` runs it until SIGTERM/SIGINT and then shuts down in order (see :meth:`Runtime.stop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot import retention
from bot.app import App
from bot.metrics import Metrics, RuntimeCollector
from bot.types import Handled, IncomingMessage, Reply

if TYPE_CHECKING:
    from bot.delivery import Adapter

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 20.0


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
        self.reminder_engine: Any = None
        self.health_server: Any = None
        self._retention_task: asyncio.Task[None] | None = None
        self._purging: asyncio.Future[retention.Purged] | None = None
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
    def settings(self) -> Any:
        """The app's settings."""
        return self.app.settings

    def add(self, adapter: Adapter) -> None:
        """Register an adapter (before :meth:`start`)."""
        self.adapters.append(adapter)

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer a message on a worker thread, so the event loop keeps serving others.

        Returns no replies once the runtime has stopped taking events (late in :meth:`stop`).
        """
        return await self.handle_once(msg)

    async def handle_once(self, msg: IncomingMessage, event_id: str | None = None) -> list[Reply] | None:
        """Like :meth:`handle`, but None (no answer) for a platform event already handled.

        ``event_id`` is the platform's id for the event; a retry of it, reaching this or another
        instance, gets no answer.

        The check and the answer share one worker-thread hop. When the database cannot say (it is
        down), the message is answered: answering twice beats never answering.
        """
        if not self._accepting:
            return []
        task = asyncio.ensure_future(asyncio.to_thread(self._answer_once, msg, event_id))
        self._inflight.add(task)
        try:
            return await task
        finally:
            self._inflight.discard(task)

    def _answer_once(self, msg: IncomingMessage, event_id: str | None) -> list[Reply] | None:
        if event_id:
            try:
                first = self.app.events.first_time(msg.ref.platform, event_id)
            except Exception:
                log.warning(f"{msg.ref.platform}_event_log_unavailable", exc_info=True)
                first = True
            if not first:
                log.info(f"{msg.ref.platform}_event_duplicate", extra={"event_id": event_id})
                return None
        return self.app.coach.handle(msg)

    async def start(self) -> None:
        """Start the health endpoint, the adapters, then the reminder engine and the retention job.

        The health endpoint comes first so a liveness probe is answered during a slow connect (it
        says "not ready" until everything is up). If any part fails to start, what was started is
        stopped again and the error is raised.
        """
        self._accepting, self._stopped = True, False
        self.metrics.watch_logs()
        self.app.coach.observers.extend([self.metrics.on_handled, _log_handled])
        try:
            if self.health_enabled and self.settings.health_host_port:
                from bot.health import HealthServer

                self.health_server = HealthServer(self)
                await self.health_server.start()
            for adapter in self.adapters:
                await adapter.start()
            if self.reminders_enabled:
                from bot.delivery_engine import ReminderEngine

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
        for observer in (self.metrics.on_handled, _log_handled):
            with contextlib.suppress(ValueError):
                self.app.coach.observers.remove(observer)
        self.metrics.unwatch_logs()

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


def _log_handled(event: Handled) -> None:
    """One INFO line per handled message: ids and timing, never the message text."""
    ref = event.ref
    log.info(
        "message_handled",
        extra={
            "platform": ref.platform,
            "workspace": ref.workspace,
            "channel": ref.channel,
            "user": ref.user,
            "intent": event.intent,
            "replies": event.replies,
            "data_changed": event.data_changed,
            "ms": round(event.seconds * 1000, 1),
        },
    )


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
