"""Tracking interviews: schedule, correct, move, list, cancel; the user's time zone; offer/decision dates.

A scheduling message either creates an interview or updates one already on file. It updates when it
names an interview's company, corrects what was just said ("wait, the company is Stripe not the VP",
"no, it's at 10 not 11", "it's with Priya, not Sarah"), or refers back to one ("it's at 4pm now",
"the interview moved to Wednesday 10am"); without a company it is the interview just discussed, the
one upcoming interview, or the coach asks which. Only the parts the message states change: a new
time alone keeps the day, a new day alone keeps the time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.coaching import situation
from bot.coaching.dialog import ask_first, is_other_action, sure
from bot.coaching.handlers.after import calendar_reply, custom_lines
from bot.coaching.registry import on_action, on_intent, on_pending
from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.limits import parse_id
from bot.common.pending import Pending
from bot.common.types import Button, Reply
from bot.common.zones import find_zone, zone_like
from bot.nlu.types import Entities, Parse, When
from bot.reminders import kinds
from bot.reminders.planner import to_utc
from bot.storage.models import Interview
from bot.storage.repo import UserData, normalise_company

_MOVE = re.compile(
    r"\b(mov(e|ed|ing)|re-?schedul\w*|push(ed)?|postpon\w*|chang(e|ed)|shift(ed)?|bump(ed)?|instead|"
    r"switch(ed)?|brought forward|pulled forward|delay(ed)?|rebook(ed)?|rearrang\w*)\b"
)
_DECISION = re.compile(r"\b(decid\w*|decision|hear back|let me know|get back|news|answer|respond|reply|by the)\b")
_DEADLINE = re.compile(r"\b(deadline|by|until|till|before|answer|respond|decide|due|expires?|get back)\b")
# words that say "what I said was wrong"
_FIX = re.compile(
    r"^\W*(no|nope|nah)\b|\b(wait|sorry|actually|oops|correction|i meant|i mean|meant|my bad|typo|mistake|"
    r"scratch that|make (?:it|that)|change (?:it|that)|"
    r"wrong|instead|rather than|not|isn'?t|wasn'?t)\b"
)
# words that say "this is one more interview", which a correction never is
_ANOTHER = re.compile(r"\b(another|also|one more|new interview|a new one|as well|other one|different one|too)\b")
# a message that starts by pointing back at an interview: "it" is the one just talked about
_OPENERS = r"^\W*(?:(?:no|nope|wait|sorry|actually|oops|oh|ah|ok|okay|hmm|correction|update|so)\W+)*"
_IT = re.compile(_OPENERS + r"(?:it'?s|its|it is|it was|it'?ll be|it will be|that'?s|that is|it)\b")
_BACK = re.compile(_OPENERS + r"(?:the interview|that interview|my interview|the meeting|the call)\b")
_LAST_NUMBER = re.compile(r"(\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?)\W*$", re.I)
_TO_NUMBER = re.compile(
    r"\b(?:to|at|for|till|until|now|make it|make that)\s+(\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm)?)(?![\w/.:])", re.I
)
_CALENDAR = re.compile(r"\b(calend[ae]r\w*|calander|g?cal|ical|outlook|\.?ics)\b")
_COMPANY_WORD = re.compile(r"\b(company|firm|employer|organi[sz]ation|company'?s name|company name)\b")
_PERSON_WORD = re.compile(r"\b(with|w/|interviewer|interviewers|interviewing me|meeting|meet)\b")
_ALSO = re.compile(r"\b(also|too|as well|and also|plus)\b")
# "X not Y" / "X, not Y" / "X instead of Y": the new value first
_THEN_NOT = re.compile(r"^(?P<new>.*?\S)\s*,?\s+(?:not|instead of|rather than)\s+(?P<old>[^,;!?]+?)[\s.!]*$")
# "not Y, X" / "it's not Y, it's X"
_NOT_THEN = re.compile(
    r"^(?P<lead>.*?)\b(?:not|isn'?t|wasn'?t)\s+(?P<old>[^,;!?]+?)\s*[,;.!]+\s*"
    r"(?:(?:but|it'?s|its|it is|rather|instead|actually|rather it'?s)\s+)*(?P<new>\S.*)$"
)
_VERBAL = {
    "do",
    "does",
    "did",
    "am",
    "i'm",
    "im",
    "can",
    "could",
    "will",
    "would",
    "should",
    "may",
    "might",
    "must",
    "have",
    "has",
    "had",
    "why",
    "if",
    "are",
    "were",
}
_FILLER = re.compile(
    r"^(?:(?:no|nope|nah|wait|sorry|actually|oops|oh|ah|ok|okay|hmm|correction|update|i meant|i mean|meant|my bad|"
    r"it'?s|its|it is|it was|it'?ll be|it will be|that'?s|that is|the|company'?s name|company name|company|name|"
    r"interviewer|interviewers|person|time|date|day|is|are|at|on|with|w/|to|be|should be|change|changed|update|"
    r"make it|now|interview|interviewing me|of|but|so|just)\b[\s,:;.!\-]*)+",
    re.I,
)
MAX_COMPANY = 120
MAX_PERSON = 80
RECENT_PAST = timedelta(days=2)
JUST_DISCUSSED = timedelta(minutes=30)
"""How long after an interview was recorded or changed a bare correction ("no, at 10") still means it."""
LIST_SHOWN = 25
"""At most this many interviews in "what's coming up?" (the rest are counted, and in the export)."""


def _tz_note(turn: Turn) -> str:
    return f"Times are in {turn.tz}; say “set my time zone to …” if that's not yours."


def set_when(interview: Interview, when: When, tz: str) -> None:
    """Give an interview its new day and time (wall clock in ``tz``); a range's end sets its length."""
    interview.local_start = when.local()
    interview.has_time = when.at is not None
    interview.tz = tz
    interview.starts_at = to_utc(interview.local_start, tz)
    if when.at is not None and when.end is not None:
        start, end = datetime.combine(when.day, when.at), datetime.combine(when.day, when.end)
        interview.duration_minutes = int((end - start).total_seconds() // 60) if end > start else None


def _vague(text: str) -> str:
    return (
        f"“{markup.literal(text)}” could be more than one day. Which day is it? "
        "(e.g. “Thursday at 3pm” or “March 12 at 10:30”)"
    )


def _unreadable(text: str) -> str:
    return (
        f"I couldn't make a real date out of “{markup.literal(text)}”. "
        "Could you give it another way, e.g. “Friday at 3pm” or “March 12 at 10:30”?"
    )


def _past(turn: Turn, day: date) -> str:
    return (
        f"{formatting.day(day, turn.local_now.date())} has already passed. "
        "What's the new date? (If the interview already happened, tell me when you've sent your thank-yous.)"
    )


def _past_problem(turn: Turn, day: date, at: time | None) -> str | None:
    """Why a day (and time) cannot be an interview's date: long past. Just-past ones are kept."""
    now = turn.local_now
    if (at is not None and datetime.combine(day, at) < now) or (at is None and day < now.date()):
        if now.date() - day <= RECENT_PAST:
            return None  # it just happened: worth tracking for the thank-yous and the follow-up
        return _past(turn, day)
    return None


def check_when(turn: Turn, parse: Parse) -> str | None:
    """A friendly problem with the date in the message (vague, unreadable or past), or None."""
    e = parse.entities
    if e.when is None:
        if e.when_text and e.when_problem == "vague":
            return _vague(e.when_text)
        if e.when_text:
            return _unreadable(e.when_text)
        return None
    return _past_problem(turn, e.when.day, e.when.at)


def _plan(turn: Turn, interview: Interview) -> None:
    turn.planner.plan(turn.data.session, turn.data.user, interview)
    turn.changed = True


def _next_reminder_line(turn: Turn, interview: Interview) -> str:
    reminder = turn.planner.next_for(turn.data.session, interview)
    if reminder is None:
        return ""
    local = reminder.due_at.astimezone(turn.zone)
    day = formatting.day(local.date(), turn.local_now.date())
    return f"Next reminder ({kinds.words(reminder.kind)}): {day}, {formatting.clock(local)}."


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


def _length_line(interview: Interview) -> str:
    if not interview.duration_minutes or interview.local_start is None or not interview.has_time:
        return ""
    end = interview.local_start + timedelta(minutes=interview.duration_minutes)
    return f"Until {formatting.clock(end)}."


def confirm(turn: Turn, interview: Interview, verb: str, text: str = "", *, follow_ups: bool = True) -> list[Reply]:
    """The confirmation after recording an interview, plus the question for what is missing.

    ``follow_ups``: also the tips for its setting and the question about the interviewers (not
    repeated when a correction changed neither).
    """
    today = turn.local_now.date()
    lines = [f"{verb}", formatting.summary(interview, today)]
    length = _length_line(interview)
    if length:
        lines.append(length)
    reminder = _next_reminder_line(turn, interview)
    if reminder:
        lines.append(reminder)
    if interview.has_time:
        lines.append(_tz_note(turn))
    question = _ask_missing(turn, interview)
    cancel = Button("Cancel interview", f"interview:cancel:{interview.id}", "danger")
    dated = interview.local_start is not None and (interview.starts_at is None or interview.starts_at > turn.now)
    calendar = (Button("Add to calendar", f"calendar:{interview.id}"),) if dated else ()
    extra: list[Reply] = []
    if question:
        lines.append(question)
    elif follow_ups:
        extra = situation.setting_tips(turn, interview, text)
        asked = ask_timezone_if_unknown(turn) or situation.interviewer_question(turn, interview)
        if asked:
            extra.append(Reply(asked[0], asked[1]))
    if extra:  # about this student's interview, so private; the destructive choice goes last
        extra = [Reply(r.text, r.buttons, True, r.kind) for r in extra]
        extra[-1] = Reply(extra[-1].text, (*extra[-1].buttons, *calendar, cancel), True, extra[-1].kind)
        return [Reply("\n".join(lines), private=True), *extra]
    return [Reply("\n".join(lines), (*calendar, cancel), private=True)]


def _interview_buttons(turn: Turn, interviews: list[Interview], action: str) -> tuple[Button, ...]:
    return tuple(
        Button(
            f"{i.company or 'Interview'} ({formatting.when(i, turn.local_now.date())})"[:75],
            f"interview:{action}:{i.id}",
        )
        for i in interviews[:5]
    )


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
    return None, _ask_which(turn, parse, purpose, upcoming)


def _ask_which(turn: Turn, parse: Parse, purpose: str, upcoming: list[Interview]) -> list[Reply]:
    """Ask which interview a message is about; the answer (a button or a company typed) carries it out."""
    turn.ask("pick_interview", purpose=purpose, text=parse.text, now=turn.local_now.isoformat())
    what = {"cancel": "cancel", "update": "change"}.get(purpose, purpose)
    return [Reply(f"Which interview should I {what}?", _interview_buttons(turn, upcoming, purpose), private=True)]


# reading an update ------------------------------------------------------------------------------------


def _same_name(a: str, b: str) -> bool:
    """Whether two names are the same loosely ("the VP" and "the VP of engineering", "Acme" and "acme inc")."""

    def norm(x: str) -> str:
        x = normalise_company(re.sub(r"[^\w\s&'-]", " ", x))
        return re.sub(r"^(the|a|an|my|our)\s+", "", x)

    x, y = norm(a), norm(b)
    return bool(x and y) and (x == y or x.startswith(y + " ") or y.startswith(x + " "))


def _clean_value(text: str) -> str:
    return _FILLER.sub("", text.strip()).strip(" \t.,;:!?\"'“”‘’()[]")


def split_correction(text: str) -> tuple[str, str | None]:
    """The part of a correction that says what is right, and the part naming what was wrong (or None).

    "it's at 10 not 11" → ("it's at 10", "11"); "not monday, tuesday" → ("tuesday", "monday");
    a message without such a contrast comes back whole, with None.
    """
    m = _NOT_THEN.match(text)
    if m and m.group("new").strip() and len(m.group("old").split()) <= 6:
        lead_words = m.group("lead").lower().split()
        if not lead_words or lead_words[-1] not in _VERBAL:
            return " ".join(f"{m.group('lead')} {m.group('new')}".split()), m.group("old").strip()
    m = _THEN_NOT.match(text)
    if m and len(m.group("old").split()) <= 6:
        before = m.group("new").lower().split()
        if before and before[-1].strip(",") not in _VERBAL and not before[-1].endswith("n't"):
            return m.group("new").strip(), m.group("old").strip()
    return text, None


@dataclass
class Change:
    """What a message changes on an interview; empty fields change nothing."""

    company: str | None = None
    when: When | None = None
    add_people: list[str] = field(default_factory=list)
    drop_people: list[str] = field(default_factory=list)
    setting: str | None = None
    problem: str | None = None  # why the date in the message could not be used (the reply says so)
    problem_kind: str | None = None

    def empty(self) -> bool:
        """Whether nothing would change."""
        return not (self.company or self.when or self.add_people or self.drop_people or self.setting)


def _inside(name: str, text: str) -> bool:
    return bool(text) and re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", text.lower()) is not None


def read_change(turn: Turn, parse: Parse, target: Interview) -> Change:
    """What a message says should change on ``target`` (an interview already on file)."""
    e = parse.entities
    text = parse.text
    new, old = split_correction(text)
    old_value = _clean_value(old) if old else ""
    corrective = bool(_FIX.search(text.lower()))
    change = Change()
    people = list(target.interviewers or [])
    # what the wrong part names tells which field is corrected
    old_field = None
    if old_value and old is not None:
        lit_old = turn.nlu.read_when(old, turn.local_now, turn.tz)
        if _COMPANY_WORD.search(new.lower()) or (target.company and _same_name(old_value, target.company)):
            old_field = "company"
        elif any(_same_name(old_value, p) for p in people):
            old_field = "interviewer"
        elif lit_old.day is not None or lit_old.at is not None or turn.nlu.parse_time(old_value) is not None:
            old_field = "when"
    new_value = _clean_value(new)
    company_in_new = e.company if e.company and (old is None or _inside(e.company, new)) else None
    # the company
    if old_field == "company" or (_COMPANY_WORD.search(new.lower()) and not _PERSON_WORD.search(new.lower())):
        name = company_in_new or new_value
        if name and len(name.split()) <= 8 and not (target.company and _same_name(name, target.company)):
            change.company = name[:MAX_COMPANY]
    elif company_in_new and not (target.company and _same_name(company_in_new, target.company)) and corrective:
        change.company = company_in_new[:MAX_COMPANY]
    if change.company:
        read = turn.nlu.read_when(change.company, turn.local_now, turn.tz)
        if read.day is not None or read.at is not None or read.attempted:
            change.company = None  # "it's feb 2nd": date words, not a company's name
    # the interviewers
    named = [p for p in e.interviewers if old is None or not _inside(p, old)]
    about_people = old_value and not old_field and (named or _PERSON_WORD.search(new.lower()))
    if old_field == "interviewer" or about_people:
        change.drop_people = [p for p in people if _same_name(old_value, p)]
        if not named and new_value and len(new_value.split()) <= 6:
            named = [new_value]
    elif named and corrective and not _ALSO.search(text.lower()):
        # "actually it's with Priya": instead of the ones on file
        change.drop_people = [p for p in people if not any(_same_name(p, n) for n in named)]
    known = {p.lower() for p in people if p not in change.drop_people}
    change.add_people = [p[:MAX_PERSON] for p in dict.fromkeys(named) if p.lower() not in known]
    if change.company and target.company and target.company in change.add_people:
        change.add_people.remove(target.company)
    # the date and time: only what the message states; the rest stays as it was
    source = new if old is not None else text
    lit = turn.nlu.read_when(source, turn.local_now, turn.tz)
    if lit.at is None and (old_field == "when" or corrective or _MOVE.search(text.lower())):
        # "4 not 3", "pushed back to 11": a bare hour, read as the new start time
        bare = _LAST_NUMBER.search(new) if old_field == "when" else _TO_NUMBER.search(new)
        at_new = turn.nlu.parse_time(bare.group(1)) if bare else None
        if at_new is not None:
            lit = type(lit)(lit.day, at_new, lit.attempted)
    if lit.day is not None or lit.at is not None:
        day = lit.day
        at = lit.at
        if old is None and e.when is not None:  # the tagger's reading, where the words were read too
            day = e.when.day if lit.day is not None else None
            at = e.when.at if lit.at is not None and e.when.at is not None else lit.at
        if day is None and target.local_start is not None:
            day = target.local_start.date()
        if at is None and day is not None and target.has_time and target.local_start is not None:
            at = target.local_start.time()
        if day is None:  # nothing on file to keep: a time alone means its next occurrence
            day = turn.local_now.date()
            if at is not None and at <= turn.local_now.time():
                day += timedelta(days=1)
        end = e.when.end if e.when is not None and e.when.at == at else None
        when = When(day, at, end)
        same = target.local_start == when.local() and target.has_time == (when.at is not None)
        if not same:
            problem = _past_problem(turn, when.day, when.at)
            if problem:
                change.problem, change.problem_kind = problem, "past"
            else:
                change.when = when
    elif e.when_text and e.when_problem == "vague":
        change.problem, change.problem_kind = _vague(e.when_text), "vague"
    elif e.when_text and (old is None or _inside(e.when_text, new)) and lit.attempted:
        change.problem, change.problem_kind = _unreadable(e.when_text), "unreadable"
    if e.setting and e.setting != target.setting and (old is None or not turn.nlu.setting_of(old)):
        change.setting = e.setting
    return change


def describe(turn: Turn, change: Change) -> str:
    """The change in words, for a question before acting ("the time to 10:00 AM; Priya instead of Sarah")."""
    parts = []
    if change.company:
        parts.append(f"the company to {markup.literal(change.company)}")
    if change.when:
        text = formatting.day(change.when.day, turn.local_now.date())
        if change.when.at:
            text += f", {formatting.clock(datetime.combine(change.when.day, change.when.at))}"
        parts.append(f"the date to {text}")
    if change.add_people and change.drop_people:
        parts.append(f"{formatting.people(change.add_people)} instead of {formatting.people(change.drop_people)}")
    elif change.add_people:
        parts.append(f"adding {formatting.people(change.add_people)}")
    elif change.drop_people:
        parts.append(f"removing {formatting.people(change.drop_people)}")
    if change.setting:
        parts.append(f"the setting to {formatting.SETTING_WORDS.get(change.setting, change.setting)}")
    return "; ".join(parts)


def apply_change(turn: Turn, interview: Interview, change: Change) -> None:
    """Write a change to the interview and re-plan its reminders."""
    if change.company:
        old = interview.company
        interview.company = change.company
        roles = turn.nlu.tagger.lexicon.roles
        if old and any(w.lower() in roles for w in re.findall(r"[\w']+", old)):
            change.add_people.append(old)  # "the VP of engineering" was a person, not the company
    if change.when:
        set_when(interview, change.when, turn.tz)
    if change.drop_people or change.add_people:
        kept = [p for p in interview.interviewers or [] if p not in change.drop_people]
        known = {p.lower() for p in kept}
        interview.interviewers = [*kept, *(p for p in change.add_people if p.lower() not in known)]
    if change.setting:
        interview.setting = change.setting
    interview.updated_at = turn.now
    _plan(turn, interview)


def _just_discussed(turn: Turn) -> Interview | None:
    """The interview recorded or changed in the last :data:`JUST_DISCUSSED`, if any."""
    recent = [i for i in turn.data.interviews() if i.updated_at >= turn.now - JUST_DISCUSSED]
    return max(recent, key=lambda i: (i.updated_at, i.id)) if recent else None


def _target(turn: Turn, parse: Parse) -> tuple[Interview | None, list[Reply] | None]:
    """The interview a scheduling message updates (None: it is a new one), or the question to ask."""
    e = parse.entities
    low = parse.text.lower()
    data = turn.data
    upcoming = data.upcoming(turn.now)
    _, old = split_correction(parse.text)
    corrective = bool(_FIX.search(low)) and not _ANOTHER.search(low)
    if old:  # "Stripe, not Acme": the interview whose company is the wrong part
        old_value = _clean_value(old)
        named = [i for i in data.interviews() if i.company and old_value and _same_name(old_value, i.company)]
        if named:
            return next((i for i in named if i in upcoming), named[0]), None
    if e.company:
        same = [i for i in data.find_by_company(e.company) if i in upcoming]
        if same and (old is None or not _inside(e.company, old)):
            return same[0], None
        if not (corrective or _COMPANY_WORD.search(low)) or _ANOTHER.search(low):
            return None, None  # an interview with another company is a new interview
    if not e.company and not _ANOTHER.search(low):  # the company of one on file, missed by the tagger
        known = [i for i in upcoming if i.company and _inside(i.company, low)]
        if len(known) == 1:
            return known[0], None
    it = corrective or bool(_IT.match(low))
    details_only = e.when is None and not e.when_text and (e.interviewers or e.setting)
    if it or details_only:  # "no, at 10", "it's with Priya": the interview just talked about
        recent = _just_discussed(turn)
        if recent is not None:
            return recent, None
    if not e.company and e.when is not None and len(low.split()) <= 4:
        # a bare "2pm" / "friday at 10" after the question has moved on: the interview it completes
        untimed = [i for i in upcoming if not i.has_time and (e.when.at is not None or i.local_start is None)]
        if len(untimed) == 1:
            return untimed[0], None
    if it or details_only or _BACK.match(low) or _MOVE.search(low):  # one upcoming, or ask which
        if len(upcoming) == 1:
            return upcoming[0], None
        if len(upcoming) > 1:
            return None, _ask_which(turn, parse, "update", upcoming)
        if not e.company and (corrective or _MOVE.search(low)):
            return None, [
                Reply(
                    "You have no upcoming interviews on file to change. Tell me about one, e.g. "
                    "“I have a second interview with Acme on Friday at 3pm”."
                )
            ]
    return None, None


def _update(turn: Turn, parse: Parse, interview: Interview) -> list[Reply]:
    """Change an interview on file as the message says (asking first when it was not understood surely)."""
    change = read_change(turn, parse, interview)
    today = turn.local_now.date()
    name = formatting.company(interview) if interview.company else "the"
    if change.empty():
        if change.problem:
            turn.ask("missing_when", interview_id=interview.id)
            return [
                Reply(
                    f"I kept the date as it was:\n{formatting.summary(interview, today)}\n{change.problem}",
                    private=True,
                )
            ]
        if _FIX.search(parse.text.lower()):
            return [
                Reply(
                    f"Here's what I have for your {name} interview:\n{formatting.summary(interview, today)}\n"
                    "If something is wrong, tell me what it should be, e.g. “it's at 10am”, “it's with Priya” "
                    "or “the company is Stripe”.",
                    private=True,
                )
            ]
        return confirm(turn, interview, "Here's that interview:", parse.text)
    asked = ask_first(turn, parse, f"Did you want me to change your {name} interview: {describe(turn, change)}?")
    if asked:
        return asked
    moved = change.when is not None
    apply_change(turn, interview, change)
    situation.learn_from_text(turn, parse.text)
    if change.problem:
        turn.ask("missing_when", interview_id=interview.id)
        return [
            Reply(
                f"Updated, but I kept the date:\n{formatting.summary(interview, today)}\n{change.problem}", private=True
            )
        ]
    if _FIX.search(parse.text.lower()):
        verb = "Fixed. Here's the interview now:"
    elif moved and not (change.company or change.add_people or change.drop_people):
        verb = "Moved. Here's the interview now (its reminders moved too):"
    else:
        verb = "Updated your interview:"
    return confirm(turn, interview, verb, parse.text, follow_ups=bool(change.add_people or change.setting))


def _create(turn: Turn, parse: Parse) -> list[Reply]:
    """Record a new interview (asking first when the message was not understood surely)."""
    e = parse.entities
    problem = check_when(turn, parse)
    what = f" with {markup.literal(e.company)}" if e.company else ""
    if e.when is not None and problem is None:
        what += f", {formatting.day(e.when.day, turn.local_now.date())}"
        if e.when.at is not None:
            what += f", {formatting.clock(datetime.combine(e.when.day, e.when.at))}"
    asked = ask_first(turn, parse, f"Did you want me to track a new interview{what}?")
    if asked:
        return asked
    if problem and not e.company:
        turn.ask("missing_when", interview_id=None)
        return [Reply(problem)]
    data = turn.data
    interview = data.add_interview(
        turn.now,
        company=(e.company or "")[:MAX_COMPANY] or None,
        tz=turn.tz,
        interviewers=[n[:MAX_PERSON] for n in dict.fromkeys(e.interviewers)],
        has_time=False,
        status="scheduled",
        setting=e.setting,
    )
    if e.when is not None and problem is None:
        set_when(interview, e.when, turn.tz)
    situation.learn_from_text(turn, parse.text)
    _plan(turn, interview)
    if problem:
        turn.ask("missing_when", interview_id=interview.id)
        return [
            Reply(
                f"I've noted it, but the date needs a look:\n{formatting.summary(interview, turn.local_now.date())}\n"
                f"{problem}",
                private=True,
            )
        ]
    if interview.starts_at is not None and interview.starts_at <= turn.now:
        verb = "Got it: that interview is already behind you. I'll help you with the thank-yous and the follow-up:"
    else:
        verb = "Got it. I'm tracking this interview for you:"
    return confirm(turn, interview, verb, parse.text)


@on_intent("schedule_interview")
def schedule(turn: Turn, parse: Parse) -> list[Reply]:
    """A new interview, a correction or more details of one on file, or one that moved."""
    target, replies = _target(turn, parse)
    if replies is not None:
        return replies
    replies = _update(turn, parse, target) if target is not None else _create(turn, parse)
    asking = turn.state is not None and (turn.state.pending or {}).get("kind") in {
        "missing_company",
        "missing_when",
        "missing_time",
    }
    if _CALENDAR.search(parse.text.lower()) and turn.changed and not asking:
        replies += calendar_reply(turn)  # "put in my calendar: Northwind, thursday 2pm": the file too
    from bot.coaching.handlers.coaching import (
        tips_in_message,  # "round 2 at Deloitte on monday, any tips?": the tips too
    )

    return replies[:1] + tips_in_message(turn, parse) + replies[1:]


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


def _names_other_interview(parse: Parse, interview: Interview | None) -> bool:
    """Whether a message is about another company than ``interview`` (so it is not an answer about it)."""
    company = parse.entities.company
    if not company or interview is None or not interview.company:
        return False
    return not _same_name(company, interview.company)


def _pending_interview(turn: Turn, pending: Pending) -> Interview | None:
    return turn.data.interview(pending.data.get("interview_id"))


@on_pending("missing_company")
def answer_company(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The company of an interview we just recorded."""
    interview = _pending_interview(turn, pending)
    if interview is None or is_other_action(parse.intent, parse.confidence, ("schedule_interview",)):
        return None
    if parse.intent != "schedule_interview" and len(parse.text.split()) > 4:
        return None
    when = parse.entities.when
    if when is not None and interview.local_start is not None and when.local() != interview.local_start:
        return None  # another date: a second interview, not the company of this one
    name = parse.entities.company or _bare_answer(parse.text)
    if not name or len(name) > MAX_COMPANY:
        return None
    interview.company = name
    if when and interview.local_start is None and check_when(turn, parse) is None:
        set_when(interview, when, turn.tz)
    interview.updated_at = turn.now
    _plan(turn, interview)
    return confirm(turn, interview, "Thanks. Here's the interview:", parse.text)


def _bare_answer(text: str) -> str:
    text = re.sub(r"^(it'?s|its|it is|with|at|for|the company is|company is|company:)\s+", "", text.strip(), flags=re.I)
    return text.strip(" .!?\"'“”")


def _answers_about(turn: Turn, pending: Pending, parse: Parse) -> tuple[bool, Interview | None]:
    """Whether a message can answer a question about the pending interview's date, and that interview."""
    interview = _pending_interview(turn, pending)
    if is_other_action(parse.intent, parse.confidence, ("schedule_interview",)):
        return False, interview
    if parse.intent != "schedule_interview" and len(parse.text.split()) > 6:
        return False, interview
    if _names_other_interview(parse, interview) or (interview is None and pending.data.get("interview_id")):
        return False, interview
    return True, interview


@on_pending("missing_when")
def answer_when(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The date (and maybe time) of an interview we just recorded."""
    answers, interview = _answers_about(turn, pending, parse)
    if not answers:
        return None
    e = parse.entities
    when = e.when or turn.nlu.parse_when(parse.text, turn.local_now, turn.tz)
    if when is None:
        problem = check_when(turn, parse)
        if problem:
            turn.ask("missing_when", interview_id=interview.id if interview else None)
            return [Reply(problem)]
        return None
    fake = Parse(parse.text, parse.intent, parse.confidence, Entities(when=when))
    problem = check_when(turn, fake)
    if problem:
        turn.ask("missing_when", interview_id=interview.id if interview else None)
        return [Reply(problem)]
    if interview is None:
        interview = turn.data.add_interview(
            turn.now,
            company=(e.company or "")[:MAX_COMPANY] or None,
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
    answers, interview = _answers_about(turn, pending, parse)
    if not answers or interview is None or interview.local_start is None:
        return None
    written = turn.nlu.read_when(parse.text, turn.local_now, turn.tz)
    at: time | None = written.at or turn.nlu.parse_time(parse.text)
    if at is None:
        return None
    day = written.day or interview.local_start.date()  # a day only when one was actually written
    end = parse.entities.when.end if parse.entities.when and parse.entities.when.at == at else None
    problem = _past_problem(turn, day, at)
    if problem:
        turn.ask("missing_time", interview_id=interview.id)
        return [Reply(problem)]
    set_when(interview, When(day, at, end), turn.tz)
    interview.updated_at = turn.now
    _plan(turn, interview)
    return confirm(turn, interview, "Thanks. Here's the interview:", parse.text)


_ASK_DEADLINE = re.compile(
    r"\b(when|by when|how long|how many days|until when|till when|what date|which day|wen)\b.*"
    r"\b(deadline|dedline|due|answer|reply|respond|decide|deciding|decision|hear back|get back|accept)\b|"
    r"^\W*(?:offer\s+)?deadlines?\W*$|\bwhat'?s (?:my|the) (?:offer )?deadline\b"
)
_OFFER_NEWS = re.compile(
    r"\b(offer\w*|offered)\b.*\b(answer|reply|respond|decide|decision|accept|until|by)\b|"
    r"\b(answer|reply|respond|decide|accept)\b.*\boffer"
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
    from bot.coaching.handlers.coaching import unsure_question  # "what's my next move?" read unsurely as a list request

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


def _gone() -> list[Reply]:
    return [Reply("I can't find that interview any more (it may have been deleted).", private=True)]


@on_action("interview")
def interview_button(turn: Turn, args: list[str]) -> list[Reply]:
    """Buttons about one interview.

    ``interview:cancel:<id>``, ``interview:restore:<id>``, ``interview:update:<id>`` (the answer to
    "which interview?", carrying out the message that asked), ``interview:move:<id>[:<iso date>]``,
    ``interview:list`` and ``interview:add``. Ids are checked before any lookup.
    """
    if args[:1] == ["list"]:
        return list_interviews(turn, Parse("", "list_interviews", 1.0))
    if args[:1] == ["add"]:
        return add_from_fields(turn)
    interview_id = parse_id(args[1]) if len(args) >= 2 else None
    if interview_id is None:
        return [Reply(turn.knowledge.response("unknown_action"))]
    if args[0] == "move" and len(args) == 2 and turn.msg.fields.get("when"):
        return move_from_fields(turn, interview_id)
    interview = turn.data.interview(interview_id)
    if interview is None:
        return _gone()
    if args[0] == "cancel":
        return _cancel(turn, interview)
    if args[0] == "restore":
        interview.status = "scheduled"
        interview.updated_at = turn.now
        _plan(turn, interview)
        return [Reply(f"Restored: {formatting.summary(interview, turn.local_now.date())}", private=True)]
    if args[0] == "update" and len(args) == 2:
        asked = _asked_message(turn, turn.pending)
        if asked is None:
            return [Reply("That question is no longer open. Tell me again what changed.", private=True)]
        return _update(turn, asked, interview)
    if args[0] == "move" and len(args) >= 3:
        pending_when = ":".join(args[2:])
        try:
            moment = datetime.fromisoformat(pending_when)
        except ValueError:
            return [Reply(turn.knowledge.response("unknown_action"))]
        when = When(moment.date(), moment.time() if "T" in pending_when else None)
        problem = _past_problem(turn, when.day, when.at)
        if problem:
            return [Reply(problem, private=True)]
        set_when(interview, when, turn.tz)
        interview.updated_at = turn.now
        _plan(turn, interview)
        return confirm(turn, interview, "Moved. Here's the interview now (its reminders moved too):")
    return [Reply(turn.knowledge.response("unknown_action"))]


def _asked_message(turn: Turn, pending: Pending | None) -> Parse | None:
    """The message behind a "which interview?" question, understood again as it was then (as sure)."""
    if pending is None or pending.kind != "pick_interview" or not pending.data.get("text"):
        return None
    try:
        then = datetime.fromisoformat(str(pending.data.get("now")))
    except ValueError:
        then = turn.local_now
    parse = turn.nlu.parse(str(pending.data["text"]), then, turn.tz)
    return Parse(parse.text, "schedule_interview", 1.0, parse.entities, parse.alternatives)


def _fields_entities(turn: Turn) -> tuple[Entities, str]:
    """Entities from a form (a slash command's options) rather than from free text."""
    f = turn.msg.fields
    company = (f.get("company") or "").strip()[:MAX_COMPANY] or None
    when_text = (f.get("when") or "").strip() or None
    when = turn.nlu.parse_when(when_text, turn.local_now, turn.tz) if when_text else None
    people = [p.strip()[:MAX_PERSON] for p in re.split(r",|\band\b|&|\+", f.get("with") or "") if p.strip()]
    setting_text = (f.get("setting") or "").strip()
    setting = setting_text.lower() if setting_text.lower() in formatting.SETTING_WORDS else None
    if setting is None and setting_text:
        setting = turn.nlu.setting_of(setting_text)
    text = " ".join(x for x in (f.get("with"), setting_text) if x)
    problem = "unreadable" if when_text and when is None else None
    entities = Entities(
        company=company,
        when=when,
        interviewers=tuple(people),
        setting=setting,
        when_text=when_text,
        when_problem=problem,
    )
    return entities, text


def add_from_fields(turn: Turn) -> list[Reply]:
    """``interview:add`` with fields company, when, with, setting (Discord's /interview add): always new."""
    entities, text = _fields_entities(turn)
    data = turn.data
    if entities.company:
        same = [i for i in data.find_by_company(entities.company) if i in data.upcoming(turn.now)]
        if same:
            return _update(turn, Parse(text, "schedule_interview", 1.0, entities), same[0])
    return _create(turn, Parse(text, "schedule_interview", 1.0, entities))


def move_from_fields(turn: Turn, interview_id: int) -> list[Reply]:
    """``interview:move:<id>`` with a ``when`` field."""
    interview = turn.data.interview(interview_id)
    if interview is None:
        return _gone()
    entities, _ = _fields_entities(turn)
    problem = check_when(turn, Parse("", "schedule_interview", 1.0, entities))
    if problem or entities.when is None:
        return [Reply(problem or "When should it be? For example “Thursday 10am”.", private=True)]
    set_when(interview, entities.when, turn.tz)
    interview.updated_at = turn.now
    _plan(turn, interview)
    return confirm(turn, interview, "Moved. Here's the interview now (its reminders moved too):")


_PURPOSE_INTENT = {"cancel": "cancel_interview", "update": "schedule_interview", "move": "schedule_interview"}


@on_pending("pick_interview")
def answer_pick(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """Which interview the user meant, typed instead of pressed.

    Only a short answer naming one interview ("Acme", "the globex one") is taken; a complete new
    request (a move, another interview) is handled as itself.
    """
    purpose = str(pending.data.get("purpose"))
    own = _PURPOSE_INTENT.get(purpose, "")
    bare = not parse.entities.company and not _MOVE.search(parse.text.lower()) and len(parse.text.split()) <= 4
    if is_other_action(parse.intent, parse.confidence, (own,)) and not (parse.intent == "schedule_interview" and bare):
        return None  # a complete request of its own; "the thursday one" is not one
    if parse.entities.interviewers or len(parse.text.split()) > 5:
        return None
    found = _chosen(turn, parse)
    if found is None:
        return None
    if purpose == "cancel":
        return _cancel(turn, found)
    if purpose == "update":
        asked = _asked_message(turn, pending)
        return _update(turn, asked, found) if asked is not None else None
    if purpose == "move" and pending.data.get("when"):
        return interview_button(turn, ["move", str(found.id), str(pending.data["when"])])
    return None


_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4}
_ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|last)\b|^\W*#?([1-5])\W*$")


def _chosen(turn: Turn, parse: Parse) -> Interview | None:
    """The upcoming interview a short answer to "which interview?" names, or None when it names none.

    By company ("Acme", "the globex one", "pfizer pls"), by day ("the thursday one"), or by its place
    among the choices shown ("the first one", "2").
    """
    upcoming = turn.data.upcoming(turn.now)
    text = parse.text
    e = parse.entities
    named = [
        i
        for i in upcoming
        if i.company and (_inside(i.company, text) or (e.company is not None and _same_name(e.company, i.company)))
    ]
    if len(named) == 1:
        return named[0]
    if named:
        return None
    when = e.when or turn.nlu.parse_when(text, turn.local_now, turn.tz)
    if when is not None:
        on_day = [i for i in upcoming if i.local_start is not None and i.local_start.date() == when.day]
        if when.at is not None:
            on_day = [i for i in on_day if i.has_time and i.local_start is not None and i.local_start.time() == when.at]
        return on_day[0] if len(on_day) == 1 else None
    m = _ORDINAL.search(text.lower())
    if m:
        shown = upcoming[:5]  # the order of the buttons
        index = len(shown) - 1 if m.group(1) == "last" else _ORDINALS.get(m.group(1) or "", int(m.group(2) or 0) - 1)
        return shown[index] if 0 <= index < len(shown) else None
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


_INTERVIEW_WORDS = re.compile(
    r"\b(interview\w*|intervew\w*|interveiw\w*|round|meeting|call|chat|onsite|on-site|appointment|it|one|that|"
    r"this|them|dinner|lunch|coffee|breakfast|drinks|visit)\b"
)


def names_an_interview(turn: Turn, parse: Parse) -> bool:
    """Whether a request about an interview says which thing it is about: a company, or interview words.

    "cancel my netflix subscription" does not; "cancel it", "Acme called it off" and "cancel the
    second round" do.
    """
    low = parse.text.lower()
    if parse.entities.company or _INTERVIEW_WORDS.search(low):
        return True
    return any(i.company and _inside(i.company, low) for i in turn.data.interviews())


@on_intent("cancel_interview")
def cancel(turn: Turn, parse: Parse) -> list[Reply]:
    """Cancel a tracked interview (asks which when it is unclear, and first when the request is unsure)."""
    clear = names_an_interview(turn, parse)
    if not (sure(turn, parse) and clear) and not parse.entities.company:
        upcoming = turn.data.upcoming(turn.now)
        if len(upcoming) > 1:
            asked = ask_first(
                turn,
                parse,
                "Did you want to cancel one of your interviews? Pick it, or say no:",
                _interview_buttons(turn, upcoming, "cancel"),
                yes="Yes, let me choose",
                clear=clear,
            )
            if asked:
                return asked
    interview, replies = _pick(turn, parse, "cancel")
    if interview is None:
        return replies or []
    asked = ask_first(
        turn,
        parse,
        f"Did you want to cancel your {formatting.company(interview)} interview "
        f"({formatting.when(interview, turn.local_now.date())})?",
        clear=clear,
    )
    if asked:
        return asked
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
    asked = ask_first(turn, parse, f"Did you want me to set your time zone to {zone}?")
    return asked or apply_timezone(turn, zone)


def apply_timezone(turn: Turn, zone: str) -> list[Reply]:
    """Switch the user's zone; re-anchor their interviews and reminders.

    Setting the zone the user already has changes nothing (no reminder is re-planned). Re-planning
    keeps reminders that fell due and are still to be delivered (see :meth:`ReminderPlanner.plan`).
    """
    user = turn.data.user
    if user.tz == zone:
        if user.tz_source != "user":
            user.tz_source = "user"
            turn.changed = True
        return [Reply(f"Your time zone is already {zone}; nothing to change.", private=True)]
    user.tz, user.tz_source = zone, "user"
    turn.tz = zone
    moved = 0
    for interview in turn.data.interviews(include_cancelled=True):
        if interview.tz == zone:
            continue
        if interview.local_start is not None:
            interview.starts_at = to_utc(interview.local_start, zone)
        interview.tz = zone
        turn.planner.plan(turn.data.session, user, interview)
        moved += interview.local_start is not None and interview.status == "scheduled"
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
    if is_other_action(parse.intent, parse.confidence, ("set_timezone",)):
        return None
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
    """Dates mentioned with an offer (its deadline) or a decision (when they'll decide).

    Only when the message was understood surely: a guess records nothing.
    """
    e = parse.entities
    low = parse.text.lower()
    if not sure(turn, parse) or e.when is None or e.when.day < turn.local_now.date():
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
