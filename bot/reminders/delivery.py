"""What the core needs from a chat platform: delivering messages it starts (reminders), answering stored events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.common.types import ConversationRef, IncomingMessage, Reply, RouteData


class DeliveryError(Exception):
    """A message could not be delivered.

    ``permanent`` failures (the user closed their DMs, the account is gone) are not retried;
    others (rate limits, timeouts, a platform outage) are, after ``retry_after`` seconds if given.
    ``reason`` is a short, user-safe description without message text or secrets.
    """

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Deliverer(Protocol):
    """One platform's way to send replies the user did not ask for just now."""

    platform: str

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        """Send ``replies`` to the user of ``ref`` (by direct message); raise DeliveryError on failure."""
        ...


class Adapter(Deliverer, Protocol):
    """A chat platform plugged into the core.

    Implementations live in ``adapters/`` and are registered under the ``secondround.adapters``
    entry points; the runtime builds them as ``Adapter(runtime, **options)``.
    """

    async def start(self) -> None:
        """Connect and begin taking events; return once running."""
        ...

    async def stop(self) -> None:
        """Stop taking events, finish in-flight replies, disconnect."""
        ...

    def ready(self) -> bool:
        """Whether the adapter is connected and taking events."""
        ...


class Responder(Protocol):
    """How an adapter answers the events it put in the inbox (see :meth:`bot.ops.runtime.Runtime.accept`).

    ``route`` is the adapter's own plain-data description of where the answer goes, stored with
    the event; both methods may be called again for the same event after a restart.
    """

    async def prepare(self, msg: IncomingMessage, route: RouteData) -> IncomingMessage:
        """Complete a stored message just before it is handled (a time-zone hint, the conversation)."""
        ...

    async def respond(self, msg: IncomingMessage, route: RouteData, replies: list[Reply]) -> None:
        """Send the replies where ``route`` says (errors are the adapter's to report)."""
        ...


class Pacer:
    """Keeps messages to one conversation within a platform's rate: ``burst`` at once, then one per ``interval``.

    A token bucket per conversation key: a short exchange goes out at once; the parts of a long
    answer (an export split in many messages) go out one per ``interval`` seconds after the first
    ``burst``. ``monotonic`` and ``sleep`` are injectable, so tests see the waits without waiting.
    """

    def __init__(
        self,
        interval: float,
        *,
        burst: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_keys: int = 10_000,
    ) -> None:
        self.interval = interval
        self.burst = burst
        self.monotonic = monotonic
        self.sleep = sleep
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when counted)
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, key: str) -> None:
        """Return when a message to ``key`` may go out (and count it)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = self.monotonic()
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) / self.interval)
            if tokens < 1:
                await self.sleep((1 - tokens) * self.interval)
                now, tokens = self.monotonic(), 1.0
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            self._buckets[key] = (tokens - 1, now)

    def _forget_full(self, now: float) -> None:
        """Drop conversations whose bucket has filled up again (they would start full anyway)."""
        refill = self.burst * self.interval
        for key in [k for k, (_, then) in self._buckets.items() if now - then >= refill]:
            self._buckets.pop(key, None)
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                self._locks.pop(key, None)
