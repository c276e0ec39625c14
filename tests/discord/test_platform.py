"""The platform contract: Discord's 3 seconds and 15 minutes, secrets, start-up, sharding, shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from adapters.discord import DiscordAdapter
from bot.common.settings import ConfigError
from bot.common.types import ConversationRef, IncomingMessage, Reply
from bot.ops.app import App
from bot.ops.runtime import Runtime
from bot.reminders.delivery import DeliveryError
from tests.conftest import BotHarness
from tests.discord.conftest import TOKEN, DiscordHarness
from tests.discord.test_members import COMMANDS, general
from tests.standins.discord import DiscordStandIn


def slow_core(harness: DiscordHarness) -> asyncio.Event:
    """Make the core wait (as if the database were slow) until the returned event is set."""
    assert harness.runtime is not None
    real = harness.runtime.handle_once
    release = asyncio.Event()

    async def handle_once(msg: IncomingMessage, event_id: str | None = None) -> list[Reply] | None:
        await release.wait()
        return await real(msg, event_id)

    harness.runtime.handle_once = handle_once  # type: ignore[method-assign]
    return release


async def test_a_slow_answer_is_deferred_in_time_then_completed(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    assert discord_bot.adapter is not None
    discord_bot.adapter.defer_after = 0.05  # the default is 2 s, inside Discord's 3
    release = slow_core(discord_bot)
    ix = await standin.slash(ann, "interview add", channel_id=general(standin), company="Acme", when="friday 3pm")
    await standin.wait_for(lambda: ix.callbacks)
    assert ix.callbacks[0]["type"] == 5  # deferred ("SecondRound is thinking…"), only for the member
    assert ix.callbacks[0]["data"]["flags"] == 64
    assert ix.callback_times[0] - ix.sent_at < 3.0
    release.set()
    await standin.wait_for(lambda: ix.messages[0].edits)
    await discord_bot.settle()
    assert "**Acme**: Friday 6 March, 3:00 PM" in ix.messages[0].content
    assert len(ix.messages) >= 2 and all(m.ephemeral for m in ix.messages)


async def test_a_follow_up_after_the_token_expired_goes_by_dm(
    discord_bot: DiscordHarness, caplog: pytest.LogCaptureFixture
) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    assert discord_bot.adapter is not None
    discord_bot.adapter.defer_after = 0.05
    release = slow_core(discord_bot)
    ix = await standin.slash(ann, "interview add", channel_id=general(standin), company="Acme", when="friday 3pm")
    await standin.wait_for(lambda: ix.callbacks)
    standin.expire_tokens()  # the member's 15 minutes are over before the answer is ready
    release.set()
    await standin.wait_for(lambda: any("Acme" in m.content for m in standin.dms(ann)))
    await discord_bot.settle()
    assert ix.messages[0].edits == 0
    dms = standin.dms(ann)
    assert "**Acme**: Friday 6 March, 3:00 PM" in dms[0].content
    assert any("Which time zone" in m.content and m.buttons for m in dms)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # and the adapter carries on
    later = await discord_bot.slash(ann, "interview list", channel_id=general(standin))
    assert "Acme" in later.text


async def test_an_interaction_too_late_to_defer_is_answered_by_dm(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    assert discord_bot.adapter is not None
    discord_bot.adapter.defer_after = 0.05
    release = slow_core(discord_bot)
    ix = await standin.slash(ann, "coach ask", channel_id=general(standin), question="how do I prepare?")
    standin.expire_tokens()  # the event reached the bot too late for Discord to take an answer
    await standin.wait_for(lambda: standin.calls("POST", r"/interactions/.*"))
    release.set()
    await standin.wait_for(lambda: standin.dms(ann))
    await discord_bot.settle()
    assert not ix.callbacks and "prepar" in standin.dms(ann)[0].content.lower()


async def test_stop_finishes_answers_in_progress(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    adapter = discord_bot.adapter
    assert adapter is not None and adapter.ready()
    adapter.defer_after = 0.05
    release = slow_core(discord_bot)
    ix = await standin.slash(ann, "notes", channel_id=general(standin))
    await standin.wait_for(lambda: ix.callbacks)
    stopping = asyncio.create_task(adapter.stop())
    for _ in range(20):
        await asyncio.sleep(0)
    assert not stopping.done()  # it waits for the answer in progress
    late = await standin.slash(ann, "interview list", channel_id=general(standin))
    await standin.wait_for(lambda: late.messages)
    assert "restarting" in late.text and late.messages[0].ephemeral  # not Discord's "interaction failed"
    release.set()
    await stopping
    assert ix.messages[0].edits == 1 and ix.messages[0].content
    assert not adapter.ready()
    await standin.wait_for(lambda: not standin.gateways)
    with pytest.raises(DeliveryError) as failed:
        await adapter.deliver(ConversationRef("discord", "", "", str(ann.id)), [Reply("hello")])
    assert not failed.value.permanent


async def test_the_token_never_reaches_the_logs(
    bot: BotHarness, standin: DiscordStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything: discord.py's HTTP and gateway traces included
    harness = DiscordHarness(bot, standin)
    await harness.start()
    try:
        ann = standin.user("ann")
        await harness.slash(ann, "interview add", channel_id=general(standin), company="Acme", when="friday 3pm")
        await harness.dm(ann, "what's coming up?")
        standin.close_dms(ann)
        bot.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
        await harness.deliver_due()
    finally:
        await harness.stop()
    assert any(r.name.startswith("discord.http") and r.levelno == logging.DEBUG for r in caplog.records)
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in repr(vars(record))


async def test_a_rejected_token_stops_start_up_with_a_clear_message(
    make_app: Callable[..., App], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "MTExMTExMTExMTExMTExMTEx.wrong.token-that-discord-does-not-know"
    runtime = Runtime(make_app(DISCORD_TOKEN=wrong), health=False, reminders=False)
    adapter = DiscordAdapter(runtime, guild_ready_timeout=0.05)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN was rejected") as raised:
        await adapter.start()
    assert wrong not in str(raised.value) and wrong not in caplog.text
    assert not adapter.ready()


async def test_a_guild_id_registers_the_commands_in_that_server_instantly(
    bot: BotHarness, standin: DiscordStandIn, make_app: Callable[..., App]
) -> None:
    harness = DiscordHarness(bot, standin)
    await harness.start(make_app(DISCORD_GUILD_ID=standin.guild_id))
    try:
        assert standin.command_puts == [standin.guild_id]
        assert sorted(standin.registered_names(standin.guild_id)) == sorted(COMMANDS)
        ix = await harness.slash(standin.user("ann"), "coach tips", channel_id=general(standin), topic="nerves")
        assert ix.messages and not ix.messages[0].ephemeral  # advice, not personal data: the channel may see it
    finally:
        await harness.stop()


async def test_processes_share_one_bot_by_shard(
    bot: BotHarness, standin: DiscordStandIn, make_app: Callable[..., App]
) -> None:
    first_guild = standin.add_guild(shard=0, shard_count=2)
    second_guild = standin.add_guild(shard=1, shard_count=2)
    one, two = DiscordHarness(bot, standin), DiscordHarness(bot, standin)
    await one.start(make_app(SECONDROUND_DISCORD_SHARD_IDS="0", SECONDROUND_DISCORD_SHARD_COUNT=2))
    await two.start(make_app(SECONDROUND_DISCORD_SHARD_IDS="1", SECONDROUND_DISCORD_SHARD_COUNT=2))
    try:
        assert sorted(tuple(i["shard"]) for i in standin.identifies) == [(0, 2), (1, 2)]
        assert standin.command_puts == [None]  # only the process with shard 0 registers the commands
        assert one.adapter is not None and two.adapter is not None
        assert one.adapter.client is not None and two.adapter.client is not None
        assert one.adapter.client.get_guild(first_guild) and not one.adapter.client.get_guild(second_guild)
        assert two.adapter.client.get_guild(second_guild) and not two.adapter.client.get_guild(first_guild)

        ann = standin.user("ann")
        channel = standin.guild_channel[second_guild]
        await standin.slash(ann, "timezone", channel_id=channel, zone="America/New_York")  # goes to shard 1
        ix = await standin.slash(ann, "interview add", channel_id=channel, company="Acme", when="friday 3pm")
        await standin.wait_for(lambda: ix.callbacks)
        await two.settle()
        assert "**Acme**: Friday 6 March, 3:00 PM" in ix.text
        dm = await one.dm(ann, "what's coming up?")  # DMs go to shard 0: the other process, the same data
        assert "Acme" in dm[0].content

        # both processes sweep for reminders; the database gives each reminder to one of them
        for harness in (one, two):
            harness.runtime.app.clock.set(datetime(2026, 3, 5, 20, 0, tzinfo=UTC))  # type: ignore[union-attr]
        claimed = await asyncio.gather(one.deliver_due(), two.deliver_due())
        assert sorted(claimed) == [0, 1]
        reminders = [m for m in standin.dms(ann) if "tomorrow" in m.content.lower()]
        assert len(reminders) == 1
    finally:
        await one.stop()
        await two.stop()


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [(403, 50007, True), (403, 50278, True), (404, 10013, True), (503, 0, False)],
)
async def test_delivery_errors_tell_the_engine_what_to_do(
    discord_bot: DiscordHarness, status: int, code: int, permanent: bool
) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    assert discord_bot.adapter is not None
    standin.fail("POST", r"/users/@me/channels", status, code)
    with pytest.raises(DeliveryError) as failed:
        await discord_bot.adapter.deliver(ConversationRef("discord", "", "", str(ann.id)), [Reply("Prepare!")])
    assert failed.value.permanent is permanent
    assert ":" not in failed.value.reason  # the core shows the part before a colon to the member
