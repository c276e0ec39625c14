"""What students see in Slack: DMs, mentions, /coach, buttons, App Home, reminders, echoed notes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.slack import SlackAdapter
from bot.ops.runtime import Runtime
from bot.reminders.engine import ReminderEngine
from tests.slack.conftest import SlackHarness, click_payload, mention_event
from tests.standins.slack import BOT_USER_ID, dm_channel

ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
CHANNEL = "C0CAREER"


def everything_sent(slack: SlackHarness) -> str:
    """Every message, ephemeral answer and view the bot sent, as raw JSON (what Slack would parse)."""
    return "\n".join(json.dumps(c.body, ensure_ascii=False) for c in slack.standin.calls if c.method != "users.info")


async def test_a_dm_conversation_schedules_an_interview_and_the_thank_you_reminder_arrives_by_dm(
    slack: SlackHarness,
) -> None:
    slack.standin.user_tz[ALICE] = "Europe/Berlin"  # her Slack profile
    dm = dm_channel(ALICE)

    await slack.dm(ALICE, "I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    got = await slack.reply_in(dm)
    assert "*Acme*: Friday 6 March, 3:00 PM, with Sarah Chen" in got.shown
    assert "Times are in Europe/Berlin" in got.shown  # the profile's zone, from users.info
    assert "Cancel interview" in got.buttons
    assert slack.standin.calls_to("users.info")[0].body["user"] == ALICE

    engine = ReminderEngine(slack.bot.app, {"slack": slack.adapter}, pacing=0.0)
    # Friday 15:00 in Berlin is 14:00 UTC; the thank-you reminder is two hours after it
    slack.bot.clock.set(datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    await engine.tick()
    prepare = await slack.reply_in(dm, count=2)
    assert "Acme" in prepare.shown and "tomorrow" in prepare.shown.lower()

    slack.bot.clock.set(datetime(2026, 3, 6, 16, 0, tzinfo=UTC))
    await engine.tick()
    thanks = await slack.reply_in(dm, count=3)
    assert "thank-you" in thanks.shown and "Sarah Chen" in thanks.shown
    assert {"Sent ✓", "Remind me later"} <= set(thanks.buttons)
    assert not slack.standin.calls_to("chat.postMessage", lambda c: c.body["channel"] != dm)

    await slack.click(click_payload(thanks.button("Sent"), user=ALICE, channel=dm, response_url=None))
    done = await slack.reply_in(dm, count=4)
    assert "marked the thank-yous for Acme as sent" in done.shown


async def test_reminders_open_a_dm_when_the_bot_has_none_yet(slack: SlackHarness) -> None:
    """After a restart the adapter knows no DM channel: it opens one (conversations.open)."""
    from bot.common.types import ConversationRef, Reply

    await slack.adapter.deliver(ConversationRef("slack", "T0TEAM", "", CAROL), [Reply("**Heads-up** from your coach")])
    [opened] = slack.standin.calls_to("conversations.open")
    assert opened.body["users"] == CAROL, opened.body
    [post] = slack.posts(dm_channel(CAROL))
    assert post.shown == "*Heads-up* from your coach"


async def test_a_mention_is_answered_in_a_thread_and_private_data_stays_out_of_the_channel(
    slack: SlackHarness,
) -> None:
    await slack.dm(BOB, "I have a second interview with Globex on Friday at 3pm")
    await slack.reply_in(dm_channel(BOB))

    question = mention_event(BOB, CHANNEL, "how do I handle a dinner interview?")
    await slack.event(question)
    answer = await slack.reply_in(CHANNEL, thread=question["ts"])
    assert "meal" in answer.shown.lower()  # advice for the dinner, under a heading fitting the question

    personal = mention_event(BOB, CHANNEL, "what's coming up?")
    await slack.event(personal)
    notice = await slack.reply_in(CHANNEL, thread=personal["ts"])
    assert "sent it to you in our direct messages" in notice.shown
    private = await slack.reply_in(dm_channel(BOB), count=2)
    assert "Globex" in private.shown
    await slack.settle()
    in_channel = "\n".join(c.shown for c in slack.posts(CHANNEL))
    assert "Globex" not in in_channel
    assert not slack.standin.calls_to(
        "chat.postMessage", lambda c: c.body["channel"] == CHANNEL and not c.body.get("thread_ts")
    )


async def test_the_bot_mention_is_stripped_before_the_core_reads_the_text(slack: SlackHarness) -> None:
    seen: list[str] = []
    handle_once = slack.bot.app.coach.handle_once

    def spy(msg, receipt, **kw):  # type: ignore[no-untyped-def]
        seen.append(msg.text)
        return handle_once(msg, receipt, **kw)

    slack.bot.app.coach.handle_once = spy  # type: ignore[method-assign]
    await slack.event(mention_event(CAROL, CHANNEL, "who's interviewing me this time?"))
    await slack.reply_in(CHANNEL)
    assert seen == ["who's interviewing me this time?"]
    assert BOT_USER_ID not in seen[0]


@pytest.mark.parametrize(
    ("text", "expected", "shareable"),
    [
        ("", "What I can do", True),
        ("list", "no upcoming interviews", False),
        ("notes", "You have no notes yet", False),
        ("tips salary", "Salary and negotiating", True),
        ("timezone Europe/Berlin", "your time zone is now Europe/Berlin", False),
        ("timezone Mars/Base", "I don't know the time zone “Mars/Base”", False),
        ("forget", "This deletes everything I have about you", False),
        ("how do I handle a dinner interview?", "meal interview", True),
    ],
)
async def test_coach_subcommands_answer_only_the_student(
    slack: SlackHarness, text: str, expected: str, shareable: bool
) -> None:
    sent, response_url = await slack.command(text, user=CAROL)
    assert (sent.status, sent.body) == (200, "")  # acknowledged at once, answered afterwards
    answer = await slack.response(response_url)
    assert answer.body["response_type"] == "ephemeral"
    assert expected in answer.shown
    assert ("Share in channel" in answer.buttons) is shareable
    await slack.settle()
    assert not slack.standin.calls_to("chat.postMessage")  # nothing in the channel


async def test_forget_by_command_asks_then_deletes_by_button(slack: SlackHarness) -> None:
    await slack.dm(CAROL, "I have a second interview with Initech on Monday at 10am")
    await slack.reply_in(dm_channel(CAROL))
    _, url = await slack.command("forget", user=CAROL)
    ask = await slack.response(url)
    assert "1 interview(s)" in ask.shown
    yes = ask.button("Yes, delete")
    assert yes["style"] == "danger"
    click_url = slack.standin.response_url()
    await slack.click(click_payload(yes, user=CAROL, channel=CHANNEL, response_url=click_url, ephemeral=True))
    done = await slack.response(click_url)
    assert "I've deleted your interviews" in done.shown and done.body["response_type"] == "ephemeral"
    _, url = await slack.command("list", user=CAROL)
    assert "no upcoming interviews" in (await slack.response(url)).shown


async def test_share_in_channel_posts_a_general_answer_for_everyone(slack: SlackHarness) -> None:
    _, url = await slack.command("tips salary", user=CAROL)
    answer = await slack.response(url)
    click_url = slack.standin.response_url()
    share = answer.button("Share in channel")
    await slack.click(click_payload(share, user=CAROL, channel=CHANNEL, response_url=click_url, ephemeral=True))
    shared = await slack.response(click_url)
    assert shared.body["response_type"] == "in_channel"
    assert "Salary and negotiating" in shared.shown and "Share in channel" not in shared.buttons
    deleted = await slack.response(click_url, count=2)
    assert deleted.body == {"delete_original": True, "_url": click_url}


async def test_when_the_response_url_and_the_dm_both_fail_the_student_is_told_in_the_channel(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Sharing from an expired ephemeral message, with direct messages closed: the last way left."""
    _, url = await slack.command("tips salary", user=CAROL)
    share = (await slack.response(url)).button("Share in channel")
    slack.standin.fail("response_url", "expired_url")
    slack.standin.fail("conversations.open", "user_not_found")
    click_url = slack.standin.response_url()
    await slack.click(click_payload(share, user=CAROL, channel=CHANNEL, response_url=click_url, ephemeral=True))
    [told] = await slack.standin.wait_for("chat.postEphemeral")
    assert (told.body["channel"], told.body["user"]) == (CHANNEL, CAROL)
    assert "expired" in told.shown
    await slack.settle()
    assert "slack_listener_failed" not in caplog.text
    assert not slack.standin.calls_to("chat.postMessage")  # nothing went public


async def test_a_button_click_works_like_typing_and_after_a_restart(slack: SlackHarness) -> None:
    dm = dm_channel(ALICE)
    await slack.dm(ALICE, "hi")
    hello = await slack.reply_in(dm)
    dinner = hello.button("Dinner")
    await slack.adapter.stop()  # the bot restarts: a new adapter, nothing in memory

    again = SlackAdapter(Runtime(slack.bot.app, health=False, reminders=False), host="127.0.0.1", port=0)
    await again.start()
    slack.extra.append(again)
    sent = await slack.click(
        click_payload(dinner, user=ALICE, channel=dm, response_url=slack.standin.response_url()), adapter=again
    )
    assert sent.status == 200
    tips = await slack.reply_in(dm, count=2)
    assert "Meals, drinks" in tips.shown
    assert "More tips" in tips.buttons


async def test_app_home_shows_the_students_interviews_and_refreshes_when_they_change(slack: SlackHarness) -> None:
    await slack.dm(ALICE, "I have a second interview with Acme on Friday at 3pm")
    await slack.reply_in(dm_channel(ALICE))
    await slack.settle()
    publishes = len(slack.standin.calls_to("views.publish"))

    await slack.event({"type": "app_home_opened", "user": ALICE, "channel": dm_channel(ALICE), "tab": "home"})
    [*_, home] = await slack.standin.wait_for("views.publish", count=publishes + 1)
    assert home.body["user_id"] == ALICE and home.body["view"]["type"] == "home"
    assert "*Acme*" in home.shown and "Next reminder" in home.shown
    assert "Salary" in home.buttons and "Is it right for me?" in home.buttons

    await slack.dm(ALICE, "I have a second interview with Globex on Monday at 10am")
    [*_, refreshed] = await slack.standin.wait_for("views.publish", lambda c: "Globex" in c.shown, count=1)
    assert "*Acme*" in refreshed.shown

    await slack.click(click_payload(home.button("Salary"), user=ALICE, channel=None, response_url=None, view=True))
    tips = await slack.reply_in(dm_channel(ALICE), count=3)
    assert "Salary and negotiating" in tips.shown


async def test_a_note_with_slack_mention_syntax_is_echoed_harmlessly(slack: SlackHarness) -> None:
    # what Slack sends when the student types: note: tell @channel & <@Carol>, see <b>free pizza</b>
    raw = "note: tell <!channel> &amp; <@U0CAROL>, <!here> see &lt;b&gt;<https://evil.example|free pizza>&lt;/b&gt;"
    dm = dm_channel(ALICE)
    await slack.dm(ALICE, raw)
    noted = await slack.reply_in(dm)
    await slack.dm(ALICE, "show my notes")
    notes = await slack.reply_in(dm, count=2)
    for message in (noted, notes):
        assert (
            "&lt;!channel&gt; &amp; &lt;@U0CAROL&gt;, &lt;!here&gt; see &lt;b&gt;free pizza&lt;/b&gt;" in message.shown
        )
    sent = everything_sent(slack)
    for live in ("<!channel>", "<!here>", "<@U0CAROL>", "<https://", "<b>"):
        assert live not in sent


async def test_long_answers_are_split_into_sections_without_losing_a_word(slack: SlackHarness) -> None:
    dm = dm_channel(ALICE)
    words = [f"point{i:04d}" for i in range(510)]
    notes = [words[i : i + 170] for i in range(0, 510, 170)]  # three notes of about 1,700 characters
    for count, part in enumerate(notes, 1):
        await slack.dm(ALICE, "note: " + " ".join(part))
        await slack.reply_in(dm, count=count)
    await slack.dm(ALICE, "show my notes")
    shown = await slack.reply_in(dm, count=4)
    sections = [b["text"]["text"] for b in shown.blocks if b["type"] == "section"]
    assert len(sections) >= 2 and all(len(s) <= 3000 for s in sections)
    joined = " ".join(sections).split()
    assert [w for w in joined if w.startswith("point")] == words


async def test_a_click_in_a_dm_between_people_never_posts_private_data_there(slack: SlackHarness) -> None:
    """Alice shared an answer in her DM with Bob; Bob presses one of its buttons."""
    shared_dm = "D0ALICEBOB"
    url = slack.standin.response_url()
    element = {"action_id": "sr_btn_0", "value": "interview:list", "text": {"type": "plain_text", "text": "List"}}
    await slack.click(click_payload(element, user=BOB, channel=shared_dm, response_url=url))
    answer = await slack.response(url)
    assert answer.body["response_type"] == "ephemeral" and "no upcoming interviews" in answer.shown
    await slack.settle()
    assert not slack.posts(shared_dm)
