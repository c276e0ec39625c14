"""The reminders a student asks for: "remind me 2 hours before my interview", "remind me tomorrow at 9 to email Sarah".

A reminder of kind ``custom`` in the reminders table, delivered by the reminder engine like the planned
ones, listed in "what's coming up" and cancellable.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from bot.coaching.dialog import ask_first, is_other_action
from bot.coaching.handlers.after.thanks import _mentions, _named_in
from bot.coaching.registry import on_action, on_intent, on_pending
from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.limits import parse_id
from bot.common.pending import Pending
from bot.common.types import Button, Reply
from bot.nlu.types import Parse
from bot.reminders.planner import MORNING, duration, to_utc
from bot.storage.models import Interview, Reminder

if TYPE_CHECKING:
    pass


MAX_TASK = 300


_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "half an": 30,
    "half a": 30,
    "couple of": 2,
    "couple": 2,
    "few": 3,
}


_NUM = (
    r"(?P<n>\d{1,3}(?:\.5)?|an?|one|two|three|four|five|six|ten|fifteen|twenty|thirty|forty-five|half an?|"
    r"couple(?: of)?|few)"
)


_UNIT = r"(?P<unit>min(?:ute)?s?|mins?|h(?:ou)?rs?|hours?|h|days?|d)"


_BEFORE = re.compile(rf"\b{_NUM}\s*{_UNIT}\s+(?:before|ahead of|prior to|earlier than|b4)\b", re.I)


_DAY_BEFORE = re.compile(r"\b(?:the\s+)?(?:day|night|evening)\s+(?:before|b4)\b", re.I)


_MORNING_OF = re.compile(r"\b(?:the\s+)?morning\s+of\b", re.I)


_INTERVIEW = re.compile(
    r"\b(interview\w*|intervew\w*|interveiw\w*|intrview\w*|2nd round|second round|onsite|on-site)\b", re.I
)


_PART_OF_DAY = (
    (re.compile(r"\b(tonight|this evening|in the evening|evening)\b", re.I), time(19, 0)),
    (re.compile(r"\b(this afternoon|in the afternoon|afternoon)\b", re.I), time(14, 0)),
)


_LIST = re.compile(
    r"\b(?:show|list|see|what|which|any|my)\b.*\breminders?\b|\breminders?\b.*\b(?:do i have|set|pending|list)\b", re.I
)


_CANCEL = re.compile(r"\b(?:cancel|delete|remove|stop|drop|clear|forget|turn off|no longer need)\b", re.I)


_TASK = re.compile(r"\b(?:to|that|about|so i can|so i|re:?|of)\s+(?P<task>.+)$", re.I)


_WHEN_WORDS = re.compile(
    r"(?:\b(?:on|this|next|coming|at|by|around|@)\s+)?\b(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)"
    r"(?:day)?\b|\b(?:tomorrow|tmrw|tmr|tomorow|today|tonight|this (?:morning|afternoon|evening)|"
    r"in the (?:morning|afternoon|evening))\b|"
    r"(?:\b(?:at|by|around|@)\s*)?\b\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?(?!\w)|\bin\s+\d+\s*(?:min(?:ute)?s?|h(?:ou)?rs?|hours?|days?)\b|\b(?:on\s+)?(?:jan|feb|mar|apr|may|jun|jul|"
    r"aug|sep|sept|oct|nov|dec)\w*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b|\b(?:at\s+)?noon\b",
    re.I,
)


def _amount(raw: str) -> float:
    raw = raw.lower()
    if raw in _NUMBERS:
        return float(_NUMBERS[raw])
    try:
        return float(raw)
    except ValueError:
        return 1.0


def _minutes(n: float, unit: str) -> int:
    u = unit.lower()
    if u.startswith("d"):
        return int(n * 24 * 60)
    if u.startswith("h"):
        return int(n * 60)
    return int(n)


_NOT_A_TASK = {"", "when", "what", "where", "how", "which", "the", "my", "a", "an", "me", "us", "before", "about", "of"}


_PRONOUNS = {"it", "that", "this", "them", "those", "these", "this one", "that one"}


_NOUN_START = re.compile(r"^(?:the|my|a|an|our|your|his|her|their|this|that|these|those)\b", re.I)


def _of_task(task: str | None) -> str:
    """" to email Sarah" for something to do, " about the portfolio" for a thing; empty without a task."""
    if not task:
        return ""
    link = "about" if _NOUN_START.match(task) or len(task.split()) == 1 else "to"
    return f" {link} {markup.literal(task)}"


def _task(text: str) -> str | None:
    """What to be reminded of: "email Sarah" in "remind me tomorrow at 9 to email Sarah"."""
    body = re.sub(r"^\W*(?:(?:hey|hi|pls|please|can you|could you|would you|bot|coach|@\w+)\W+)*", "", text, flags=re.I)
    body = re.sub(r"^(?:remind|remnd|reminde|remid|ping|nudge|alert|tell)\w*\s+(?:me|us)?\s*", "", body, flags=re.I)
    body = re.sub(r"^(?:set|make|create|add)\s+(?:a|an|me a)?\s*reminders?\s*(?:for me)?\s*", "", body, flags=re.I)
    for phrase in (_BEFORE, _DAY_BEFORE, _MORNING_OF):  # "the morning of the Acme interview" is a time, not a task
        body = phrase.sub(" ", body)
    m = _TASK.search(body)
    if m is not None:
        task = m.group("task")
    elif re.match(r"^\W*(?:remind|remnd|reminde|remid|rmd|rmnd|reminder)", text, re.I):
        task = body  # "remind me tmrw 9am email sarah": what is left once the time is taken out
        first = (re.findall(r"[a-z']+", _WHEN_WORDS.sub(" ", task).lower()) or [""])[0]
        if first in _NOT_A_TASK:
            return None
    else:
        return None
    task = _WHEN_WORDS.sub(" ", task)
    task = re.sub(r"^\s*(?:please|pls|plz)\b|\b(?:please|pls|plz|thanks|thank you|thx|ty)\W*$", " ", task, flags=re.I)
    task = " ".join(task.split()).strip(" ,.!?:;-")
    task = re.sub(r"^[^\w\[(\"'“]+", "", task).strip()  # a leading emoji or dash
    task = re.sub(r"\s+(?:on|at|by|in|the)$", "", task, flags=re.I)
    if task.lower() in _PRONOUNS:
        return None  # "remind me about it": the pronoun names nothing the reminder could say
    rest = _INTERVIEW.sub(" ", task)
    rest = re.sub(r"\b(?:my|the|our|a|an|one|with|at|for|'s)\b", " ", rest, flags=re.I)
    if len(task) < 2 or len(rest.split()) == 0 or (len(rest.split()) == 1 and _INTERVIEW.search(task)):
        return None  # only "my interview", "the Acme interview": nothing to do but be reminded of it
    return task[:MAX_TASK]


def _reminder_interview(turn: Turn, parse: Parse) -> tuple[Interview | None, list[Reply] | None, bool]:
    """The interview a reminder is about (named, or "my interview"), replies when unclear, and whether one is meant."""
    named = _named_in(turn, parse.text)
    if parse.entities.company and named is None:
        found = turn.data.find_by_company(parse.entities.company)
        named = found[0] if found else None
    if named is not None:
        return named, None, True
    if not _INTERVIEW.search(parse.text):
        return None, None, False  # "call mom" is about no interview
    upcoming = [i for i in turn.data.upcoming(turn.now) if i.starts_at is not None and i.starts_at > turn.now]
    if len(upcoming) >= 1:
        return upcoming[0], None, True
    return (
        None,
        [
            Reply(
                "You have no upcoming interview on file with a date to set that reminder against. Tell me about it "
                "first, e.g. “I have a second interview with Acme on Friday at 3pm”.",
                private=True,
            )
        ],
        True,
    )


def _when_line(turn: Turn, due: datetime) -> str:
    local = due.astimezone(turn.zone)
    return f"{formatting.day(local.date(), turn.local_now.date())} at {formatting.clock(local)}"


def _custom_line(turn: Turn, row: Reminder, interview: Interview | None) -> str:
    what = markup.literal(row.text) if row.text else ""
    if row.before_minutes is not None and interview is not None:
        about = f"{duration(row.before_minutes)} before your {formatting.company(interview)} interview"
        what = f"{what} ({about})" if what else about[:1].upper() + about[1:]
    elif interview is not None and what and not (interview.company and _mentions(row.text or "", interview.company)):
        what += f" (about {formatting.company(interview)})"
    return f"{_when_line(turn, row.due_at)}: {what or 'your reminder'}"


def custom_lines(turn: Turn) -> list[tuple[str, Reminder]]:
    """The student's own reminders still to go out, as lines for "what's coming up"."""
    rows = turn.planner.custom(turn.data.session, turn.data.user)
    by_id = {i.id: i for i in turn.data.interviews(include_cancelled=True)}
    return [(_custom_line(turn, r, by_id.get(r.interview_id or 0)), r) for r in rows]


def _list_reminders(turn: Turn) -> list[Reply]:
    lines = custom_lines(turn)
    if not lines:
        return [
            Reply(
                "You haven't asked me for any reminders. Try “remind me 2 hours before my interview” or "
                "“remind me tomorrow at 9 to email Sarah”. (The reminders I plan around each interview are in "
                "“what's coming up?”.)",
                private=True,
            )
        ]
    text = "**Reminders you asked for**\n" + "\n".join(f"{i + 1}. {line}" for i, (line, _) in enumerate(lines))
    buttons = tuple(
        Button(f"Cancel {i + 1}", f"myreminder:cancel:{row.id}", "danger") for i, (_, row) in enumerate(lines)
    )
    return [Reply(text, buttons[:5], private=True)]


def _cancel_reminder(turn: Turn, parse: Parse) -> list[Reply]:
    lines = custom_lines(turn)
    if not lines:
        return _list_reminders(turn)
    low = parse.text.lower()
    matching = [
        (line, row)
        for line, row in lines
        if row.text and any(w in low for w in re.findall(r"[a-z]{4,}", row.text.lower()) if w not in {"about", "with"})
    ]
    chosen = matching if len(matching) == 1 else (lines if len(lines) == 1 else [])
    if not chosen:
        text = "Which reminder should I cancel?\n" + "\n".join(f"{i + 1}. {line}" for i, (line, _) in enumerate(lines))
        buttons = tuple(
            Button(f"Cancel {i + 1}", f"myreminder:cancel:{row.id}", "danger") for i, (_, row) in enumerate(lines)
        )
        return [Reply(text, buttons[:5], private=True)]
    line, row = chosen[0]
    asked = ask_first(turn, parse, f"Did you want me to cancel this reminder? {line}")
    if asked:
        return asked
    row.status = "cancelled"
    turn.changed = True
    return [Reply(f"Cancelled the reminder: {line}", private=True)]


@on_intent("set_reminder")
def set_reminder(turn: Turn, parse: Parse) -> list[Reply]:
    """A reminder the student asks for ("remind me 2 hours before my interview"); also listing and cancelling them."""
    low = parse.text.lower()
    if _CANCEL.search(low) and re.search(r"\bremind", low):
        return _cancel_reminder(turn, parse)
    relative = _BEFORE.search(parse.text)
    day_before = _DAY_BEFORE.search(parse.text)
    when = turn.nlu.parse_when(parse.text, turn.local_now, turn.tz)
    if not relative and not day_before and when is None and _LIST.search(low):
        return _list_reminders(turn)
    interview, replies, meant = _reminder_interview(turn, parse)
    task = _task(parse.text)
    pending = turn.pending
    if pending is not None and pending.kind == "reminder" and not (task or relative or day_before):
        from bot.coaching.handlers.account import (
            answer_reminder,  # "remind me tomorrow" just after a reminder: a snooze
        )

        snoozed = answer_reminder(turn, pending, Parse(parse.text, "fallback", 0.0, parse.entities))
        if snoozed is not None:
            return snoozed
    if not (relative or day_before or when or task) and re.search(r"\bwhen\b", low) and _INTERVIEW.search(low):
        # "remind me when my interview is": a question
        return turn.handle_as("list_interviews", Parse(parse.text, "list_interviews", parse.confidence))
    if relative or day_before or (_MORNING_OF.search(parse.text) and interview is not None and when is None):
        interview = interview or next(
            (i for i in turn.data.upcoming(turn.now) if i.starts_at is not None and i.starts_at > turn.now), None
        )  # "remind me 2 hours before": the next interview
        if interview is None:
            return replies or [
                Reply(
                    "You have no upcoming interview on file with a date to set that reminder against. Tell me about "
                    "it first, e.g. “I have a second interview with Acme on Friday at 3pm”.",
                    private=True,
                )
            ]
        return _before_interview(turn, parse, interview, relative, bool(day_before), task)
    if when is None:
        turn.ask("reminder_when", task=task or "", interview_id=interview.id if interview else None)
        what = _of_task(task)
        return [
            Reply(
                f"When should I remind you{what}? For example “tomorrow at 9”, “Friday at 2pm”, “in 3 hours” or "
                "“2 hours before my interview”.",
                private=True,
            )
        ]
    if meant and interview is None and replies and not task:
        return replies
    return _at_time(turn, parse, when.day, when.at, task, interview)


def _at_time(
    turn: Turn, parse: Parse, day: date, at: time | None, task: str | None, interview: Interview | None
) -> list[Reply]:
    default = next((t for pattern, t in _PART_OF_DAY if pattern.search(parse.text)), MORNING)
    local = datetime.combine(day, at or default)
    planner = turn.planner
    moved = planner.out_of_quiet(local)
    due = to_utc(moved, turn.tz)
    if due <= turn.now:
        return [
            Reply(
                f"{formatting.day(day, turn.local_now.date())}, {formatting.clock(local)} has already passed. "
                "When should I remind you instead?",
                private=True,
            )
        ]
    what = _of_task(task)
    asked = ask_first(turn, parse, f"Did you want me to remind you {_when_line(turn, due)}{what}?")
    if asked:
        return asked
    row = planner.add_custom(turn.data.session, turn.data.user, due, task, interview)
    turn.changed = True
    return [_set_reply(turn, row, interview, quiet=moved != local, assumed_time=at is None)]


def _before_interview(
    turn: Turn,
    parse: Parse,
    interview: Interview,
    relative: re.Match[str] | None,
    day_before: bool,
    task: str | None,
) -> list[Reply]:
    if interview.starts_at is None or interview.local_start is None:
        return [
            Reply(
                f"Your {formatting.company(interview)} interview has no date yet. Tell me when it is, and then "
                "I can remind you before it.",
                private=True,
            )
        ]
    if relative is not None:
        minutes = _minutes(_amount(relative.group("n")), relative.group("unit"))
    elif day_before:
        minutes = 24 * 60
    else:  # the morning of the interview: 9:00 that day, or two hours before an earlier start
        start = interview.local_start
        minutes = max(60, int((start - datetime.combine(start.date(), MORNING)).total_seconds() // 60))
    if not interview.has_time and relative is not None and minutes < 24 * 60:
        return [
            Reply(
                f"I don't know what time your {formatting.company(interview)} interview starts. Tell me (e.g. "
                "“it's at 3pm”) and ask again, or pick a time: “remind me Friday at 9”.",
                private=True,
            )
        ]
    minutes = max(1, min(minutes, 60 * 24 * 30))
    due = turn.planner.relative_due(interview, minutes)
    if due <= turn.now:
        return [
            Reply(
                f"That would be {_when_line(turn, due)}, which has already passed. "
                "Should I remind you at another time?",
                private=True,
            )
        ]
    name = formatting.company(interview)
    asked = ask_first(turn, parse, f"Did you want me to remind you {duration(minutes)} before your {name} interview?")
    if asked:
        return asked
    row = turn.planner.add_custom(turn.data.session, turn.data.user, due, task, interview, before_minutes=minutes)
    turn.changed = True
    return [_set_reply(turn, row, interview, quiet=False, assumed_time=False)]


def _set_reply(turn: Turn, row: Reminder, interview: Interview | None, *, quiet: bool, assumed_time: bool) -> Reply:
    lines = [f"OK, I'll remind you {_custom_line(turn, row, interview)}."]
    if assumed_time:
        lines.append(f"(You gave no time, so I picked {formatting.clock(row.due_at.astimezone(turn.zone))}.)")
    if quiet:
        lines.append("(That was in your quiet hours, so I moved it to when they end.)")
    if row.before_minutes is not None:
        lines.append("If the interview moves, this reminder moves with it.")
    lines.append(f"Times are in {turn.tz}.")
    return Reply(
        " ".join(lines[:1]) + ("\n" + "\n".join(lines[1:]) if len(lines) > 1 else ""),
        (
            Button("Cancel this reminder", f"myreminder:cancel:{row.id}", "danger"),
            Button("My reminders", "myreminder:list"),
        ),
        private=True,
    )


@on_pending("reminder_when")
def answer_reminder_when(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The time of a reminder, after "When should I remind you?"."""
    if is_other_action(parse.intent, parse.confidence, ("set_reminder", "schedule_interview")):
        return None
    if parse.entities.company or parse.entities.interviewers:
        return None  # a new interview, not the time of the reminder
    if _task(parse.text):
        return None  # a complete request of its own ("remind me tonight to send the emails")
    task = str(pending.data.get("task") or "") or None
    interview = turn.data.interview(pending.data.get("interview_id"))
    relative = _BEFORE.search(parse.text)
    day_before = _DAY_BEFORE.search(parse.text)
    if relative or day_before:
        interview = interview or next(
            (i for i in turn.data.upcoming(turn.now) if i.starts_at is not None and i.starts_at > turn.now), None
        )
        if interview is None:
            return None
        confirmed = Parse(parse.text, "set_reminder", 1.0, parse.entities)
        return _before_interview(turn, confirmed, interview, relative, bool(day_before), task)
    when = turn.nlu.parse_when(parse.text, turn.local_now, turn.tz)
    if when is None or len(parse.text.split()) > 8:
        return None
    return _at_time(turn, Parse(parse.text, "set_reminder", 1.0, parse.entities), when.day, when.at, task, interview)


@on_action("myreminder")
def reminder_action(turn: Turn, args: list[str]) -> list[Reply]:
    """``myreminder:list`` and ``myreminder:cancel:<id>`` (the student's own reminders)."""
    if args[:1] == ["list"]:
        return _list_reminders(turn)
    reminder_id = parse_id(args[1]) if len(args) == 2 and args[0] == "cancel" else None
    if reminder_id is None:
        return [Reply(turn.knowledge.response("unknown_action"))]
    rows = {r.id: r for r in turn.planner.custom(turn.data.session, turn.data.user)}
    row = rows.get(reminder_id)
    if row is None:
        return [Reply("That reminder has already gone out or was cancelled.", private=True)]
    line = _custom_line(turn, row, turn.data.interview(row.interview_id) if row.interview_id else None)
    row.status = "cancelled"
    turn.changed = True
    return [Reply(f"Cancelled the reminder: {line}", private=True)]
