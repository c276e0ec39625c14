"""The discord.py client SecondRound runs, and the addresses it talks to.

Each client sends to its own REST API and gateway addresses (Discord's, or a stand-in for tests):
discord.py's ``Route.BASE`` is rewritten per client, nothing process-wide changes. See
:mod:`adapters.discord.adapter`.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from adapters.discord.commands import build_commands
from adapters.discord.render import ActionButton
from adapters.discord.sending import log

if TYPE_CHECKING:
    from adapters.discord.routing import Routing

DEFAULT_GATEWAY = "wss://gateway.discord.gg/"


def _rebase(url: str, api_url: str) -> str:
    """A route's URL, built on discord.py's ``Route.BASE``, moved onto ``api_url``."""
    base = discord.http.Route.BASE
    return api_url.rstrip("/") + url[len(base) :] if url.startswith(base) else url


class _BasedHTTP(discord.http.HTTPClient):
    """discord.py's HTTP client, sending to its own API and gateway addresses (not the process-wide ones)."""

    api_url: str
    gateway_url: yarl.URL

    async def request(self, route: discord.http.Route, **kwargs: Any) -> Any:
        route.url = _rebase(route.url, self.api_url)
        return await super().request(route, **kwargs)

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        asked = yarl.URL(url)
        if asked.with_query(None) == DiscordWebSocket.DEFAULT_GATEWAY:  # discord.py's fallback: ours instead
            url = str(self.gateway_url.with_query(asked.query))
        return await super().ws_connect(url, compress=compress)


class _BasedWebhooks(AsyncWebhookAdapter):
    """discord.py's interaction and webhook sender, sending to one client's API address."""

    api_url: str

    async def request(self, route: discord.http.Route, *args: Any, **kwargs: Any) -> Any:
        route.url = _rebase(route.url, self.api_url)
        return await super().request(route, *args, **kwargs)


def configure_endpoints(client: discord.Client, api_url: str, gateway_url: str) -> contextvars.Context:
    """Point one client at Discord's REST API and gateway (or at a stand-in, for tests).

    Nothing process-wide changes, so two clients in one process may use different addresses. The client's
    own HTTP calls and gateway connections follow at once. Interaction responses go through discord.py's
    webhook adapter, which it picks per context: run the client's gateway task (``client.connect`` or
    ``client.start``) in the returned context, and every event handler it starts inherits it.
    """
    http = client.http
    http.__class__ = _BasedHTTP  # the same object (the connection state holds it), with the overrides
    assert isinstance(http, _BasedHTTP)
    http.api_url = api_url
    http.gateway_url = yarl.URL(gateway_url)
    context = contextvars.copy_context()
    webhooks = _BasedWebhooks()  # type: ignore[no-untyped-call]
    webhooks.api_url = api_url
    context.run(async_context.set, webhooks)
    return context


def intents() -> discord.Intents:
    """Guilds, guild messages (for mentions) and DMs; no privileged intent (message content stays off)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    return wanted


class SecondRoundClient(discord.AutoShardedClient):
    """discord.py's sharded client, with the adapter's commands, buttons and message handler."""

    def __init__(self, adapter: Routing, **options: Any) -> None:
        super().__init__(**options)
        self.adapter = adapter
        self.tree = app_commands.CommandTree(
            self,
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
        )
        self.tree.on_error = adapter.on_command_error  # type: ignore[method-assign]
        build_commands(self.tree, adapter)

    async def setup_hook(self) -> None:
        """After login, before the gateway: buttons from any earlier message work; commands sync."""
        self.add_dynamic_items(ActionButton)
        await self.adapter.sync_commands()

    async def on_message(self, message: discord.Message) -> None:
        """A DM, or a channel message (only mentions of the bot carry text)."""
        await self.adapter.on_message(message)

    async def on_button(self, interaction: discord.Interaction[Any], value: str) -> None:
        """A click on one of the bot's buttons (see :class:`ActionButton`)."""
        await self.adapter.answer(interaction, action=value)

    async def on_shard_ready(self, shard_id: int) -> None:
        """Log each shard as it comes up."""
        log.info("discord_shard_ready", extra={"shard": shard_id, "shard_count": self.shard_count})


def honour_gateway_override(client: discord.AutoShardedClient, gateway_url: str) -> None:
    """Use a configured gateway address even when Discord's ``/gateway/bot`` names another."""
    if gateway_url.rstrip("/") == DEFAULT_GATEWAY.rstrip("/"):
        return
    fetch = client.http.get_bot_gateway

    async def get_bot_gateway() -> Any:
        shards, _url, limits = await fetch()
        return shards, gateway_url, limits

    client.http.get_bot_gateway = get_bot_gateway  # type: ignore[method-assign]
