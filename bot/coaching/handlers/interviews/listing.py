"""Listing interviews, their deadlines and the answers the student is waiting for."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.coaching.handlers.after.own_reminders import custom_lines
from bot.coaching.handlers.coaching import unsure_question  # "what's my next move?" read unsurely as a list
from bot.coaching.handlers.interviews.schedule import _next_reminder_line
from bot.coaching.handlers.interviews.timezones import _tz_note
from bot.coaching.registry import on_intent
from bot.coaching.turn import Turn
from bot.common import formatting
from bot.common.types import Button, Reply
from bot.nlu.types import Entities, Parse
from bot.storage.repo import UserData

LIST_SHOWN = 25
"""At most this many interviews in "what's coming up?" (the rest are counted, and in the export)."""


_ASK_DEADLINE = re.compile(
    r"\b(when(?!\s+(?:i|we|you|they|he|she)\b)|by when|how long|how many days|until when|till when|what date|"
    r"which day|wen)\b.*"
    r"\b(deadline|dedline|due|answer|reply|respond|decide|deciding|decision|hear back|get back|accept)\b|"
    r"^\W*(?:offer\s+)?deadlines?\W*$|\bwhat'?s (?:my|the) (?:offer )?deadline\b"
)


_OFFER_NEWS = re.compile(
    r"\b(offer\w*|offered)\b.*\b(answer|reply|respond|decide|decision|accept|until|by)\b|"
    r"\b(answer|reply|respond|decide|accept)\b.*\boffer"
)


# words of asking for the list itself ("what's coming up?", "any interviews this week?")
_LISTING = re.compile(
    r"\b(coming up|upcoming|schedule\w*|interviews?|list|calendar|agenda|planned|plans?|next|on file|tracking|"
    r"what'?s on|have i got|do i have (?:any|anything))\b"
)


ENDED = ("rejected", "withdrawn", "accepted")


WAITING_FOR = timedelta(days=45)
"""How long after an interview with no outcome "what's coming up" still lists it as waiting for an answer."""


def deadline_lines(data: UserData, now: datetime, tz: str) -> list[str]:
    """Offer deadlines and decision dates on file (still open), soonest first, as list lines.

    Also used by the platforms' home view (:meth:`bot.coaching.coach.Coach.home`).
    """
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    rows: list[tuple[date, str]] = []
    for interview in data.interviews():
        name = formatting.company(interview) if interview.company else "the company"
        if interview.offer_deadline is not None and interview.outcome not in ENDED:
            local = interview.offer_deadline.astimezone(zone).replace(tzinfo=None)
            if interview.offer_deadline > now:
                when = formatting.day(local.date(), today)
                if local.time() != time(17, 0):  # 17:00 stands for "by that day": no time was given
                    when += f", {formatting.clock(local)}"
                rows.append((local.date(), f"Answer the offer from {name} by {when}."))
        if interview.decision_by is not None and interview.outcome is None:
            when = formatting.day(interview.decision_by, today)
            if interview.decision_by >= today:
                rows.append((interview.decision_by, f"{name} expects to decide by {when}."))
            elif today - interview.decision_by <= WAITING_FOR:
                rows.append((interview.decision_by, f"{name} meant to decide by {when}: time for a polite follow-up."))
    return [text for _, text in sorted(rows, key=lambda r: r[0])]


def waiting_lines(turn: Turn) -> list[str]:
    """Interviews that took place and still wait for thank-yous or an answer."""
    today = turn.local_now.date()
    lines = []
    for interview in turn.data.recent_past(turn.now):
        if interview.starts_at is None or turn.now - interview.starts_at > WAITING_FOR or interview.outcome in ENDED:
            continue
        name = formatting.company(interview) if interview.company else "an interview"
        todo = []
        if interview.thank_you_sent_at is None and turn.now - interview.starts_at <= timedelta(days=7):
            todo.append("thank-you emails to send")
        if interview.outcome is None and interview.decision_by is None:
            todo.append("waiting to hear back")
        elif interview.outcome == "offer":
            todo.append("an offer to decide on")
        if todo:
            lines.append(f"{name} ({formatting.when(interview, today)}): {', '.join(todo)}.")
    return lines


def _deadline_answer(turn: Turn) -> list[Reply]:
    lines = deadline_lines(turn.data, turn.now, turn.tz)
    if not lines:
        return [
            Reply(
                "I don't have an offer deadline or a decision date on file. When they give you one, tell me, e.g. "
                "“Acme wants an answer by Friday” or “they'll decide by the 20th”, and I'll remind you.",
                private=True,
            )
        ]
    return [Reply("\n".join(lines if len(lines) == 1 else [f"- {line}" for line in lines]), private=True)]


@on_intent("list_interviews")
def list_interviews(turn: Turn, parse: Parse) -> list[Reply]:
    """What's coming up, and "when is my offer deadline?" (answered directly).

    Interviews with their next reminder (the first :data:`LIST_SHOWN`), offer deadlines and decision
    dates, interviews waiting for thank-yous or an answer, and the reminders the student set.
    """
    low = parse.text.lower()
    if parse.text and _ASK_DEADLINE.search(low):
        return _deadline_answer(turn)
    if parse.text and (rescued := unsure_question(turn, parse)) is not None:
        return rescued
    when = turn.nlu.parse_when(parse.text, turn.local_now, turn.tz) if parse.text else None
    if when is not None and _OFFER_NEWS.search(low):
        from bot.coaching.handlers.coaching import (
            coaching,  # "they want an answer by next monday": news, not a question
        )

        offer = Parse(parse.text, "offer", parse.confidence, Entities(company=parse.entities.company, when=when))
        return coaching(turn, offer)
    upcoming = [
        i
        for i in turn.data.upcoming(turn.now)
        if not (i.local_start is None and (i.offer_deadline is not None or i.outcome is not None))
    ]
    deadlines = deadline_lines(turn.data, turn.now, turn.tz)
    waiting, own = waiting_lines(turn), custom_lines(turn)
    if not (upcoming or deadlines or waiting or own):
        if "?" in parse.text and not _LISTING.search(low):  # "do I have to answer today?": a question
            from bot.coaching.handlers.coaching import rescue

            if (rescued := rescue(turn, parse)) is not None:
                return rescued
        return [
            Reply(
                "You have no upcoming interviews on file. Tell me about one, e.g. "
                "“I have a second interview with Acme on Friday at 3pm with Sarah Chen”.",
                private=True,
            )
        ]
    today = turn.local_now.date()
    lines = ["**Your upcoming interviews**"] if upcoming else []
    for interview in upcoming[:LIST_SHOWN]:
        line = formatting.summary(interview, today)
        nxt = _next_reminder_line(turn, interview)
        lines.append(f"- {line}" + (f"\n  {nxt}" if nxt else ""))
    if len(upcoming) > LIST_SHOWN:
        lines.append(f"…and {len(upcoming) - LIST_SHOWN} more later on (“export my data” lists them all).")
    for title, items in (
        ("Deadlines", deadlines),
        ("After the interview", waiting),
        ("Reminders you asked for", [line for line, _ in own]),
    ):
        if items:
            lines.append(f"**{title}**")
            lines.extend(f"- {item}" for item in items)
    lines.append(_tz_note(turn))
    buttons = tuple(
        Button(f"Cancel {interview.company or 'interview'}"[:75], f"interview:cancel:{interview.id}", "danger")
        for interview in upcoming[:3]
    )
    return [Reply("\n".join(lines), buttons, private=True)]
