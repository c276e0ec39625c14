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
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from adapters.discord.commands import build_commands
from adapters.discord.plugin import DiscordSettings, plugin
from adapters.discord.render import NO_MENTIONS, ActionButton, Outgoing, make_view, render_all
from bot.common.settings import ConfigError
from bot.common.types import ConversationRef, IncomingMessage, Reply
from bot.ops import plugins
from bot.ops.runtime import Runtime
from bot.reminders.delivery import DeliveryError

log = logging.getLogger(__name__)

PLATFORM = "discord"
DEFER_AFTER = 2.0  # seconds before an interaction is deferred (Discord's limit is 3)
CONNECT_TIMEOUT = 60.0
DELIVER_TIMEOUT = 25.0  # below the reminder engine's own 30 s, so it gets a DeliveryError
MAX_RATELIMIT_TIMEOUT = 30.0  # discord.py's minimum: longer waits raise RateLimited instead of blocking
CLOSED_DMS_MEMORY = 600.0  # seconds to skip DMs to a member whose DMs were found closed
STOP_GRACE = 20.0
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"
DM_CLOSED_CODE = 50007
_EXPIRED_CODES = {10015, 10062, 50027}  # unknown webhook, unknown interaction, invalid webhook token

SENT_BY_DM = "That answer holds your own data, so I've sent it to you by direct message."
DMS_CLOSED = (
    "That answer holds your own data, so I won't post it here, and I can't send you a direct message "
    "(your DMs are closed to me). Use a slash command instead, such as `/interview list` or `/notes`: "
    "only you will see the answer."
)
RESTARTING = "I'm restarting right now. Please try again in a minute."
PICK_INTERVIEW = "Pick one of your interviews from the list (start typing the company name)."


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


def delivery_error(exc: BaseException) -> DeliveryError:
    """What a failed DM means for the reminder engine (the reason is shown to the member later)."""
    if isinstance(exc, discord.RateLimited):
        return DeliveryError("Discord rate limit", retry_after=exc.retry_after)
    if isinstance(exc, discord.Forbidden):
        if exc.code == DM_CLOSED_CODE:
            return DeliveryError("Discord DMs are closed, error 50007", permanent=True)
        return DeliveryError(f"Discord refused the message, error {exc.code}", permanent=True)
    if isinstance(exc, discord.NotFound):
        return DeliveryError(f"Discord account not found, error {exc.code}", permanent=True)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:  # a 429 without Discord's rate-limit body (Cloudflare): back off a while
            return DeliveryError("Discord rate limit", retry_after=60.0)
        return DeliveryError(f"Discord error {exc.status}")
    if isinstance(exc, TimeoutError):
        return DeliveryError("Discord did not answer in time")
    return DeliveryError(f"Discord unreachable ({type(exc).__name__})")


def _expired(exc: discord.HTTPException) -> bool:
    return exc.status == 401 or exc.code in _EXPIRED_CODES


def _extras(out: Outgoing) -> dict[str, Any]:
    """The buttons (a view) and the files of one message, as discord.py's send arguments."""
    extra: dict[str, Any] = {}
    view = make_view(out.buttons)
    if view is not None:
        extra["view"] = view
    if out.files:
        extra["files"] = out.attachments()
    return extra


def strip_mention(text: str, bot_id: int) -> str:
    """The message without the bot's mention(s)."""
    return re.sub(rf"<@!?{bot_id}>", " ", text).strip()


class _TokenExpired(Exception):
    """The interaction's 15 minutes are over: follow-ups must go another way."""


class SecondRoundClient(discord.AutoShardedClient):
    """discord.py's sharded client, with the adapter's commands, buttons and message handler."""

    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
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


class DiscordAdapter:
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

    def is_counsellor(self, ref: ConversationRef, roles: list[str]) -> bool:
        """Whether the member (with these role ids and names) is a career-office counsellor."""
        return self.settings.is_counsellor(ref, roles)

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
        self._honour_gateway_override(client, settings.gateway_url)
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

    async def deliver(self, ref: ConversationRef, replies: list[Reply]) -> None:
        """Send a reminder to the member by DM; raise DeliveryError when that is not possible."""
        if self.client is None or self.client.is_closed():
            raise DeliveryError("Discord adapter not running", retry_after=30.0)
        if not ref.user.isdigit():
            raise DeliveryError("not a Discord user id", permanent=True)
        user_id = int(ref.user)
        closed_at = self._closed_dms.get(user_id)
        if closed_at is not None and time.monotonic() - closed_at < CLOSED_DMS_MEMORY:
            raise DeliveryError("Discord DMs are closed, error 50007", permanent=True)
        try:
            await asyncio.wait_for(self._send_dm(user_id, render_all(replies)), timeout=self.deliver_timeout)
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = delivery_error(exc)
            if isinstance(exc, discord.Forbidden) and exc.code == DM_CLOSED_CODE:
                self._closed_dms[user_id] = time.monotonic()
            log.warning(
                "discord_delivery_failed",
                extra={"reason": error.reason, "permanent": error.permanent, "retry_after": error.retry_after},
            )
            raise error from None

    # work in progress --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every event being handled has been answered (or ``timeout`` s passed)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        me = asyncio.current_task()
        while pending := [t for t in self._tasks if t is not me and not t.done()]:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return
            await asyncio.wait(pending, timeout=left)

    # commands ----------------------------------------------------------------------------------------

    async def sync_commands(self) -> None:
        """Register the slash commands: in ``DISCORD_GUILD_ID`` (instant) or globally.

        With several processes sharing one bot, only the one running shard 0 registers them.
        """
        client = self.client
        if client is None:
            return
        if self.shard_ids and 0 not in self.shard_ids:
            log.info("discord_commands_sync_skipped", extra={"reason": "shard 0 runs elsewhere"})
            return
        try:
            if self.guild_id:
                guild = discord.Object(id=self.guild_id)
                client.tree.copy_global_to(guild=guild)
                synced = await client.tree.sync(guild=guild)
            else:
                synced = await client.tree.sync()
        except discord.HTTPException as exc:
            hint = (
                "is the bot in that server, invited with the applications.commands scope?"
                if self.guild_id
                else "the commands registered earlier stay in place"
            )
            log.error("discord_commands_sync_failed", extra={"status": exc.status, "code": exc.code, "hint": hint})
            return
        log.info("discord_commands_synced", extra={"count": len(synced), "guild": self.guild_id})

    async def on_command_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        """A command failed in the adapter: log it, and tell the member if they have no answer yet."""
        log.error("discord_command_failed", exc_info=error)
        if not interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(
                    "Sorry, something went wrong on my side. Please try again.",
                    ephemeral=True,
                    allowed_mentions=NO_MENTIONS,
                )

    def ref_for(self, interaction: discord.Interaction[Any]) -> ConversationRef:
        """Where an interaction came from, as the core names it (user ids are global on Discord)."""
        return ConversationRef(PLATFORM, "", str(interaction.channel_id or ""), str(interaction.user.id))

    async def interview_choices(self, interaction: discord.Interaction[Any], typed: str) -> list[tuple[str, str]]:
        """The member's upcoming interviews matching ``typed`` (autocomplete)."""
        coach = self.runtime.app.coach
        return await asyncio.to_thread(coach.interview_choices, self.ref_for(interaction), typed)

    async def answer_for_interview(
        self,
        interaction: discord.Interaction[Any],
        chosen: str,
        action: str,
        fields: dict[str, str] | None = None,
    ) -> None:
        """``action:<id>`` for the picked interview; typed text is matched against the member's interviews."""
        chosen = chosen.strip()
        ident = chosen if chosen.isdigit() else None
        if ident is None:
            matches = await self.interview_choices(interaction, chosen)
            ident = matches[0][1] if len(matches) == 1 else None
        if ident is None:
            await interaction.response.send_message(PICK_INTERVIEW, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await self.answer(interaction, action=f"{action}:{ident}", fields=fields)

    # interactions (commands and buttons) ------------------------------------------------------------

    async def answer(
        self,
        interaction: discord.Interaction[Any],
        *,
        text: str = "",
        action: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        """Ask the core and show its replies: directly if it answers in time, else defer and follow up."""
        if not self._accepting:  # shutting down: say so rather than let Discord report a failure
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(RESTARTING, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        with self._tracked():
            self._closed_dms.pop(interaction.user.id, None)
            ref = self.ref_for(interaction)
            msg = IncomingMessage(
                ref, text=text, action=action, fields=dict(fields or {}), direct=interaction.guild_id is None
            )
            work = asyncio.ensure_future(self.runtime.handle_once(msg, f"i:{interaction.id}"))
            done, _ = await asyncio.wait({work}, timeout=self.defer_after)
            deferred = lost = False
            if not done:
                try:
                    await interaction.response.defer(ephemeral=interaction.guild_id is not None, thinking=True)
                    deferred = True
                except discord.HTTPException as exc:  # too late already (the event came in late): DM the answer
                    log.warning("discord_defer_failed", extra={"status": exc.status, "code": exc.code})
                    lost = True
            replies = await work
            if replies is None:  # another instance took it
                return
            outs = render_all(replies)
            if lost:
                await self._dm_fallback(interaction, outs)
            else:
                await self._respond(interaction, outs, deferred)

    async def _respond(self, interaction: discord.Interaction[Any], outs: Sequence[Outgoing], deferred: bool) -> None:
        in_guild = interaction.guild_id is not None
        if not outs:  # nothing to say (a member sending too fast): close the interaction quietly
            with contextlib.suppress(discord.HTTPException):
                if deferred:
                    await interaction.delete_original_response()
                elif interaction.type is discord.InteractionType.component:
                    await interaction.response.defer()
                else:
                    await interaction.response.defer(ephemeral=True, thinking=True)
                    await interaction.delete_original_response()
            return
        sent = 0
        try:
            for out in outs:
                extra = _extras(out)
                if sent == 0 and deferred:
                    if "files" in extra:  # an edit carries files as attachments
                        extra["attachments"] = extra.pop("files")
                    await interaction.edit_original_response(content=out.content, allowed_mentions=NO_MENTIONS, **extra)
                elif sent == 0:
                    await interaction.response.send_message(
                        out.content, ephemeral=out.private and in_guild, allowed_mentions=NO_MENTIONS, **extra
                    )
                else:
                    if interaction.is_expired():
                        raise _TokenExpired
                    await interaction.followup.send(
                        out.content,
                        ephemeral=(out.private or deferred) and in_guild,
                        allowed_mentions=NO_MENTIONS,
                        **extra,
                    )
                sent += 1
        except (discord.HTTPException, _TokenExpired) as exc:
            if isinstance(exc, discord.HTTPException) and not _expired(exc):
                raise
            log.info("discord_interaction_expired", extra={"undelivered": len(outs) - sent, "fallback": "dm"})
            await self._dm_fallback(interaction, outs[sent:])

    async def _dm_fallback(self, interaction: discord.Interaction[Any], outs: Sequence[Outgoing]) -> None:
        """The interaction can no longer be answered: send the rest of the answer by DM."""
        try:
            await self._send_dm(interaction.user.id, outs)
        except discord.HTTPException as exc:
            log.warning("discord_dm_fallback_failed", extra={"status": exc.status, "code": exc.code})

    # messages (DMs and mentions) --------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Answer a DM, or a message that mentions the bot in a channel."""
        client = self.client
        if not self._accepting or client is None or client.user is None or message.author.bot:
            return
        direct = message.guild is None
        if not direct and not any(u.id == client.user.id for u in message.mentions):
            return
        with self._tracked():
            self._closed_dms.pop(message.author.id, None)
            text = strip_mention(message.content, client.user.id) if not direct else message.content
            ref = ConversationRef(PLATFORM, "", str(message.channel.id), str(message.author.id))
            replies = await self.runtime.handle_once(IncomingMessage(ref, text=text, direct=direct), f"m:{message.id}")
            if not replies:
                return
            if direct:
                await self._send(message.channel, render_all(replies))
            else:
                await self._answer_mention(message, replies)

    async def _answer_mention(self, message: discord.Message, replies: list[Reply]) -> None:
        """Public replies answer the message in the channel; private ones go by DM, and the channel hears so."""
        private = render_all(r for r in replies if r.private)
        note = None
        if private:
            try:
                await self._send_dm(message.author.id, private)
                note = Outgoing(SENT_BY_DM)
            except discord.Forbidden:
                note = Outgoing(DMS_CLOSED)
        public: list[Outgoing] = []
        for reply in replies:  # the note about the DM stands where the first private reply was
            if not reply.private:
                public.extend(render_all([reply]))
            elif note is not None:
                public.append(note)
                note = None
        for n, out in enumerate(public):
            extra = _extras(out)
            try:
                if n == 0:
                    await message.reply(out.content, allowed_mentions=NO_MENTIONS, mention_author=False, **extra)
                else:
                    await message.channel.send(out.content, allowed_mentions=NO_MENTIONS, **extra)
            except discord.Forbidden as exc:  # no permission to write in that channel
                log.warning("discord_channel_send_forbidden", extra={"code": exc.code})
                return

    # sending ---------------------------------------------------------------------------------------

    async def _send(self, channel: discord.abc.Messageable, outs: Sequence[Outgoing]) -> None:
        for out in outs:
            await channel.send(out.content, allowed_mentions=NO_MENTIONS, **_extras(out))

    async def _send_dm(self, user_id: int, outs: Sequence[Outgoing]) -> None:
        if not outs:
            return
        client = self.client
        if client is None:
            raise DeliveryError("Discord adapter not running", retry_after=30.0)
        channel = await client.create_dm(discord.Object(id=user_id))
        await self._send(channel, outs)

    # set-up helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _honour_gateway_override(client: discord.AutoShardedClient, gateway_url: str) -> None:
        """Use a configured gateway address even when Discord's ``/gateway/bot`` names another."""
        if gateway_url.rstrip("/") == DEFAULT_GATEWAY.rstrip("/"):
            return
        fetch = client.http.get_bot_gateway

        async def get_bot_gateway() -> Any:
            shards, _url, limits = await fetch()
            return shards, gateway_url, limits

        client.http.get_bot_gateway = get_bot_gateway  # type: ignore[method-assign]
