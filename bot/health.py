"""The operations endpoint of ``secondround run``: ``/healthz``, ``/readyz`` and ``/metrics``.

- ``/healthz`` (liveness): 200 while the process's event loop answers. A restart is the remedy when
  it does not.
- ``/readyz`` (readiness): 200 when the database answers and every adapter is connected; 503 (with
  the failing checks in the JSON body) otherwise, including while shutting down, so a load balancer
  or Kubernetes stops sending work.
- ``/metrics``: Prometheus text format (see :mod:`bot.metrics`).

It listens on ``SECONDROUND_HEALTH_ADDR`` (``127.0.0.1:8080`` by default; port 0 picks a free one).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0  # a database that takes longer than this to answer counts as down


class HealthServer:
    """An aiohttp server for the health, readiness and metrics endpoints of one runtime."""

    def __init__(self, runtime: Runtime, host: str | None = None, port: int | None = None) -> None:
        self.runtime = runtime
        configured = runtime.settings.health_host_port or ("127.0.0.1", 8080)
        self.host = host if host is not None else configured[0]
        self.port = port if port is not None else configured[1]
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """The aiohttp application (routes only; useful for tests)."""
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def start(self) -> None:
        """Listen on the configured address; ``self.port`` is the real port afterwards."""
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        log.info("health_listening", extra={"address": f"{self.host}:{self.port}"})

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # handlers --------------------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        """Liveness: the event loop runs this, so the process is alive."""
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
