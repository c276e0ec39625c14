"""Tracking interviews: schedule, move, list, cancel; the user's time zone; dates of decisions/offers."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from bot import formatting, markup, situation
from bot.dialog import Pending, is_other_action, yes_no
from bot.nlu.types import Entities, Parse, When
from bot.registry import on_action, on_intent, on_pending
from bot.reminders import to_utc
from bot.storage.models import Interview
from bot.turn import Turn
from bot.types import Button, Reply
from bot.zones import find_zone, zone_like

_MOVE = re.compile(
    r"\b(mov(e|ed|ing)|re-?schedul\w*|push(ed)?|postpon\w*|chang(e|ed)|shift(ed)?|bump(ed)?|instead|"
    r"switch(ed)?|brought forward|pulled forward|delay(ed)?|rebook(ed)?|rearrang\w*)\b"
)
_DECISION = re.compile(r"\b(decid\w*|decision|hear back|let me know|get back|news|answer|respond|reply|by the)\b")
_DEADLINE = re.compile(r"\b(deadline|by|until|till|before|answer|respond|decide|due|expires?|get back)\b")
_KIND_WORDS = {
    "prepare": "prepare",
    "thank_you": "thank-you emails",
    "check_in": "check on thank-yous",
    "follow_up": "follow up",
    "offer_deadline": "offer deadline",
}
MAX_COMPANY = 120
RECENT_PAST = timedelta(days=2)


def _today(turn: Turn) -> datetime:
    return turn.local_now


def _tz_note(turn: Turn) -> str:
    return f"Times are in {turn.tz}; say “set my time zone to …” if that's not yours."


def set_when(interview: Interview, when: When, tz: str) -> None:
    """Give an interview its new day and time (wall clock in ``tz``)."""
    interview.local_start = when.local()
    interview.has_time = when.at is not None
    interview.tz = tz
    interview.starts_at = to_utc(interview.local_start, tz)


def check_when(turn: Turn, parse: Parse) -> str | None:
    """A friendly problem with the date in the message (unreadable or past), or None."""
    e = parse.entities
    if e.when is None:
        if e.when_text:
            return (
                f"I couldn't make a real date out of “{markup.literal(e.when_text)}”. "
                "Could you give it another way, e.g. “Friday at 3pm” or “March 12 at 10:30”?"
            )
        return None
    local = e.when.local()
    now = turn.local_now
    if (e.when.at is not None and local < now) or (e.when.at is None and e.when.day < now.date()):
        if now.date() - e.when.day <= RECENT_PAST:
            return None  # it just happened: worth tracking for the thank-yous and the follow-up
        return (
            f"{formatting.day(e.when.day, now.date())} has already passed. "
            "What's the new date? (If the interview already happened, tell me when you've sent your thank-yous.)"
        )
    return None


def _plan(turn: Turn, interview: Interview) -> None:
    turn.planner.plan(turn.data.session, turn.data.user, interview)
    turn.changed = True


def _next_reminder_line(turn: Turn, interview: Interview) -> str:
    reminder = turn.planner.next_for(turn.data.session, interview)
    if reminder is None:
        return ""
    local = reminder.due_at.astimezone(turn.zone)
    day = formatting.day(local.date(), turn.local_now.date())
    return f"Next reminder ({_KIND_WORDS.get(reminder.kind, reminder.kind)}): {day}, {formatting.clock(local)}."


def _ask_missing(turn: Turn, interview: Interview) -> str | None:
    if not interview.company:
        turn.ask("missing_company", interview_id=interview.id)
        return "Which company is it with?"
    if interview.local_start is None:
        turn.ask("missing_when", interview_id=interview.id)
        return "When is it? You can say something like “Friday at 3pm” or “March 12 at 10:30”."
    if not interview.has_time:
        turn.ask("missing_time", interview_id=interview.id)
        return "What time does it start? (e.g. “3pm” or “10:30”)"
    return None


def confirm(turn: Turn, interview: Interview, verb: str, text: str = "") -> list[Reply]:
    """The confirmation after recording an interview, plus the question for what is missing."""
    today = turn.local_now.date()
    lines = [f"{verb}", formatting.summary(interview, today)]
    reminder = _next_reminder_line(turn, interview)
    if reminder:
        lines.append(reminder)
    if interview.has_time:
        lines.append(_tz_note(turn))
    question = _ask_missing(turn, interview)
    cancel = Button("Cancel interview", f"interview:cancel:{interview.id}", "danger")
    extra: list[Reply] = []
    if question:
        lines.append(question)
    else:
        extra = situation.setting_tips(turn, interview, text)
        asked = ask_timezone_if_unknown(turn) or situation.interviewer_question(turn, interview)
        if asked:
            extra.append(Reply(asked[0], asked[1]))
    if extra:  # about this student's interview, so private; the destructive choice goes last
        extra = [Reply(r.text, r.buttons, True, r.kind) for r in extra]
        extra[-1] = Reply(extra[-1].text, (*extra[-1].buttons, cancel), True, extra[-1].kind)
        return [Reply("\n".join(lines), private=True), *extra]
    return [Reply("\n".join(lines), (cancel,), private=True)]


def _pick(turn: Turn, parse: Parse, purpose: str) -> tuple[Interview | None, list[Reply] | None]:
    """The interview a message refers to, or the replies to send when that is unclear."""
    data = turn.data
    company = parse.entities.company
    upcoming = data.upcoming(turn.now)
    if company:
        found = [i for i in data.find_by_company(company) if i in upcoming] or data.find_by_company(company)
        if found:
            return found[0], None
        names = ", ".join(formatting.company(i) for i in upcoming) or "none yet"
        return None, [
            Reply(
                f"I don't have an interview with {markup.literal(company)} on file. Your interviews: {names}.",
                private=True,
            )
        ]
    if len(upcoming) == 1:
        return upcoming[0], None
    if not upcoming:
        return None, [
            Reply(
                "You have no upcoming interviews on file. Tell me about one, e.g. "
                "“I have a second interview with Acme on Friday at 3pm”."
            )
        ]
    turn.ask("pick_interview", purpose=purpose, when=parse.entities.when.iso() if parse.entities.when else None)
    buttons = tuple(
        Button(
            f"{i.company or 'Interview'} ({formatting.when(i, turn.local_now.date())})"[:75],
            f"interview:{purpose}:{i.id}",
        )
        for i in upcoming[:5]
    )
    return None, [Reply(f"Which interview do you mean? ({purpose})", buttons, private=True)]


@on_intent("schedule_interview")
def schedule(turn: Turn, parse: Parse) -> list[Reply]:
    """A new interview, more details of one, or one that moved."""
    e = parse.entities
    data = turn.data
    problem = check_when(turn, parse)
    moving = bool(_MOVE.search(parse.text.lower()))
    upcoming = data.upcoming(turn.now)
    target: Interview | None = None
    if e.company:
        target = next((i for i in data.find_by_company(e.company) if i in upcoming), None)
    elif moving and len(upcoming) == 1:
        target = upcoming[0]
    elif moving and len(upcoming) > 1 and e.when is not None and problem is None:
        _, replies = _pick(turn, parse, "move")
        return replies or []
    if problem and target is None and not e.company:
        turn.ask("missing_when", interview_id=None)
        return [Reply(problem)]
    created = target is None
    interview = target or data.add_interview(
        turn.now,
        company=(e.company or "")[:MAX_COMPANY] or None,
        tz=turn.tz,
        interviewers=[],
        has_time=False,
        status="scheduled",
    )
    if e.when is not None and problem is None:
        set_when(interview, e.when, turn.tz)
    if e.interviewers:
        known = {n.lower() for n in interview.interviewers or []}
        interview.interviewers = [
            *(interview.interviewers or []),
            *(n for n in e.interviewers if n.lower() not in known),
        ]
    if e.setting:
        interview.setting = e.setting
    interview.updated_at = turn.now
    situation.learn_from_text(turn, parse.text)
    _plan(turn, interview)
    if problem:
        turn.ask("missing_when", interview_id=interview.id)
        verb = "I've noted it, but the date needs a look:" if created else "I kept the old date:"
        return [Reply(f"{verb}\n{formatting.summary(interview, turn.local_now.date())}\n{problem}", private=True)]
    behind = interview.starts_at is not None and interview.starts_at <= turn.now
    if created and behind:
        verb = "Got it: that interview is already behind you. I'll help you with the thank-yous and the follow-up:"
    elif created:
        verb = "Got it. I'm tracking this interview for you:"
    elif moving and e.when is not None:
        verb = "Moved. Here's the interview now (its reminders moved too):"
    else:
        verb = "Updated your interview:"
    return confirm(turn, interview, verb, parse.text)


COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
)


def ask_timezone_if_unknown(turn: Turn) -> tuple[str, tuple[Button, ...]] | None:
    """When neither the user nor their platform has told us a time zone, ask once (and remember)."""
    user = turn.data.user
    if user.tz is not None or turn.msg.tz_hint or turn.context.get("asked_tz"):
        return None
    turn.remember("asked_tz", True)
    turn.ask("timezone")
    question = f"Which time zone are you in? I've assumed {turn.tz} for now. Type it (e.g. Europe/Berlin) or pick one:"
    return question, tuple(Button(z, f"tz:{z}") for z in COMMON_ZONES)


@on_pending("missing_company")
def answer_company(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The company of an interview we just recorded."""
    interview = turn.data.interview(int(pending.data.get("interview_id") or 0))
    if interview is None or is_other_action(parse.intent, parse.confidence, ("schedule_interview",)):
        return None
    if parse.intent != "schedule_interview" and len(parse.text.split()) > 4:
        return None
    name = parse.entities.company or _bare_answer(parse.text)
    if not name or len(name) > MAX_COMPANY:
        return None
    interview.company = name
    if parse.entities.when and interview.local_start is None:
        set_when(interview, parse.entities.when, turn.tz)
    interview.updated_at = turn.now
    _plan(turn, interview)
    return confirm(turn, interview, "Thanks. Here's the interview:", parse.text)


def _bare_answer(text: str) -> str:
    text = re.sub(r"^(it'?s|its|it is|with|at|for|the company is|company is|company:)\s+", "", text.strip(), flags=re.I)
    return text.strip(" .!?\"'“”")


@on_pending("missing_when")
def answer_when(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The date (and maybe time) of an interview we just recorded."""
    if is_other_action(parse.intent, parse.confidence, ("schedule_interview",)) or (
        parse.intent != "schedule_interview" and len(parse.text.split()) > 6
    ):
        return None
    when = parse.entities.when or turn.nlu.parse_when(parse.text, turn.local_now, turn.tz)
    if when is None:
        if parse.entities.when_text:
            problem = check_when(turn, parse)
            return [Reply(problem)] if problem else None
        return None
    interview_id = pending.data.get("interview_id")
    interview = turn.data.interview(int(interview_id)) if interview_id else None
    fake = Parse(parse.text, parse.intent, parse.confidence, type(parse.entities)(when=when))
    problem = check_when(turn, fake)
    if problem:
        turn.ask("missing_when", interview_id=interview_id)
        return [Reply(problem)]
    if interview is None:
        interview = turn.data.add_interview(
            turn.now,
            company=parse.entities.company,
            tz=turn.tz,
            interviewers=[],
            has_time=False,
            status="scheduled",
        )
    set_when(interview, when, turn.tz)
    interview.updated_at = turn.now
    _plan(turn, interview)
    return confirm(turn, interview, "Thanks. Here's the interview:", parse.text)


@on_pending("missing_time")
def answer_time(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The start time of an interview whose day we know."""
    interview = turn.data.interview(int(pending.data.get("interview_id") or 0))
    if interview is None or interview.local_start is None:
        return None
    if is_other_action(parse.intent, parse.confidence, ("schedule_interview",)) or (
        parse.intent != "schedule_interview" and len(parse.text.split()) > 6
    ):
        return None
    written = turn.nlu.read_when(parse.text, turn.local_now, turn.tz)
    at: time | None = written.at or turn.nlu.parse_time(parse.text)
    if at is None:
        return None
    day = written.day or interview.local_start.date()  # a day only when one was actually written
    set_when(interview, When(day, at), turn.tz)
    interview.updated_at = turn.now
    _plan(turn, interview)
    return confirm(turn, interview, "Thanks. Here's the interview:", parse.text)


@on_intent("list_interviews")
def list_interviews(turn: Turn, parse: Parse) -> list[Reply]:
    """What's coming up, with each interview's next reminder."""
    upcoming = turn.data.upcoming(turn.now)
    if not upcoming:
        return [
            Reply(
                "You have no upcoming interviews on file. Tell me about one, e.g. "
                "“I have a second interview with Acme on Friday at 3pm with Sarah Chen”.",
                private=True,
            )
        ]
    today = turn.local_now.date()
    lines = ["**Your upcoming interviews**"]
    for interview in upcoming:
        line = formatting.summary(interview, today)
        nxt = _next_reminder_line(turn, interview)
        lines.append(f"- {line}" + (f"\n  {nxt}" if nxt else ""))
    lines.append(_tz_note(turn))
    buttons = tuple(
        Button(f"Cancel {interview.company or 'interview'}"[:75], f"interview:cancel:{interview.id}", "danger")
        for interview in upcoming[:3]
    )
    return [Reply("\n".join(lines), buttons, private=True)]


@on_action("interview")
def interview_button(turn: Turn, args: list[str]) -> list[Reply]:
    """Buttons about one interview: ``interview:cancel:<id>``, ``interview:restore:<id>``, ``interview:list``."""
    if args[:1] == ["list"]:
        return list_interviews(turn, Parse("", "list_interviews", 1.0))
    if args[:1] == ["add"]:
        return add_from_fields(turn)
    if args[:1] == ["move"] and len(args) == 2 and args[1].isdigit() and turn.msg.fields.get("when"):
        return move_from_fields(turn, int(args[1]))
    if len(args) < 2 or not args[1].isdigit():
        return [Reply(turn.knowledge.response("unknown_action"))]
    interview = turn.data.interview(int(args[1]))
    if interview is None:
        return [Reply("I can't find that interview any more (it may have been deleted).", private=True)]
    if args[0] == "cancel":
        return _cancel(turn, interview)
    if args[0] == "restore":
        interview.status = "scheduled"
        interview.updated_at = turn.now
        _plan(turn, interview)
        return [Reply(f"Restored: {formatting.summary(interview, turn.local_now.date())}", private=True)]
    if args[0] == "move" and len(args) >= 3:
        pending_when = ":".join(args[2:])
        try:
            when = When(
                datetime.fromisoformat(pending_when).date(),
                datetime.fromisoformat(pending_when).time() if "T" in pending_when else None,
            )
        except ValueError:
            return [Reply(turn.knowledge.response("unknown_action"))]
        set_when(interview, when, turn.tz)
        _plan(turn, interview)
        return confirm(turn, interview, "Moved. Here's the interview now (its reminders moved too):")
    return [Reply(turn.knowledge.response("unknown_action"))]


def _fields_entities(turn: Turn) -> tuple[Entities, str]:
    """Entities from a form (a slash command's options) rather than from free text."""
    f = turn.msg.fields
    company = (f.get("company") or "").strip()[:MAX_COMPANY] or None
    when_text = (f.get("when") or "").strip() or None
    when = turn.nlu.parse_when(when_text, turn.local_now, turn.tz) if when_text else None
    people = [p.strip() for p in re.split(r",|\band\b|&|\+", f.get("with") or "") if p.strip()]
    setting_text = (f.get("setting") or "").strip()
    setting = setting_text.lower() if setting_text.lower() in formatting.SETTING_WORDS else None
    if setting is None and setting_text:
        setting = turn.nlu.setting_of(setting_text)
    text = " ".join(x for x in (f.get("with"), setting_text) if x)
    return Entities(company=company, when=when, interviewers=tuple(people), setting=setting, when_text=when_text), text


def add_from_fields(turn: Turn) -> list[Reply]:
    """``interview:add`` with fields company, when, with, setting (Discord's /interview add)."""
    entities, text = _fields_entities(turn)
    return schedule(turn, Parse(text, "schedule_interview", 1.0, entities))


def move_from_fields(turn: Turn, interview_id: int) -> list[Reply]:
    """``interview:move:<id>`` with a ``when`` field."""
    interview = turn.data.interview(interview_id)
    if interview is None:
        return [Reply("I can't find that interview any more (it may have been deleted).", private=True)]
    entities, _ = _fields_entities(turn)
    problem = check_when(turn, Parse("", "schedule_interview", 1.0, entities))
    if problem or entities.when is None:
        return [Reply(problem or "When should it be? For example “Thursday 10am”.", private=True)]
    set_when(interview, entities.when, turn.tz)
    interview.updated_at = turn.now
    _plan(turn, interview)
    return confirm(turn, interview, "Moved. Here's the interview now (its reminders moved too):")


@on_pending("pick_interview")
def answer_pick(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """Which interview the user meant, typed instead of pressed."""
    name = parse.entities.company or _bare_answer(parse.text)
    found = turn.data.find_by_company(name) if name else []
    if len(found) != 1:
        return None
    purpose = pending.data.get("purpose")
    if purpose == "cancel":
        return _cancel(turn, found[0])
    if purpose == "move" and pending.data.get("when"):
        return interview_button(turn, ["move", str(found[0].id), str(pending.data["when"])])
    return None


def _cancel(turn: Turn, interview: Interview) -> list[Reply]:
    interview.status = "cancelled"
    interview.updated_at = turn.now
    turn.planner.cancel(turn.data.session, interview)
    turn.changed = True
    return [
        Reply(
            f"Cancelled your {formatting.company(interview)} interview "
            f"({formatting.when(interview, turn.local_now.date())}) "
            "and its reminders.",
            (Button("Undo", f"interview:restore:{interview.id}"),),
            private=True,
        )
    ]


@on_intent("cancel_interview")
def cancel(turn: Turn, parse: Parse) -> list[Reply]:
    """Cancel a tracked interview (asks which when it is unclear)."""
    interview, replies = _pick(turn, parse, "cancel")
    if interview is None:
        return replies or []
    return _cancel(turn, interview)


@on_pending("confirm_cancel")
def answer_cancel(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """Yes/no to cancelling one interview."""
    answer = yes_no(parse.text)
    if answer is None:
        return None
    interview = turn.data.interview(int(pending.data.get("interview_id") or 0))
    if answer is False or interview is None:
        return [Reply("OK, I left it as it is.")]
    return _cancel(turn, interview)


@on_intent("set_timezone")
def set_timezone(turn: Turn, parse: Parse) -> list[Reply]:
    """Change the user's time zone; interviews keep their local wall-clock times."""
    zone = find_zone(parse.text)
    if zone is None:
        bad = zone_like(parse.text)
        if bad:
            return [
                Reply(
                    f"I don't know the time zone “{markup.literal(bad)}”. Use a name like Europe/Berlin, "
                    "America/New_York or Asia/Kolkata."
                )
            ]
        turn.ask("timezone")
        return [
            Reply(
                f"Your time zone is {turn.tz}. Which one should I use? (e.g. Europe/Berlin or America/Chicago)",
                private=True,
            )
        ]
    return apply_timezone(turn, zone)


def apply_timezone(turn: Turn, zone: str) -> list[Reply]:
    """Switch the user's zone; re-anchor their interviews and reminders."""
    user = turn.data.user
    user.tz, user.tz_source = zone, "user"
    turn.tz = zone
    moved = 0
    for interview in turn.data.interviews():
        if interview.local_start is not None:
            interview.tz = zone
            interview.starts_at = to_utc(interview.local_start, zone)
            turn.planner.plan(turn.data.session, user, interview)
            moved += 1
    turn.changed = True
    text = f"Done: your time zone is now {zone}."
    if moved:
        many = moved > 1
        text += (
            f" Your {moved} interview{'s keep their' if many else ' keeps its'} local time, and the reminders follow."
        )
    return [Reply(text, private=True)]


@on_pending("timezone")
def answer_timezone(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """A time zone typed after we asked for one."""
    zone = find_zone(parse.text)
    if zone is None:
        if zone_like(parse.text):
            return [Reply(f"I don't know “{markup.literal(zone_like(parse.text) or '')}”. Try e.g. Europe/Berlin.")]
        return None
    return apply_timezone(turn, zone)


@on_action("tz")
def timezone_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``tz:<Zone/Name>`` from a chooser."""
    zone = find_zone(":".join(args)) if args else None
    if zone is None:
        return [Reply(turn.knowledge.response("unknown_action"))]
    return apply_timezone(turn, zone)


def record_dates(turn: Turn, parse: Parse) -> list[Reply]:
    """Dates mentioned with an offer (its deadline) or a decision (when they'll decide)."""
    e = parse.entities
    low = parse.text.lower()
    if e.when is None or e.when.day < turn.local_now.date():
        return []
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
    _plan(turn, interview)
    return [Reply(text, private=True)]
