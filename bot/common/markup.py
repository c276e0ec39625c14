r"""The core's neutral markup, and helpers to keep user-written text inert inside it.

Replies use a small Markdown subset that every adapter can render:

* ``**bold**`` and ``_italic_``
* lines starting with ``- `` are bullets
* a backslash escapes the next character (``\\*`` is a literal star)
* ``[label](url)`` is a link (made only by :func:`link`; ``mailto:`` and ``https:`` URLs): each adapter
  shows it the way its platform does, or as "label: url"

Anything a user wrote (notes, company and interviewer names) goes through :func:`literal` before it
is placed in a reply, so it can never turn into formatting. Mention syntax (``<!channel>``,
``@everyone``) is the adapters' job: each platform neutralises it when rendering.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_SPECIAL = re.compile(r"([\\*_`~|>#\[\]])")
_BOLD = re.compile(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\\\w])_(.+?)(?<!\\)_(?!\w)", re.S)
_UNESCAPE = re.compile(r"\\(.)", re.S)
_LINK = re.compile(r"(?<!\\)\[([^\[\]\\\n]+)\]\(((?:mailto:|https://)[^\s()<>|]+)\)")


def literal(text: str) -> str:
    """Escape user-written ``text`` so the markup shows it exactly as typed."""
    return _SPECIAL.sub(r"\\\1", text)


def bold(text: str) -> str:
    """Wrap already-safe markup in bold."""
    return f"**{text}**"


def bullets(lines: list[str]) -> str:
    """Join already-safe lines as a bulleted list."""
    return "\n".join(f"- {line}" for line in lines)


def link(label: str, url: str) -> str:
    """A link to ``url`` (``mailto:`` or ``https://``, percent-encoded: no spaces, brackets or ``|``)."""
    if not _LINK.fullmatch(f"[{label}]({url})"):
        raise ValueError("a link needs a label without brackets and a mailto:/https:// URL without spaces")
    return f"[{label}]({url})"


def to_plain(text: str) -> str:
    """Render markup as plain text (the console, notification previews, logs of replies)."""
    text = convert(text, bold_mark="", italic_mark="", escape=True)  # escapes kept until the bullets are read
    if "- " in text:
        text = "\n".join("• " + line[2:] if line.startswith("- ") else line for line in text.split("\n"))
    return _UNESCAPE.sub(r"\1", text) if "\\" in text else text


def convert(
    text: str,
    *,
    bold_mark: str,
    italic_mark: str,
    escape: bool,
    link_format: Callable[[str, str], str] | None = None,
) -> str:
    """Rewrite markup for a platform's own dialect.

    ``bold_mark``/``italic_mark`` replace ``**``/``_``; with ``escape`` false, the backslash escapes
    are resolved (for dialects without escapes, such as Slack's mrkdwn). ``link_format(label, url)``
    writes a link (by default "label: url").
    """
    fmt = link_format or (lambda label, url: f"{label}: {url}")
    out = text
    if "](" in out:  # (each pattern only where its marks are: a regular expression pass costs more than the test)
        out = _LINK.sub(lambda m: fmt(m.group(1), m.group(2)), out)
    if "**" in out:
        out = _BOLD.sub(lambda m: f"{bold_mark}{m.group(1)}{bold_mark}", out)
    if "_" in out:
        out = _ITALIC.sub(lambda m: f"{italic_mark}{m.group(1)}{italic_mark}", out)
    if not escape and "\\" in out:
        out = _UNESCAPE.sub(r"\1", out)
    return out


def split(text: str, limit: int) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters without losing any character.

    Cuts prefer paragraph breaks, then line breaks, then spaces; a single over-long word is cut hard.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep)
            if cut > limit // 4:
                cut += len(sep)
                break
            cut = -1
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:]
    if rest or not chunks:
        chunks.append(rest)
    return chunks
