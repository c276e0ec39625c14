"""What the core needs from a chat platform to deliver messages it starts (reminders)."""

from __future__ import annotations

from typing import Protocol

from bot.types import ConversationRef, Reply


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
