"""Per-user flood protection: a sliding window, in memory, cheap, and blind to other users."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta
from enum import StrEnum

from bot.common.clock import Clock


class Verdict(StrEnum):
    """What :meth:`FloodGuard.check` says about one more message of a user."""

    OK = "ok"  # under the limit: answer it
    WARN = "warn"  # the first one over the limit: answer with one polite note
    DROP = "drop"  # over the limit and told already: drop it quietly


class FloodGuard:
    """Lets each user send ``limit`` messages per ``window``; beyond that, messages are refused.

    The first refused message in a burst is reported (so the user gets one polite note), the rest are
    dropped quietly until the window frees up.
    """

    def __init__(self, clock: Clock, limit: int, window: timedelta, max_users: int = 100_000) -> None:
        self._clock = clock
        self._limit = limit
        self._window = window
        self._max_users = max_users
        self._seen: dict[str, deque[datetime]] = {}
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def check(self, key: str) -> Verdict:
        """Record a message from ``key``: OK, WARN (first over the limit) or DROP."""
        now = self._clock.now()
        with self._lock:
            times = self._seen.get(key)
            if times is None:
                if len(self._seen) >= self._max_users:
                    self._evict(now)
                times = self._seen[key] = deque()
            while times and now - times[0] >= self._window:
                times.popleft()
            if len(times) < self._limit:
                times.append(now)
                self._warned.discard(key)
                return Verdict.OK
            if key in self._warned:
                return Verdict.DROP
            self._warned.add(key)
            return Verdict.WARN

    def _evict(self, now: datetime) -> None:
        stale = [k for k, t in self._seen.items() if not t or now - t[-1] >= self._window]
        for k in stale:
            self._seen.pop(k, None)
            self._warned.discard(k)
