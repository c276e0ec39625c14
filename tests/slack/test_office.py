"""The career office in Slack: /coach insights and the App Home section, for counsellors only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.common.settings import Settings
from tests.slack.conftest import SlackHarness, slack_settings
from tests.standins.slack import TEAM_ID, SlackStandIn, dm_channel

COUNSELLOR = "UCOUNSEL01"
STUDENTS = [f"USTUDENT{i:02d}" for i in range(1, 7)]


@pytest.fixture
def settings(tmp_path: Path, standin: SlackStandIn) -> Settings:
    standin.user_groups["S0ADVISERS"] = ["UADVISER1", "UADVISER2"]
    return slack_settings(
        tmp_path, standin, SECONDROUND_COUNSELLORS=f"{TEAM_ID}:{COUNSELLOR},S0ADVISERS;TOTHERSCHOOL:UELSEWHERE1"
    )


def seed(slack: SlackHarness) -> None:
    """Six students of this workspace asked about salary (through the core, as their DMs would)."""
    for user in STUDENTS:
        slack.bot.chat(user, platform="slack", workspace=TEAM_ID).say("how do I negotiate my salary?")
    slack.bot.chat("USTUDENT01", platform="slack", workspace=TEAM_ID).say("can I order wine at a dinner interview?")


async def test_a_counsellor_sees_anonymous_insights_only_they_can_see(slack: SlackHarness) -> None:
    seed(slack)
    sent, url = await slack.command("insights", user=COUNSELLOR)
    assert sent.status == 200
    answer = await slack.response(url)
    assert answer.body["response_type"] == "ephemeral"
    shown = answer.shown
    assert "Career office insights" in shown and "Students active:" in shown
    assert "6 this week" in shown and "Salary: 6" in shown
    assert "Dinner &amp; drinks: &lt; 5" in shown  # one student asked: never the number (Slack escapes & and <)
    assert not any(s in shown for s in STUDENTS) and "wine" not in shown and "negotiate" not in shown
    assert slack.standin.calls_to("chat.postMessage") == []  # nothing posted in the channel


async def test_a_student_is_told_insights_are_for_counsellors(slack: SlackHarness) -> None:
    seed(slack)
    _, url = await slack.command("insights", user=STUDENTS[0])
    answer = await slack.response(url)
    assert "for the career office's counsellors" in answer.shown and "Salary" not in answer.shown
    _, url = await slack.command("admin reload", user=STUDENTS[0])
    assert "Only the career office's counsellors" in (await slack.response(url)).shown


async def test_a_counsellor_of_another_workspace_is_refused_here(slack: SlackHarness) -> None:
    seed(slack)
    _, url = await slack.command("insights", user="UELSEWHERE1")
    assert "for the career office's counsellors" in (await slack.response(url)).shown


async def test_app_home_has_an_insights_section_for_counsellors_only(slack: SlackHarness) -> None:
    seed(slack)
    await slack.event({"type": "app_home_opened", "user": COUNSELLOR, "channel": dm_channel(COUNSELLOR), "tab": "home"})
    [home] = await slack.standin.wait_for("views.publish", lambda c: c.body["user_id"] == COUNSELLOR)
    assert "Career office insights" in home.shown and "Salary: 6" in home.shown

    await slack.event(
        {"type": "app_home_opened", "user": STUDENTS[1], "channel": dm_channel(STUDENTS[1]), "tab": "home"}
    )
    [home] = await slack.standin.wait_for("views.publish", lambda c: c.body["user_id"] == STUDENTS[1])
    assert "Career office insights" not in home.shown


async def test_a_counsellor_reloads_the_advice(slack: SlackHarness) -> None:
    _, url = await slack.command("admin reload", user=COUNSELLOR)
    assert "knowledge reloaded: 12 topics" in (await slack.response(url)).shown


async def test_members_of_a_counsellors_user_group_see_insights(slack: SlackHarness) -> None:
    seed(slack)
    _, url = await slack.command("insights", user="UADVISER2")
    assert "Salary: 6" in (await slack.response(url)).shown
    _, url = await slack.command("insights", user=STUDENTS[2])  # not in the group
    assert "for the career office's counsellors" in (await slack.response(url)).shown
