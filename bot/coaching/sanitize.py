"""Cleans what users type before anything reads it."""

from __future__ import annotations

import re
import unicodedata

# terminal escape sequences (colours, cursor moves, titles): ESC [ … letter, ESC ] … BEL or ESC \
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def clean(text: str) -> str:
    """Normalise Unicode (NFC), drop terminal escape sequences, control and bidi-override characters, trim.

    Printable text in any script (including right-to-left ones) is kept as it is.
    """
    text = _SURROGATE.sub("", text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", _ESCAPE.sub("", text.replace("\t", " ")))
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def looks_like_words(text: str) -> bool:
    """Whether ``text`` has at least one letter or digit (binary junk and symbol soup do not)."""
    letters = sum(1 for ch in text if ch.isalnum())
    return letters > 0 and letters >= len(text) * 0.2
