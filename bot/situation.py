"""What the coach knows of a student's situation (the setting, who they will meet), and advice that fits it.

Facts come from what the student writes ("over dinner", "the same manager as last time") and from the
answers to the coach's questions; they shape later advice (see :mod:`bot.advice`).
"""

from __future__ import annotations

from bot import advice, formatting, markup
from bot.storage.models import Interview
from bot.turn import Turn
from bot.types import Button, Reply


def learn_from_text(turn: Turn, text: str) -> None:
    """Remember the situations a message reveals (the setting, who the interviewers are)."""
    for intent in ("interviewers", "informal_setting"):
        key = advice.detect_situation(turn.knowledge.topics[intent], text)
        if key:
            turn.learn(intent, key)


def setting_tips(turn: Turn, interview: Interview, text: str) -> list[Reply]:
    """Advice that fits the interview's setting and interviewers, right after it is recorded."""
    replies: list[Reply] = []
    if interview.setting == "informal":
        situation = advice.detect_situation(turn.knowledge.topics["informal_setting"], text) or turn.facts().get(
            "informal_setting"
        )
        page = advice.page(turn.knowledge, "informal_setting", text, situation)
        tips = markup.bullets([item.text for item in page.items[:2]])
        replies.append(
            Reply(
                f"Since it's in an informal setting, two things to keep in mind:\n{tips}",
                (Button("More on dinner & drinks", "topic:informal_setting"),),
            )
        )
    return replies


def interviewer_question(turn: Turn, interview: Interview) -> tuple[str, tuple[Button, ...]] | None:
    """Ask whether the interviewers are the same as in round one, unless that is known (opens the question)."""
    topic = turn.knowledge.topics["interviewers"]
    if topic.ask is None or "interviewers" in turn.facts():
        return None
    turn.ask("situation", topic="interviewers")
    question = topic.ask.question
    if interview.interviewers:
        question = f"Is {formatting.people(interview.interviewers)} someone you met in round one, or new to you?"
    buttons = tuple(
        Button(s.label, f"situation:interviewers:{s.key}") for k in topic.ask.options if (s := topic.situation(k))
    )
    return question, buttons
