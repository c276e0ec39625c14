"""How a process ended: "they rejected me", "I withdrew", "I accepted the offer", "I got the job".

The outcome is recorded on the interview (``Interview.outcome``), the reminders that no longer make
sense are stopped, and the advice that fits comes next (after a no: empathy, asking for feedback,
keeping the door open; after an offer: taking time, weighing it).
"""

from __future__ import annotations

from bot.coaching import advice, situation
from bot.coaching.handlers.coaching import unsure_question
from bot.coaching.registry import on_action, on_intent
from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.types import Button, Reply
from bot.nlu.thresholds import ACT
from bot.nlu.types import Parse
from bot.reminders.kinds import OUTCOME_STOPS
from bot.storage.models import Interview

# fact value (knowledge/facts.yaml) → stored outcome
STORED = {"offered": "offer", "rejected": "rejected", "withdrawn": "withdrawn", "accepted": "accepted"}
SAID = {
    "offer": "they made you an offer",
    "rejected": "they said no",
    "withdrawn": "you withdrew",
    "accepted": "you accepted the offer",
}
TOPIC_FOR = {"offer": "offer", "accepted": "follow_up", "rejected": "follow_up", "withdrawn": "follow_up"}
STOPPED = {
    "offer": "I've stopped the reminder to chase their decision.",
    "accepted": "I've stopped the reminders that were about getting the job.",
    "rejected": "I've stopped its reminders.",
    "withdrawn": "I've stopped its reminders.",
}


@on_intent("report_outcome")
def outcome_intent(turn: Turn, parse: Parse) -> list[Reply]:
    """The student tells how the process ended."""
    return report(turn, parse, situation.situation(turn, parse.text))


def report(turn: Turn, parse: Parse, facts: situation.Facts) -> list[Reply]:
    """Record the outcome a message states (when it is clear which interview), then advise."""
    value = facts.values.get("outcome") if "outcome" in facts.told and "outcome" not in facts.supposed else None
    # a question read unsurely as news of an outcome
    if value is None and parse.intent == "report_outcome" and (rescued := unsure_question(turn, parse)) is not None:
        return rescued
    if value is None:
        return [
            Reply(
                "How did it end? Tell me in your words, e.g. “they said no”, “I got an offer”, "
                "“I withdrew” or “I accepted”.",
                advice.topic_buttons(("follow_up", "offer")),
            )
        ]
    outcome = STORED[value]
    lines: list[str] = []
    buttons: list[Button] = []
    if turn.has_storage:
        interview, problem = _which(turn, parse)
        # stated in so many words (a phrase of the outcome, not asked about), or understood surely
        said = situation.detect(turn.knowledge, parse.text).get("outcome")
        plain = said is not None and len(said.words.split()) >= 2 and "?" not in parse.text
        sure = parse.intent != "report_outcome" or parse.confidence >= ACT or plain
        if interview is not None and sure:
            record(turn, interview, outcome)
            company = formatting.company(interview)
            lines.append(f"Noted for your {company} interview: {SAID[outcome]}. {STOPPED[outcome]}")
            buttons.append(Button("Undo", f"outcome:clear:{interview.id}"))
        elif interview is not None:
            lines.append(f"Should I note for your {formatting.company(interview)} interview that {SAID[outcome]}?")
            buttons.append(Button("Yes, note it", f"outcome:set:{interview.id}:{outcome}", "primary"))
        elif problem:
            lines.append(problem)
        elif len(choices := _candidates(turn)) > 1:  # several could be meant: ask, one button each
            lines.append(f"Which interview should I note that for ({SAID[outcome]})?")
            buttons.extend(
                Button(
                    f"{i.company or 'Interview'}, {formatting.when(i, turn.local_now.date())}"[:75],
                    f"outcome:set:{i.id}:{outcome}",
                )
                for i in choices
            )
    return _advise(turn, facts, parse.text, outcome, lines, buttons)


def _advise(
    turn: Turn, facts: situation.Facts, text: str, outcome: str, lines: list[str], buttons: list[Button]
) -> list[Reply]:
    topic = TOPIC_FOR[outcome]
    ranking = advice.rank(turn.knowledge, facts, text, {topic: 1.0}, seen=advice.shown(turn))
    picked = advice.choose(ranking)
    private = bool(lines)
    if not picked:
        return [Reply("\n".join(lines) or "Thanks for telling me.", tuple(buttons), private=private)]
    items = [(s.topic, s.item) for s in picked]
    reply = advice.render(picked[0].item.heading, items, lead="\n".join(lines) or None, buttons=buttons)
    advice.mark_shown(turn, items)
    if turn.has_storage:
        turn.remember("last_topic", topic)
        turn.remember("last_items", [item.id for _, item in items])
    return [Reply(reply.text, reply.buttons, private=private)]


def _which(turn: Turn, parse: Parse) -> tuple[Interview | None, str | None]:
    """The interview the outcome is about: the one named, else the most recent one on file."""
    data = turn.data
    company = parse.entities.company
    if company:
        found = data.find_by_company(company)
        if found:
            return found[0], None
        return None, f"I don't have an interview with {markup.literal(company)} on file, so I haven't noted it."
    past = data.recent_past(turn.now)
    if past:
        return past[0], None
    upcoming = data.upcoming(turn.now)
    if len(upcoming) == 1:
        return upcoming[0], None
    return None, None


CANDIDATES = 4
"""At most this many interviews offered as buttons when an outcome could be about several."""


def _candidates(turn: Turn) -> list[Interview]:
    """The interviews an outcome could be about: the upcoming ones, then the recent past ones."""
    data = turn.data
    seen: list[Interview] = []
    for i in [*data.upcoming(turn.now), *data.recent_past(turn.now)]:
        if i not in seen and i.outcome is None:
            seen.append(i)
    return seen[:CANDIDATES]


def record(turn: Turn, interview: Interview, outcome: str) -> None:
    """Store the outcome on the interview and stop the reminders it makes pointless."""
    interview.outcome = outcome
    interview.updated_at = turn.now
    if outcome in {"rejected", "withdrawn"} and interview.starts_at is not None and interview.starts_at > turn.now:
        interview.status = "cancelled"  # it won't take place
    turn.planner.cancel(turn.data.session, interview, OUTCOME_STOPS[outcome])
    turn.changed = True


@on_action("outcome")
def outcome_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``outcome:set:<id>:<outcome>`` (confirming) and ``outcome:clear:<id>`` (undo)."""
    if len(args) < 2 or not args[1].isdigit():
        return [Reply(turn.knowledge.response("unknown_action"))]
    interview = turn.data.interview(int(args[1]))
    if interview is None:
        return [Reply("I can't find that interview any more (it may have been deleted).", private=True)]
    if args[0] == "set" and len(args) >= 3 and args[2] in OUTCOME_STOPS:
        record(turn, interview, args[2])
        return [Reply(f"Noted: {SAID[args[2]]}. {STOPPED[args[2]]}", private=True)]
    if args[0] == "clear":
        interview.outcome = None
        if interview.status == "cancelled" and interview.starts_at is not None and interview.starts_at > turn.now:
            interview.status = "scheduled"
        interview.updated_at = turn.now
        turn.planner.plan(turn.data.session, turn.data.user, interview)
        turn.changed = True
        return [Reply(f"Undone: your {formatting.company(interview)} interview has no outcome noted.", private=True)]
    return [Reply(turn.knowledge.response("unknown_action"))]
