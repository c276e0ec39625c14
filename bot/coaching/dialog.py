"""Per-user pending questions with a timeout, in the manner of a conversation state machine.

When the coach asks something ("What time does it start?", "Delete everything?"), it stores a
:class:`Pending` in the user's conversation state. The next message is first offered to the handler
of that pending kind, so a short answer like "3pm" or "yes" lands where it belongs. A pending question
expires (default 15 minutes); after that, or when the next message is clearly about something else,
it is dropped and the message is handled on its own. A complete new request ("my Acme interview
moved to Thursday 10am" while the coach asks which interview to cancel) is never taken as the
answer: each pending handler declines messages that are confidently another request.

Nothing that changes or deletes data is done on a guess: below :data:`bot.nlu.thresholds.ACT`,
handlers call :func:`ask_first` ("Did you want to cancel your Acme interview?") and the change
happens only after a yes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.common.limits import LimitReached
from bot.common.pending import Pending
from bot.common.types import Button, Reply
from bot.nlu import thresholds
from bot.nlu.specs import acting_intents

if TYPE_CHECKING:
    from bot.coaching.registry import Registry
    from bot.coaching.turn import Turn
    from bot.nlu.types import Parse


_POLITE = r"(?:\s+(?:please|pls|plz|thanks?|thank you|ty|sure|for sure|go ahead|do it|i'?m sure|i am sure|"
_POLITE += (
    r"delete(?: it| them| everything| all(?: of it)?| my data)?|confirm(?:ed)?|keep(?: it| them| my data| everything)?|"
)
_POLITE += r"don'?t|do not|never ?mind|not now|cancel|stop))*"
_YES = re.compile(
    r"^(?:y|ya|yah|yes+|yea+h?|yep|yup|sure|ok(?:ay)?|k|confirm(?:ed)?|do it|go ahead|please do|absolutely|"
    r"of course|correct|right|delete(?: it| everything| all)?|si|sí|oui|ja)" + _POLITE + r"$"
)
_NO = re.compile(
    r"^(?:n|no+|nope|nah|never ?mind|cancel|stop|keep(?: it| my data| everything)?|don'?t|do not|not now|abort|"
    r"wait|no thanks?)" + _POLITE + r"$"
)


def yes_no(text: str) -> bool | None:
    """Read a yes or a no from a short answer; None when it is neither."""
    low = " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())
    if not low or len(low.split()) > 8:
        return None
    if _NO.match(low):
        return False
    if _YES.match(low):
        return True
    return None


_DONT_KNOW = re.compile(
    r"^(?:(?:i|we)\s+)?(?:honestly\s+|really\s+)?(?:don'?t\s+know|do\s+not\s+know|dont\s+know|dunno|idk|no\s+(?:idea|clue)|"
    r"not\s+sure|unsure|can'?t\s+say|have\s+no\s+idea|haven'?t\s+been\s+told|wasn'?t\s+told|"
    r"they\s+(?:didn'?t|haven'?t|did\s+not|have\s+not)\s+(?:say|said|tell\s+me|told\s+me))"
    r"(?:\s+(?:yet|either|sorry|tbh|honestly|lol|really|at\s+all|for\s+now|right\s+now))*$"
)


def dont_know(text: str) -> bool:
    """Whether a short answer says only that the student doesn't know ("idk", "not sure yet", "no idea tbh")."""
    low = " ".join(re.sub(r"[^\w\s']", " ", text.lower().replace("’", "'")).split())
    return bool(low) and bool(_DONT_KNOW.match(low))


# the parts of a message: clauses and the punctuation that ends them ("3pm. any tips for a panel?")
_PART = re.compile(r"[^.?!;,\n]+[.?!;,\n]*")


# a clause that asks for advice rather than telling something
_ASKS = re.compile(
    r"\b(?:tips?|advice|advise|etiquette|suggestions?|pointers|recommendations?|ideas|help me|"
    r"how (?:do|should|can|could|would|to|much|many|long|soon|often|early|late|far|formal)|"
    r"what (?:do|should|can|could|would|to|are|is)|wh?at do i|(?:should|will|would|do|does) (?:it|they|we)|"
    r"wat (?:do|should)|should i|shall i|can i|do i|is it ok|is it okay|ok to|okay to|what if|any thoughts)\b",
    re.I,
)


def split_ask(text: str) -> tuple[str, str]:
    """A message's details and its ask for advice: "friday at 10, what should i prepare?" → the two parts.

    A clause asks when it ends with "?" or has words of asking ("any tips", "how do I"); the other clauses
    are the details (the answer to a question of the coach). Without an ask, the whole text and "".
    """
    parts = [m.group(0) for m in _PART.finditer(text) if m.group(0).strip(" .?!;,\n")]
    asking = [p for p in parts if p.rstrip().endswith("?") or _ASKS.search(p)]
    if not asking or len(asking) == len(parts):
        return text, ""
    told = "".join(p for p in parts if p not in asking).strip(" .;,\n")
    return told, " ".join(p.strip() for p in asking)


def asks_something(text: str) -> bool:
    """Whether a message asks anything (a question mark, or words of asking: "any tips", "how do I")."""
    return "?" in text or bool(_ASKS.search(text))


CONFIRM = "confirm_intent"
"""The kind of the open question "Did you want to …?" asked when a change was not understood surely."""


def is_other_action(parse_intent: str, confidence: float, accepted: tuple[str, ...] = ()) -> bool:
    """Whether a message is confidently a request to do something else than answer the open question."""
    return parse_intent in acting_intents() and parse_intent not in accepted and confidence >= thresholds.ACT


def sure(turn: Turn, parse: Parse) -> bool:
    """Whether the understanding is confident enough to change or delete the user's data.

    Also true when the user has just said yes to the question :func:`ask_first` asked about it.
    """
    return turn.confirmed or parse.confidence >= thresholds.ACT


def ask_first(
    turn: Turn,
    parse: Parse,
    question: str,
    choices: tuple[Button, ...] = (),
    yes: str = "Yes",
    *,
    clear: bool = True,
) -> list[Reply] | None:
    """Ask ``question`` instead of acting when the request is unsure; None when it may be carried out.

    Unsure means below :data:`bot.nlu.thresholds.ACT`, or not ``clear``: the words do not name what
    the action is about (a cancel that names no interview: "cancel my netflix subscription").
    The question gets Yes/No buttons (after any ``choices``), and a typed yes or no answers it too.
    A yes carries the message out as meant; a no changes nothing. The message and the moment it
    was sent are kept with the open question, so the yes does exactly what was described.
    """
    if turn.confirmed or (clear and sure(turn, parse)):
        return None
    token = secrets.token_hex(4)
    turn.ask(CONFIRM, intent=parse.intent, text=parse.text, now=turn.local_now.isoformat(), token=token)
    buttons = (*choices, Button(yes, f"confirm:yes:{token}", "primary"), Button("No", f"confirm:no:{token}"))
    return [Reply(question, buttons, private=True)]


def _confirmed(registry: Registry, turn: Turn, pending: Pending | None, answer: bool, token: str | None) -> list[Reply]:
    """The answer to an :func:`ask_first` question."""
    if pending is None or pending.kind != CONFIRM or (token is not None and token != pending.data.get("token")):
        return [Reply("That question is no longer open, so I did nothing. Tell me again what you'd like to do.")]
    turn.close_question()
    if not answer:
        return [Reply("OK, I left everything as it was.", private=True)]
    intent, text = str(pending.data.get("intent", "")), str(pending.data.get("text", ""))
    route = registry.get("intent", intent)
    try:
        then = datetime.fromisoformat(str(pending.data.get("now")))
    except ValueError:
        then = turn.local_now
    if route is None or not text:
        return [Reply("That question is no longer open, so I did nothing. Tell me again what you'd like to do.")]
    parse = turn.nlu.parse(text, then, turn.tz)
    turn.confirmed = True
    return route.func(turn, replace(parse, intent=intent, confidence=1.0))  # type: ignore[no-any-return]


def dispatch(registry: Registry, turn: Turn, text: str) -> tuple[list[Reply], str]:
    """Route one message: a button to its action, an answer to the open question, else the intent's handler.

    Returns the replies and a label of what was handled (for metrics and logs). A message that
    would take the user over one of their limits changes nothing and is answered with the limit.
    """
    if not turn.has_storage:
        return _dispatch(registry, turn, text)
    try:
        return _dispatch(registry, turn, text)
    except LimitReached as exc:
        turn.data.discard()  # nothing of this message is kept: not half an interview, not its question
        turn.changed = False
        return [Reply(exc.reply, private=True)], f"limit:{exc.what}"


def _dispatch(registry: Registry, turn: Turn, text: str) -> tuple[list[Reply], str]:
    pending = Pending.from_json(turn.state.pending) if turn.state is not None else None
    if pending is not None and pending.expired(turn.now):
        pending = None
    turn.pending = pending
    turn.registry = registry
    if turn.msg.action is not None:
        verb, _, rest = turn.msg.action.partition(":")
        args = rest.split(":") if rest else []
        if verb == "confirm" and args[:1] in (["yes"], ["no"]):
            token = args[1] if len(args) > 1 else None
            return _confirmed(registry, turn, pending, args[0] == "yes", token), "action:confirm"
        _settle_offered(turn, asking=False)
        found = registry.action(turn.msg.action)
        if found is None:
            return [Reply(turn.knowledge.response("unknown_action"))], "action:unknown"
        action, args = found
        turn.close_question()
        return action.func(turn, args), f"action:{verb}"
    parse: Parse = turn.nlu.parse(text, turn.local_now, turn.tz)
    _settle_offered(turn, asking=asks_something(text) and parse.intent != "more")
    if turn.has_storage:  # a situation said in any message ("she invited me to lunch") shapes later advice
        from bot.coaching.situation import learn_from_text

        learn_from_text(turn, text)
    if pending is not None and pending.kind == CONFIRM:
        answer = yes_no(parse.text)
        if answer is not None:
            return _confirmed(registry, turn, pending, answer, None), f"answer:{CONFIRM}"
    elif pending is not None:
        route = registry.get("pending", pending.kind)
        if route is not None:
            answered = route.func(turn, pending, parse)
            if answered is not None:
                turn.close_question()
                return answered, f"answer:{pending.kind}"
    turn.close_question()
    practice = registry.get("pending", "practice") if turn.has_storage else None  # an open practice session
    answered = practice.func(turn, pending, parse) if practice is not None else None  # (bot/coaching/practice)
    if answered is not None:
        return answered, "answer:practice"
    elsewhere = registry.get("pending", "question_elsewhere")  # a coaching question read unsurely as a request
    answered = elsewhere.func(turn, pending, parse) if elsewhere is not None else None  # (handlers/coaching.py)
    if answered is not None:
        return answered, parse.intent
    route = registry.get("intent", parse.intent) or registry.get("intent", "fallback")
    assert route is not None
    if not told_only(turn, text):
        return route.func(turn, parse), parse.intent
    asked_before = list(turn.context.get("shown") or [])
    replies = route.func(turn, parse)
    shown_now = [str(i) for i in turn.context.get("shown") or []]
    turn.remember("offered", [i for i in shown_now if i not in asked_before])
    turn.remember("shown", [i for i in shown_now if i in asked_before])  # (see told_only)
    return replies, parse.intent


def _settle_offered(turn: Turn, *, asking: bool) -> None:
    """Advice offered on news (see :func:`told_only`) counts as shown from the next message on, unless it asks.

    So "more", a topic button or "more tips" go on to other advice, while a question gets its best answer.
    """
    if not turn.has_storage or not turn.context.get("offered"):
        return
    offered = [str(i) for i in turn.context.get("offered") or []]
    turn.remember("offered", [])
    if not asking:
        shown = [str(i) for i in turn.context.get("shown") or []]
        turn.remember("shown", [*shown, *(i for i in offered if i not in shown)])


def told_only(turn: Turn, text: str) -> bool:
    """Whether a message only tells the coach something about the student's situation, asking nothing.

    ("the CEO herself is doing my final interview", "they rejected me"). The advice it is answered with
    is offered, not asked for: it does not count as shown when the student then asks, so the question gets
    its best answer even when that was among the advice offered ("how do I handle that?").
    """
    if not turn.has_storage or asks_something(text):
        return False
    from bot.coaching.situation import detect

    return any(not found.hypothetical for found in detect(turn.knowledge, text).values())
