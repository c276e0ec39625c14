"""Thank-you drafts: "draft my thank-you emails" (and the "Draft emails" button under the thank-you reminder).

One short draft per interviewer on file, written from ``knowledge/thank_you.yaml``, with a copy-ready block
and a ``mailto:`` link; with nobody on file, one draft to the team and a question for the names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import yaml

from bot.coaching.dialog import is_other_action
from bot.coaching.registry import on_action, on_intent, on_pending
from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.limits import parse_id
from bot.common.pending import Pending
from bot.common.types import Button, Reply
from bot.knowledge.library import KnowledgeError, default_dir
from bot.nlu.types import Parse
from bot.storage.models import Interview, Note

if TYPE_CHECKING:
    pass


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


# "should I still send…?", "is it worth…?": a question about thank-yous, not a request for drafts
_WHETHER = re.compile(
    r"^\W*(?:(?:so|ok|okay|and|but|hmm)\W+)*(?:should|shall|do|does|is|are|must|would it|is it|was it|will it|"
    r"what|why|how|any point|worth)\b(?!\s+you\b)",
    re.I,
)


@on_intent("draft_thank_you")
def draft_thank_yous(turn: Turn, parse: Parse) -> list[Reply]:
    """Drafts for "draft my thank-you emails": the interview named, or the latest one that took place.

    After the process ended (a no, a withdrawal, an accepted offer), a question whether to send them is
    answered with the advice for that ending instead of drafts.
    """
    if _WHETHER.match(parse.text) and "?" in parse.text:
        from bot.coaching import situation

        facts = situation.situation(turn, parse.text)
        if facts.values.get("outcome") in {"rejected", "withdrawn", "accepted"} and "outcome" not in facts.supposed:
            return turn.handle_as("follow_up", replace(parse, intent="follow_up"))
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
