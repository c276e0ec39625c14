"""Offer deadlines and decision dates said in passing ("they'll let me know by Friday")."""

from __future__ import annotations

import re
from datetime import datetime, time

from bot.coaching.dialog import sure
from bot.coaching.turn import Turn
from bot.common import formatting
from bot.common.types import Reply
from bot.nlu.types import Parse
from bot.reminders.planner import to_utc

_DECISION = re.compile(r"\b(decid\w*|decision|hear back|let me know|get back|news|answer|respond|reply|by the)\b")
_DEADLINE = re.compile(
    r"\b(deadline|until|till|before|answer|respond|decide|due|expires?|get back|"
    r"by(?!\s+(?:e-?mail|mail|phone|post|letter|text|call|courier|docusign|hand|the way)\b))\b"
)  # ("by Friday" is a deadline, "by email" is how it came)


def record_dates(turn: Turn, parse: Parse) -> list[Reply]:
    """Dates mentioned with an offer (its deadline) or a decision (when they'll decide).

    Only when the message was understood surely: a guess records nothing.
    """
    e = parse.entities
    low = parse.text.lower()
    if not sure(turn, parse) or e.when is None or e.when.day < turn.local_now.date():
        return []
    if e.when.at is not None and e.when.local() <= turn.local_now:
        return []  # "it arrived at 9 this morning": when the news came, not a date ahead
    if parse.intent == "offer" and _DEADLINE.search(low):
        kind = "offer"
    elif parse.intent in {"follow_up", "expectations"} and _DECISION.search(low):
        kind = "decision"
    else:
        return []
    data = turn.data
    interview = None
    if e.company:
        found = data.find_by_company(e.company)
        interview = found[0] if found else None
    interview = interview or next(iter(data.recent_past(turn.now)), None) or next(iter(data.upcoming(turn.now)), None)
    if interview is None:
        interview = data.add_interview(
            turn.now, company=e.company, tz=turn.tz, interviewers=[], has_time=False, status="scheduled"
        )
    day = formatting.day(e.when.day, turn.local_now.date())
    if kind == "offer":
        interview.offer_deadline = to_utc(datetime.combine(e.when.day, e.when.at or time(17, 0)), turn.tz)
        text = f"I've noted the offer deadline: {day}. I'll remind you before it."
    else:
        interview.decision_by = e.when.day
        text = f"Noted: they expect to decide by {day}. If you haven't heard by then, I'll nudge you to follow up."
    interview.updated_at = turn.now
    turn.plan_reminders(interview)
    return [Reply(text, private=True)]
