"""Sending to Discord.

Answers to interactions (in time, deferred, or by DM once the interaction's token has expired),
mentions whose private replies go by DM, reminders by DM, and what a failed send means for the
reminder engine. See :mod:`adapters.discord.adapter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from adapters.discord.render import NO_MENTIONS, Outgoing, make_view, render_all
from bot.common.types import ConversationRef, Reply
from bot.ops.runtime import Runtime
from bot.reminders.delivery import DeliveryError

if TYPE_CHECKING:
    from adapters.discord.client import SecondRoundClient

log = logging.getLogger("adapters.discord.adapter")  # one logger name for the adapter's parts

PLATFORM = "discord"
DELIVER_TIMEOUT = 25.0  # below the reminder engine's own 30 s, so it gets a DeliveryError
CLOSED_DMS_MEMORY = 600.0  # seconds to skip DMs to a member whose DMs were found closed
DM_CLOSED_CODE = 50007
_EXPIRED_CODES = {10015, 10062, 50027}  # unknown webhook, unknown interaction, invalid webhook token

SENT_BY_DM = "That answer holds your own data, so I've sent it to you by direct message."
DMS_CLOSED = (
    "That answer holds your own data, so I won't post it here, and I can't send you a direct message "
    "(your DMs are closed to me). Use a slash command instead, such as `/interview list` or `/notes`: "
    "only you will see the answer."
)


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


class _TokenExpired(Exception):
    """The interaction's 15 minutes are over: follow-ups must go another way."""


class Sending:
    """Posting answers and reminders (the Deliverer), and remembering whose DMs are closed."""

    # What the mixins share (set by DiscordAdapter.__init__ and start()).
    runtime: Runtime
    client: SecondRoundClient | None
    deliver_timeout: float
    _closed_dms: dict[int, float]  # user id → when their DMs were found closed (monotonic)

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
