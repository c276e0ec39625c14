"""Neutral replies as Slack messages (mrkdwn + Block Kit), and Slack text back to plain words.

Everything here is pure: no network, no state. Two rules keep user-written text inert:

* the whole reply text is escaped (``&``, ``<``, ``>``) *before* the core's markup is converted, so
  ``<!channel>``, ``<@U…>`` and links written by a user show up literally and notify nobody;
* mrkdwn text objects are ``verbatim``, so Slack does not turn ``@here`` or ``#general`` into
  mentions either.

Slack's limits are honoured by splitting, never by cutting: a section holds at most 3,000
characters, a message at most 50 blocks, the App Home at most 100.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.common import markup
from bot.common.types import Button, Reply
from bot.common.zones import find_zone

SECTION_CHARS = 3000
MESSAGE_BLOCKS = 50
HOME_BLOCKS = 100
BUTTONS_PER_BLOCK = 25
BUTTON_LABEL_CHARS = 75
BUTTON_VALUE_CHARS = 2000
FALLBACK_CHARS = 3000  # the notification preview; the blocks carry the whole text

BUTTON_ACTION = "sr_btn_"  # core buttons: action_id sr_btn_<n>, value = the core's button value
SHARE_ACTION = "sr_share"  # the adapter's own "Share in channel" button

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_BOT_MENTION = r"<@{user}(?:\|[^>]*)?>"
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]*)(?:\|([^>]*))?>")

Block = dict[str, Any]


@dataclass
class Message:
    """One Slack message: notification text and the blocks shown."""

    text: str
    blocks: list[Block] = field(default_factory=list)


# --- outgoing ------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """The core's neutral markup as Slack mrkdwn, with every ``<``, ``>``, ``&`` made literal."""
    out = markup.convert(
        escape(text), bold_mark="*", italic_mark="_", escape=False, link_format=lambda label, url: f"<{url}|{label}>"
    )
    return "\n".join("• " + line[2:] if line.startswith("- ") else line for line in out.split("\n"))


def split_mrkdwn(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Split converted text into chunks of at most ``limit`` characters, never inside ``&amp;``.

    Cuts are :func:`bot.common.markup.split`'s (paragraph, then line, then space), moved back when they
    would fall inside an escaped character.
    """
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        head = markup.split(rest[: limit + 1], limit)[0]
        partial = _PARTIAL_ENTITY.search(head)
        if partial and partial.start() > 0:
            head = head[: partial.start()]
        chunks.append(head)
        rest = rest[len(head) :]
    chunks.append(rest)
    return chunks


def section(text: str) -> Block:
    """A section block of (already converted) mrkdwn."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text or " ", "verbatim": True}}


def button(label: str, value: str, action_id: str, style: str | None = None) -> dict[str, Any]:
    """A Block Kit button (label cut to Slack's 75 characters: labels are short by design)."""
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:BUTTON_LABEL_CHARS] or "…", "emoji": True},
        "value": value[:BUTTON_VALUE_CHARS],
        "action_id": action_id,
    }
    if style in {"primary", "danger"}:
        element["style"] = style
    return element


def button_blocks(buttons: Sequence[Button], counter: Iterable[int]) -> list[Block]:
    """Actions blocks for the core's buttons (25 per block); each gets a unique action id."""
    numbers = iter(counter)
    blocks: list[Block] = []
    for start in range(0, len(buttons), BUTTONS_PER_BLOCK):
        elements = [
            button(b.label, b.value, f"{BUTTON_ACTION}{next(numbers)}", b.style)
            for b in buttons[start : start + BUTTONS_PER_BLOCK]
        ]
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def reply_blocks(replies: Sequence[Reply]) -> list[Block]:
    """All replies as one run of blocks: each reply's sections, then its buttons."""
    blocks: list[Block] = []
    counter = iter(range(1_000_000))
    for reply in replies:
        blocks.extend(section(chunk) for chunk in split_mrkdwn(mrkdwn(reply.text)))
        blocks.extend(button_blocks(reply.buttons, counter))
    return blocks


def fallback_text(replies: Sequence[Reply]) -> str:
    """The plain notification text of a message (Slack shows the blocks, not this)."""
    plain = escape("\n\n".join(markup.to_plain(r.text) for r in replies))
    return split_mrkdwn(plain, FALLBACK_CHARS)[0]


def messages(replies: Sequence[Reply], *, share_value: str | None = None) -> list[Message]:
    """Replies as as few messages as Slack allows (at most 50 blocks each), nothing left out.

    With ``share_value``, the last message ends with a "Share in channel" button.
    """
    blocks = reply_blocks(replies)
    if share_value is not None:
        blocks.append(
            {"type": "actions", "elements": [button("Share in channel", share_value, SHARE_ACTION)]},
        )
    if not blocks:
        return []
    out: list[Message] = []
    for start in range(0, len(blocks), MESSAGE_BLOCKS):
        part = blocks[start : start + MESSAGE_BLOCKS]
        texts = [b["text"]["text"] for b in part if b["type"] == "section"]
        out.append(Message(split_mrkdwn("\n\n".join(texts), FALLBACK_CHARS)[0] if texts else "…", part))
    if out:
        out[0].text = fallback_text(replies) or out[0].text
    return out


def share_value(*, text: str | None = None, action: str | None = None) -> str | None:
    """The value of a "Share in channel" button: the question to ask again, or None if too long."""
    payload = json.dumps({"a": action} if action is not None else {"t": text or ""}, ensure_ascii=False)
    return payload if len(payload) <= BUTTON_VALUE_CHARS else None


def parse_share_value(value: str) -> tuple[str | None, str]:
    """The (action, text) stored in a share button's value."""
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        return None, ""
    if not isinstance(data, dict):
        return None, ""
    action = data.get("a")
    text = data.get("t")
    return (action if isinstance(action, str) else None), (text if isinstance(text, str) else "")


MORE_IN_DM = "There's more than fits on this page: ask me “what's coming up?” in our direct messages to see it all."


def home_view(replies: Sequence[Reply]) -> dict[str, Any]:
    """The App Home tab: the core's home replies, dividers between them, at most 100 blocks."""
    blocks: list[Block] = []
    counter = iter(range(1_000_000))
    for i, reply in enumerate(replies):
        if i:
            blocks.append({"type": "divider"})
        blocks.extend(section(chunk) for chunk in split_mrkdwn(mrkdwn(reply.text)))
        blocks.extend(button_blocks(reply.buttons, counter))
    if len(blocks) > HOME_BLOCKS:  # never silently: say where the rest is
        blocks = [*blocks[: HOME_BLOCKS - 1], {"type": "context", "elements": [_mrkdwn_element(MORE_IN_DM)]}]
    return {"type": "home", "blocks": blocks}


def _mrkdwn_element(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": escape(text), "verbatim": True}


# --- incoming ------------------------------------------------------------------------------------


def incoming_text(raw: str, bot_user_id: str | None) -> str:
    """Slack message text as the words the user typed.

    The bot's own ``<@U…>`` mention is removed; links become their label (or address); other Slack
    syntax (``<!channel>``, ``<@U…>``) is kept as typed, and ``&lt;`` ``&gt;`` ``&amp;`` become the
    characters they stand for: the core treats all of it as literal text, and replies escape it again.
    """
    text = raw or ""
    if bot_user_id:
        text = re.sub(r" ?" + _BOT_MENTION.format(user=re.escape(bot_user_id)), "", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:").removeprefix("tel:"), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.strip()


COMMANDS = {
    "list": "interview:list",
    "notes": "notes:show",
    "forget": "forget:ask",
    "help": "help",
}


@dataclass(frozen=True)
class Command:
    """A ``/coach`` invocation as the core sees it: an action or words, and whether to offer sharing."""

    action: str | None
    text: str = ""
    shareable: bool = False  # general advice may be shared in the channel; personal subcommands not


def command(text: str) -> Command:
    """``/coach`` text as an action or words.

    ``list``, ``notes``, ``tips <topic>``, ``timezone <zone>``, ``forget``, ``help``; nothing at all
    is help; anything else is a question in the student's own words.
    """
    words = incoming_text(text, None)
    head, _, rest = words.partition(" ")
    verb, rest = head.lower(), rest.strip()
    if not words:
        return Command("help", shareable=True)
    if verb in COMMANDS and not rest:
        return Command(COMMANDS[verb], shareable=verb == "help")
    if verb == "tips":
        return Command(f"tips:{rest}", shareable=bool(rest))
    if verb in {"timezone", "tz"} and rest:
        # a zone the core knows goes as its action; anything else as words, so the core explains
        return Command(f"tz:{rest}") if find_zone(rest) else Command(None, f"set my time zone to {rest}")
    return Command(None, words, shareable=True)
