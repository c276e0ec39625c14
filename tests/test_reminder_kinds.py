"""The reminder kinds' one table (bot/reminders/kinds.py) and the copies of its defaults in the docs."""

from __future__ import annotations

from pathlib import Path

from bot.common.settings import parse_offsets
from bot.reminders.kinds import DEFAULT_OFFSETS, ReminderKind

ROOT = Path(__file__).resolve().parent.parent


def test_every_kind_has_a_rule_and_a_valid_default() -> None:
    offsets = parse_offsets(DEFAULT_OFFSETS)
    for kind in ReminderKind:
        assert callable(kind.rule.due)
        assert (kind in offsets) == bool(kind.rule.default), kind


def test_the_documented_defaults_are_the_table() -> None:
    """docs/configuration.md and deploy/.env.example show the defaults; a kind off by default is still named."""
    docs = (ROOT / "docs" / "configuration.md").read_text()
    row = next(line for line in docs.splitlines() if line.startswith("| `SECONDROUND_REMINDER_OFFSETS`"))
    assert f"`{DEFAULT_OFFSETS}`" in row, f"write `{DEFAULT_OFFSETS}` as the default in docs/configuration.md"
    assert [kind.value for kind in ReminderKind if kind.value not in docs] == []
    example = (ROOT / "deploy" / ".env.example").read_text()
    assert f"SECONDROUND_REMINDER_OFFSETS={DEFAULT_OFFSETS}\n" in example, "and in deploy/.env.example"
