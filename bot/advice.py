"""Picks the advice items that fit a question and the user's situation, and lays them out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bot import markup
from bot.knowledge import Item, Knowledge, Topic
from bot.types import Button, Reply

PAGE = 3


@cache
def _phrase(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")


def _has(text: str, phrase: str) -> bool:
    return _phrase(phrase).search(text) is not None


def detect_situation(topic: Topic, text: str) -> str | None:
    """The situation of ``topic`` a message reveals (longest matching keyword wins), if any."""
    low = text.lower()
    best: tuple[int, str] | None = None
    for situation in topic.situations:
        for keyword in (*situation.keywords, situation.label.lower()):
            if keyword and _has(low, keyword) and (best is None or len(keyword) > best[0]):
                best = (len(keyword), situation.key)
    return best[1] if best else None


def rank(topic: Topic, situation: str | None, text: str) -> list[Item]:
    """All items of a topic, best first for this situation and question.

    Items for the known situation come first, then general items, then items for other situations
    (still reachable with "More tips"). Keyword hits in the question lift an item within its group.
    """
    low = text.lower()

    def score(pos_item: tuple[int, Item]) -> tuple[int, int, int]:
        pos, item = pos_item
        group = (0 if situation in item.when else 2) if item.when else 1
        hits = sum(1 for k in item.keywords if _has(low, k))
        return (group, -hits, pos)

    return [item for _, item in sorted(enumerate(topic.items), key=score)]


@dataclass(frozen=True)
class Advice:
    """One page of advice on a topic, ready to send."""

    topic: Topic
    items: list[Item]
    offset: int
    more: bool
    situation: str | None


def page(knowledge: Knowledge, intent: str, text: str, situation: str | None, offset: int = 0) -> Advice:
    """The page of ``intent``'s items starting at ``offset``."""
    topic = knowledge.topics[intent]
    ranked = rank(topic, situation, text)
    items = ranked[offset : offset + PAGE]
    return Advice(topic, items, offset, offset + PAGE < len(ranked), situation)


def render(advice: Advice, *, lead: str | None = None, ask: bool = False, related: bool = True) -> Reply:
    """Lay out a page of advice as a reply, with "More tips", the topic's question and related topics."""
    topic = advice.topic
    lines: list[str] = []
    if lead:
        lines.append(lead)
    if advice.offset == 0:
        heading = f"**{topic.title}**"
        if advice.situation and topic.situation(advice.situation):
            heading += f" ({topic.situation(advice.situation).label.lower()})"  # type: ignore[union-attr]
        lines.append(heading)
        lines.append(topic.intro)
    else:
        lines.append(f"**More on {topic.title.lower()}**")
    lines.append(markup.bullets([item.text for item in advice.items]))
    buttons: list[Button] = []
    if ask and topic.ask and advice.situation is None:
        lines.append(topic.ask.question)
        for key in topic.ask.options:
            situation = topic.situation(key)
            if situation:
                buttons.append(Button(situation.label, f"situation:{topic.intent}:{key}"))
    if advice.more:
        buttons.append(Button("More tips", f"more:{topic.intent}:{advice.situation or '-'}:{advice.offset + PAGE}"))
    if related and advice.offset == 0:
        buttons.extend(Button(_short(rel), f"topic:{rel}") for rel in topic.related[:2])
    return Reply("\n".join(lines), tuple(buttons))


TOPIC_LABELS = {
    "expectations": "What to expect",
    "interviewers": "Who you'll meet",
    "informal_setting": "Dinner & drinks",
    "offer": "Offers",
    "salary": "Salary",
    "preparation": "Preparing",
    "questions_to_ask": "Questions to ask",
    "presentation": "Presentations",
    "selling_yourself": "Selling yourself",
    "company_fit": "Is it right for me?",
    "follow_up": "Thank-yous & follow-up",
    "nerves": "Nerves",
}


def _short(intent: str) -> str:
    return TOPIC_LABELS.get(intent, intent.replace("_", " ").capitalize())


def topic_buttons(
    intents: tuple[str, ...] = ("expectations", "interviewers", "informal_setting", "preparation", "offer"),
) -> tuple[Button, ...]:
    """Buttons that open a topic each."""
    return tuple(Button(_short(i), f"topic:{i}") for i in intents)
