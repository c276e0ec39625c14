"""SecondRound in Slack: ``secondround run slack`` (Socket Mode or HTTP), built on slack-bolt's AsyncApp.

The package imports nothing on its own: ``secondround`` finds every platform's plugin object
(``adapters.slack.plugin``) at start, for its settings and secret patterns, and the platform's SDK is
loaded only when its adapter is built (``SlackAdapter`` below is imported on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]


def __getattr__(name: str) -> type[SlackAdapter]:
    if name == "SlackAdapter":
        from adapters.slack.adapter import SlackAdapter

        return SlackAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
