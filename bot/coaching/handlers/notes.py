"""Notes: "note: they asked a lot about SQL", "show my notes"."""

from __future__ import annotations

import re

from bot.coaching.dialog import ask_first, is_other_action, sure
from bot.coaching.handlers.coaching import unsure_question  # a coaching question read unsurely as a note request
from bot.coaching.registry import on_action, on_intent, on_pending
from bot.coaching.turn import Turn
from bot.common import formatting, markup
from bot.common.pending import Pending
from bot.common.types import Button, Reply
from bot.nlu.types import Parse
from bot.storage.models import Interview

SHOWN = 20
SHOWN_CHARS = 12_000  # of notes in one "show my notes" reply
_PREFIX = re.compile(
    r"^\s*(?:@\w+[:,]?\s*)?(?:(?:hey|hi|ok|okay|pls|please|can you|could you|quick)\s+)*"
    r"(?:(?:add|make|take|save|write|jot|put)\s+(?:down\s+)?(?:a\s+|this\s+|the\s+)?(?:note|memo)s?"
    r"(?:\s+(?:for|about|on|re)\s+(?:the\s+)?\w+(?:\s+(?:interview|one))?)?"
    r"|note(?:\s+(?:to\s+self|down|this|for\s+(?:the\s+)?\w+(?:\s+(?:interview|one))?))?"
    r"|remember(?:\s+(?:this|that|for\s+me))?|jot(?:\s+(?:this|it))?\s+down|jot|write(?:\s+this)?\s+down|"
    r"save(?:\s+this)?|memo|nb|log(?:\s+this)?)"
    r"(?:\s+(?:that|this|please|pls))?\s*[:\-–—,]?\s*",
    re.I,
)


def note_body(text: str) -> str:
    """The note itself, without the "note:" / "remember that" framing."""
    body = _PREFIX.sub("", text, count=1).strip()
    return body or ""


def _about(turn: Turn, text: str) -> Interview | None:
    """The interview a note is about: one whose company it names, else the next or latest one."""
    low = text.lower()
    for interview in turn.data.interviews():
        if interview.company and re.search(rf"(?<!\w){re.escape(interview.company.lower())}(?!\w)", low):
            return interview
    upcoming = turn.data.upcoming(turn.now)
    if upcoming:
        return upcoming[0]
    past = turn.data.recent_past(turn.now)
    return past[0] if past else None


def _store(turn: Turn, body: str) -> list[Reply]:
    interview = _about(turn, body)
    turn.data.add_note(body, turn.now, interview)
    turn.changed = True
    where = f" for your {formatting.company(interview)} interview" if interview else ""
    return [Reply(f"Noted{where}: “{markup.literal(body)}”", (Button("Show my notes", "notes:show"),), private=True)]


@on_intent("add_note")
def add_note(turn: Turn, parse: Parse) -> list[Reply]:
    """Store a note (asks for the text if the message was only "add a note")."""
    body = note_body(parse.text)
    if len(body) < 2:
        turn.ask("note_text")
        return [Reply("Sure. What should I note?")]
    shown = body if len(body) <= 200 else body[:200] + "…"
    framed = body != parse.text.strip() or not parse.text  # "note: …", "remember that …"
    if not framed and (rescued := unsure_question(turn, parse)) is not None:
        return rescued
    asked = ask_first(
        turn, parse, f"Should I save this as a note? “{markup.literal(shown)}”", yes="Yes, save it", clear=framed
    )
    return asked or _store(turn, body)


@on_pending("note_text")
def answer_note(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """The text of a note we asked for (a confident request or question of another kind is not it)."""
    if is_other_action(parse.intent, parse.confidence, ("add_note",)):
        return None
    if parse.intent not in {"add_note", "fallback"} and sure(turn, parse) and parse.text.rstrip().endswith("?"):
        return None  # "how do I negotiate salary?": asked instead of noting something
    body = note_body(parse.text) or parse.text.strip()
    return _store(turn, body) if body else None


@on_intent("show_notes")
def show_notes(turn: Turn, parse: Parse) -> list[Reply]:
    """Read back the newest notes whole, with the interview each is about.

    At most :data:`SHOWN` notes and about :data:`SHOWN_CHARS` characters of them (always at least the
    newest one); the reply says how many there are, and the export has them all.
    """
    # "what do I do with my notes from round one?" read unsurely as a request to show them
    if parse.text and (rescued := unsure_question(turn, parse)) is not None:
        return rescued
    total = turn.data.note_count()
    if total == 0:
        return [Reply("You have no notes yet. Start one with “note: …”.", private=True)]
    names = {i.id: i.company for i in turn.data.interviews(include_cancelled=True)}
    shown: list[str] = []
    size = 0
    for note in reversed(turn.data.notes(limit=SHOWN)):  # newest first, until the budget is spent
        local = note.created_at.astimezone(turn.zone)
        label = f"{local.day} {local:%b}"
        company = names.get(note.interview_id) if note.interview_id else None
        if company:
            label += f", {markup.literal(company)}"
        line = f"- _{label}_: {markup.literal(note.text)}"
        if shown and size + len(line) > SHOWN_CHARS:
            break
        shown.append(line)
        size += len(line)
    head = "**Your notes**"
    if len(shown) < total:
        head += f" (the latest {len(shown)} of {total}; “export my data” has them all)"
    return [Reply("\n".join([head, *reversed(shown)]), private=True)]


@on_action("notes")
def notes_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``notes:show``."""
    return show_notes(turn, Parse("", "show_notes", 1.0))


@on_action("note")
def note_command(turn: Turn, args: list[str]) -> list[Reply]:
    """``note:add`` with a ``text`` field (a slash command)."""
    body = (turn.msg.fields.get("text") or "").strip()
    if args[:1] != ["add"] or not body:
        turn.ask("note_text")
        return [Reply("Sure. What should I note?")]
    return _store(turn, body)  # a note over limits.MAX_NOTE_CHARS is refused there, with the limit
