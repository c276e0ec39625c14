"""SecondRound on Discord: slash commands, buttons, DMs, mentions, and reminders by DM."""

from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
