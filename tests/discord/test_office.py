"""The career office on Discord: /insights for members holding the counsellor role, a refusal otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.common.settings import Settings
from tests.discord.conftest import TOKEN, DiscordHarness, discord_settings
from tests.standins.discord import DiscordStandIn

ROLE_ID = 7001


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    server = DiscordStandIn(token=TOKEN)
    server.roles[ROLE_ID] = "Career office"
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def discord_app_settings(tmp_path: Path, standin: DiscordStandIn) -> Settings:
    return discord_settings(tmp_path, standin, SECONDROUND_DISCORD_COUNSELLOR_ROLE="Career office")


async def test_insights_for_the_counsellor_role_only(discord_bot: DiscordHarness) -> None:
    standin = discord_bot.standin
    students = [standin.user(f"student{i}") for i in range(6)]
    for member in students:
        discord_bot.bot.chat(str(member.id), platform="discord").say("how do I negotiate my salary?")
    cora = standin.user("cora")
    standin.member_roles[cora.id] = [ROLE_ID]
    general = standin.guild_channel[standin.guild_id]

    ix = await discord_bot.slash(cora, "insights", channel_id=general)
    await standin.wait_for(lambda: ix.text)  # deferred ("thinking"), then the answer replaces it
    assert "Career office insights" in ix.text and "Salary: 6" in ix.text
    assert all(m.ephemeral for m in ix.messages)  # only the counsellor sees it
    assert not any(str(s.id) in ix.text or s.name in ix.text for s in students)

    ix = await discord_bot.slash(students[0], "insights", channel_id=general)
    await standin.wait_for(lambda: ix.text)
    assert "for the career office's counsellors" in ix.text and "Salary" not in ix.text
    ix = await discord_bot.slash(cora, "insights")  # in a DM there are no roles to show
    await standin.wait_for(lambda: ix.text)
    assert "for the career office's counsellors" in ix.text
