"""The operations endpoint over real HTTP: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from bot.common.settings import Settings
from bot.common.types import ConversationRef, IncomingMessage
from bot.ops.health import HealthServer
from bot.ops.logs import configure
from bot.ops.runtime import Runtime
from bot.reminders.delivery import DeliveryError
from tests.conftest import BotHarness, make_settings
from tests.ops.fakes import FakeAdapter

NY = "America/New_York"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The bot of tests/conftest.py, with the health endpoint on a free port."""
    return make_settings(tmp_path, health_addr="127.0.0.1:0")


@pytest.fixture
async def running(bot: BotHarness) -> AsyncIterator[tuple[Runtime, FakeAdapter, str]]:
    adapter = FakeAdapter()
    runtime = Runtime(bot.app, [adapter])
    await runtime.start()
    base = f"http://127.0.0.1:{runtime.health_server.port}"
    yield runtime, adapter, base
    await runtime.stop(grace=5)


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.text()


async def _samples(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = await _get(f"{base}/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _ref(user: str = "U1") -> ConversationRef:
    return ConversationRef("fake", "T1", f"D-{user}", user)


async def test_liveness_and_readiness(running) -> None:
    _, adapter, base = running
    assert await _get(f"{base}/healthz") == (200, '{"status": "ok"}')
    status, body = await _get(f"{base}/readyz")
    assert status == 200 and '"adapter:fake": true' in body and '"database": true' in body

    adapter.connected = False  # e.g. the gateway dropped
    status, body = await _get(f"{base}/readyz")
    assert status == 503 and '"adapter:fake": false' in body
    assert (await _get(f"{base}/healthz"))[0] == 200  # alive all the same: no restart for a reconnect

    adapter.connected = True
    assert (await _get(f"{base}/readyz"))[0] == 200


async def test_not_ready_when_the_database_is_down(running, monkeypatch) -> None:
    runtime, _, base = running

    def down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(runtime.app.db, "ping", down)
    status, body = await _get(f"{base}/readyz")
    assert status == 503 and '"database": false' in body


async def test_messages_and_reply_latency_are_counted(running) -> None:
    runtime, _, base = running
    await runtime.handle(IncomingMessage(_ref(), text="hi"))
    await runtime.handle(
        IncomingMessage(_ref(), text="I have a second interview with Acme on Friday at 3pm", tz_hint=NY)
    )
    await runtime.handle(IncomingMessage(_ref("U2"), text="hello there"))
    m = await _samples(base)
    assert m[("secondround_messages_handled_total", (("intent", "greeting"), ("platform", "fake")))] == 2
    assert m[("secondround_messages_handled_total", (("intent", "schedule_interview"), ("platform", "fake")))] == 1
    assert m[("secondround_reply_seconds_count", (("platform", "fake"),))] == 3
    assert m[("secondround_reply_seconds_sum", (("platform", "fake"),))] > 0
    assert m[("secondround_adapter_ready", (("platform", "fake"),))] == 1
    assert m[("secondround_database_up", ())] == 1
    assert m[("secondround_build_info", (("version", "0.1.0"),))] == 1


@pytest.fixture
async def engine_by_hand(bot: BotHarness) -> AsyncIterator[tuple[Runtime, FakeAdapter, str]]:
    """A running runtime whose reminder engine sends only when the test ticks it.

    The runtime's own engine has APScheduler's sweep, which would race the test's tick once the
    clock is moved. This one is wired into the runtime's metrics the same way, minus the scheduler.
    """
    from bot.reminders.engine import ReminderEngine

    adapter = FakeAdapter()
    runtime = Runtime(bot.app, [adapter], reminders=False)
    await runtime.start()
    engine = ReminderEngine(bot.app, {adapter.platform: adapter}, pacing=0.0)
    engine.observers.append(runtime.metrics.on_reminder)
    runtime.reminder_engine = engine
    yield runtime, adapter, f"http://127.0.0.1:{runtime.health_server.port}"
    runtime.reminder_engine = None
    await runtime.stop(grace=5)


async def test_reminders_due_sent_and_lag(engine_by_hand, bot: BotHarness) -> None:
    runtime, adapter, base = engine_by_hand
    await runtime.handle(
        IncomingMessage(_ref(), text="I have a second interview with Acme on Friday at 3pm", tz_hint=NY)
    )
    bot.clock.set(datetime(2026, 3, 5, 21, 0, tzinfo=UTC))  # an hour after the prepare reminder was due
    m = await _samples(base)
    assert m[("secondround_reminders_due", ())] == 1
    assert m[("secondround_reminders_oldest_due_seconds", ())] == 3600

    await runtime.reminder_engine.tick()
    assert len(adapter.sent) == 1
    m = await _samples(base)
    assert m[("secondround_reminders_total", (("outcome", "sent"), ("platform", "fake")))] == 1
    assert m[("secondround_reminders_due", ())] == 0
    lag = ("secondround_reminder_delivery_lag_seconds_bucket", (("le", "3600.0"), ("platform", "fake")))
    assert m[lag] == 1  # an hour late, to the second
    assert m[("secondround_reminder_delivery_lag_seconds_bucket", (("le", "1800.0"), ("platform", "fake")))] == 0


async def test_failed_and_retried_reminders_and_errors_by_kind(engine_by_hand, bot: BotHarness) -> None:
    runtime, adapter, base = engine_by_hand
    await runtime.handle(
        IncomingMessage(_ref(), text="I have a second interview with Acme on Friday at 3pm", tz_hint=NY)
    )
    await runtime.handle(
        IncomingMessage(_ref("U2"), text="I have a second interview with Initech on Friday at 4pm", tz_hint=NY)
    )
    bot.clock.set(datetime(2026, 3, 5, 21, 30, tzinfo=UTC))
    adapter.fail_with = DeliveryError("rate limited", retry_after=60)
    await runtime.reminder_engine.tick()
    m = await _samples(base)
    assert m[("secondround_reminders_total", (("outcome", "retried"), ("platform", "fake")))] == 2

    adapter.fail_with = DeliveryError("dms closed", permanent=True)
    bot.clock.set(datetime(2026, 3, 5, 21, 32, tzinfo=UTC))
    await runtime.reminder_engine.tick()
    m = await _samples(base)
    assert m[("secondround_reminders_total", (("outcome", "failed"), ("platform", "fake")))] == 2
    assert m[("secondround_errors_total", (("kind", "reminder_failed"),))] == 2


async def test_one_info_line_per_message_with_ids_and_timing_but_no_text(running, tmp_path) -> None:
    runtime, _, _ = running
    out = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure(make_settings(tmp_path, log_format="json"), "INFO", stream=out)
    try:
        await runtime.handle(
            IncomingMessage(
                _ref("U777"), text="I have a second interview with Zanzibarco on Friday at 3pm with Quentin"
            )
        )
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
    text = out.getvalue()
    assert "Zanzibarco" not in text and "Quentin" not in text
    [line] = [line for line in text.splitlines() if "message_handled" in line]
    for fragment in ('"platform": "fake"', '"intent": "schedule_interview"', '"ms": '):
        assert fragment in line
    assert "U777" not in text and '"user": "' in line  # a keyed hash of the person, never their id


class StoppingAdapter(FakeAdapter):
    """Says when the runtime has asked it to stop (it then waits for ``hold_stop``)."""

    def __init__(self) -> None:
        super().__init__(hold_stop=asyncio.Event())
        self.asked_to_stop = asyncio.Event()

    async def stop(self) -> None:
        self.asked_to_stop.set()
        await super().stop()


async def test_shutting_down_reports_not_ready_but_alive(bot: BotHarness) -> None:
    adapter = StoppingAdapter()
    runtime = Runtime(bot.app, [adapter])
    await runtime.start()
    base = f"http://127.0.0.1:{runtime.health_server.port}"
    assert (await _get(f"{base}/readyz"))[0] == 200
    stopping = asyncio.ensure_future(runtime.stop(grace=5))
    await adapter.asked_to_stop.wait()  # stop() has reached the adapter, which waits for the test
    status, body = await _get(f"{base}/readyz")
    assert status == 503 and '"running": false' in body
    assert (await _get(f"{base}/healthz"))[0] == 200
    # a reply in flight during shutdown is still answered
    assert await runtime.handle(IncomingMessage(_ref(), text="hi"))
    assert adapter.hold_stop is not None
    adapter.hold_stop.set()
    await stopping
    assert adapter.stopped
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(f"{base}/healthz")  # the endpoint is closed with the runtime


async def test_two_runtimes_in_one_process_keep_separate_metrics(bot: BotHarness) -> None:
    a, b = Runtime(bot.app, [FakeAdapter()], health=False), Runtime(bot.app, [FakeAdapter()], health=False)
    await a.start()
    try:
        await a.handle(IncomingMessage(_ref(), text="hi"))
    finally:
        await a.stop()
    assert b"secondround_messages_handled_total{" in a.metrics.render()
    assert b"secondround_messages_handled_total{" not in b.metrics.render()


# liveness: a stuck event loop or worker pool -------------------------------------------------------


class FakeMonotonic:
    """The health endpoint's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _get_blocking(url: str) -> tuple[int, dict]:
    """GET from this thread, without yielding to the event loop (which stays blocked meanwhile)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


@pytest.fixture
async def watched(bot: BotHarness) -> AsyncIterator[tuple[FakeMonotonic, str]]:
    clock = FakeMonotonic()
    server = HealthServer(Runtime(bot.app, health=False), "127.0.0.1", 0, clock=clock, stall_after=30)
    await server.start()
    yield clock, f"http://127.0.0.1:{server.port}/healthz"
    await server.stop()


async def test_liveness_fails_while_the_event_loop_is_blocked(watched) -> None:
    clock, url = watched
    # From here to the next `await`, this test holds the bot's event loop, as a blocking call would.
    assert _get_blocking(url) == (200, {"status": "ok"})
    clock.advance(29)
    assert _get_blocking(url)[0] == 200  # within the bound
    clock.advance(2)
    status, body = _get_blocking(url)
    assert status == 503 and body["status"] == "stuck" and body["bound_seconds"] == 30
    assert body["stuck_seconds"]["event_loop"] == 31
    await asyncio.sleep(0)  # the loop runs again, and takes the watchdog's probe
    status, text = await _get(url)
    assert (status, json.loads(text)) == (200, {"status": "ok"})


async def test_liveness_fails_while_every_worker_is_stuck(watched) -> None:
    clock, url = watched
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))  # the pool replies are composed in
    release = threading.Event()
    stuck = loop.run_in_executor(None, release.wait)  # e.g. a call that never returns
    assert (await _get(url))[0] == 200  # the loop is fine, and the pool has not been stuck for long yet
    clock.advance(31)
    status, text = await _get(url)
    body = json.loads(text)
    assert status == 503 and body["stuck_seconds"]["worker_pool"] == 31
    release.set()
    await stuck
    await loop.run_in_executor(None, lambda: None)  # queued after the watchdog's probe: that has run too
    assert (await _get(url))[0] == 200
