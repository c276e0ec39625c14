"""The operations endpoint of ``secondround run``: ``/healthz``, ``/readyz`` and ``/metrics``.

- ``/healthz`` (liveness): 200 while the process can still do its work: its event loop runs a
  trivial callback, and its worker pool (where replies are composed) starts a trivial job, each
  within ``SECONDROUND_HEALTH_STALL_SECONDS``. 503 with what is stuck (and for how long) otherwise:
  a restart is the remedy then. A database that is down does not fail liveness (restarting would
  not bring it back); the database timeouts keep workers from hanging on it.
- ``/readyz`` (readiness): 200 when the database answers and every adapter is connected; 503 (with
  the failing checks in the JSON body) otherwise, including while shutting down, so a load balancer
  or Kubernetes stops sending work.
- ``/metrics``: Prometheus text format (see :mod:`bot.ops.metrics`).

The endpoint runs on a thread of its own with its own event loop, so it answers (and can say "stuck")
while the bot's event loop is blocked. It listens on ``SECONDROUND_HEALTH_ADDR`` (``127.0.0.1:8080``
by default; port 0 picks a free one).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.common.settings import Settings
from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0  # a database that takes longer than this to answer counts as down
PROBE_EVERY = 1.0  # seconds between the watchdog's probes (real time)

Clock = Callable[[], float]


class Probed(Protocol):
    """What the endpoint asks of the running bot (:class:`bot.ops.runtime.Runtime` is one).

    A protocol, so this module needs nothing from the runtime and the runtime can import it.
    """

    @property
    def settings(self) -> Settings:
        """The settings (the endpoint's address and stall bound)."""
        ...

    @property
    def metrics(self) -> Metrics:
        """What ``/metrics`` renders."""
        ...

    def readiness(self) -> Mapping[str, bool]:
        """Each readiness check by name (``/readyz``)."""
        ...


class Watchdog:
    """Measures how long the bot's event loop, and its worker pool, keep a trivial job waiting.

    :meth:`probe` posts a callback to the loop (unless one is still waiting); when the loop runs it,
    the callback submits a no-op to the worker pool (unless one is still waiting there). A probe that
    has waited longer than the bound means that part is stuck. Thread-safe; ``clock`` is monotonic
    seconds (injectable for tests).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        executor: Callable[[], concurrent.futures.Executor | None] = lambda: None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.loop = loop
        self.executor = executor  # None: the loop's default executor (asyncio.to_thread's)
        self.clock = clock
        self._lock = threading.Lock()
        self._loop_since: float | None = None
        self._pool_since: float | None = None

    def probe(self) -> None:
        """Post a probe to the event loop, unless one is already waiting there."""
        with self._lock:
            if self._loop_since is not None:
                return
            self._loop_since = self.clock()
        try:
            self.loop.call_soon_threadsafe(self._on_loop)
        except RuntimeError:  # the loop is closed: the process is on its way out
            with self._lock:
                self._loop_since = None

    def waiting(self) -> dict[str, float]:
        """Seconds a probe has been waiting, by part (``event_loop``, ``worker_pool``); 0 when none."""
        now = self.clock()
        with self._lock:
            since = {"event_loop": self._loop_since, "worker_pool": self._pool_since}
        return {part: 0.0 if t is None else max(0.0, now - t) for part, t in since.items()}

    def _on_loop(self) -> None:
        with self._lock:
            self._loop_since = None
            if self._pool_since is not None:
                return
            self._pool_since = self.clock()
        try:
            self.loop.run_in_executor(self.executor(), self._on_pool)
        except RuntimeError:  # the pool was shut down (the loop is closing)
            with self._lock:
                self._pool_since = None

    def _on_pool(self) -> None:
        with self._lock:
            self._pool_since = None


class HealthServer:
    """An aiohttp server for the health, readiness and metrics endpoints of one runtime."""

    def __init__(
        self,
        runtime: Probed,
        host: str | None = None,
        port: int | None = None,
        *,
        clock: Clock = time.monotonic,
        stall_after: float | None = None,
    ) -> None:
        self.runtime = runtime
        configured = runtime.settings.health_host_port or ("127.0.0.1", 8080)
        self.host = host if host is not None else configured[0]
        self.port = port if port is not None else configured[1]
        self.clock = clock
        self.stall_after = stall_after if stall_after is not None else float(runtime.settings.health_stall_seconds)
        self.watchdog: Watchdog | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._done: concurrent.futures.Future[None] | None = None

    def app(self) -> web.Application:
        """The aiohttp application (routes only; useful for tests)."""
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def start(self) -> None:
        """Listen on the configured address (on the endpoint's own thread); ``self.port`` is the real port."""
        self.watchdog = Watchdog(
            asyncio.get_running_loop(), lambda: getattr(self.runtime, "executor", None), self.clock
        )
        listening: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._done = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._serve, args=(listening,), name="secondround-health", daemon=True)
        self._thread.start()
        await asyncio.wrap_future(listening)  # raises what binding raised (e.g. the port is taken)
        log.info("health_listening", extra={"address": f"{self.host}:{self.port}"})

    async def stop(self) -> None:
        """Stop listening, close open connections, and end the endpoint's thread."""
        if self._thread is None or self._loop is None or self._stop is None or self._done is None:
            return
        try:
            self._loop.call_soon_threadsafe(self._stop.set)
        except RuntimeError:  # its loop already ended
            self._thread = None
            return
        await asyncio.wrap_future(self._done)  # no worker thread needed: the pool may be the stuck part
        self._thread = None

    def _serve(self, listening: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            runner = loop.run_until_complete(self._listen())
        except BaseException as exc:
            loop.close()
            listening.set_exception(exc)
            return
        listening.set_result(None)
        try:
            loop.run_until_complete(self._watch())
            loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
            assert self._done is not None
            self._done.set_result(None)

    async def _listen(self) -> web.AppRunner:
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        return runner

    async def _watch(self) -> None:
        """Probe the bot's loop and pool every :data:`PROBE_EVERY` seconds until told to stop."""
        assert self._stop is not None and self.watchdog is not None
        while not self._stop.is_set():
            self.watchdog.probe()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), PROBE_EVERY)

    # handlers --------------------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        """Liveness: 200 unless the event loop or the worker pool has been stuck past the bound."""
        if self.watchdog is None:
            return web.json_response({"status": "ok"})
        self.watchdog.probe()
        stuck = {part: round(s, 1) for part, s in self.watchdog.waiting().items() if s > self.stall_after}
        if stuck:
            log.warning("liveness_stuck", extra={"stuck_seconds": stuck})
            body = {"status": "stuck", "stuck_seconds": stuck, "bound_seconds": self.stall_after}
            return web.json_response(body, status=503)
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """Readiness: database reachable, adapters connected, not shutting down."""
        try:
            checks = await asyncio.wait_for(asyncio.to_thread(self.runtime.readiness), CHECK_TIMEOUT)
        except TimeoutError:
            checks = {"database": False}
        ok = all(checks.values())
        body = {"status": "ready" if ok else "not ready", "checks": checks}
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        """Every metric in the Prometheus text format."""
        body = await asyncio.to_thread(self.runtime.metrics.render)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
