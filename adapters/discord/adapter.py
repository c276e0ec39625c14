"""The Discord adapter: slash commands, buttons, DMs and mentions in, the core's replies out.

It translates and nothing more. Every event becomes an :class:`~bot.common.types.IncomingMessage` for
``runtime.handle``; every :class:`~bot.common.types.Reply` becomes Discord messages (see :mod:`.render`).
Platform rules it keeps:

* private replies never reach a shared channel: they are ephemeral (interactions) or sent by DM
  (mentions), and the channel is told so;
* nothing the bot sends can ping anyone (``AllowedMentions.none()`` on the client and on each send);
* interactions are answered within ``defer_after`` seconds or deferred (Discord allows 3), and a
  follow-up whose 15-minute token has expired goes by DM instead;
* reminders are DMs; errors map to :class:`~bot.reminders.delivery.DeliveryError` (closed DMs, 50007, are
  permanent: no retries, since 403s count toward Discord's invalid-request limit);
* the message-content intent stays off: the bot works through commands, DMs and mentions.

The parts: :mod:`.client` (discord.py's client and the addresses it talks to), :mod:`.routing` (events
in), :mod:`.sending` (answers and reminders out), :mod:`.render` (replies as Discord messages),
:mod:`.commands` (the slash commands); this module connects, stops and reports readiness.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import discord

from adapters.discord.client import SecondRoundClient, configure_endpoints, honour_gateway_override, intents
from adapters.discord.plugin import DiscordSettings, plugin
from adapters.discord.render import NO_MENTIONS
from adapters.discord.routing import DEFER_AFTER, Routing
from adapters.discord.sending import DELIVER_TIMEOUT, PLATFORM, log
from bot.common.settings import ConfigError
from bot.ops import plugins
from bot.ops.runtime import Runtime

CONNECT_TIMEOUT = 60.0
MAX_RATELIMIT_TIMEOUT = 30.0  # discord.py's minimum: longer waits raise RateLimited instead of blocking
STOP_GRACE = 20.0


class DiscordAdapter(Routing):
    """SecondRound on Discord (``secondround run discord``)."""

    platform = PLATFORM

    def __init__(
        self,
        runtime: Runtime,
        *,
        defer_after: float = DEFER_AFTER,
        guild_ready_timeout: float = 2.0,
        max_ratelimit_timeout: float = MAX_RATELIMIT_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        deliver_timeout: float = DELIVER_TIMEOUT,
        settings: DiscordSettings | None = None,
    ) -> None:
        """``settings`` default: read from the environment and the core's settings file."""
        if settings is None:
            loaded = plugins.load(plugin, runtime.settings)
            assert isinstance(loaded, DiscordSettings)
            settings = loaded
        self.settings = settings
        self.runtime = runtime
        self.defer_after = defer_after
        self.guild_ready_timeout = guild_ready_timeout
        self.max_ratelimit_timeout = max_ratelimit_timeout
        self.connect_timeout = connect_timeout
        self.deliver_timeout = deliver_timeout
        self.guild_id: int | None = settings.guild_id
        self.shard_ids: list[int] | None = settings.shard_ids
        self.shard_count: int | None = settings.shard_count
        self.client: SecondRoundClient | None = None
        self._runner: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._accepting = False
        self._closed_dms: dict[int, float] = {}  # user id → when their DMs were found closed (monotonic)

    # the Adapter protocol --------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, sync the slash commands, connect every shard; return once all are ready."""
        settings = self.settings
        secret = settings.token
        if secret is None or not secret.get_secret_value():
            raise ConfigError("DISCORD_TOKEN is not set (the bot token from the Discord developer portal).")
        discord.VoiceClient.warn_nacl = False  # voice is not used
        discord.VoiceClient.warn_dave = False
        client = SecondRoundClient(
            self,
            intents=intents(),
            shard_ids=self.shard_ids,
            shard_count=self.shard_count,
            allowed_mentions=NO_MENTIONS,
            max_messages=None,
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            guild_ready_timeout=self.guild_ready_timeout,
            max_ratelimit_timeout=self.max_ratelimit_timeout,
        )
        self.client = client
        context = configure_endpoints(client, settings.api_url, settings.gateway_url)
        honour_gateway_override(client, settings.gateway_url)
        try:
            await client.login(secret.get_secret_value())
        except discord.LoginFailure:
            await client.close()
            raise ConfigError(
                "DISCORD_TOKEN was rejected by Discord. Copy the bot token again from the developer portal "
                "(your application → Bot → Reset Token)."
            ) from None
        except BaseException:
            await client.close()
            raise
        self._accepting = True
        self._runner = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway", context=context)
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {self._runner, ready}, timeout=self.connect_timeout, return_when="FIRST_COMPLETED"
            )
        except asyncio.CancelledError:  # a signal during start-up: stop() disconnects
            ready.cancel()
            raise
        if ready in done:
            log.info(
                "discord_connected",
                extra={
                    "guilds": len(client.guilds),
                    "shards": sorted(client.shards),
                    "shard_count": client.shard_count,
                },
            )
            return
        ready.cancel()
        self._accepting = False
        error = self._runner.exception() if self._runner in done else None
        await client.close()
        if isinstance(error, discord.PrivilegedIntentsRequired):
            raise ConfigError("Discord refused a privileged intent; this bot needs none. Check the bot settings.")
        if error is not None:
            raise error
        raise TimeoutError(f"could not connect to Discord's gateway within {self.connect_timeout:.0f} s")

    async def stop(self) -> None:
        """Stop taking events, let replies in progress finish, then disconnect."""
        self._accepting = False
        await self.drain(STOP_GRACE)
        if self.client is not None:
            await self.client.close()
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._runner, timeout=10)

    def ready(self) -> bool:
        """Connected: logged in, every shard ready and open."""
        client = self.client
        if client is None or client.is_closed() or not client.is_ready():
            return False
        return all(not shard.is_closed() for shard in client.shards.values())
