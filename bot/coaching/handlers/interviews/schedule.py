"""Adding or changing an interview: reading the change, asking what is missing, confirming it.

A scheduling message either creates an interview or updates one already on file. It updates when it
names an interview's company, corrects what was just said ("wait, the company is Stripe not the VP",
"no, it's at 10 not 11", "it's with Priya, not Sarah"), or refers back to one ("it's at 4pm now",
"the interview moved to Wednesday 10am"); without a company it is the interview just discussed, the
one upcoming interview, or the coach asks which. Only the parts the message states change: a new
time alone keeps the day, a new day alone keeps the time.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.coaching import situation
from bot.coaching.dialog import ask_first, asks_something, dont_know, is_other_action, split_ask
from bot.coaching.handlers.after.calendar import calendar_reply
from bot.coaching.handlers.coaching import tips_in_message
from bot.coaching.handlers.interviews.pick import _MOVE, _ask_which, _inside, _same_name
from bot.coaching.handlers.interviews.timezones import _tz_note, ask_timezone_if_unknown
from bot.coaching.registry import on_intent, on_pending
from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.pending import Pending
from bot.common.types import Button, Reply
from bot.nlu.types import Entities, Parse, When
from bot.reminders import kinds
from bot.reminders.planner import to_utc
from bot.storage.models import Interview

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


# words that say how the student knows an interviewer, not who they are ("the same manager as last time")
_RELATION = re.compile(
    r"\b(?:same|new|different|usual|previous|other|another|again)\b"
    r"|\b(?:as|from|like)\s+(?:last time|before|(?:the|my) first (?:round|time|interview)|round (?:one|1))\b"
    r"|\b(?:who|that|i|we)\s+(?:met|saw|had|spoke|interviewed)\b.*$",
    re.I,
)


def people_named(turn: Turn, names: tuple[str, ...] | list[str]) -> list[str]:
    """The interviewers to store: names and roles, not how the student knows them.

    "same manager" or "the same person as last time" say that the interviewer is someone met before: a
    fact (remembered by :func:`situation.learn_from_text`), not a name, so they are not stored. A name
    said with such words stays ("Priya again" → "Priya").
    """
    first_names = turn.nlu.tagger.lexicon.first_names
    roles = turn.nlu.tagger.lexicon.roles
    out: list[str] = []
    for name in names:
        if not _RELATION.search(name):
            out.append(name[:MAX_PERSON])
            continue
        words = " ".join(_RELATION.sub(" ", name).split()).strip(" ,.;:!?").split()
        if any(
            w.lower().strip(".,'") in first_names or (n > 0 and w[:1].isupper() and w.lower() not in roles)
            for n, w in enumerate(words)
        ):
            out.append(" ".join(words)[:MAX_PERSON])  # "Sarah again": a name after all
    return list(dict.fromkeys(out))


def setting_words(turn: Turn, text: str, setting: str | None, company: str | None = None) -> str | None:
    """How the student named an interview's ``setting`` in ``text`` ("dinner", "Zoom", "over the phone").

    The lexicon's words for it (:meth:`~bot.nlu.entities.Lexicon.words_for`), outside the company's
    name ("a Teams call with Zoom").
    """
    if not setting or not text:
        return None
    if company:
        text = re.sub(re.escape(company), " ", text, flags=re.I)
    words = turn.nlu.tagger.lexicon.words_for(text, setting)
    return words[:40] if words else None


RECENT_PAST = timedelta(days=2)
TOLD_PAST = timedelta(days=14)  # how far back a date is kept when the student says the interview took place
# the student says the interview took place ("I had my 2nd interview…", "it went well"), not that it was moved
_HAPPENED = re.compile(
    r"\b(?:i|we)\s+(?:had|did|attended|finished|sat)\b|\b(?:i|we)\s+went\s+to\b|"
    r"\b(?:interview|it|round\s*(?:2|two))(?:\s+(?:with|at|for)\s+[^\s.,;!?]+(?:\s+[A-Z][^\s.,;!?]*)?)?\s+(?:was|went)\b"
    r"(?!\s+(?:moved|pushed|changed|rescheduled|postponed|supposed|going|meant|planned|set|booked|put))",
    re.I,
)


JUST_DISCUSSED = timedelta(minutes=30)
"""How long after an interview was recorded or changed a bare correction ("no, at 10") still means it."""


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


def _past_problem(turn: Turn, day: date, at: time | None, *, happened: bool = False) -> str | None:
    """Why a day (and time) cannot be an interview's date: long past. Just-past ones are kept.

    ``happened``: the student said the interview took place ("I had my interview last friday"), so a day
    up to ``TOLD_PAST`` ago is its real date, not a slip: kept for the thank-yous and the follow-up.
    """
    now = turn.local_now
    if (at is not None and datetime.combine(day, at) < now) or (at is None and day < now.date()):
        if now.date() - day <= (TOLD_PAST if happened else RECENT_PAST):
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
    return _past_problem(turn, e.when.day, e.when.at, happened=bool(_HAPPENED.search(parse.text)))


def _next_reminder_line(turn: Turn, interview: Interview) -> str:
    reminder = turn.planner.next_for(turn.data.session, interview)
    if reminder is None:
        return ""
    local = reminder.due_at.astimezone(turn.zone)
    day = formatting.day(local.date(), turn.local_now.date())
    return f"Next reminder ({kinds.words(reminder.kind)}): {day}, {formatting.clock(local)}."


def _declined(turn: Turn, interview: Interview) -> set[str]:
    """The questions about ``interview`` the student answered with "I don't know (yet)" in this conversation."""
    if not turn.has_storage:
        return set()
    return set((turn.context.get("declined") or {}).get(str(interview.id)) or [])


def _decline(turn: Turn, interview: Interview | None, question: str) -> None:
    """Remember that the student can't answer ``question`` about ``interview`` yet, so it is not asked again."""
    if interview is None or not turn.has_storage:
        return
    declined = dict(turn.context.get("declined") or {})
    declined[str(interview.id)] = sorted({*(declined.get(str(interview.id)) or []), question})
    turn.remember("declined", declined)


def _ask_missing(turn: Turn, interview: Interview) -> str | None:
    declined = _declined(turn, interview)
    if not interview.company and "missing_company" not in declined:
        turn.ask("missing_company", interview_id=interview.id)
        return "Which company is it with?"
    if interview.local_start is None and "missing_when" not in declined:
        turn.ask("missing_when", interview_id=interview.id)
        return "When is it? You can say something like “Friday at 3pm” or “March 12 at 10:30”."
    if interview.local_start is None or interview.local_start.date() < turn.local_now.date():
        return None  # no day yet, or a day already behind the student: its start time no longer matters
    if not interview.has_time and "missing_time" not in declined:
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
    setting_words: str | None = None  # the student's words for the setting, when they changed
    problem: str | None = None  # why the date in the message could not be used (the reply says so)
    problem_kind: str | None = None

    def empty(self) -> bool:
        """Whether nothing would change."""
        return not (
            self.company or self.when or self.add_people or self.drop_people or self.setting or self.setting_words
        )


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
    elif company_in_new and not target.company:
        change.company = company_in_new[:MAX_COMPANY]  # the company it was missing
    if change.company:
        read = turn.nlu.read_when(change.company, turn.local_now, turn.tz)
        if read.day is not None or read.at is not None or read.attempted:
            change.company = None  # "it's feb 2nd": date words, not a company's name
    # the interviewers
    named = people_named(turn, [p for p in e.interviewers if old is None or not _inside(p, old)])
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
    # the setting: the one said as right ("on teams, not zoom"), in the student's words
    kind = e.setting if old is None or not turn.nlu.setting_of(old) else turn.nlu.setting_of(new)
    if e.setting and kind:
        words = setting_words(turn, new if old is not None else text, kind, e.company)
        if kind != target.setting:
            change.setting, change.setting_words = kind, words
        elif words and (target.setting_words or "").lower() != words.lower():
            change.setting_words = words  # "it's lunch, not dinner": the same kind, in other words
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
    if change.setting or change.setting_words:
        parts.append(f"the setting: {formatting.setting_phrase(change.setting, change.setting_words)}")
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
        interview.setting_words = change.setting_words
    elif change.setting_words:
        interview.setting_words = change.setting_words
    interview.updated_at = turn.now
    turn.plan_reminders(interview)


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
    if e.company and e.when is None and not e.when_text and len(low.split()) <= 4 and not _ANOTHER.search(low):
        # a bare company name after the question has moved on: the interview it completes
        nameless = [i for i in upcoming if not i.company]
        if len(nameless) == 1 and not data.find_by_company(e.company):
            return nameless[0], None
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
    name = f"{formatting.company(interview)} " if interview.company else ""
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
                    f"Here's what I have for your {name}interview:\n{formatting.summary(interview, today)}\n"
                    "If something is wrong, tell me what it should be, e.g. “it's at 10am”, “it's with Priya” "
                    "or “the company is Stripe”.",
                    private=True,
                )
            ]
        return confirm(turn, interview, "Here's that interview:", parse.text)
    asked = ask_first(turn, parse, f"Did you want me to change your {name}interview: {describe(turn, change)}?")
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
        interviewers=people_named(turn, e.interviewers),
        has_time=False,
        status="scheduled",
        setting=e.setting,
        setting_words=setting_words(turn, parse.text, e.setting, e.company),
    )
    if e.when is not None and problem is None:
        set_when(interview, e.when, turn.tz)
    situation.learn_from_text(turn, parse.text)
    turn.plan_reminders(interview)
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


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def _took_place(turn: Turn, parse: Parse) -> Parse:
    """An interview the student says took place ("mine was on feb 25") is on the last such date, not next year's.

    A date written without a year is read as the next one to come; said of an interview that already
    happened, a day more than half a year ahead means that day a year earlier (then checked as any past day).
    """
    when = parse.entities.when
    if when is None or not _HAPPENED.search(parse.text) or _YEAR.search(parse.text):
        return parse
    today = turn.local_now.date()
    if when.day - today < timedelta(days=183):
        return parse
    try:
        day = when.day.replace(year=when.day.year - 1)
    except ValueError:  # 29 February
        return parse
    moved = dataclasses.replace(when, day=day)
    return dataclasses.replace(parse, entities=dataclasses.replace(parse.entities, when=moved))


@on_intent("schedule_interview")
def schedule(turn: Turn, parse: Parse) -> list[Reply]:
    """A new interview, a correction or more details of one on file, or one that moved."""
    parse = _took_place(turn, parse)
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
    # "round 2 at Deloitte on monday, any tips?": the tips too
    return replies[:1] + tips_in_message(turn, parse) + replies[1:]


def _names_other_interview(parse: Parse, interview: Interview | None) -> bool:
    """Whether a message is about another company than ``interview`` (so it is not an answer about it)."""
    company = parse.entities.company
    if not company or interview is None or not interview.company:
        return False
    return not _same_name(company, interview.company)


def _pending_interview(turn: Turn, pending: Pending) -> Interview | None:
    return turn.data.interview(pending.data.get("interview_id"))


def _details(turn: Turn, parse: Parse) -> Parse:
    """The part of a message that gives details, read on its own when the message also asks for advice."""
    told, ask = split_ask(parse.text)
    if not ask or not told:
        return parse
    return turn.nlu.parse(told, turn.local_now, turn.tz)


def _with_tips(turn: Turn, parse: Parse, replies: list[Reply]) -> list[Reply]:
    """An answer to the coach's question, with the advice the same message asks for ("…, any tips?")."""
    if not split_ask(parse.text)[1]:
        return replies
    return replies[:1] + tips_in_message(turn, parse) + replies[1:]


def _fill_details(turn: Turn, interview: Interview, told: Parse) -> None:
    """The setting and interviewers an answer also gives ("Deloitte, over zoom with Priya"), where none is on file."""
    e = told.entities
    if e.setting and not interview.setting:
        interview.setting = e.setting
        interview.setting_words = setting_words(turn, told.text, e.setting, e.company)
    known = {p.lower() for p in interview.interviewers or []}
    new = [p for p in people_named(turn, e.interviewers) if p.lower() not in known]
    if new and not (interview.company and any(_same_name(p, interview.company) for p in new)):
        interview.interviewers = [*(interview.interviewers or []), *new]


def _same_day(when: When, start: datetime) -> bool:
    """Whether ``when`` says the day (and, when it says one, the time) of ``start``."""
    return when.day == start.date() and (when.at is None or when.local() == start)


@on_pending("missing_company")
def answer_company(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The company of an interview we just recorded (and the advice the same message asks for)."""
    interview = _pending_interview(turn, pending)
    if interview is None or is_other_action(parse.intent, parse.confidence, ("schedule_interview",)):
        return None
    told = _details(turn, parse)
    if told.intent != "schedule_interview" and len(told.text.split()) > 4:
        return None
    when = told.entities.when
    if when is not None and interview.local_start is not None and not _same_day(when, interview.local_start):
        return None  # another date: a second interview, not the company of this one
    if not told.entities.company and asks_something(told.text):
        return None  # "who pays?": a question of its own, not the company's name
    right, wrong = split_correction(told.text)
    if wrong is not None:  # "the company is Initech not the VP": what it says was wrong is never stored
        corrected = turn.nlu.parse(right, turn.local_now, turn.tz)
        told = corrected if corrected.entities.company else told
    if not told.entities.company and _not_given(told.text):
        _decline(turn, interview, "missing_company")
        # "no idea" / "skip" / "not yet": not a company name; the interview keeps none
        return [Reply(_NOT_KNOWN.format(what="a company", example="“the company is Acme”"))]
    name = told.entities.company or _bare_answer(told.text)
    if not name or len(name) > MAX_COMPANY:
        return None
    interview.company = name
    _fill_details(turn, interview, told)
    if when and (interview.local_start is None or (when.at and not interview.has_time)) and not check_when(turn, told):
        set_when(interview, when, turn.tz)  # the day and time said with the company, where they were missing
    interview.updated_at = turn.now
    turn.plan_reminders(interview)
    return _with_tips(turn, parse, confirm(turn, interview, "Thanks. Here's the interview:", parse.text))


# an answer that says the student doesn't know (dialog.dont_know) or won't say yet, never a name
_SUBJECT = re.compile(r"^(?:the\s+)?(?:time|date|day|company|name|it)(?:\s+is|'s|s)?\s+")  # "the time is …"
_DECLINED = re.compile(
    r"^(?:skip(?:\s+(?:it|that|this))?|not\s+yet|later|pass|unknown|n/?a|none|no|nope|tbd|tba|tbc|"
    r"rather\s+not(?:\s+say)?|not\s+(?:decided|told|known)(?:\s+yet)?|still\s+(?:waiting|don'?t\s+know)|"
    r"confidential|secret)(?:\s+(?:yet|for\s+now|atm|right\s+now|sorry|lol|haha|tbh|honestly))*$"
)


def _not_given(text: str) -> bool:
    """Whether an answer to "Which company…?" / "What time…?" says only that it isn't known or said yet.

    The whole answer or its first clause counts ("no clue, the recruiter didn't say"); "Pass Labs" is a name.
    """
    first = re.split(r"[^\w\s'/’]", text.strip(), maxsplit=1)[0]
    for said in (text, first):
        low = _SUBJECT.sub("", " ".join(said.lower().replace("’", "'").split()))
        if low and (dont_know(low) or _DECLINED.match(low)):
            return True
    return False


_NOT_KNOWN = "No problem, I'll keep it without {what} for now. When you know, just tell me (e.g. {example})."


def _bare_answer(text: str) -> str:
    text = re.sub(r"^(it'?s|its|it is|with|at|for|the company is|company is|company:)\s+", "", text.strip(), flags=re.I)
    return text.strip(" .!?\"'“”")


def _answers_about(turn: Turn, pending: Pending, parse: Parse) -> tuple[bool, Interview | None]:
    """Whether a message can answer a question about the pending interview's date, and that interview."""
    interview = _pending_interview(turn, pending)
    if is_other_action(parse.intent, parse.confidence, ("schedule_interview",)):
        return False, interview
    parse = _details(turn, parse)
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
    full, parse = parse, _details(turn, parse)
    e = parse.entities
    when = e.when or turn.nlu.parse_when(parse.text, turn.local_now, turn.tz)
    if when is None and interview is not None and _not_given(parse.text):
        _decline(turn, interview, "missing_when")  # "not decided yet": not asked again; the interview keeps no date
        return [Reply(_NOT_KNOWN.format(what="a date", example="“it's on March 12 at 10:30”"))]
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
    _fill_details(turn, interview, parse)
    interview.updated_at = turn.now
    turn.plan_reminders(interview)
    return _with_tips(turn, full, confirm(turn, interview, "Thanks. Here's the interview:", full.text))


@on_pending("missing_time")
def answer_time(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The start time of an interview whose day we know."""
    answers, interview = _answers_about(turn, pending, parse)
    if not answers or interview is None or interview.local_start is None:
        return None
    full, parse = parse, _details(turn, parse)
    written = turn.nlu.read_when(parse.text, turn.local_now, turn.tz)
    at: time | None = written.at or turn.nlu.parse_time(parse.text)
    if at is None and written.day is None and _not_given(parse.text):
        _decline(turn, interview, "missing_time")  # "idk yet": not asked again; the interview keeps its day
        return [Reply(_NOT_KNOWN.format(what="a time", example="“it starts at 3pm”"))]
    if at is None:
        return None
    day = written.day or interview.local_start.date()  # a day only when one was actually written
    end = parse.entities.when.end if parse.entities.when and parse.entities.when.at == at else None
    problem = _past_problem(turn, day, at)
    if problem:
        turn.ask("missing_time", interview_id=interview.id)
        return [Reply(problem)]
    set_when(interview, When(day, at, end), turn.tz)
    _fill_details(turn, interview, parse)
    interview.updated_at = turn.now
    turn.plan_reminders(interview)
    return _with_tips(turn, full, confirm(turn, interview, "Thanks. Here's the interview:", full.text))
