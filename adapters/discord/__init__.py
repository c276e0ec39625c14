"""SecondRound on Discord: slash commands, buttons, DMs, mentions, and reminders by DM.

The package imports nothing on its own: ``secondround`` finds every platform's plugin object
(``adapters.discord.plugin``) at start, for its settings and secret patterns, and the platform's SDK is
loaded only when its adapter is built (``DiscordAdapter`` below is imported on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]


def __getattr__(name: str) -> type[DiscordAdapter]:
    if name == "DiscordAdapter":
        from adapters.discord.adapter import DiscordAdapter

        return DiscordAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
