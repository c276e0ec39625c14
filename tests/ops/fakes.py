"""A minimal adapter for runtime tests: connects when told, records deliveries, can be made to fail."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.common.types import ConversationRef, Reply
from bot.reminders.delivery import DeliveryError


@dataclass
class FakeAdapter:
    """Implements the adapter protocol without a platform."""

    runtime: object = None
    platform: str = "fake"
    connected: bool = True
    started: bool = False
    stopped: bool = False
    sent: list[tuple[ConversationRef, list[Reply]]] = field(default_factory=list)
    fail_with: DeliveryError | None = None
    hold_stop: asyncio.Event | None = None  # stop() waits for it (to look at a runtime mid-shutdown)

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        if self.hold_stop is not None:
            await self.hold_stop.wait()
        self.stopped = True

    def ready(self) -> bool:
        return self.started and self.connected and not self.stopped

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((ref, replies))
