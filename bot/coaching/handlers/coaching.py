"""Coaching answers from the knowledge base, and the conversational intents.

A question gets the items that answer it best for this student (see :mod:`bot.coaching.advice`): the first bullet
answers what was asked, the next ones fit their situation, nothing already shown in the conversation
comes back unless asked for, and when the knowledge base has nothing good the coach says so and offers
the two closest topics.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import replace

from bot.coaching import advice, situation
from bot.coaching.dialog import dont_know, is_other_action, yes_no
from bot.coaching.registry import on_action, on_intent, on_pending
from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.pending import Pending
from bot.common.types import Button, Reply
from bot.knowledge.library import COACHING_TOPICS, TOPIC_LABELS, Item, Topic
from bot.nlu.thresholds import ACT, ANSWER
from bot.nlu.types import Parse

PRACTISE = Button("Practise", "practice:start")  # a mock second interview (bot/coaching/practice)

log = logging.getLogger(__name__)

_THANKS = re.compile(r"\b(thx|thanks?|thank u|thank you|ty|tysm|cheers|appreciate|merci|danke|gracias)\b", re.I)
_HELLO_ONLY = re.compile(
    r"^\W*(hi|hello|hey|hiya|yo|good (morning|afternoon|evening)|howdy)\W*(there|again)?\W*$", re.I
)
_GENERIC_ASK = re.compile(  # "any tips?": advice for what the conversation is about
    r"^\W*(?:ok|okay|so|and|hmm|great|thanks|cool)?\W*(?:any|some|more|other|got any|give me|need|what are your)?\s*"
    r"(?:(?:quick|last[- ]minute|final|good|useful|general|top|few|couple of|practical)\s+)*"
    r"(?:tips?|advice|suggestions?|ideas|pointers|recommendations?)"
    r"(?: (?:for|on|about) (?:me|that|this|it|them|those|these|there)| then)?\W*(?:please|pls)?\W*$",
    re.I,
)
_WHAT_NOW = re.compile(  # "what should I do now?": a next step in what the conversation is about
    r"^\W*(?:ok|okay|so|and|hmm|right|well|alright)?\W*(?:"
    r"(?:so |and )?(?:now |then )?what(?:'?s| is)? (?:now|next|then)|now what|then what|what do i do|"
    r"what (?:should|shall|can|could|do|would) (?:i|we) do(?: now| next| then| first| from here| after that)?|"
    r"what (?:are|r) (?:my|the) next steps?|next steps?|where do i go from here|how do i move on|"
    r"what happens (?:now|next|then)|what else"
    r")\W*(?:then|now)?\W*(?:please|pls)?\W*$",
    re.I,
)
_ACK = re.compile(  # "ok", "got it 👍": the student acknowledges what was said; not a hello
    r"^\W*(?:ok(?:ay)?|k+|kk|alright|all right|got it|gotcha|cool|great|nice|perfect|sounds good|noted|"
    r"understood|makes sense|will do|i see|sure|fine)(?:\W+(?:ok(?:ay)?|cool|great|got it|then|thanks?))*\W*$",
    re.I,
)
_BYE = re.compile(r"\b(bye|goodbye|see ya|see you|cya|later|good night|gn|ttyl)\b", re.I)
_AGAIN = re.compile(
    r"^\W*(?:(?:can you |could you |please )?(?:show|say|give|send|repeat)(?: me)?(?: that| it| those| this)?"
    r"(?: tips?| advice)? (?:again|once more)|repeat(?: that| it)?|again|say again|come again)\W*(?:please|pls)?\W*$",
    re.I,
)
_QUESTION = re.compile(  # a message that asks something
    r"\?|^\W*(?:how|what|wh?at|which|who|whom|when|where|why|should|shall|can|could|would|will|do|does|did|is|are|am|"
    r"was|were|any|anything|anyone|anybody|tips?|advice|help|idk|wdyt|ok to|okay to)\b",
    re.I,
)
_ASK_CUE = re.compile(  # inside a message about an interview: the part that asks for advice
    r"\b(?:tips?|advice|advise|etiquette|suggestions?|pointers|recommendations?|ideas|"
    r"how (?:do|should|can|could|would|to|much|many)|what (?:do|should|can|could|would|to|are|is)|wh?at do i|"
    r"wat (?:do|should)|should i|shall i|can i|do i|is it ok|is it okay|ok to|okay to|what if|any thoughts|"
    r"wh?at'?s (?:the |my )?next"
    r")\b",
    re.I,
)
_CLAUSE_END = " .?!;,:\n—–-"  # what ends a clause (stripped from it)
_CLAUSE = re.compile(  # a clause and the punctuation that ends it
    r"(?:[^.?!;,:\n—–-]|-(?=\S))+(?:[.?!;,:\n—–]+|\s-\s|$)|[^.?!;,:\n—–]+$", re.I
)
_FOLLOW_UP = re.compile(r"\b(?:that|this|it|him|her|them|those|these|there|one|such)\b", re.I)  # refers back
# to what was said, not to people: "it", "that's", or a demonstrative standing alone ("is that a bad sign?",
# "does this matter?"), not one before a noun ("this time", "that company"); the words that can follow a
# demonstrative used as a pronoun are few (verbs of being and meaning, articles, a judgement)
_POINTS_BACK = re.compile(r"\b(it|thats|that's|that|this|those|these)\b(?=\s*(?:[^\w\s']|$|(\w+)))", re.I)
_AFTER_PRONOUN_TEXT = """is was are were be a an the so too still really even just all normal ok okay fine bad good
    weird common true wrong mean means meant matter matters affect affects count counts change changes happen happens"""
_AFTER_PRONOUN = frozenset(_AFTER_PRONOUN_TEXT.split())


def _points_back(text: str) -> bool:
    return any(
        m.group(1).lower() in {"it", "thats", "that's"} or m.group(2) is None or m.group(2).lower() in _AFTER_PRONOUN
        for m in _POINTS_BACK.finditer(text)
    )


FOLLOW_UP_WORDS = 12  # a question this short that refers back is read with the message before


def _short(text: str) -> bool:
    return len(text.split()) <= FOLLOW_UP_WORDS


UNANSWERED = "unanswered"  # Reply.kind prefix of an honest "no good answer" (counted by topic in /metrics)
OUTCOME_STATEMENT = "outcome"


def _priors(parse: Parse) -> dict[str, float]:
    """The classifier's belief in each coaching topic."""
    pairs = parse.alternatives or ((parse.intent, parse.confidence),)
    return {intent: conf for intent, conf in pairs if intent in COACHING_TOPICS}


# a question the classifier sent elsewhere is still answered when the knowledge base clearly answers it:
RESCUE_COVER = 0.6  # its best items speak to this share of the question's words…
RESCUE_MATCH = 2.4  # …they match it this strongly (BM25, see bot/coaching/advice.py)…
RESCUE_TOPIC = 0.3  # …and the classifier's guesses give the coaching topics together this much belief
RESCUE_FRESH_MATCH = 2.2  # or, anywhere: items speaking to RESCUE_COVER of it match it this well, the scope
RESCUE_LEAN = 0.15  # model leans to in scope (RESCUE_SCOPE) and the guesses give coaching at least this much
RESCUE_FRESH_SCOPE = 0.3  # (the scope model's least belief for that; chosen on dev/own: 8 of 16 routed coaching
# questions answered instead of 7, none of 650 out-of-scope and job-search messages)
RESCUE_SCOPE = 0.5  # in a conversation about the student's interview: the scope model leans to in scope…
RESCUE_SCOPE_STRONG = 0.3  # …or is only unsure, when an item made for their situation answers the whole question…
RESCUE_EXACT = 0.9  # …(it matches at least this well, relative to the best match…
RESCUE_EXACT_MATCH = 2.0  # …and the best match is at least this strong)
RESCUE_TOLD = 0.5  # …and items speak to this share of the question…
RESCUE_FIT = 0.4  # …or an item made for their situation matches it this well (relative to the best match)
UNSURE = ANSWER / 2  # the confidence a question rescued for the student's situation is answered with
# requests that only show something: a wrong guess costs little…
LOOKUPS = frozenset({"list_interviews", "help", "show_notes"})
LOOK_SURE = 0.7  # …so a question read as one below this confidence is still answered when the advice clearly fits
DISAGREE_COVER = 0.6  # no good answer: the words' best item is off the classifier's topic, speaks to less than
DISAGREE_MATCH = 1.5  # this share of the question and matches it less than this (BM25; see _disagree)
CLOSEST_SCOPE = 0.7  # an honest no-answer shows "the closest thing I have" only when the scope model is this sure
SIDE_GAP = 1.2  # a side bullet from another topic, not made for the student's situation, is left out when it
SIDE_SHARE = 0.4  # scores this much below the first bullet, or less than this share of its score
CONTEXT_SURE = 0.9  # a short question classified this surely, and fully matched on its own, ignores the one before


def answer(turn: Turn, parse: Parse, *, ask: bool = True, follow_on: bool = False) -> list[Reply]:
    """Answer a coaching question: the best items for this question and this student, or an honest no.

    ``ask=False``: never ask the topic's question (another question of the conversation is open).
    ``follow_on``: a bare "any tips?" / "what now?" on the conversation's topic: the topic and the student's
    situation choose the advice, not the words of the message before (they chose what was just shown).
    """
    facts = situation.situation(turn, parse.text)
    said = facts.values.get(OUTCOME_STATEMENT) if OUTCOME_STATEMENT in facts.told - facts.supposed else None
    if said in situation.ENDINGS:  # "they rejected me": the process ended, whatever topic the words look like
        return turn.handle_as("report_outcome", parse)  # bot/coaching/handlers/outcomes.py
    priors = _priors(parse)
    # a short question is read with the message before it: fully when it points back ("how do I handle that?")
    context = situation.said_before(turn) if _short(parse.text) and not follow_on else ""
    weight = advice.W_CONTEXT if _FOLLOW_UP.search(parse.text) else advice.W_BEFORE
    seen = _seen(turn, follow_on=follow_on)
    led = advice.led(turn)
    ranking = None
    if context and parse.confidence >= CONTEXT_SURE and not _points_back(parse.text):
        # a clear question of its own is answered on its own words ("is that a bad sign?" is not one of its own):
        alone = advice.rank(turn.knowledge, facts, parse.text, priors, seen=seen, led=led)
        if alone.coverage >= advice.STRONG:  # "what should I ask them?" after a dinner question is about questions
            ranking = alone
    if ranking is None:
        ranking = advice.rank(
            turn.knowledge, facts, parse.text, priors, seen=seen, context=context, context_weight=weight, led=led
        )
    if follow_on and parse.intent in turn.knowledge.topics:  # more on the conversation's topic, or advice made
        # for their situation; never advice for a situation they haven't told ("meeting the same person
        # again?" after "it's a panel" and "any tips?")
        on_topic = [s for s in ranking.scored if s.fits or (s.topic.intent == parse.intent and not s.item.when)]
        ranking = replace(ranking, scored=on_topic or ranking.scored)
    if not ranking.scored:
        return _all_covered(turn, parse.intent)
    unsure = parse.confidence < ANSWER and ranking.coverage < advice.STRONG
    if unsure or (ranking.coverage < advice.WEAK and parse.confidence < advice.SURE):
        # advice made for the situation the student is in, and matching what they asked, is an answer
        situational = [s for s in ranking.scored[:3] if s.fits and s.relative >= advice.SITUATION_MATCH]
        if not situational:
            return no_answer(turn, parse, ranking)
        ranking = replace(ranking, scored=[situational[0], *(s for s in ranking.scored if s is not situational[0])])
    elif not follow_on and not context and _disagree(priors, ranking):
        return no_answer(turn, parse, ranking)
    picked = _on_the_question(ranking, _fresh_third(turn, ranking))
    lead_topic = picked[0].topic
    items = [(s.topic, s.item) for s in picked]
    # ask the topic's question for a general question, or when advice shown depends on its answer; then
    # the advice that depends on it waits for the answer instead of being a guess
    unknown = _open_question(turn, lead_topic, facts)
    if unknown and (ranking.coverage < advice.STRONG or any(_depends(turn, i, unknown) for _, i in items[1:])):
        kept = [s for s in ranking.scored[1:] if not _depends(turn, s.item, unknown)]
        picked = _on_the_question(ranking, advice.choose(replace(ranking, scored=[picked[0], *kept])))
        items = [(s.topic, s.item) for s in picked]
        return _reply(turn, lead_topic, items, facts, heading=picked[0].item.heading, ask=ask)
    return _reply(turn, lead_topic, items, facts, heading=picked[0].item.heading, ask=False)


def _for_the_ending(ranking: advice.Ranking, facts: situation.Facts) -> list[advice.Scored]:
    """Advice made for how the student's process ended, among the best three, when it has ended.

    After "I withdrew" or "I accepted the offer", a short question whose best item is the advice made for that
    ending ("how do I leave on good terms?") is about the process, whatever it reads like alone (see
    :func:`rescue`).
    """
    if facts.values.get(OUTCOME_STATEMENT) not in situation.ENDINGS or OUTCOME_STATEMENT in facts.supposed:
        return []
    return [s for s in ranking.scored[:3] if OUTCOME_STATEMENT in s.fits]


def _disagree(priors: dict[str, float], ranking: advice.Ranking) -> bool:
    """Whether the words and the classifier point to different topics and the words match weakly.

    Then the knowledge base has no good answer: the best item is from another topic than the classifier's
    best coaching guess, speaks to little of the question (``DISAGREE_COVER``), matches it weakly
    (``DISAGREE_MATCH``) and is not advice made for the student's situation. On the own and dev question
    sets every question with no good answer had the two disagree; with the weak match, 7 of the 13 are
    caught, against 4 questions with an answer (2 of which keep it as "the closest thing I have").
    """
    if not priors or not ranking.scored:
        return False
    top = ranking.scored[0]
    return (
        top.topic.intent != max(priors, key=lambda t: priors[t])
        and top.cover < DISAGREE_COVER
        and ranking.best_match < DISAGREE_MATCH
        and not top.fits
    )


def _fresh_third(turn: Turn, ranking: advice.Ranking) -> list[advice.Scored]:
    """The chosen bullets, the third one not repeating the previous reply.

    Advice offered on news is not counted as shown when the student then asks (so the question gets its
    best answer, and advice for their situation may come back second); a third bullet the student just
    read is replaced by the next one that makes another point.
    """
    picked = advice.choose(ranking)
    previous = {str(i) for i in turn.context.get("last_items") or []} if turn.has_storage else set()
    if len(picked) < advice.PAGE or picked[-1].item.id not in previous:
        return picked
    kept = picked[:-1]
    points = {s.item.point for s in kept}
    longer = advice.choose(ranking, count=advice.PAGE + 4)
    fresh = [s for s in longer if s not in kept and s.item.id not in previous and s.item.point not in points]
    return [*kept, *fresh[:1]]


def _on_the_question(ranking: advice.Ranking, picked: list[advice.Scored]) -> list[advice.Scored]:
    """The chosen bullets without the side bullets that are off the question asked.

    Off the question: from another topic than the first bullet, not made for the student's situation, and
    scoring far below the first (``SIDE_GAP`` less, or under ``SIDE_SHARE`` of its score): "why they take
    you out to a restaurant" under a question about a harsh interviewer. Fewer bullets read better. On the
    own and dev question sets this leaves out 86 of 794 side bullets, one of them a right answer.
    """
    if not ranking.asked or len(picked) < 2:
        return picked
    lead = picked[0]

    def off(s: advice.Scored) -> bool:
        far = s.score < lead.score - SIDE_GAP or s.score < SIDE_SHARE * lead.score
        return far and not s.fits and s.topic is not lead.topic

    return [lead, *(s for s in picked[1:] if not off(s))]


def _seen(turn: Turn, *, follow_on: bool) -> list[str]:
    """The items already shown; for a bare follow-on ask, also those just offered on news (it asks for more)."""
    seen = advice.shown(turn)
    if not follow_on or not turn.has_storage:
        return seen
    return [*seen, *(str(i) for i in turn.context.get("last_items") or [] if str(i) not in seen)]


def _coaching_belief(parse: Parse) -> float:
    """How much the classifier's guesses for a message believe in the coaching topics together."""
    return sum(conf for intent, conf in parse.alternatives if intent in COACHING_TOPICS)


def _in_conversation(turn: Turn) -> bool:
    """Whether this conversation is already about the student's interview (a topic discussed, a fact known)."""
    if not turn.has_storage:
        return False
    return bool(turn.context.get("last_topic") or turn.facts() or situation.current_interview(turn))


def rescue(turn: Turn, parse: Parse) -> list[Reply] | None:
    """A coaching question the classifier sent elsewhere, answered when the knowledge base clearly answers it.

    Elsewhere: out of scope, or unsurely a list, a note, the notes, help (see :func:`unsure_question`); None when
    the knowledge base does not clearly answer it.

    Clearly: its best items speak to most of the question, match it strongly and the classifier's own
    guesses lean to coaching (or the scope model reads it as in scope and the guesses lean a little); or, in
    a conversation about the student's interview (or a message saying where they stand), a question that the
    advice made for their situation (or most of the knowledge base's words) answers. The scope model may be
    unsure (not leaning out) when one item made for their situation answers all of it ("who pays?" at a
    dinner).
    """
    text = parse.text
    if not text or len(text) > 600:
        return None
    priors = _priors(parse)
    known = situation.situation(turn, text)
    ranking = advice.rank(turn.knowledge, known, text, priors, seen=advice.shown(turn))
    if not ranking.scored:
        return None
    strong = (
        ranking.coverage >= RESCUE_COVER
        and ranking.best_match >= RESCUE_MATCH
        and _coaching_belief(parse) >= RESCUE_TOPIC
    )
    if not strong and ranking.coverage >= RESCUE_COVER and ranking.best_match >= RESCUE_FRESH_MATCH:
        # the scope model reads it as in scope and the classifier gives coaching some belief: an answer
        strong = _coaching_belief(parse) >= RESCUE_LEAN and _scope(turn, parse) >= RESCUE_FRESH_SCOPE
    if not strong:
        told = bool(known.told - known.supposed)  # this message says where the student stands
        if not (_in_conversation(turn) or told) or not (_QUESTION.search(text) or told):
            return None
        top = ranking.scored[0]
        exact = (
            bool(top.fits)
            and top.relative >= RESCUE_EXACT
            and top.cover >= RESCUE_COVER
            and ranking.best_match >= RESCUE_EXACT_MATCH
        )
        fitting = [s for s in ranking.scored[:3] if s.fits and s.relative >= RESCUE_FIT and s.cover >= RESCUE_TOLD]
        # a short question whose best item is made for how the process ended is read with the message before
        ending = top in fitting and top in _for_the_ending(ranking, known)
        scope = _scope_in_context(turn, parse) if ending else _scope(turn, parse)
        if scope < (RESCUE_SCOPE_STRONG if exact else RESCUE_SCOPE):
            return None
        # "round two just ended, what's my next move?": the advice made for what this message says leads
        said = told and all(s.fits & known.told and s.relative >= RESCUE_FIT for s in ranking.scored[:2])
        if not ranking.asked or (not fitting and not said and ranking.coverage < RESCUE_COVER):
            return None
    lead = ranking.scored[0].topic.intent
    best = {lead: 1.0, **{k: v for k, v in priors.items() if k != lead}}
    # rescued for the student's situation rather than for the words: advice made for it leads (see answer)
    sure = ANSWER if strong else UNSURE
    return answer(turn, replace(parse, intent=lead, confidence=sure, alternatives=tuple(best.items())))


def _scope(turn: Turn, parse: Parse) -> float:
    """The scope model's reading of the message: the one its parse made, else read now (a parse built by hand)."""
    return parse.scope if parse.scope is not None else turn.nlu.classifier.scope_probability(parse.text)


def _scope_in_context(turn: Turn, parse: Parse) -> float:
    """The scope model's reading of a short question together with the message before it, or alone.

    "how do I leave on good terms?" is ambiguous on its own, and about the process right after "I withdrew":
    a short question is read with the message before it, as the ranking reads it (``W_CONTEXT``). Used only
    when the question's best item is the advice made for how the student's process ended (see :func:`rescue`).
    """
    alone = _scope(turn, parse)
    before = situation.said_before(turn) if _short(parse.text) else ""
    if not before:
        return alone
    together = turn.nlu.classifier.scope_probability(f"{before.rstrip()} {parse.text}")
    # the two read together must be surely in scope (CLOSEST_SCOPE): dev out-of-scope messages said after "they
    # rejected me" are read as in scope only unsurely
    return together if together >= CLOSEST_SCOPE else alone


def unsure_question(turn: Turn, parse: Parse) -> list[Reply] | None:
    """A question read unsurely as another request (a list, a note, help), answered as coaching when it can be.

    The answer when the coaching topics together are likelier than the request and the scope model reads the
    message as in scope, or when the knowledge base clearly answers it (see :func:`rescue`); else None (the
    request's own handler goes on).
    """
    sure = LOOK_SURE if parse.intent in LOOKUPS else ACT
    if parse.confidence >= sure or not (_QUESTION.search(parse.text) or _ASK_CUE.search(parse.text)):
        return None
    belief = _coaching_belief(parse)
    if belief > parse.confidence and _scope(turn, parse) >= RESCUE_SCOPE:
        # the coaching topics together outweigh the request it was read as, and the scope model reads it as in
        # scope: a coaching question, answered on its likeliest topic (or honestly not, see answer)
        priors = sorted(_priors(parse).items(), key=lambda kv: -kv[1])
        return answer(turn, replace(parse, intent=priors[0][0], confidence=belief, alternatives=tuple(priors)))
    return rescue(turn, parse)


# requests whose own handlers never ask whether the message is a coaching question read wrongly (the list, notes,
# help and outcome handlers call unsure_question themselves, fallback calls rescue); a scheduling guess counts
# only when the message names no company and no date (otherwise tips_in_message answers its ask)
REQUESTS = frozenset(
    {
        "practice",
        "thank_you_sent",
        "draft_thank_you",
        "cancel_interview",
        "set_reminder",
        "add_to_calendar",
        "export_data",
        "schedule_interview",
    }
)
QUESTION_ELSEWHERE = "question_elsewhere"  # the always-asked route bot/coaching/dialog.py calls before a request
# "remind me what to do if I go blank": "remind me" opening a question (a wh-word, not "what time") is a question
_REMIND_ASK = re.compile(
    r"^\W*(?:\w+\W+){0,3}?remind\s+me\s+(?:again\s+)?(?:of\s+)?(?=(?:what|how|why|where|who|which)\b)(?!what\s+time\b)",
    re.I,
)
# …unless it names an event to remind on ("the day before", "after the interview"); a time is read by parse_when
_REMIND_EVENT = re.compile(r"\b(?:before|after|b4|ahead of|morning of|night of|day of|when (?:my|the) )", re.I)


def _reminder_question(turn: Turn, parse: Parse) -> list[Reply] | None:
    """A "remind me what/how/why…" with no time and no event: a question, not a reminder, answered as coaching.

    The question is the part after "remind me" ("what to do if I go blank"), read again on its own words, so
    "remind" is not taken for advice about reminding oneself. None when it is a reminder after all.
    """
    opening = _REMIND_ASK.match(parse.text)
    if opening is None or _REMIND_EVENT.search(parse.text):
        return None
    if turn.nlu.parse_when(parse.text, turn.local_now, turn.tz) is not None:
        return None
    asked = parse.text[opening.end() :].strip()
    reread = turn.nlu.parse(asked, turn.local_now, turn.tz)
    if reread.intent in COACHING_TOPICS:
        return answer(turn, reread)
    if reread.intent in LOOKUPS and reread.confidence >= ACT:  # "remind me where my interview is": the list
        return turn.handle_as(reread.intent, reread)
    priors = sorted(_priors(reread).items(), key=lambda kv: -kv[1])
    if not priors:
        return rescue(turn, reread)
    belief = sum(conf for _, conf in priors)
    return answer(turn, replace(reread, intent=priors[0][0], confidence=belief, alternatives=tuple(priors)))


@on_pending(QUESTION_ELSEWHERE)
def question_elsewhere(turn: Turn, pending: Pending | None, parse: Parse) -> list[Reply] | None:
    """A coaching question read unsurely as a request (practice, a thank-you sent, a reminder…), answered as coaching.

    Asked by the dialog before a request's handler runs: the answer when the guess is below ``ACT``, the
    message asks something and the knowledge base clearly answers it (see :func:`unsure_question`), else None
    (the request's handler goes on).
    """
    if parse.intent not in REQUESTS:
        return None
    if parse.intent == "set_reminder" and (asked := _reminder_question(turn, parse)) is not None:
        return asked
    if parse.intent == "schedule_interview" and (parse.entities.company or parse.entities.when):
        return None
    return unsure_question(turn, parse)


def tips_in_message(turn: Turn, parse: Parse) -> list[Reply]:
    """Advice for a coaching ask inside a message about an interview ("round 2 tmrw, any tips?"), else nothing.

    The ask is the part of the message with an ask in it; a general one ("any tips?") gets the advice
    for the situation the message states, a specific one the items that answer it.
    """
    clauses = [m.group(0).strip() for m in _CLAUSE.finditer(parse.text) if m.group(0).strip(_CLAUSE_END)]
    asking = [c.endswith("?") or bool(_ASK_CUE.search(c)) for c in clauses]
    asks = [c.rstrip(_CLAUSE_END) for c, a in zip(clauses, asking, strict=True) if a]
    if not asks or (len(clauses) < 2 and "?" not in parse.text):
        return []
    ask_text = " ".join(asks)
    cols = turn.nlu.parse(ask_text, turn.local_now, turn.tz)
    priors = {i: c for i, c in (cols.alternatives or ((cols.intent, cols.confidence),)) if i in COACHING_TOPICS}
    facts = situation.situation(turn, parse.text)
    # the rest of the message ("…with the same manager as last time") is what the ask is about
    rest = " ".join(c for c, a in zip(clauses, asking, strict=True) if not a)
    told = " ".join(advice.advice_words(turn.knowledge, rest))
    ranking = advice.rank(
        turn.knowledge, facts, ask_text, priors, seen=advice.shown(turn), context=told, context_weight=advice.W_BEFORE
    )
    if not ranking.scored:
        return []
    general = not advice.index(turn.knowledge).query(ask_text)[0] or _GENERIC_ASK.match(ask_text)
    if not general and ranking.coverage < advice.WEAK and not priors:
        return []
    if general:  # advice for the situation said, else for preparing (a bare "quick tips?" says nothing of a topic)
        ranking = advice.rank(turn.knowledge, facts, "", {"preparation": 1.0}, seen=advice.shown(turn))
        if not ranking.scored:
            return []
    picked = _on_the_question(ranking, advice.choose(ranking))
    items = [(s.topic, s.item) for s in picked]
    return _reply(turn, picked[0].topic, items, facts, heading=picked[0].item.heading, ask=False)


def _open_question(turn: Turn, topic: Topic, facts: situation.Facts) -> set[str]:
    """The facts the topic's question would settle, when none of them is known yet (else empty)."""
    if topic.ask is None or _knows_answer(turn, topic, facts) or _asked(turn, topic.intent):
        return set()
    return {g for k in topic.ask.options if (g := situation.group_of(turn.knowledge, k))}


def _depends(turn: Turn, item: Item, groups: set[str]) -> bool:
    """Whether an item holds only for some answers to a question about ``groups``."""
    return any(situation.group_of(turn.knowledge, k) in groups for k in item.when)


def _reply(
    turn: Turn,
    topic: Topic,
    items: list[tuple[Topic, Item]],
    facts: situation.Facts,
    *,
    heading: str,
    intro: str | None = None,
    ask: bool = True,
    repeat_ok: bool = False,
) -> list[Reply]:
    """Lay out the chosen items, ask the topic's question when its answer is unknown, remember what was shown."""
    question = None
    buttons: list[Button] = []
    if ask and topic.ask is not None and not _knows_answer(turn, topic, facts) and not _asked(turn, topic.intent):
        question = topic.ask.question
        values = [(k, v) for k in topic.ask.options if (v := turn.knowledge.value(k))]
        buttons.extend(Button(v.label, f"situation:{topic.intent}:{k}") for k, v in values)
        if turn.has_storage:
            turn.ask("situation", topic=topic.intent)
            asked = [t for t in turn.context.get("asked") or [] if t != topic.intent]
            turn.remember("asked", [*asked, topic.intent])
    page = _next_page(turn, topic, items, facts)
    if page:
        buttons.append(Button("More tips", f"more:{topic.intent}:{page}"))
    buttons.extend(Button(advice.short(rel), f"topic:{rel}") for rel in topic.related[:2])
    lead, private = _personal_lead(turn, topic.intent)
    reply = advice.render(heading, items, lead=lead, intro=intro, question=question, buttons=buttons)
    _settle_previous(turn)
    advice.mark_shown(turn, items)
    if turn.has_storage:
        turn.remember("last_topic", topic.intent)
        turn.remember("last_items", [item.id for _, item in items])
    replies = [Reply(reply.text, reply.buttons, private=private)]
    return replies if repeat_ok else _fresh(turn, replies)


def _settle_previous(turn: Turn) -> None:
    """The previous reply's advice counts as shown once this one is laid out.

    Advice offered on news ("dinner at Hooli on tuesday" gets two dinner tips) is left out of what was
    shown while the next question is ranked, so that question gets its best answer; after that it was
    seen, and "more tips" or a later question move on instead of repeating it.
    """
    if not advice.remembers_shown(turn):  # a conversation started afresh
        return
    previous = [str(i) for i in turn.context.get("last_items") or []]
    shown = advice.shown(turn)
    if any(i not in shown for i in previous):
        turn.remember("shown", [*shown, *(i for i in previous if i not in shown)][-advice.SHOWN_KEEP :])


def _knows_answer(turn: Turn, topic: Topic, facts: situation.Facts) -> bool:
    """Whether the student's facts already answer the topic's question."""
    assert topic.ask is not None
    groups = {situation.group_of(turn.knowledge, k) for k in topic.ask.options}
    return any(g in facts.values for g in groups)


def _asked(turn: Turn, intent: str) -> bool:
    return turn.has_storage and intent in (turn.context.get("asked") or [])


def _next_page(turn: Turn, topic: Topic, items: list[tuple[Topic, Item]], facts: situation.Facts) -> str:
    """The topic's next items after this reply, as their places in the topic ("4.7.9"; empty when none).

    The "More tips" button carries them, so pressing it shows the same page after a restart too.
    """
    seen = [*advice.shown(turn), *(item.id for _, item in items)]
    ranking = advice.rank(turn.knowledge, facts, "", {topic.intent: 1.0}, seen=seen, topic=topic.intent)
    places = {item.id: n for n, item in enumerate(topic.items)}
    return ".".join(str(places[s.item.id]) for s in advice.choose(ranking) if not s.seen)


def topic_answer(turn: Turn, intent: str, *, chosen: str | None = None, more: bool = False) -> list[Reply]:
    """A topic's best unseen items for this student (a topic button, "More tips", an answered question)."""
    topic = turn.knowledge.topics[intent]
    facts = situation.situation(turn, "", chosen=chosen)
    ranking = advice.rank(turn.knowledge, facts, "", {intent: 1.0}, seen=advice.shown(turn), topic=intent)
    picked = advice.choose(ranking)
    if not picked:
        return _all_covered(turn, intent)
    heading = topic.title
    if chosen and (value := turn.knowledge.value(chosen)):
        heading += f" ({value.label.lower()})"
    elif more:
        heading = f"More on {topic.title.lower()}"
    intro = None if more or chosen else topic.intro
    return _reply(turn, topic, [(s.topic, s.item) for s in picked], facts, heading=heading, intro=intro)


def _all_covered(turn: Turn, intent: str) -> list[Reply]:
    """Everything that fits has been shown: say so, and offer it again or other topics."""
    topic = turn.knowledge.topics.get(intent)
    title = topic.title.lower() if topic else "that"
    related = topic.related[:2] if topic else ()
    buttons = (
        Button("Show that again", "again"),
        *(Button(advice.short(r), f"topic:{r}") for r in related),
    )
    return _fresh(turn, [Reply(f"That's everything I have on {title} for your situation. Anything else?", buttons)])


def no_answer(turn: Turn, parse: Parse, ranking: advice.Ranking) -> list[Reply]:
    """An honest "I don't have a good answer", with the two closest topics as buttons (counted by topic)."""
    closest = [t for t, _ in sorted(_priors(parse).items(), key=lambda kv: -kv[1])]
    for t in ranking.top_topics(3):
        if t not in closest:
            closest.append(t)
    closest = closest[:2] or ["preparation", "expectations"]
    log.info("coaching_unanswered", extra={"topic": closest[0]})
    text = turn.knowledge.response(
        "no_answer", first=advice.short(closest[0]).lower(), second=advice.short(closest[-1]).lower()
    )
    buttons = tuple(Button(advice.short(t), f"topic:{t}") for t in closest)
    # the closest item, for a question about second interviews (not for a message the scope model reads as
    # outside them: "python list comprehension example" gets no interview advice at all)
    if ranking.scored and ranking.coverage >= advice.CLOSEST and _scope(turn, parse) >= CLOSEST_SCOPE:
        near = ranking.scored[0]
        text += f"\nThe closest thing I have:\n{markup.bullets([advice.bullet(near.item.text)])}"
        advice.mark_shown(turn, [(near.topic, near.item)])
        if turn.has_storage:
            turn.remember("last_items", [near.item.id])
    return _fresh(turn, [Reply(text, buttons, kind=f"{UNANSWERED}:{closest[0]}")])


def _fresh(turn: Turn, replies: list[Reply]) -> list[Reply]:
    """Never send the same text twice in a row: a repeat gets a short note in front."""
    if not replies or not turn.has_storage:
        return replies
    digest = hashlib.sha256(replies[0].text.encode()).hexdigest()[:16]
    if turn.context.get("last_reply") == digest:
        first = replies[0]
        replies = [Reply("(Same as a moment ago.)\n" + first.text, first.buttons, first.private, first.kind)]
        digest = hashlib.sha256(replies[0].text.encode()).hexdigest()[:16]
    turn.remember("last_reply", digest)
    return replies


def _personal_lead(turn: Turn, intent: str) -> tuple[str | None, bool]:
    """A first line about the user's own upcoming interview, where it changes the advice."""
    if not turn.has_storage or intent not in {"interviewers", "informal_setting", "preparation", "presentation"}:
        return None, False
    upcoming = turn.data.upcoming(turn.now)
    if not upcoming:
        return None, False
    nxt = upcoming[0]
    today = turn.local_now.date()
    # "Your Acme interview (Friday 6 March, 3:00 PM)", "Your interview" when neither is known: no placeholders
    yours = f"Your {formatting.company(nxt)} interview" if nxt.company else "Your interview"
    if nxt.local_start is not None:
        yours += f" ({formatting.when(nxt, today)})"
    if intent == "interviewers" and nxt.interviewers:
        return f"{yours} is with {formatting.people(nxt.interviewers)}.", True
    if intent == "informal_setting" and nxt.setting == "informal":
        return f"{yours} is {formatting.setting_of(nxt)}.", True
    if intent in {"preparation", "presentation"}:
        return f"Your next interview: {formatting.summary(nxt, today)}.", True
    return None, False


def _again(turn: Turn) -> list[Reply] | None:
    """The last advice shown, again (the student asked for it)."""
    ids = [str(i) for i in turn.context.get("last_items") or []] if turn.has_storage else []
    items = [(t, i) for t, i in turn.knowledge.items() if i.id in ids]
    if not items:
        return None
    items.sort(key=lambda ti: ids.index(ti[1].id))
    reply = advice.render(items[0][1].heading, items)
    return _fresh(turn, [reply])


@on_intent(*COACHING_TOPICS)
def coaching(turn: Turn, parse: Parse) -> list[Reply]:
    """Advice on one of the coaching topics."""
    if _AGAIN.match(parse.text):
        again = _again(turn)
        if again:
            return again
    follow_on = _follows_on(turn, parse)
    if follow_on:  # "what happens now?" in a conversation: a next step in what it is about
        parse = _on_last_topic(turn, parse)
    replies = answer(turn, parse, follow_on=follow_on)
    if turn.has_storage:
        # lazy: importing bot.coaching.handlers.interviews imports the whole package, scheduling (above) too
        from bot.coaching.handlers.interviews.offer_dates import record_dates

        replies = record_dates(turn, parse) + replies
    return replies


UNKNOWN = "unknown"  # the value of a topic's question for "I don't know yet" (knowledge/facts.yaml)


@on_pending("situation")
def answer_situation(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The reply to "is it the same person or someone new?" and the like."""
    intent = str(pending.data.get("topic", ""))
    topic = turn.knowledge.topics.get(intent)
    if topic is None or topic.ask is None or is_other_action(parse.intent, parse.confidence):
        return None
    options = set(topic.ask.options)
    found = [f.value for f in situation.detect(turn.knowledge, parse.text).values() if f.value in options]
    key = found[0] if found else None
    if key is None:
        reply = yes_no(parse.text)
        key = topic.ask.if_yes if reply is True else topic.ask.if_no if reply is False else None
    if key is None and UNKNOWN in options and dont_know(parse.text):
        key = UNKNOWN  # "idk" / "not sure yet": the question's own "Not sure yet" answer, typed
    if key is None:
        return None
    if len(parse.text.split()) > 6 and parse.intent in COACHING_TOPICS:
        return answer(turn, parse)  # a question of its own that also answers ours: the fact is learned there
    return topic_answer(turn, intent, chosen=key)


@on_action("topic")
def topic_button(turn: Turn, args: list[str]) -> list[Reply]:
    """A topic button: the topic's best advice not yet shown."""
    if not args or args[0] not in turn.knowledge.topics:
        return [Reply(turn.knowledge.response("unknown_action"))]
    return topic_answer(turn, args[0])


@on_action("tips")
def tips_command(turn: Turn, args: list[str]) -> list[Reply]:
    """``tips:<words>`` (``/coach tips dinner``): the topic the words name, or the closest one."""
    words = " ".join(":".join(args).replace("_", " ").split()).lower()
    if not words:
        return [Reply("Which topic? Pick one:", advice.topic_buttons(tuple(TOPIC_LABELS)))]
    topic = find_topic(turn, words)
    if topic is None:
        return [
            Reply(
                f"I have no tips on that. Topics I know: {', '.join(TOPIC_LABELS.values())}.",
                advice.topic_buttons(),
            )
        ]
    situation.situation(turn, words)  # "tips dinner" tells the setting
    return topic_answer(turn, topic)


def find_topic(turn: Turn, words: str) -> str | None:
    """The coaching topic named by ``words`` (its id, title or label), else the one the words are about."""
    for intent, topic in turn.knowledge.topics.items():
        names = {intent.replace("_", " "), topic.title.lower(), TOPIC_LABELS.get(intent, "").lower()}
        if words in names or any(words == n.split()[0] for n in names if n):
            return intent
    parse = turn.nlu.parse(words, turn.local_now, turn.tz)
    if parse.intent in turn.knowledge.topics:
        return parse.intent
    parse = turn.nlu.parse(f"tips about {words} for my second interview", turn.local_now, turn.tz)
    return parse.intent if parse.intent in turn.knowledge.topics else None


@on_action("situation")
def situation_button(turn: Turn, args: list[str]) -> list[Reply]:
    """An answer button to a topic's question: advice for that situation."""
    if len(args) < 2 or args[0] not in turn.knowledge.topics or turn.knowledge.value(args[1]) is None:
        return [Reply(turn.knowledge.response("unknown_action"))]
    return topic_answer(turn, args[0], chosen=args[1])


@on_action("more")
def more_button(turn: Turn, args: list[str]) -> list[Reply]:
    """The "More tips" button: the page it names (the same page however often it is pressed), else the next one."""
    if not args or args[0] not in turn.knowledge.topics:
        return [Reply(turn.knowledge.response("unknown_action"))]
    topic = turn.knowledge.topics[args[0]]
    places = [int(p) for p in args[1].split(".") if p.isdigit()] if len(args) == 2 else []
    items = [(topic, topic.items[p]) for p in places[: advice.PAGE] if p < len(topic.items)]
    if not items:
        return topic_answer(turn, args[0], more=True)
    facts = situation.situation(turn, "")
    heading = f"More on {topic.title.lower()}"
    return _reply(turn, topic, items, facts, heading=heading, ask=False, repeat_ok=True)


@on_action("again")
def again_button(turn: Turn, args: list[str]) -> list[Reply]:
    """The "Show that again" button: the last advice, repeated on request."""
    return _again(turn) or _nothing_to_repeat(turn)


@on_intent("again")
def again_typed(turn: Turn, parse: Parse) -> list[Reply]:
    """A typed "show that again" / "repeat that": the last advice, repeated on request."""
    return _again(turn) or _nothing_to_repeat(turn)


def _nothing_to_repeat(turn: Turn) -> list[Reply]:
    """Asked to repeat before any advice was shown: say so, and offer the topics."""
    return _fresh(turn, [Reply(turn.knowledge.response("nothing_to_repeat"), advice.topic_buttons())])


@on_intent("more")
def more_typed(turn: Turn, parse: Parse) -> list[Reply]:
    """A typed "more" / "tell me more": the next items of the last topic."""
    last = turn.context.get("last_topic") if turn.has_storage else None
    if last not in turn.knowledge.topics:
        return help_intent(turn, parse)
    return topic_answer(turn, str(last), more=True)


@on_intent("greeting")
def greeting(turn: Turn, parse: Parse) -> list[Reply]:
    """Hello, thanks and goodbye."""
    if _THANKS.search(parse.text):
        return _fresh(turn, [Reply(turn.knowledge.response("thanks"))])
    if _BYE.search(parse.text):
        return _fresh(turn, [Reply(turn.knowledge.response("goodbye"))])
    if _ACK.match(parse.text):  # "ok": a short answer, not the whole introduction again
        return _fresh(turn, [Reply(turn.knowledge.response("acknowledged"))])
    told = [f for f in situation.detect(turn.knowledge, parse.text).values() if not f.hypothetical]
    if (rescued := unsure_question(turn, parse)) is not None:  # "hey, quick one: who pays at the dinner?"
        return rescued
    if _follows_on(turn, parse):
        return answer(turn, _on_last_topic(turn, parse), follow_on=True)
    if told and not _HELLO_ONLY.match(parse.text):  # "ok so now what?": a situation, not a hello
        return answer(turn, parse)
    return _fresh(turn, [Reply(turn.knowledge.response("greeting"), advice.topic_buttons())])


@on_intent("help")
def help_intent(turn: Turn, parse: Parse) -> list[Reply]:
    """What the bot can do."""
    if _AGAIN.match(parse.text) and (again := _again(turn)):
        return again
    if (rescued := unsure_question(turn, parse)) is not None:
        return rescued
    return _fresh(turn, [Reply(turn.knowledge.response("help"), (*advice.topic_buttons(), PRACTISE))])


@on_action("help")
def help_button(turn: Turn, args: list[str]) -> list[Reply]:
    """The help button."""
    return _fresh(turn, [Reply(turn.knowledge.response("help"), (*advice.topic_buttons(), PRACTISE))])


def _follows_on(turn: Turn, parse: Parse) -> bool:
    """Whether a bare "any tips?" or "what now?" comes in a conversation already about the student's interview."""
    return (
        bool(_GENERIC_ASK.match(parse.text) or _WHAT_NOW.match(parse.text))
        and turn.has_storage
        and bool(turn.context.get("last_topic") or turn.facts())
    )


def _on_last_topic(turn: Turn, parse: Parse) -> Parse:
    """The message read as a question on the conversation's last topic."""
    last = str(turn.context.get("last_topic") or "")
    if last not in turn.knowledge.topics:
        return parse
    return replace(parse, intent=last, confidence=1.0, alternatives=((last, 1.0),))


@on_intent("fallback")
def fallback(turn: Turn, parse: Parse) -> list[Reply]:
    """Out of scope: say so, and offer what the bot does."""
    if _AGAIN.match(parse.text) and (again := _again(turn)):
        return again
    if _follows_on(turn, parse):
        return answer(turn, _on_last_topic(turn, parse), follow_on=True)
    rescued = rescue(turn, parse)
    if rescued is not None:
        return rescued
    return _fresh(turn, [Reply(turn.knowledge.response("fallback"), (*advice.topic_buttons(), Button("Help", "help")))])
