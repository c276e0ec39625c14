"""Practice mode on Discord (issue 15): ``/practice`` starts a private session; answers by DM get feedback."""

from __future__ import annotations

from tests.discord.conftest import DiscordHarness

ANSWER = (
    "At my last job our Monday queue wait was eleven minutes. My manager asked me to fix it, so I moved four "
    "agents' lunch breaks and within a month waits dropped to four minutes."
)


async def test_slash_practice_asks_privately_and_an_answer_by_dm_gets_feedback(discord_bot: DiscordHarness) -> None:
    standin, ann = discord_bot.standin, discord_bot.standin.user("ann")
    channel = standin.guild_channel[standin.guild_id]
    ix = await discord_bot.slash(ann, "practice", channel_id=channel)
    question = ix.messages[0]
    assert "Question 1 of 4" in question.content
    assert question.ephemeral  # practice is the member's own: never shown in the channel
    assert not any("Question 1" in m.content for m in standin.messages if not m.ephemeral)
    assert {"Skip", "Stop"} <= set(question.buttons)

    discord_bot.bot.advance(seconds=30)
    answered = await discord_bot.dm(ann, ANSWER)
    shown = "\n".join(m.content for m in answered)
    assert "Feedback on your answer to question 1" in shown and "I moved four agents" in shown
    assert "Question 2 of 4" in shown

    done = await discord_bot.click(ann, question, question.button("Stop"))
    assert "Practice summary" in done.text and "1 answer" in done.text
