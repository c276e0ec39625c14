"""What every adapter provides to the program that runs it."""

from __future__ import annotations

from typing import Protocol

from bot.types import ConversationRef, Reply


class Adapter(Protocol):
    """A chat platform plugged into the core (registered under the ``secondround.adapters`` entry points)."""

    platform: str

    async def start(self) -> None:
        """Connect and begin taking events; return once running."""
        ...

    async def stop(self) -> None:
        """Stop taking events, finish in-flight replies, disconnect."""
        ...

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        """Send replies the user did not just ask for (reminders) by direct message."""
        ...

    def ready(self) -> bool:
        """Whether the adapter is connected and taking events."""
        ...
