"""Runs adapters on one event loop around the (thread-safe, synchronous) coach.

The runtime owns what lives for the whole process: the worker threads that run the coach, the
reminder engine, the health endpoint, and the adapters. ``serve`` runs it until SIGTERM/SIGINT and
then shuts down in order: stop taking events, finish in-flight replies, stop reminders, close.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.app import App
from bot.types import IncomingMessage, Reply

if TYPE_CHECKING:
    from adapters.base import Adapter

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
        self.reminder_engine: Any = None
        self.health_server: Any = None

    @property
    def settings(self) -> Any:
        """The app's settings."""
        return self.app.settings

    def add(self, adapter: Adapter) -> None:
        """Register an adapter (before :meth:`start`)."""
        self.adapters.append(adapter)

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer a message on a worker thread, so the event loop keeps serving others."""
        if not self._accepting:
            return []
        task = asyncio.ensure_future(asyncio.to_thread(self.app.coach.handle, msg))
        self._inflight.add(task)
        try:
            return await task
        finally:
            self._inflight.discard(task)

    async def start(self) -> None:
        """Start the adapters, then the reminder engine, then the health endpoint."""
        for adapter in self.adapters:
            await adapter.start()
        if self.reminders_enabled:
            from bot.delivery_engine import ReminderEngine

            self.reminder_engine = ReminderEngine(self.app, {a.platform: a for a in self.adapters})
            await self.reminder_engine.start()
        if self.health_enabled and self.settings.health_host_port:
            from bot.health import HealthServer

            self.health_server = HealthServer(self)
            await self.health_server.start()

    def ready(self) -> bool:
        """Whether every adapter is connected and the database answers."""
        try:
            self.app.db.ping()
        except Exception:
            return False
        return all(adapter.ready() for adapter in self.adapters)

    async def stop(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Stop taking events, let in-flight replies finish (up to ``grace`` s), stop reminders, close."""
        self._accepting = False
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=grace)
        if self.reminder_engine is not None:
            await self.reminder_engine.stop()
        for adapter in reversed(self.adapters):
            try:
                await asyncio.wait_for(adapter.stop(), timeout=grace)
            except Exception:
                log.exception("adapter_stop_failed", extra={"platform": adapter.platform})
        if self.health_server is not None:
            await self.health_server.stop()


async def serve(runtime: Runtime) -> int:
    """Run until SIGTERM or SIGINT, then shut down gracefully; returns the exit status."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    log.info("started", extra={"platforms": [a.platform for a in runtime.adapters]})
    await stop.wait()
    log.info("stopping")
    await runtime.stop()
    log.info("stopped")
    return 0
