"""Coaching answers from the knowledge base, and the conversational intents."""

from __future__ import annotations

import re

from bot import advice, formatting
from bot.dialog import Pending, is_other_action, yes_no
from bot.knowledge import COACHING_TOPICS
from bot.nlu.types import Parse
from bot.registry import on_action, on_intent, on_pending
from bot.turn import Turn
from bot.types import Button, Reply

_THANKS = re.compile(r"\b(thx|thanks?|thank u|thank you|ty|tysm|cheers|appreciate|merci|danke|gracias)\b", re.I)
_BYE = re.compile(r"\b(bye|goodbye|see ya|see you|cya|later|good night|gn|ttyl)\b", re.I)


def coach_topic(turn: Turn, intent: str, text: str, *, situation: str | None = None, offset: int = 0) -> list[Reply]:
    """Answer a coaching question on ``intent``, tailored to what is known of the user's situation."""
    topic = turn.knowledge.topics[intent]
    detected = situation or advice.detect_situation(topic, text)
    if detected and turn.has_storage:
        turn.learn(intent, detected)
    known = detected or turn.facts().get(intent)
    if known and topic.situation(known) is None:
        known = None
    lead, private = _personal_lead(turn, intent, known)
    page = advice.page(turn.knowledge, intent, text, known, offset)
    ask = offset == 0 and topic.ask is not None and known is None
    reply = advice.render(page, lead=lead, ask=ask)
    if ask and turn.has_storage:
        turn.ask("situation", topic=intent)
    if turn.has_storage:
        turn.remember("last_topic", intent)
        turn.remember("last_offset", offset)
    return [Reply(reply.text, reply.buttons, private=private)]


def _personal_lead(turn: Turn, intent: str, situation: str | None) -> tuple[str | None, bool]:
    """A first line about the user's own upcoming interview, where it changes the advice."""
    if not turn.has_storage or intent not in {
        "interviewers",
        "informal_setting",
        "preparation",
        "presentation",
    }:
        return None, False
    upcoming = turn.data.upcoming(turn.now)
    if not upcoming:
        return None, False
    nxt = upcoming[0]
    today = turn.local_now.date()
    if intent == "interviewers" and nxt.interviewers:
        return (
            f"Your {formatting.company(nxt)} interview ({formatting.when(nxt, today)}) "
            f"is with {formatting.people(nxt.interviewers)}.",
            True,
        )
    if intent == "informal_setting" and nxt.setting == "informal":
        return (
            f"Your {formatting.company(nxt)} interview ({formatting.when(nxt, today)}) is in an informal setting.",
            True,
        )
    if intent in {"preparation", "presentation"}:
        return f"Your next interview: {formatting.summary(nxt, today)}.", True
    return None, False


@on_intent(*COACHING_TOPICS, needs_storage=False)
def coaching(turn: Turn, parse: Parse) -> list[Reply]:
    """Advice on one of the coaching topics."""
    replies = coach_topic(turn, parse.intent, parse.text)
    if turn.has_storage:
        from bot.handlers.interviews import record_dates

        replies = record_dates(turn, parse) + replies
    return replies


@on_pending("situation")
def answer_situation(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The reply to "is it the same person or someone new?" and the like."""
    intent = str(pending.data.get("topic", ""))
    topic = turn.knowledge.topics.get(intent)
    if topic is None or is_other_action(parse.intent, parse.confidence):
        return None
    key = advice.detect_situation(topic, parse.text)
    if key is None and topic.ask is not None:
        answer = yes_no(parse.text)
        key = topic.ask.if_yes if answer is True else topic.ask.if_no if answer is False else None
    if key is None:
        return None
    return coach_topic(turn, intent, parse.text, situation=key)


@on_action("topic", needs_storage=False)
def topic_button(turn: Turn, args: list[str]) -> list[Reply]:
    """A topic button: the topic's first page of advice."""
    if not args or args[0] not in turn.knowledge.topics:
        return [Reply(turn.knowledge.response("unknown_action"))]
    return coach_topic(turn, args[0], "")


@on_action("tips", needs_storage=False)
def tips_command(turn: Turn, args: list[str]) -> list[Reply]:
    """``tips:<words>`` (``/coach tips dinner``): the topic the words name, or the closest one."""
    words = " ".join(":".join(args).replace("_", " ").split()).lower()
    if not words:
        return [Reply("Which topic? Pick one:", advice.topic_buttons(tuple(advice.TOPIC_LABELS)))]
    topic = find_topic(turn, words)
    if topic is None:
        return [
            Reply(
                f"I have no tips on that. Topics I know: {', '.join(advice.TOPIC_LABELS.values())}.",
                advice.topic_buttons(),
            )
        ]
    return coach_topic(turn, topic, words)


def find_topic(turn: Turn, words: str) -> str | None:
    """The coaching topic named by ``words`` (its id, title or label), else the one the words are about."""
    for intent, topic in turn.knowledge.topics.items():
        names = {intent.replace("_", " "), topic.title.lower(), advice.TOPIC_LABELS.get(intent, "").lower()}
        if words in names or any(words == n.split()[0] for n in names if n):
            return intent
    parse = turn.nlu.parse(words, turn.local_now, turn.tz)
    if parse.intent in turn.knowledge.topics:
        return parse.intent
    parse = turn.nlu.parse(f"tips about {words} for my second interview", turn.local_now, turn.tz)
    return parse.intent if parse.intent in turn.knowledge.topics else None


@on_action("situation", needs_storage=False)
def situation_button(turn: Turn, args: list[str]) -> list[Reply]:
    """An answer button to a topic's question: tailored advice."""
    if (
        len(args) < 2
        or args[0] not in turn.knowledge.topics
        or turn.knowledge.topics[args[0]].situation(args[1]) is None
    ):
        return [Reply(turn.knowledge.response("unknown_action"))]
    return coach_topic(turn, args[0], "", situation=args[1])


@on_action("more", needs_storage=False)
def more_button(turn: Turn, args: list[str]) -> list[Reply]:
    """The "More tips" button: the next page of a topic."""
    if len(args) < 3 or args[0] not in turn.knowledge.topics or not args[2].isdigit():
        return [Reply(turn.knowledge.response("unknown_action"))]
    situation = None if args[1] == "-" else args[1]
    return coach_topic(turn, args[0], "", situation=situation, offset=min(int(args[2]), 500))


@on_intent("more", needs_storage=False)
def more_typed(turn: Turn, parse: Parse) -> list[Reply]:
    """A typed "more" / "tell me more": the next page of the last topic."""
    last = turn.context.get("last_topic") if turn.has_storage else None
    if last not in turn.knowledge.topics:
        return help_intent(turn, parse)
    offset = int(turn.context.get("last_offset", 0)) + advice.PAGE
    situation = turn.facts().get(last)
    if offset >= len(turn.knowledge.topics[last].items):
        offset = 0
    return coach_topic(turn, last, "", situation=situation, offset=offset)


@on_intent("greeting", needs_storage=False)
def greeting(turn: Turn, parse: Parse) -> list[Reply]:
    """Hello, thanks and goodbye."""
    if _THANKS.search(parse.text):
        return [Reply(turn.knowledge.response("thanks"))]
    if _BYE.search(parse.text):
        return [Reply(turn.knowledge.response("goodbye"))]
    return [Reply(turn.knowledge.response("greeting"), advice.topic_buttons())]


@on_intent("help", needs_storage=False)
def help_intent(turn: Turn, parse: Parse) -> list[Reply]:
    """What the bot can do."""
    return [Reply(turn.knowledge.response("help"), advice.topic_buttons())]


@on_action("help", needs_storage=False)
def help_button(turn: Turn, args: list[str]) -> list[Reply]:
    """The help button."""
    return [Reply(turn.knowledge.response("help"), advice.topic_buttons())]


@on_intent("fallback", needs_storage=False)
def fallback(turn: Turn, parse: Parse) -> list[Reply]:
    """Out of scope: say so, and offer what the bot does."""
    return [Reply(turn.knowledge.response("fallback"), (*advice.topic_buttons(), Button("Help", "help")))]
