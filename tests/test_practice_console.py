"""A whole practice session in the terminal chat (``secondround chat --jsonl``'s adapter), read as a transcript."""

from __future__ import annotations

import io
import json

from adapters.console import ConsoleAdapter
from bot.ops.runtime import Runtime
from tests.conftest import BotHarness

ANSWER = (
    "In my final-year project our team of four had a demo in two weeks and the data pipeline kept failing. I was "
    "asked to make it reliable. I wrote tests for each step and added retries, and the demo ran with zero failures."
)


async def test_a_practice_session_in_the_console(bot: BotHarness) -> None:
    lines = "\n".join(["let's practise", ANSWER, "skip", "what should I ask them?", "stop"]) + "\n"
    out = io.StringIO()
    console = ConsoleAdapter(
        Runtime(bot.app, health=False, reminders=False), jsonl=True, stdin=io.StringIO(lines), stdout=out
    )
    await console.converse()
    turns = [json.loads(line) for line in out.getvalue().splitlines()]
    texts = ["\n".join(r["text"] for r in t["replies"]) for t in turns]
    assert len(turns) == 5
    assert "Question 1 of 4" in texts[0]
    assert "Feedback on your answer to question 1" in texts[1]
    assert "I wrote tests for each step" in texts[1] and "zero failures" in texts[1]
    assert "Question 2 of 4" in texts[1]
    assert "Question 3 of 4" in texts[2]
    assert "Feedback" not in texts[3]  # a coaching question mid-session is answered, not scored
    assert "Practice summary: 1 answer, 1 skipped." in texts[4]
    assert all(r["private"] for t in (turns[0], turns[1], turns[4]) for r in t["replies"])
