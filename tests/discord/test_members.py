"""What members of a Discord community get: slash commands, buttons, DMs, mentions, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.common.types import File, IncomingMessage, Reply
from bot.knowledge.library import TOPIC_LABELS
from bot.storage.models import Reminder
from tests.conftest import BotHarness
from tests.discord.conftest import DiscordHarness, fresh_app
from tests.standins.discord import DiscordStandIn

COMMANDS = [
    "coach ask",
    "coach tips",
    "interview add",
    "interview list",
    "interview cancel",
    "interview move",
    "note add",
    "notes",
    "timezone",
    "thankyou sent",
    "export",
    "forgetme",
    "practice",
    "insights",
]


def general(standin: DiscordStandIn) -> int:
    """The #general channel of the community."""
    return standin.guild_channel[standin.guild_id]


def reminders(bot: BotHarness) -> list[Reminder]:
    with bot.app.db.session() as session:
        rows = list(session.scalars(select(Reminder).order_by(Reminder.id)))
        session.expunge_all()
        return rows


# commands ------------------------------------------------------------------------------------------


async def test_commands_are_registered_with_descriptions_choices_and_autocomplete(
    discord_bot: DiscordHarness,
) -> None:
    standin = discord_bot.standin
    assert sorted(standin.registered_names()) == sorted(COMMANDS)
    assert standin.command_puts == [None]  # no DISCORD_GUILD_ID: synced globally, once
    by_name = {c["name"]: c for c in standin.commands[None]}
    for cmd in by_name.values():
        assert cmd["description"]
        assert set(cmd["contexts"]) == {0, 1}  # usable in servers and in DMs with the bot
        for sub in cmd.get("options", []):
            assert sub["description"]
    subs = {s["name"]: s for s in by_name["coach"]["options"]}
    topic = subs["tips"]["options"][0]
    assert {c["name"] for c in topic["choices"]} == set(TOPIC_LABELS.values())
    interview = {s["name"]: s for s in by_name["interview"]["options"]}
    assert interview["cancel"]["options"][0]["autocomplete"] is True
    assert interview["move"]["options"][0]["autocomplete"] is True
    assert [o["name"] for o in interview["add"]["options"]] == ["company", "when", "with", "setting"]
    assert by_name["timezone"]["options"][0]["autocomplete"] is True
    # no privileged intent: guilds (1), guild messages (512), direct messages (4096); no message content
    assert standin.identifies[0]["intents"] == 1 | 512 | 4096


async def test_slash_command_schedules_an_interview_and_the_reminder_arrives_by_dm(
    discord_bot: DiscordHarness,
) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    ix = await discord_bot.slash(
        ann, "interview add", channel_id=general(standin), company="Acme", when="friday 3pm", setting="informal"
    )
    confirmation, *rest = ix.messages
    assert "**Acme**: Friday 6 March, 3:00 PM" in confirmation.content
    assert confirmation.ephemeral  # the member's own data stays between them and the bot
    assert not any("Acme" in m.content for m in standin.messages if not m.ephemeral)
    # Discord gives no time zone: the bot asks once, with buttons (and points to /timezone)
    question = next(m for m in rest if "Which time zone" in m.content)
    assert "/timezone" in question.content
    done = await discord_bot.click(ann, question, question.button("New_York"))
    assert "your time zone is now America/New_York" in done.text
    assert "keeps its local time" in done.text

    assert await discord_bot.deliver_due() == 0
    discord_bot.bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))  # Thursday 3 PM in New York
    assert await discord_bot.deliver_due() == 1
    (dm,) = standin.dms(ann)
    assert "Acme" in dm.content and "tomorrow" in dm.content.lower()
    assert "Preparation tips" in dm.buttons
    assert len(standin.calls("POST", "/users/@me/channels")) == 1

    # after the interview: the thank-you reminder, whose "Sent ✓" button works from the DM
    discord_bot.bot.clock.set(datetime(2026, 3, 6, 22, 0, tzinfo=UTC))  # Friday 5 PM in New York
    assert await discord_bot.deliver_due() == 1
    thanks = standin.dms(ann)[-1]
    sent = await discord_bot.click(ann, thanks, thanks.button("Sent"))
    assert "marked the thank-yous for Acme as sent" in sent.text
    assert not sent.messages[0].ephemeral  # a DM is private already
    discord_bot.bot.clock.set(datetime(2026, 3, 8, 15, 0, tzinfo=UTC))
    await discord_bot.deliver_due()
    assert len(standin.dms(ann)) == 3  # the reply to the click; no check-in reminder after "Sent ✓"


async def test_cancel_offers_only_your_own_interviews_as_you_type(discord_bot: DiscordHarness) -> None:
    standin = discord_bot.standin
    ann, bob = standin.user("ann"), standin.user("bob")
    channel = general(standin)
    await discord_bot.slash(ann, "timezone", channel_id=channel, zone="America/New_York")
    await discord_bot.slash(ann, "interview add", channel_id=channel, company="Acme", when="friday 3pm")
    await discord_bot.slash(ann, "interview add", channel_id=channel, company="Globex", when="March 10 at 10am")

    choices = await standin.autocomplete(ann, "interview cancel", "interview", "glo", channel_id=channel)
    assert [c["name"] for c in choices] == ["Globex, Tuesday 10 March, 10:00 AM"]
    everything = await standin.autocomplete(ann, "interview cancel", "interview", "", channel_id=channel)
    assert {c["name"].split(",")[0] for c in everything} == {"Acme", "Globex"}
    assert await standin.autocomplete(bob, "interview cancel", "interview", "", channel_id=channel) == []

    ix = await discord_bot.slash(ann, "interview cancel", channel_id=channel, interview=choices[0]["value"])
    assert "Cancelled your Globex interview" in ix.text
    assert ix.messages[0].ephemeral and "Undo" in ix.messages[0].buttons
    listing = await discord_bot.slash(ann, "interview list", channel_id=channel)
    assert "Acme" in listing.text and "Globex" not in listing.text

    # Bob cannot cancel Ann's interview by typing its id
    acme = next(c["value"] for c in everything if c["name"].startswith("Acme"))
    await discord_bot.slash(bob, "interview cancel", channel_id=channel, interview=acme)
    assert "Acme" in (await discord_bot.slash(ann, "interview list", channel_id=channel)).text
    # typing the name instead of picking works when it names one interview
    moved = await discord_bot.slash(ann, "interview move", channel_id=channel, interview="acme", when="thursday 11am")
    assert "Moved" in moved.text and "Thursday 5 March, 11:00 AM" in moved.text


async def test_timezone_autocomplete_searches_every_zone(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    choices = await standin.autocomplete(ann, "timezone", "zone", "berl")
    assert choices[0] == {"name": "Europe/Berlin", "value": "Europe/Berlin"}
    assert len(await standin.autocomplete(ann, "timezone", "zone", "america")) == 25  # Discord's maximum
    ix = await discord_bot.slash(ann, "timezone", zone="Europe/Berlin")
    assert "your time zone is now Europe/Berlin" in ix.text


async def test_buttons_work_once_and_still_work_after_a_restart(
    discord_bot: DiscordHarness, bot: BotHarness, discord_app_settings
) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    channel = general(standin)
    await discord_bot.slash(ann, "note add", channel_id=channel, text="ask about the team's on-call rota")
    tips = await discord_bot.slash(ann, "coach tips", channel_id=channel, topic="preparation")
    first = await discord_bot.click(ann, tips.messages[-1], tips.messages[-1].button("More tips"))
    assert first.text and first.text not in tips.text
    assert len(first.callbacks) == 1
    ask = await discord_bot.slash(ann, "forgetme", channel_id=channel)
    confirm = ask.messages[0]
    assert confirm.ephemeral and "Delete it all?" in confirm.content

    await discord_bot.stop()  # the bot restarts: nothing of the old process survives but the database
    app = fresh_app(discord_app_settings, bot)
    try:
        await discord_bot.start(app)
        assert len(standin.identifies) == 2
        kept = await discord_bot.click(ann, confirm, confirm.button("No, keep it"))
        assert kept.text == "OK, I kept everything."
        assert len(kept.callbacks) == 1
        again = await discord_bot.click(ann, tips.messages[-1], tips.messages[-1].button("More tips"))
        assert again.text == first.text  # the button's value carries its state: same page as before
        notes = await discord_bot.slash(ann, "notes", channel_id=channel)
        assert "on-call rota" in notes.text
    finally:
        await discord_bot.stop()
        app.close()
    assert not [r for r in standin.requests if r.status == 400]  # never answered an interaction twice


async def test_dm_conversation(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    hello = await discord_bot.dm(ann, "hi")
    assert "SecondRound" in hello[0].content
    assert "topic:interviewers" in hello[-1].buttons.values()
    zone = await discord_bot.dm(ann, "set my time zone to America/New_York")
    assert "your time zone is now America/New_York" in zone[0].content
    asked = await discord_bot.dm(ann, "got a second interview with Globex next monday")
    assert any("What time does it start?" in m.content for m in asked)
    answered = await discord_bot.dm(ann, "3pm")
    assert any("**Globex**: Monday 9 March, 3:00 PM" in m.content for m in answered)
    upcoming = await discord_bot.dm(ann, "what's coming up?")
    assert "Globex" in upcoming[0].content
    topic = await discord_bot.click(ann, hello[-1], hello[-1].button("Who you'll meet"))
    assert topic.messages and topic.messages[0].channel_id == standin.dm_channels[ann.id]
    assert all(m.via == "channel" and not m.ephemeral for m in hello + zone + asked + answered + upcoming)


async def test_mention_replies_in_channel_and_sends_private_data_by_dm(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    channel = general(standin)
    asked = await standin.message(
        ann, "how should I prepare for my second interview?", channel_id=channel, mention_bot=True
    )
    reply = await standin.wait_for(lambda: standin.channel_messages(channel))
    await discord_bot.settle()
    assert reply[0].reference == asked  # a reply to the member's message
    assert "prepar" in reply[0].content.lower()

    before = len(standin.channel_messages(channel))
    mid = await standin.message(
        ann, "I have a second interview with Initech on Friday at 3pm", channel_id=channel, mention_bot=True
    )
    await standin.wait_for(lambda: len(standin.channel_messages(channel)) > before)
    await discord_bot.settle()
    in_channel = standin.channel_messages(channel)[before:]
    assert not any("Initech" in m.content for m in in_channel)
    assert in_channel[0].reference == mid and "direct message" in in_channel[0].content
    assert any("**Initech**: Friday 6 March, 3:00 PM" in m.content for m in standin.dms(ann))


async def test_mention_with_closed_dms_keeps_private_data_out_and_says_why(discord_bot: DiscordHarness) -> None:
    standin, bob = discord_bot.standin, discord_bot.standin.user("bob")
    channel = general(standin)
    standin.close_dms(bob)
    await standin.message(
        bob, "I have a second interview with Initech on Friday at 3pm", channel_id=channel, mention_bot=True
    )
    said = await standin.wait_for(lambda: standin.channel_messages(channel))
    await discord_bot.settle()
    assert not any("Initech" in m.content for m in standin.messages)
    assert "DMs are closed" in said[0].content and "/interview list" in said[0].content


async def test_channel_messages_without_a_mention_are_not_answered(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    channel = general(standin)
    await standin.message(ann, "anyone up for lunch?", channel_id=channel)
    await discord_bot.dm(ann, "hi")  # events arrive in order: once this is answered, the first was seen
    assert standin.channel_messages(channel) == []


async def test_a_message_delivered_twice_is_answered_once(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    mid = await standin.message(ann, "note: bring the portfolio")
    await standin.wait_for(lambda: standin.dms(ann))
    await discord_bot.settle()
    # the same gateway event again (two processes on one shard, a replay): it is not handled twice
    await standin.message(ann, "note: bring the portfolio", message_id=mid)
    await standin.message(ann, "hi")
    await standin.wait_for(lambda: any("SecondRound" in m.content for m in standin.dms(ann)))
    await discord_bot.settle()
    assert sum("bring the portfolio" in m.content for m in standin.dms(ann)) == 1
    notes = await discord_bot.slash(ann, "notes")
    assert notes.text.count("bring the portfolio") == 1


# reminders that cannot be delivered ----------------------------------------------------------------


async def test_closed_dms_mark_the_reminder_undeliverable_and_the_member_is_told_once(
    discord_bot: DiscordHarness,
) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    channel = general(standin)
    await discord_bot.slash(ann, "timezone", channel_id=channel, zone="America/New_York")
    await discord_bot.slash(ann, "interview add", channel_id=channel, company="Acme", when="friday 3pm")
    standin.close_dms(ann)

    discord_bot.bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    await discord_bot.deliver_due()
    sends = standin.calls("POST", r"/channels/\d+/messages")
    assert [r.status for r in sends] == [403]
    (prepare,) = [r for r in reminders(discord_bot.bot) if r.kind == "prepare"]
    assert prepare.status == "failed" and "50007" in (prepare.last_error or "")

    # no retries: later sweeps and later reminders do not knock on the closed door again
    for day in (6, 7, 8):
        discord_bot.bot.clock.set(datetime(2026, 3, day, 23, 30, tzinfo=UTC))
        await discord_bot.deliver_due()
    assert len(standin.calls("POST", r"/channels/\d+/messages")) == 1

    told = await discord_bot.slash(ann, "interview list", channel_id=channel)
    heads_up = told.messages[0]
    assert heads_up.ephemeral and "couldn't deliver" in heads_up.content and "DMs are closed" in heads_up.content
    again = await discord_bot.slash(ann, "interview list", channel_id=channel)
    assert "couldn't deliver" not in again.text


async def test_a_rate_limited_dm_waits_as_discord_asks(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    await discord_bot.slash(ann, "timezone", zone="America/New_York")
    await discord_bot.slash(ann, "interview add", company="Acme", when="friday 3pm")
    standin.rate_limit("POST", r"/channels/\d+/messages", retry_after=0.4)

    discord_bot.bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    await discord_bot.deliver_due()
    first, second = standin.calls("POST", r"/channels/\d+/messages")[-2:]
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.4
    assert [m.content for m in standin.dms(ann) if "Acme" in m.content]
    (prepare,) = [r for r in reminders(discord_bot.bot) if r.kind == "prepare"]
    assert prepare.status == "sent"


async def test_a_long_rate_limit_hands_the_reminder_back_for_later(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    await discord_bot.slash(ann, "timezone", zone="America/New_York")
    await discord_bot.slash(ann, "interview add", company="Acme", when="friday 3pm")
    standin.rate_limit("POST", r"/channels/\d+/messages", retry_after=120)

    due = datetime(2026, 3, 5, 20, 0, tzinfo=UTC)
    discord_bot.bot.clock.set(due)
    await discord_bot.deliver_due()
    # it did not sit out the two minutes: one attempt only, and the reminder waits in the database
    assert len(standin.calls("POST", r"/channels/\d+/messages")) == 1
    (prepare,) = [r for r in reminders(discord_bot.bot) if r.kind == "prepare"]
    assert prepare.status == "pending"
    assert prepare.due_at.replace(tzinfo=UTC) == due + timedelta(seconds=120)

    discord_bot.bot.clock.set(datetime(2026, 3, 5, 20, 2, 1, tzinfo=UTC))
    await discord_bot.deliver_due()
    assert any("Acme" in m.content for m in standin.dms(ann))


# what the bot sends ---------------------------------------------------------------------------------


async def test_everyone_in_a_note_is_echoed_without_pinging_anyone(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    channel = general(standin)
    text = "@everyone @here <@&42> pizza after the panel"
    ix = await discord_bot.slash(ann, "note add", channel_id=channel, text=text)
    assert "@everyone @here" in ix.text
    assert ix.callbacks[0]["data"]["allowed_mentions"] == {"parse": []}
    await standin.message(ann, f"note: {text}", channel_id=channel, mention_bot=True)
    await standin.wait_for(lambda: any("@everyone" in m.content for m in standin.dms(ann)))
    await discord_bot.settle()
    echoed = [r.body for r in standin.calls("POST", r"/channels/\d+/messages") if "@everyone" in r.body["content"]]
    assert echoed and all(body["allowed_mentions"] == {"parse": []} for body in echoed)


async def test_long_replies_are_split_into_messages_discord_accepts(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    channel = general(standin)
    for n in range(4):
        await discord_bot.slash(ann, "note add", channel_id=channel, text=f"note {n}: " + "salary research " * 40)
    ix = await discord_bot.slash(ann, "export", channel_id=channel)
    assert len(ix.messages) >= 2
    assert all(len(m.content) <= 2000 and m.ephemeral for m in ix.messages)
    assert all(m.content.count("```") % 2 == 0 for m in ix.messages)  # each piece shows as code
    for n in range(4):
        assert f"note {n}: " in ix.text


# files -----------------------------------------------------------------------------------------------


def _with_export(bot: BotHarness) -> File:
    """The core answers "export" with a short reply carrying the export as a file."""
    export = File("secondround-export.json", "application/json", '{"notes": [{"text": "ask about the on-call rota"}]}')
    real = bot.app.coach.handle_once

    def answer(msg: IncomingMessage, receipt: Any, **kw: Any) -> list[Reply] | None:
        if msg.text == "export" or msg.action == "export":
            return [Reply("Here's everything I store about you.", private=True, files=(export,))]
        return real(msg, receipt, **kw)

    bot.app.coach.handle_once = answer  # type: ignore[method-assign]
    return export


def _attached(standin: DiscordStandIn) -> list[dict[str, Any]]:
    return [f for r in standin.requests if isinstance(r.body, dict) for f in r.body.get("_files", [])]


async def test_a_reply_with_a_file_is_sent_as_an_attachment(discord_bot: DiscordHarness, bot: BotHarness) -> None:
    export = _with_export(bot)
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    [answer] = await discord_bot.dm(ann, "export")
    assert "Here's everything" in answer.content
    assert _attached(standin) == [{"filename": export.name, "content": export.content}]

    ix = await discord_bot.slash(ann, "export", channel_id=general(standin))  # in a server: ephemeral
    assert ix.callbacks and _attached(standin)[1:] == [{"filename": export.name, "content": export.content}]
