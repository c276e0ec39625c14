"""The Discord adapter running against the local Discord stand-in, with the whole bot behind it.

``discord_bot`` is the bot of ``tests/conftest.py`` (fresh database, a clock the test moves by hand)
connected through :class:`adapters.discord.DiscordAdapter` to a :class:`DiscordStandIn`. Tests act
as Discord members through the stand-in and read what the bot sent back; reminders go out when
the test calls :meth:`DiscordHarness.deliver_due` (the reminder engine's tick, no sleeping).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bot.common.clock import FakeClock
from bot.common.settings import Settings
from bot.ops.app import App
from bot.ops.runtime import Runtime
from bot.reminders.engine import ReminderEngine
from tests.conftest import BotHarness
from tests.standins.discord import DiscordStandIn, Interaction, Message, User
from tests.standins.env import settings_with

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.stand-in.bot-token-secret-0123456789"


def discord_settings(tmp_path: Path, standin: DiscordStandIn, **extra: Any) -> Settings:
    """Settings for a bot that talks to ``standin`` (and an SQLite file in ``tmp_path``).

    Upper-case ``extra`` are Discord's variables (they go in the settings file the plugin reads);
    the others are the core's.
    """
    variables: dict[str, object | None] = {
        "DISCORD_TOKEN": standin.token,
        "SECONDROUND_DISCORD_API_URL": standin.api_url,
        "SECONDROUND_DISCORD_GATEWAY_URL": standin.gateway_url,
    }
    return settings_with(tmp_path, variables, **extra)


@dataclass
class DiscordHarness:
    """The bot on Discord: the core (``bot``), the adapter, and the stand-in members talk through."""

    bot: BotHarness
    standin: DiscordStandIn
    options: dict[str, Any] = field(default_factory=dict)
    runtime: Runtime | None = None
    adapter: DiscordAdapter | None = None
    engine: ReminderEngine | None = None

    async def start(self, app: App | None = None, **options: Any) -> DiscordAdapter:
        """Connect a (new) adapter, as a fresh process would."""
        self.options.update(options)
        self.runtime = Runtime(app or self.bot.app, health=False, reminders=False)
        self.adapter = DiscordAdapter(self.runtime, guild_ready_timeout=0.05, **self.options)
        self.runtime.add(self.adapter)
        await self.runtime.start()
        self.engine = ReminderEngine(self.runtime.app, {"discord": self.adapter}, pacing=0.0)
        return self.adapter

    async def stop(self) -> None:
        """Disconnect, as when the process stops."""
        if self.runtime is not None:
            await self.runtime.stop(grace=5)
        self.runtime = self.adapter = self.engine = None

    async def settle(self) -> None:
        """Wait until the adapter has finished answering everything it took."""
        assert self.adapter is not None
        await self.adapter.drain(10)

    async def slash(self, user: User, path: str, *, channel_id: int | None = None, **options: Any) -> Interaction:
        """Run a slash command and wait for the bot's complete answer."""
        ix = await self.standin.slash(user, path, channel_id=channel_id, **options)
        await self.standin.wait_for(lambda: ix.callbacks)
        await self.settle()
        return ix

    async def click(self, user: User, message: Message, custom_id: str) -> Interaction:
        """Press a button and wait for the bot's complete answer."""
        ix = await self.standin.click(user, message, custom_id)
        await self.standin.wait_for(lambda: ix.callbacks)
        await self.settle()
        return ix

    async def dm(self, user: User, text: str) -> list[Message]:
        """Write to the bot by DM; returns the messages it answered with."""
        before = len(self.standin.dms(user))
        await self.standin.message(user, text)
        await self.standin.wait_for(lambda: len(self.standin.dms(user)) > before)
        await self.settle()
        return self.standin.dms(user)[before:]

    async def deliver_due(self) -> int:
        """Let the reminder engine send what is due now (by the test's clock); returns how many it claimed."""
        assert self.engine is not None
        return await self.engine.tick()


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    server = DiscordStandIn(token=TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def discord_app_settings(tmp_path: Path, standin: DiscordStandIn) -> Settings:
    return discord_settings(tmp_path, standin)


@pytest.fixture
def settings(discord_app_settings: Settings) -> Settings:
    """The ``bot`` fixture of tests/conftest.py builds its app from these."""
    return discord_app_settings


@pytest.fixture
async def discord_bot(bot: BotHarness, standin: DiscordStandIn) -> AsyncIterator[DiscordHarness]:
    harness = DiscordHarness(bot, standin)
    await harness.start()
    yield harness
    await harness.stop()
    # whatever the test did, nothing the bot sent could ping anyone
    for payload in standin.sent_payloads():
        assert payload.get("allowed_mentions", {}).get("parse") == [], payload


@pytest.fixture
def make_app(tmp_path: Path, standin: DiscordStandIn, bot: BotHarness) -> Iterator[Callable[..., App]]:
    """Build more Apps on the test's database with other settings (another process, other shards)."""
    apps: list[App] = []

    def build(**extra: Any) -> App:
        app = fresh_app(discord_settings(tmp_path, standin, **extra), bot)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


def fresh_app(settings: Settings, bot: BotHarness) -> App:
    """A second App on the same database, as another process (or the same one restarted) builds it."""
    clock = FakeClock(bot.clock.now())
    return App.build(settings, clock=clock, nlu=bot.app.nlu, knowledge=bot.app.knowledge)
