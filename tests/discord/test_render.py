"""How the core's replies look on Discord: markdown, 2,000-character pieces, buttons."""

from __future__ import annotations

from adapters.discord.render import (
    CONTENT_LIMIT,
    TZ_HINT,
    ActionButton,
    make_view,
    render,
    split_content,
    to_discord,
    usable_buttons,
)
from bot.common import markup
from bot.common.types import Button, Reply


def test_markup_becomes_discord_markdown_and_user_text_stays_literal() -> None:
    note = markup.literal("*not bold* _nor italic_ `code` # heading")
    text = to_discord(f"**Noted** _for Acme_: {note}")
    assert text.startswith("**Noted** _for Acme_: ")
    assert r"\*not bold\* \_nor italic\_ \`code\` \# heading" in text


def test_long_text_is_split_without_losing_a_character() -> None:
    text = "\n\n".join(f"Paragraph {n}: " + "practise your answers out loud. " * 12 for n in range(20))
    pieces = split_content(text)
    assert len(pieces) > 1
    assert all(len(p) <= CONTENT_LIMIT for p in pieces)
    assert "".join(pieces) == text


def test_a_split_code_block_is_closed_and_reopened_in_every_piece() -> None:
    body = "\n".join(f'  "note {n}": "{"x" * 60}",' for n in range(80))
    pieces = split_content(f"Here's everything I store about you:\n```json\n{body}\n```")
    assert len(pieces) >= 3
    for n, piece in enumerate(pieces):
        assert len(piece) <= CONTENT_LIMIT
        assert piece.count("```") == 2
        if n:
            assert piece.startswith("```json\n")
    assert all(f'"note {n}"' in "".join(pieces) for n in range(80))


def test_buttons_fit_discord() -> None:
    many = [Button(f"Topic {n}", f"topic:t{n}") for n in range(30)]
    long_label = Button("L" * 100, "thanks:sent:7", "primary")
    long_value = Button("Too much state", "more:" + "x" * 120)
    kept = usable_buttons([long_label, long_value, *many])
    assert len(kept) == 25
    assert len(kept[0].label) == 80 and kept[0].label.endswith("…") and kept[0].style == "primary"
    assert all(b.value != long_value.value for b in kept)


def test_buttons_go_under_the_last_piece_and_the_zone_question_points_to_timezone() -> None:
    reply = Reply("Which time zone are you in? " + "x " * 1200, (Button("Berlin", "tz:Europe/Berlin"),), private=True)
    pieces = render(reply)
    assert [bool(p.buttons) for p in pieces] == [False, True]
    assert pieces[-1].content.endswith(TZ_HINT)
    assert all(p.private for p in pieces)
    assert not render(Reply("Noted.", (Button("Show my notes", "notes:show"),)))[0].content.endswith(TZ_HINT)


async def test_views_carry_the_values_as_custom_ids_and_are_not_kept_in_memory() -> None:
    buttons = (Button("Sent ✓", "thanks:sent:42", "primary"), Button("Tomorrow", "reminder:snooze:9:tomorrow"))
    view = make_view(buttons)
    assert view is not None and view.is_finished()  # discord.py will not store it: the DynamicItem answers
    rows = view.to_components()
    ids = [c["custom_id"] for row in rows for c in row["components"]]
    assert ids == ["thanks:sent:42", "reminder:snooze:9:tomorrow"]
    assert all(ActionButton.__discord_ui_compiled_template__.fullmatch(i) for i in ids)
    assert make_view(()) is None
