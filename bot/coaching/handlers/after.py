"""After the interview: thank-you drafts, a calendar file, and the reminders a student asks for.

* "draft my thank-you emails" (and the "Draft emails" button under the thank-you reminder): one short
  draft per interviewer on file, written from ``knowledge/thank_you.yaml``, with a copy-ready block
  and a ``mailto:`` link; with nobody on file, one draft to the team and a question for the names.
* "add my interviews to my calendar" (and the "Add to calendar" button after scheduling): an
  iCalendar file with every upcoming interview, as :attr:`bot.common.types.Reply.files`.
* "remind me 2 hours before my interview", "remind me tomorrow at 9 to email Sarah": a reminder of
  kind ``custom`` in the reminders table, delivered by the reminder engine like the planned ones,
  listed in "what's coming up" and cancellable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo

import yaml

from bot.coaching.dialog import ask_first, is_other_action
from bot.coaching.registry import on_action, on_intent, on_pending
from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.limits import parse_id
from bot.common.pending import Pending
from bot.common.types import Button, File, Reply
from bot.knowledge.library import KnowledgeError, default_dir
from bot.nlu.types import Parse
from bot.reminders.planner import MORNING, duration, to_utc
from bot.storage.models import Interview, Note, Reminder

if TYPE_CHECKING:
    import icalendar

CALENDAR_NAME = "secondround-interviews.ics"
CALENDAR_MIME = "text/calendar"
DEFAULT_MINUTES = 60
MAX_TASK = 300

# thank-you drafts -------------------------------------------------------------------------------------

_FIELDS = (
    "source",
    "subject",
    "greeting",
    "greeting_team",
    "thanks",
    "point",
    "point_note",
    "interest",
    "closing",
    "signoff",
    "advice",
    "ask_names",
)
_PLACEHOLDERS = {"name", "first_name", "company", "day", "point"}


@dataclass(frozen=True)
class ThankYouTemplates:
    """The wording of the thank-you drafts (``knowledge/thank_you.yaml``)."""

    source: str
    subject: str
    greeting: str
    greeting_team: str
    thanks: str
    point: str
    point_note: str
    interest: str
    closing: str
    signoff: str
    advice: str
    ask_names: str


def load_thank_you(directory: Path | None = None) -> ThankYouTemplates:
    """Read and check ``thank_you.yaml``; raises :class:`KnowledgeError` naming the field at fault."""
    path = (directory or default_dir()) / "thank_you.yaml"
    try:
        changed = path.stat().st_mtime_ns
    except OSError:
        changed = 0
    return _load_thank_you(path, changed)


@lru_cache(maxsize=4)
def _load_thank_you(path: Path, changed: int) -> ThankYouTemplates:
    """The templates in ``path`` as of its modification time ``changed`` (an edit is read again)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"thank_you.yaml: cannot read it ({exc})") from None
    if not isinstance(raw, dict):
        raise KnowledgeError("thank_you.yaml: expected fields such as subject:, greeting:, thanks:")
    unknown = set(raw) - set(_FIELDS)
    if unknown:
        raise KnowledgeError(f"thank_you.yaml: unknown field(s) {sorted(unknown)}")
    values: dict[str, str] = {}
    for name in _FIELDS:
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            raise KnowledgeError(f"thank_you.yaml: {name}: write some text")
        bad = set(re.findall(r"{(\w*)}", value)) - _PLACEHOLDERS
        if "point" in re.findall(r"{(\w*)}", value) and name not in {"point", "point_note"}:
            bad.add("point")
        if bad:
            raise KnowledgeError(f"thank_you.yaml: {name}: unknown placeholder(s) {sorted(bad)}")
        values[name] = value.strip()
    return ThankYouTemplates(**values)


@dataclass(frozen=True)
class Draft:
    """One thank-you email: who it is for (None: the team), its subject and its body."""

    to: str | None
    subject: str
    body: str

    def mailto(self) -> str:
        """A ``mailto:`` link that opens the draft in an email app (the student adds the address)."""
        return f"mailto:?subject={quote(self.subject, safe='')}&body={quote(self.body, safe='')}"


_ABOUT = re.compile(
    r"\b(?:asked|talked|spoke|chatted|discussed|went on|told me|was excited|were excited|grilled me|focus(?:ed)?|"
    r"conversation|question(?:ed|s)?)\b(?:\s+(?:me|us|a lot|lots|mostly|mainly|much|loads|a bunch))*"
    r"\s+(?:about|on|around|regarding)\s+(?P<point>[^.;!?\n]{3,120})",
    re.I,
)
_DISCUSSED = re.compile(r"\b(?:discussed|talked through|went through)\s+(?P<point>[^.;!?\n]{3,120})", re.I)
_TODO = re.compile(
    r"^\W*(?:ask|bring|prepare|prep|remember|don'?t|do not|wear|print|revise|review|read|research|check|buy|"
    r"call|email|look up|practi[sc]e|need to|must|should|todo|to do)\b",
    re.I,
)
_FENCE = re.compile(r"`+")


def _point(note: str) -> tuple[str, bool]:
    """What a note says the conversation was about, and whether it was found ("SQL" in "they asked about SQL").

    When the note has no "about …", the note itself comes back (False): the draft quotes it for the
    student to reword, rather than guessing what it means.
    """
    text = " ".join(note.split())
    m = _ABOUT.search(text) or _DISCUSSED.search(text)
    if m:
        return m.group("point").strip(" ,:-"), True
    return text.rstrip(" .!"), False


def _first_name(name: str, roles: set[str]) -> str:
    """A greeting name: "Sarah" of "Sarah Chen"; a title keeps the name ("Dr Lee"); a role stays whole ("CTO")."""
    words = name.split()
    bare = re.sub(r"^(?:the|my|our|a|an)\s+", "", name.strip(), flags=re.I)
    if any(w.lower().strip(".,") in roles for w in words) or bare != name.strip():
        return bare[:1].upper() + bare[1:]
    if len(words) >= 2 and words[0].lower().strip(".") in {"dr", "mr", "mrs", "ms", "prof", "professor"}:
        return name.strip()
    return words[0] if words else name


def _day_words(interview: Interview, today: date) -> str:
    """When the interview was, as the email says it; one still ahead is written for sending that day."""
    if interview.local_start is None:
        return "recently"
    d = interview.local_start.date()
    if d >= today:
        return "today"
    if d == today - timedelta(days=1):
        return "yesterday"
    if (today - d).days < 7:
        return f"on {d:%A}"
    return f"on {d.day} {d:%B}"


def _mentions(text: str, name: str) -> bool:
    """Whether ``text`` names ``name`` as a whole word (any case)."""
    return bool(name) and re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", text.lower()) is not None


def _name_words(person: str) -> list[str]:
    """The words a note may name a person by: "Sarah", "Chen" of "Sarah Chen"; "CTO" of "the CTO"."""
    return [w for w in re.findall(r"[\w'-]+", person) if len(w) > 2 and w.lower() != "the"]


def _notes_for(turn: Turn, interview: Interview | None) -> list[Note]:
    """The student's notes about this interview that say something about the conversation (newest first).

    Notes filed under the interview, and notes filed under none that name its company or an interviewer.
    """
    if interview is None:
        return []
    names = [interview.company or "", *(interview.interviewers or [])]
    notes = [
        n
        for n in turn.data.notes()
        if (n.interview_id == interview.id or (n.interview_id is None and any(_mentions(n.text, x) for x in names)))
        and not _TODO.match(n.text)
    ]
    after = [n for n in notes if interview.starts_at is not None and n.created_at >= interview.starts_at]
    before = [n for n in notes if n not in after]
    return [*reversed(after), *reversed(before)]


def _pick_notes(people: list[str], notes: list[Note]) -> list[Note | None]:
    """One note per person: the one naming them first, else one naming nobody else, each used once if possible."""
    picked: list[Note | None] = []
    used: set[int] = set()

    def mentions(note: Note, person: str) -> bool:
        return any(_mentions(note.text, word) for word in _name_words(person))

    for person in people:
        own = [n for n in notes if mentions(n, person)]
        others = [p for p in people if p != person]
        free = [n for n in notes if not any(mentions(n, o) for o in others)]
        choice = next((n for n in own if n.id not in used), None) or next((n for n in own), None)
        if choice is None:
            choice = next((n for n in free if n.id not in used), None) or next((n for n in free), None)
        if choice is not None:
            used.add(choice.id)
        picked.append(choice)
    return picked


def write_drafts(turn: Turn, interview: Interview | None, only: list[str] | None = None) -> list[Draft]:
    """The drafts for an interview: one per interviewer on file (or those in ``only``), or one to the team."""
    t = load_thank_you()
    company = (interview.company if interview is not None else None) or "[company]"
    day = _day_words(interview, turn.local_now.date()) if interview is not None else "recently"
    people = list(interview.interviewers or []) if interview is not None else []
    notes = _notes_for(turn, interview)
    roles = set(turn.nlu.tagger.lexicon.roles)
    drafts = []
    targets: list[str | None] = list(people) or [None]
    chosen = _pick_notes(people, notes) if people else [notes[0] if notes else None]
    for person, note in zip(targets, chosen, strict=True):
        if only and person not in only:
            continue
        first = _first_name(person, roles) if person else ""
        values = {"name": person or "", "first_name": first, "company": company, "day": day}
        greeting = (t.greeting if person else t.greeting_team).format(**values, point="")
        lines = [t.thanks.format(**values, point="")]
        if note is not None:
            point, found = _point(note.text)
            template = t.point if found else t.point_note
            lines.append(template.format(**values, point=point))
        lines.append(t.interest.format(**values, point=""))
        lines.append(t.closing.format(**values, point=""))
        body = f"{greeting}\n\n" + " ".join(lines) + "\n\n" + t.signoff.format(**values, point="")
        body = _FENCE.sub("'", body)
        drafts.append(Draft(person, _FENCE.sub("'", t.subject.format(**values, point="")), body))
    return drafts


def _thank_you_interview(turn: Turn, company: str | None) -> Interview | None:
    """The interview the thank-yous are for: the one named, else the latest one that took place."""
    data = turn.data
    if company:
        found = data.find_by_company(company)
        past = [i for i in found if i.starts_at is not None and i.starts_at <= turn.now]
        if found:
            return (past or found)[0]
    past = data.recent_past(turn.now)
    waiting = [i for i in past if i.thank_you_sent_at is None]
    if waiting or past:
        return (waiting or past)[0]
    upcoming = data.upcoming(turn.now)
    return upcoming[0] if upcoming else None


def _named_in(turn: Turn, text: str) -> Interview | None:
    low = text.lower()
    if not low:
        return None
    named = [
        i
        for i in turn.data.interviews()
        if i.company and re.search(rf"(?<!\w){re.escape(i.company.lower())}(?!\w)", low)
    ]
    return named[0] if len(named) == 1 else None


def drafts_reply(turn: Turn, interview: Interview | None, only: list[str] | None = None) -> list[Reply]:
    """The drafts as replies: advice first, then one copy-ready block (and link) per person (or those in ``only``)."""
    t = load_thank_you()
    drafts = write_drafts(turn, interview, only)
    if interview is not None:
        head = (
            f"**Thank-you drafts for {formatting.company(interview)}** "
            f"({formatting.when(interview, turn.local_now.date())})"
        )
    else:
        head = "**A thank-you draft** (I have no interview on file, so fill in the company)"
    replies = [Reply(f"{head}\n{markup.literal(t.advice)}", private=True)]
    for draft in drafts:
        who = f"To {markup.literal(draft.to)}" if draft.to else "To the team (one email to everyone you met)"
        text = (
            f"**{who}**\n```\nSubject: {draft.subject}\n\n{draft.body}\n```\n"
            f"{markup.link('Open this draft in your email app', draft.mailto())}"
        )
        replies.append(Reply(text, private=True, kind="thank_you_draft"))
    buttons: tuple[Button, ...] = ()
    if interview is not None:
        buttons = (Button("Sent ✓", f"thanks:sent:{interview.id}", "primary"),)
    if interview is not None and not interview.interviewers:
        turn.ask("thank_you_names", interview_id=interview.id)
        replies.append(Reply(markup.literal(t.ask_names), buttons, private=True))
    elif buttons:
        replies.append(Reply("Tell me once they're out, and I'll stop the reminders about them.", buttons, True))
    return replies


@on_intent("draft_thank_you")
def draft_thank_yous(turn: Turn, parse: Parse) -> list[Reply]:
    """Drafts for "draft my thank-you emails": the interview named, or the latest one that took place."""
    named = _named_in(turn, parse.text)
    interview = named or _thank_you_interview(turn, parse.entities.company or None)
    people = list(interview.interviewers or []) if interview is not None else []
    words = [p for p in people if any(_mentions(parse.text, w) for w in _name_words(p))]
    return drafts_reply(turn, interview, words or None)  # "write a thank you to Sarah": hers only


@on_action("drafts")
def drafts_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``drafts:<interview id>`` (the "Draft emails" button under the thank-you reminder)."""
    interview_id = parse_id(args[0]) if args else None
    if interview_id is None:
        return [Reply(turn.knowledge.response("unknown_action"))]
    interview = turn.data.interview(interview_id)
    if interview is None:
        return [Reply("I can't find that interview any more (it may have been deleted).", private=True)]
    return drafts_reply(turn, interview)


_SPLIT_NAMES = re.compile(r"\s*(?:,|;|&|\+|\band\b|/)\s*", re.I)
_NAME_LEAD = re.compile(
    r"^\W*(?:(?:i|we)\s+(?:met|saw|talked to|spoke (?:to|with))|it was|they were|with|the interviewers were|"
    r"names? (?:is|are|was|were))\s+",
    re.I,
)


@on_pending("thank_you_names")
def answer_names(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The names of the people met, after the drafts asked for them: stored, then one draft each."""
    if is_other_action(parse.intent, parse.confidence, ("schedule_interview",)):
        return None
    interview = turn.data.interview(pending.data.get("interview_id"))
    if interview is None or len(parse.text.split()) > 12 or parse.text.rstrip().endswith("?"):
        return None
    found = turn.nlu.tagger.extract(parse.text, turn.local_now, turn.tz).interviewers
    names = list(found)
    if not names:
        rest = _NAME_LEAD.sub("", parse.text.strip()).strip(" .!")
        parts = [p.strip(" .!") for p in _SPLIT_NAMES.split(rest) if p.strip(" .!")]
        if parts and all(1 <= len(p.split()) <= 4 and p[:1].isupper() for p in parts):
            names = parts
    if not names:
        return None
    known = {p.lower() for p in interview.interviewers or []}
    interview.interviewers = [*(interview.interviewers or []), *(n[:80] for n in names if n.lower() not in known)]
    interview.updated_at = turn.now
    turn.changed = True
    return drafts_reply(turn, interview)


# the calendar -------------------------------------------------------------------------------------------


def calendar_file(turn: Turn) -> tuple[File | None, list[Interview], list[Interview]]:
    """An iCalendar file of every upcoming interview with a date; also which were put in and which not."""
    upcoming = turn.data.upcoming(turn.now)
    dated = [i for i in upcoming if i.local_start is not None]
    undated = [
        i for i in upcoming if i.local_start is None and i.offer_deadline is None and i.outcome is None
    ]  # an offer noted without its interview is no interview to schedule
    if not dated:
        return None, [], undated
    import icalendar  # only when a calendar is asked for (a few MB the rest of the bot never needs)

    cal = icalendar.Calendar()
    cal.add("prodid", "-//SecondRound//Interview coach//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Second interviews")
    for interview in dated:
        cal.add_component(_event(turn, interview))
    cal.add_missing_timezones()
    return File(CALENDAR_NAME, CALENDAR_MIME, cal.to_ical().decode("utf-8")), dated, undated


def _event(turn: Turn, interview: Interview) -> icalendar.Event:
    import icalendar

    assert interview.local_start is not None
    event = icalendar.Event()
    event.add("uid", f"interview-{interview.id}-{turn.data.user.id}@secondround")
    event.add("dtstamp", turn.now)
    company = interview.company or "company not set"
    event.add("summary", f"Second interview: {company}")
    if interview.has_time:
        start = interview.local_start.replace(tzinfo=ZoneInfo(interview.tz))
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=interview.duration_minutes or DEFAULT_MINUTES))
    else:
        event.add("dtstart", interview.local_start.date())
        event.add("dtend", interview.local_start.date() + timedelta(days=1))
    lines = []
    if interview.interviewers:
        lines.append(f"With {', '.join(interview.interviewers)}")
    if interview.setting:
        lines.append(f"Setting: {formatting.SETTING_WORDS.get(interview.setting, interview.setting)}")
    lines.append("Tracked by SecondRound, your second-interview coach.")
    event.add("description", "\n".join(lines))
    prepare = turn.planner.due_times(interview).get("prepare")
    if prepare is not None:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Prepare for your second interview with {company}")
        alarm.add("trigger", prepare - interview.local_start)
        event.add_component(alarm)
    return event


def calendar_reply(turn: Turn) -> list[Reply]:
    """The calendar file, with what it holds (or why there is none)."""
    file, dated, undated = calendar_file(turn)
    if file is None:
        if undated:
            return [
                Reply(
                    "Your upcoming interviews have no date yet, so there's nothing to put in a calendar. "
                    "Tell me when they are, e.g. “my Acme interview is on Friday at 3pm”.",
                    private=True,
                )
            ]
        return [
            Reply(
                "You have no upcoming interviews on file to put in a calendar. Tell me about one, e.g. "
                "“I have a second interview with Acme on Friday at 3pm”.",
                private=True,
            )
        ]
    today = turn.local_now.date()
    lines = [f"Here's a calendar file ({CALENDAR_NAME}) with your upcoming interviews. Open it to add them:"]
    lines += [f"- {formatting.summary(i, today)}" for i in dated]
    if any(i.has_time for i in dated):
        lines.append(
            "Each one is an hour long unless you told me when it ends, with an alert when it's time to prepare."
        )
    if undated:
        names = ", ".join(formatting.company(i) for i in undated)
        lines.append(f"Not in it yet (no date): {names}.")
    return [Reply("\n".join(lines), private=True, files=(file,))]


@on_intent("add_to_calendar")
def add_to_calendar(turn: Turn, parse: Parse) -> list[Reply]:
    """An .ics file with every upcoming interview ("add my interviews to my calendar").

    A message that also describes an interview not on file ("put in my calendar: Northwind, thursday
    2pm") records it first (asking first when unsure), then gives the file.
    """
    e = turn.nlu.tagger.extract(parse.text, turn.local_now, turn.tz)
    if e.company and e.when is not None and not turn.data.find_by_company(e.company):
        from bot.coaching.handlers.interviews import schedule  # records it, and adds the file when it did

        return schedule(turn, Parse(parse.text, "schedule_interview", parse.confidence, e, parse.alternatives))
    return calendar_reply(turn)


@on_action("calendar")
def calendar_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``calendar`` or ``calendar:<anything>`` (the button after scheduling): the calendar file."""
    return calendar_reply(turn)


# reminders the student asks for ------------------------------------------------------------------------

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
        from bot.coaching.handlers.interviews import list_interviews  # "remind me when my interview is": a question

        return list_interviews(turn, Parse(parse.text, "list_interviews", parse.confidence))
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
        what = f" to {markup.literal(task)}" if task else ""
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
    what = f" to {markup.literal(task)}" if task else ""
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


def ask_which_thanks(turn: Turn, upcoming: list[Interview]) -> list[Reply]:
    """Thank-yous reported sent while every interview on file is still ahead: ask which one they were for."""
    today = turn.local_now.date()
    if len(upcoming) == 1:
        interview = upcoming[0]
        return [
            Reply(
                f"Nice work! I have your {formatting.company(interview)} interview down for "
                f"{formatting.when(interview, today)}, which hasn't come yet. Were the thank-yous for it? "
                "(If the date I have is wrong, tell me the right one too.)",
                (Button("Yes, mark them sent", f"thanks:sent:{interview.id}", "primary"),),
                private=True,
            )
        ]
    return [
        Reply(
            "Nice work! Which interview were the thank-yous for?",
            tuple(
                Button(f"{i.company or 'Interview'} ({formatting.when(i, today)})"[:75], f"thanks:sent:{i.id}")
                for i in upcoming[:5]
            ),
            private=True,
        )
    ]
