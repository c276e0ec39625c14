"""The reminder kinds' one table (bot/reminders/kinds.py) and the copies of its defaults in the docs."""

from __future__ import annotations

from pathlib import Path

from bot.common.settings import parse_offsets
from bot.reminders.kinds import DEFAULT_OFFSETS, ReminderKind, table

ROOT = Path(__file__).resolve().parent.parent


def test_every_kind_has_a_rule_and_a_valid_default() -> None:
    offsets = parse_offsets(DEFAULT_OFFSETS)
    for kind in ReminderKind:
        assert callable(kind.rule.due)
        assert (kind in offsets) == bool(kind.rule.default), kind


def test_the_printed_table_is_every_kind_with_its_default() -> None:
    """`python -m bot.reminders.kinds` is what docs/configuration.md points to for the kinds and defaults."""
    printed = table()
    for kind in ReminderKind:
        row = next(line for line in printed.splitlines() if line.startswith(f"| `{kind}` |"))
        assert (f"| `{kind.rule.default}` |" if kind.rule.default else "| off |") in row, row
        assert f"| {kind.words} |" in row
    assert printed.rstrip().endswith(f"SECONDROUND_REMINDER_OFFSETS default: {DEFAULT_OFFSETS}")


def test_the_configuration_reference_points_at_the_kinds_and_copies_no_default() -> None:
    """docs/configuration.md names the command instead of a per-kind copy that a new kind would make stale."""
    docs = (ROOT / "docs" / "configuration.md").read_text()
    row = next(line for line in docs.splitlines() if line.startswith("| `SECONDROUND_REMINDER_OFFSETS`"))
    assert "python -m bot.reminders.kinds" in row and "bot/reminders/kinds.py" in row
    assert DEFAULT_OFFSETS not in row, "the default list is copied into docs/configuration.md: point at the command"


def test_the_env_example_points_at_the_kinds_and_its_example_is_valid() -> None:
    """deploy/.env.example shows the shape with a short example and names the command for the defaults.

    It copies no default list, which a new kind would make stale; its example must still parse.
    """
    example = (ROOT / "deploy" / ".env.example").read_text()
    assert "python -m bot.reminders.kinds" in example
    assert DEFAULT_OFFSETS not in example, "the default list is copied into deploy/.env.example: point at the command"
    line = next(x for x in example.splitlines() if x.startswith("# SECONDROUND_REMINDER_OFFSETS="))
    assert parse_offsets(line.split("=", 1)[1])
