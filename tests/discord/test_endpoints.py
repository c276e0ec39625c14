"""Each Discord client has its own API and gateway addresses: nothing process-wide is rewritten (issue 13)."""

from __future__ import annotations

import discord
from discord.gateway import DiscordWebSocket

from adapters.discord import DiscordAdapter
from adapters.discord.plugin import DiscordSettings
from bot.ops.runtime import Runtime
from tests.discord.conftest import TOKEN, DiscordHarness
from tests.standins.discord import DiscordStandIn

DISCORD_API = discord.http.Route.BASE
DISCORD_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY


async def test_two_clients_in_one_process_each_talk_to_their_own_discord(discord_bot: DiscordHarness) -> None:
    first = discord_bot.standin
    second = DiscordStandIn(token=TOKEN)
    await second.start()
    runtime = Runtime(discord_bot.bot.app, health=False, reminders=False)
    other = DiscordAdapter(
        runtime,
        guild_ready_timeout=0.05,
        settings=DiscordSettings(
            DISCORD_TOKEN=TOKEN,
            SECONDROUND_DISCORD_API_URL=second.api_url,
            SECONDROUND_DISCORD_GATEWAY_URL=second.gateway_url,
        ),
    )
    runtime.add(other)
    await runtime.start()
    try:
        assert (discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == (DISCORD_API, DISCORD_GATEWAY)
        for standin in (first, second):  # a message, and a slash command (answered through discord.py's webhooks)
            ann = standin.user("ann")
            await standin.message(ann, "help")
            await standin.wait_for(lambda standin=standin, ann=ann: standin.dms(ann))
            ix = await standin.slash(ann, "interview list")
            await standin.wait_for(lambda ix=ix: ix.callbacks)
    finally:
        await runtime.stop(grace=5)
        await second.stop()
