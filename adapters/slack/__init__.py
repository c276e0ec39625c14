"""SecondRound in Slack: ``secondround run slack`` (Socket Mode or HTTP), built on slack-bolt's AsyncApp.

:class:`SlackAdapter` is imported on first use: finding the installed plugins (``adapters.slack.plugin``,
for every command, ``chat`` included) then does not load slack-bolt, the Slack SDK and aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]


def __getattr__(name: str) -> Any:
    if name == "SlackAdapter":
        from adapters.slack.adapter import SlackAdapter

        return SlackAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
