"""Turning the core's replies into Discord messages: markdown, 2,000-character pieces, buttons.

Rendering is pure (no network) so it can be checked on its own. Buttons become persistent
components: each one's ``custom_id`` is the core's button value, which carries all the state a click
needs, and :class:`ActionButton` (a ``DynamicItem``) answers any click whose id looks like one, so
buttons keep working after a restart and on another instance.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import discord

from bot.common import markup
from bot.common.types import Button, File, Reply

log = logging.getLogger(__name__)

CONTENT_LIMIT = 2000  # characters in one message
MAX_BUTTONS = 25  # 5 rows of 5
LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
_FENCE_MARGIN = 24  # room to close a code block (4) and reopen it with its language (up to 20)
_FENCE = re.compile(r"```([\w+-]{0,16})")
BUTTON_VALUE = re.compile(r"[a-z_]+(?::[^\n]*)?")
TZ_HINT = "\nNot in the list? Use `/timezone`: it searches every time zone as you type."
_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    None: discord.ButtonStyle.secondary,
}
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Discord message to send: its content, the buttons under it, whether it is private, its files."""

    content: str
    buttons: tuple[Button, ...] = ()
    private: bool = False
    files: tuple[File, ...] = ()

    def attachments(self) -> list[discord.File]:
        """The files as discord.py attachments (new objects each time: discord.py consumes them)."""
        return [discord.File(io.BytesIO(f.content.encode("utf-8")), filename=f.name) for f in self.files]


def to_discord(text: str) -> str:
    """The core's markup as Discord markdown (which keeps backslash escapes)."""
    return markup.convert(text, bold_mark="**", italic_mark="_", escape=True, link_format=_link)


def _link(label: str, url: str) -> str:
    """Discord shows https links (masked), not mailto: ones: those are left out (the text has a copy)."""
    return f"[{label}]({url})" if url.startswith("https://") else ""


def split_content(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Split ``text`` into messages of at most ``limit`` characters.

    A code block cut in two is closed at the end of one piece and reopened (with its language) at
    the start of the next, so a long export still shows as code in every message.
    """
    if len(text) <= limit:
        return [text]
    out: list[str] = []
    reopen = ""
    for piece in markup.split(text, limit - _FENCE_MARGIN):
        chunk = reopen + piece
        inside, lang = bool(reopen), reopen[3:].strip()
        for match in _FENCE.finditer(piece):
            inside, lang = (False, "") if inside else (True, match.group(1))
        if inside:
            chunk = chunk.rstrip("\n") + "\n```"
            reopen = f"```{lang}\n"
        else:
            reopen = ""
        out.append(chunk)
    return out


def usable_buttons(buttons: Iterable[Button]) -> tuple[Button, ...]:
    """The buttons Discord can carry: values that fit a custom id, at most 25, labels cut to 80."""
    out = []
    for button in buttons:
        if len(button.value) > CUSTOM_ID_LIMIT or not BUTTON_VALUE.fullmatch(button.value):
            log.warning("discord_button_dropped", extra={"reason": "value unfit for a custom id"})
            continue
        label = button.label if len(button.label) <= LABEL_LIMIT else button.label[: LABEL_LIMIT - 1] + "…"
        out.append(Button(label or "·", button.value, button.style))
    if len(out) > MAX_BUTTONS:
        log.warning("discord_buttons_truncated", extra={"count": len(out)})
    return tuple(out[:MAX_BUTTONS])


def render(reply: Reply) -> list[Outgoing]:
    """One reply as the Discord messages that show it; the buttons go under the last one."""
    text = to_discord(reply.text)
    if any(b.value.startswith("tz:") for b in reply.buttons):
        text += TZ_HINT
    chunks = [c for c in split_content(text) if c.strip()] or ["\u200b"]
    buttons = usable_buttons(reply.buttons)
    last = len(chunks) - 1
    return [
        Outgoing(c, buttons if i == last else (), reply.private, reply.files if i == last else ())
        for i, c in enumerate(chunks)
    ]


def render_all(replies: Iterable[Reply]) -> list[Outgoing]:
    """Every reply, in order."""
    return [out for reply in replies for out in render(reply)]


# buttons ---------------------------------------------------------------------------------------------

ClickHandler = Callable[[discord.Interaction[Any], str], Awaitable[None]]


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_VALUE.pattern):
    """A button whose custom id is the core's button value.

    Registered once with ``client.add_dynamic_items``: discord.py then routes every click whose
    custom id matches, whichever message (and whichever process) it came from, to the client's
    ``on_button`` (the adapter).
    """

    def __init__(
        self, value: str, label: str = "·", style: discord.ButtonStyle = discord.ButtonStyle.secondary
    ) -> None:
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=value))
        self.value = value

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        """Rebuild the button from a click (the value is the whole custom id)."""
        label = getattr(item, "label", None) or "·"
        return cls(match.group(0), label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to whoever owns the client (the adapter)."""
        handler: ClickHandler | None = getattr(interaction.client, "on_button", None)
        if handler is not None:
            await handler(interaction, self.value)


def make_view(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    """The components for ``buttons``, or None.

    The view is stopped before it is sent, so discord.py keeps nothing in memory for it: clicks are
    answered by :class:`ActionButton` alone (once, and the same way after a restart).
    """
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(
            ActionButton(button.value, button.label, _STYLES.get(button.style, discord.ButtonStyle.secondary))
        )
    view.stop()
    return view
