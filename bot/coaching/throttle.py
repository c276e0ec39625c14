"""Per-user flood protection: a sliding window, in memory, cheap, and blind to other users."""

from __future__ import annotations

import threading
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

    Memory follows the users who wrote within the last ``window``, not everyone who ever wrote: users
    are kept least recently seen first, and those at the front whose last message has left the window
    are forgotten as others arrive (forgetting them changes no verdict: their times had expired). At
    most ``max_users`` are held; past that, the least recently seen is forgotten (it may then send up
    to ``limit`` more in its window). A user costs a short list of its times in the window.
    """

    def __init__(self, clock: Clock, limit: int, window: timedelta, max_users: int = 100_000) -> None:
        self._clock = clock
        self._limit = limit
        self._window = window
        self._max_users = max(1, max_users)
        self._seen: dict[str, list[datetime]] = {}  # least recently seen first
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many users are held (those who wrote within the window, at most ``max_users``)."""
        return len(self._seen)

    def check(self, key: str) -> Verdict:
        """Record a message from ``key``: OK, WARN (first over the limit) or DROP."""
        now = self._clock.now()
        window = self._window
        with self._lock:
            seen = self._seen
            times = seen.pop(key, None)
            self._forget_stale(now)
            if times is None:
                times = []
                while len(seen) >= self._max_users:
                    oldest = next(iter(seen))
                    del seen[oldest]
                    self._warned.discard(oldest)
            else:
                expired = 0
                while expired < len(times) and now - times[expired] >= window:
                    expired += 1
                if expired:
                    del times[:expired]
            seen[key] = times  # now the most recently seen
            if len(times) < self._limit:
                times.append(now)
                self._warned.discard(key)
                return Verdict.OK
            if key in self._warned:
                return Verdict.DROP
            self._warned.add(key)
            return Verdict.WARN

    def _forget_stale(self, now: datetime) -> None:
        """Forget the least recently seen users whose last message has left the window."""
        stale: list[str] = []
        for key, times in self._seen.items():
            if times and now - times[-1] < self._window:
                break
            stale.append(key)
        for key in stale:
            del self._seen[key]
            self._warned.discard(key)
