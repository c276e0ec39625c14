"""Markup rendering skips patterns whose marks are absent: the output is what every pattern would give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common import markup
from bot.common.markup import _BOLD, _ITALIC, _LINK, _UNESCAPE

PIECES = st.sampled_from(
    ["**", "_", "\\", "[", "]", "(", ")", "https://x.org/a_b", "mailto:a@b.c", "- ", "\n", " ", "a", "é", "*", "x_y"]
)
TEXTS = st.lists(PIECES, max_size=30).map("".join)


def _every_pattern_plain(text: str) -> str:
    text = _LINK.sub(r"\1: \2", text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    text = "\n".join("• " + line[2:] if line.startswith("- ") else line for line in text.split("\n"))
    return _UNESCAPE.sub(r"\1", text)


def _every_pattern_convert(text: str, escape: bool) -> str:
    out = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    out = _BOLD.sub(lambda m: f"*{m.group(1)}*", out)
    out = _ITALIC.sub(lambda m: f"_{m.group(1)}_", out)
    return out if escape else _UNESCAPE.sub(r"\1", out)


@settings(max_examples=400, deadline=None)
@given(TEXTS, st.booleans())
def test_rendering_is_unchanged_by_skipping_absent_marks(text: str, escape: bool) -> None:
    assert markup.to_plain(text) == _every_pattern_plain(text)
    converted = markup.convert(
        text, bold_mark="*", italic_mark="_", escape=escape, link_format=lambda label, url: f"<{url}|{label}>"
    )
    assert converted == _every_pattern_convert(text, escape)
