"""Routing Discord's events into the core.

Slash commands, buttons, DMs and mentions become :class:`~bot.common.types.IncomingMessage` for the
runtime; answers go out through :mod:`.sending`. The work in progress is tracked so that stopping
can finish it. See :mod:`adapters.discord.adapter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from typing import Any

import discord

from adapters.discord.plugin import DiscordSettings
from adapters.discord.render import NO_MENTIONS, render_all
from adapters.discord.sending import PLATFORM, Sending, log
from bot.common.types import ConversationRef, IncomingMessage

DEFER_AFTER = 2.0  # seconds before an interaction is deferred (Discord's limit is 3)
RESTARTING = "I'm restarting right now. Please try again in a minute."
PICK_INTERVIEW = "Pick one of your interviews from the list (start typing the company name)."


def strip_mention(text: str, bot_id: int) -> str:
    """The message without the bot's mention(s)."""
    return re.sub(rf"<@!?{bot_id}>", " ", text).strip()


class Routing(Sending):
    """Commands, buttons and messages in; each answered through :class:`Sending`."""

    # What the mixins share (set by DiscordAdapter.__init__ and start()).
    settings: DiscordSettings
    defer_after: float
    guild_id: int | None
    shard_ids: list[int] | None
    _accepting: bool
    _tasks: set[asyncio.Task[Any]]

    def is_counsellor(self, ref: ConversationRef, roles: list[str]) -> bool:
        """Whether the member (with these role ids and names) is a career-office counsellor."""
        return self.settings.is_counsellor(ref, roles)

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
