"""Rendering for Slack: nothing user-written becomes a mention, and nothing is cut to fit Slack's limits."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack import render
from bot.common import markup
from bot.common.types import Button, Reply


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _sections(messages: list[render.Message]) -> list[str]:
    return [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]


def test_an_answer_longer_than_fifty_blocks_goes_out_as_several_messages_with_every_word() -> None:
    words = [f"w{i:06d}" for i in range(30_000)]  # about 240,000 characters: more than 80 sections
    reply = Reply("**Everything**\n" + " ".join(words), (Button("More", "more:x"),))
    messages = render.messages([reply])
    assert len(messages) >= 2
    assert all(len(m.blocks) <= render.MESSAGE_BLOCKS for m in messages)
    sections = _sections(messages)
    assert all(len(s) <= render.SECTION_CHARS for s in sections)
    assert "".join(sections).split()[1:] == words  # after the bold title, every word, in order
    assert messages[-1].blocks[-1]["type"] == "actions"  # the button comes after the whole text
    assert all(len(m.text) <= render.FALLBACK_CHARS for m in messages)


def test_the_app_home_keeps_to_a_hundred_blocks_and_says_where_the_rest_is() -> None:
    replies = [Reply(f"**Interview {i}**", (Button("Sent ✓", f"thanks:sent:{i}"),)) for i in range(80)]
    view = render.home_view(replies)
    assert view["type"] == "home" and len(view["blocks"]) == render.HOME_BLOCKS
    assert "what's coming up?" in view["blocks"][-1]["elements"][0]["text"]


def test_twenty_six_buttons_fit_in_two_action_blocks_with_unique_ids() -> None:
    reply = Reply("Pick one", tuple(Button(f"Topic {i}", f"topic:{i}") for i in range(26)))
    actions = [b for b in render.reply_blocks([reply]) if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 1]
    ids = [e["action_id"] for a in actions for e in a["elements"]]
    assert len(set(ids)) == 26 and all(i.startswith(render.BUTTON_ACTION) for i in ids)


@given(st.text(alphabet=st.sampled_from(list("ab <>&!@#*_~`|\\\n-")), max_size=400))
def test_whatever_a_user_writes_arrives_literally_and_never_as_slack_syntax(typed: str) -> None:
    text = render.mrkdwn(f"Noted: “{markup.literal(typed)}”")
    assert "<" not in text and ">" not in text  # so no <!channel>, <@U…> or <link|…> can form
    assert re.sub(r"&(?!amp;|lt;|gt;)", "", text) == text  # every & is part of an entity
    shown = _unescape(text)
    assert typed.replace("\n- ", "\n• ") in shown


@given(st.integers(min_value=50, max_value=3000), st.integers(min_value=0, max_value=5))
def test_splitting_never_cuts_an_escaped_character_in_half(limit: int, shift: int) -> None:
    text = render.escape(("x" * shift + "&<>" * 2000)[:6000])
    chunks = render.split_mrkdwn(text, limit)
    assert "".join(chunks) == text
    for chunk in chunks:
        assert len(chunk) <= limit
        assert not re.search(r"&[a-z]{0,3}$", chunk)


def test_incoming_slack_text_becomes_the_words_the_student_typed() -> None:
    raw = (
        "<@U0BOT> note: ask &lt;Sarah&gt; about <https://acme.example/jobs|the role> &amp; "
        "<mailto:hr@acme.example|hr@acme.example> <!here>"
    )
    assert render.incoming_text(raw, "U0BOT") == ("note: ask <Sarah> about the role & hr@acme.example <!here>")
    assert render.incoming_text("hey <@U0BOT|secondround>, help", "U0BOT") == "hey, help"


def test_coach_subcommands_map_to_the_cores_actions() -> None:
    assert render.command("") == render.Command("help", shareable=True)
    assert render.command("LIST") == render.Command("interview:list")
    assert render.command("notes") == render.Command("notes:show")
    assert render.command("tips dinner interviews") == render.Command("tips:dinner interviews", shareable=True)
    assert render.command("timezone Europe/Berlin") == render.Command("tz:Europe/Berlin")
    assert render.command("forget") == render.Command("forget:ask")
    assert render.command("list my interviews please") == render.Command(
        None, "list my interviews please", shareable=True
    )
