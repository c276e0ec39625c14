"""Practice mode in Slack (issue 15): the Practise button in help and App Home, and a session by DM."""

from __future__ import annotations

from tests.slack.conftest import SlackHarness, click_payload, mention_event
from tests.standins.slack import dm_channel

ALICE = "U0ALICE"
CHANNEL = "C0CAREER"
ANSWER = (
    "At my last job our Monday queue wait was eleven minutes. My manager asked me to fix it, so I moved four "
    "agents' lunch breaks and within a month waits dropped to four minutes."
)


async def test_help_has_a_practise_button_that_starts_a_session_and_answers_get_feedback(slack: SlackHarness) -> None:
    dm = dm_channel(ALICE)
    await slack.dm(ALICE, "help")
    helped = await slack.reply_in(dm)
    assert "Practise" in helped.buttons

    await slack.click(click_payload(helped.button("Practise"), user=ALICE, channel=dm, response_url=None))
    question = await slack.reply_in(dm, count=2)
    assert "Question 1 of 4" in question.shown and {"Skip", "Stop"} <= set(question.buttons)

    slack.bot.advance(seconds=30)
    await slack.dm(ALICE, ANSWER)
    feedback = await slack.reply_in(dm, count=3)
    assert "Feedback on your answer to question 1" in feedback.shown
    assert "I moved four agents" in feedback.shown  # the student's own words

    await slack.click(click_payload(question.button("Stop"), user=ALICE, channel=dm, response_url=None))
    summary = await slack.standin.wait_for(
        "chat.postMessage", lambda c: c.body.get("channel") == dm and "Practice summary" in c.shown, count=1
    )
    assert "1 answer" in summary[0].shown


async def test_app_home_has_a_practise_button_and_the_session_comes_by_dm(slack: SlackHarness) -> None:
    await slack.event({"type": "app_home_opened", "user": ALICE, "channel": dm_channel(ALICE), "tab": "home"})
    [home] = await slack.standin.wait_for("views.publish", count=1)
    assert "Practise" in home.buttons

    await slack.click(click_payload(home.button("Practise"), user=ALICE, channel=None, response_url=None, view=True))
    question = await slack.reply_in(dm_channel(ALICE))
    assert "Question 1 of 4" in question.shown


async def test_a_mention_in_a_channel_moves_the_session_to_a_dm(slack: SlackHarness) -> None:
    await slack.event(mention_event(ALICE, CHANNEL, "quiz me"))
    question = await slack.reply_in(dm_channel(ALICE))
    assert "Question 1 of 4" in question.shown
    await slack.settle()
    in_channel = slack.standin.calls_to("chat.postMessage", lambda c: c.body.get("channel") == CHANNEL)
    assert in_channel and all("Question 1" not in c.shown for c in in_channel)
    assert any("direct messages" in c.shown for c in in_channel)
