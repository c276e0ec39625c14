"""The user's data as a whole (export, forget me) and reports of thank-yous sent; reminder buttons."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from bot.coaching.dialog import ask_first, is_other_action, yes_no
from bot.coaching.handlers.after.thanks import ask_which_thanks
from bot.coaching.handlers.coaching import tips_in_message
from bot.coaching.registry import on_action, on_intent, on_pending
from bot.coaching.turn import Turn
from bot.common import formatting
from bot.common.limits import parse_id
from bot.common.pending import Pending
from bot.common.types import Button, Reply
from bot.nlu.types import Parse
from bot.office.insights import held_topic_asks
from bot.reminders.planner import tomorrow_morning
from bot.storage.models import Interview

_LATER = re.compile(r"\b(later|snooze|remind me|not now|in a bit|tonight|this evening)\b")
_IN = re.compile(r"\bin\s+(an?|\d+)\s*(min(ute)?s?|h(ou)?rs?|hours?)\b")
_DONE = re.compile(r"\b(sent|done|did it|finished|already)\b")
# what "forget me" is about: the student and their data ("wipe my phone" is not)
_ABOUT_ME = re.compile(
    r"\b(me|myself|everything|all of it|data|gdpr|account|profile|info\w*|details|history|records|"
    r"conversations?|chats?|messages|notes|interviews)\b"
)
_THANKS_WORDS = re.compile(r"(thank|thx|\bty\b|\bnotes?\b|e-?mails?|\bcards?\b|letters?|follow[- ]?ups?)")


@on_intent("export_data")
def export_data(turn: Turn, parse: Parse) -> list[Reply]:
    """Everything stored about the user, as JSON (with the question that was open when they asked)."""
    data = turn.data.export()
    data["topics_asked"] += held_topic_asks(turn.msg.ref)  # counted, not yet written (bot.office.insights)
    if turn.pending is not None and data["conversation"] is not None and data["conversation"]["pending"] is None:
        data["conversation"]["pending"] = turn.pending.to_json()  # asking for the export closed it
    payload = json.dumps(data, indent=2, ensure_ascii=False).replace("`", "\\u0060")
    return [Reply(f"Here's everything I store about you:\n```json\n{payload}\n```", private=True)]


@on_intent("forget_me")
def forget_me(turn: Turn, parse: Parse) -> list[Reply]:
    """Ask before deleting everything (and first whether that was meant, when the request was unsure)."""
    asked = ask_first(
        turn,
        parse,
        "I'm not sure I understood. Did you want me to delete everything I have about you "
        "(your interviews, notes and reminders)?",
        clear=bool(_ABOUT_ME.search(parse.text.lower())) or not parse.text,
    )
    if asked:
        return asked
    turn.ask("confirm_forget", ttl=timedelta(minutes=5))
    counts = (len(turn.data.interviews(include_cancelled=True)), turn.data.note_count())
    return [
        Reply(
            f"This deletes everything I have about you: {counts[0]} interview(s), {counts[1]} note(s), your "
            "reminders and our conversation. It can't be undone. Delete it all?",
            (Button("Yes, delete everything", "forget:yes", "danger"), Button("No, keep it", "forget:no")),
            private=True,
        )
    ]


def _forget(turn: Turn) -> list[Reply]:
    turn.data.forget()
    turn.forgotten = True
    turn.changed = True
    return [
        Reply(
            "Done. I've deleted your interviews, notes, reminders and our conversation. "
            "If you write to me again, I'll start from scratch.",
            private=True,
        )
    ]


@on_pending("confirm_forget")
def answer_forget(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """Yes / no to "delete everything?"."""
    answer = yes_no(parse.text)
    if answer is None:
        return None
    if answer:
        return _forget(turn)
    return [Reply("OK, I kept everything.", private=True)]


@on_action("forget")
def forget_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``forget:ask`` (a command) and the confirmation buttons ``forget:yes`` / ``forget:no``."""
    if args[:1] == ["ask"]:
        return forget_me(turn, Parse("", "forget_me", 1.0))
    if args[:1] == ["yes"]:
        return _forget(turn)
    return [Reply("OK, I kept everything.", private=True)]


def _mark_sent(turn: Turn, interview: Interview) -> list[Reply]:
    if interview.thank_you_sent_at is None:
        interview.thank_you_sent_at = turn.now
        interview.updated_at = turn.now
    turn.planner.thank_you_sent(turn.data.session, interview)
    turn.changed = True
    return [
        Reply(
            f"Nice work! I've marked the thank-yous for {formatting.company(interview)} as sent, "
            "so no more reminders about them.",
            private=True,
        )
    ]


@on_intent("thank_you_sent")
def thank_you_sent(turn: Turn, parse: Parse) -> list[Reply]:
    """The user sent their thank-you notes; a question asked with it ("…send the others one too?") is answered."""
    return _thank_you_sent(turn, parse) + tips_in_message(turn, parse)


def _thank_you_sent(turn: Turn, parse: Parse) -> list[Reply]:
    data = turn.data
    interview = None
    if parse.entities.company:
        found = data.find_by_company(parse.entities.company)
        interview = found[0] if found else None
    if interview is None:
        waiting = [i for i in data.recent_past(turn.now) if i.thank_you_sent_at is None]
        interview = next(iter(waiting), None) or next(iter(data.recent_past(turn.now)), None)
    if interview is None:
        upcoming = data.upcoming(turn.now)
        interview = (
            upcoming[0]
            if upcoming and upcoming[0].local_start and upcoming[0].local_start.date() <= turn.local_now.date()
            else None
        )
    if interview is None and data.upcoming(turn.now):
        return ask_which_thanks(turn, data.upcoming(turn.now))  # sent before the date on file
    if interview is None:
        return [
            Reply(
                "Nice work, that's exactly the right move. (I don't have an interview on file to tick off; "
                "tell me about the next one and I'll remind you.)"
            )
        ]
    asked = ask_first(
        turn,
        parse,
        f"Did you want me to mark the thank-yous for {formatting.company(interview)} as sent?",
        clear=bool(_THANKS_WORDS.search(parse.text.lower())) or not parse.text,
    )
    return asked or _mark_sent(turn, interview)


@on_action("export")
def export_command(turn: Turn, args: list[str]) -> list[Reply]:
    """``export`` (a command)."""
    return export_data(turn, Parse("", "export_data", 1.0))


@on_action("thanks")
def thanks_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``thanks:sent:<interview id>`` ("Sent ✓"), or ``thanks:sent`` for the latest interview."""
    if args == ["sent"]:
        return thank_you_sent(turn, Parse("", "thank_you_sent", 1.0))
    interview_id = parse_id(args[1]) if len(args) == 2 and args[0] == "sent" else None
    if interview_id is None:
        return [Reply(turn.knowledge.response("unknown_action"))]
    interview = turn.data.interview(interview_id)
    if interview is None:
        return [Reply("I can't find that interview any more (it may have been deleted).", private=True)]
    return _mark_sent(turn, interview)


def snooze(turn: Turn, reminder_id: int, how: str) -> list[Reply]:
    """Send a reminder again later: ``how`` is minutes or "tomorrow"."""
    if how == "tomorrow":
        until = tomorrow_morning(turn.now, turn.tz)
    else:
        minutes = int(how) if how.isascii() and how.isdigit() and len(how) <= 6 else 180
        until = turn.now + timedelta(minutes=max(5, min(minutes, 7 * 24 * 60)))
    row = turn.planner.snooze(turn.data.session, turn.data.user, reminder_id, until)
    if row is None:
        return [Reply("That reminder no longer exists.", private=True)]
    turn.changed = True
    local = row.due_at.astimezone(turn.zone)
    return [
        Reply(
            f"OK, I'll remind you again {formatting.day(local.date(), turn.local_now.date())} at "
            f"{formatting.clock(local)}.",
            private=True,
        )
    ]


@on_action("reminder")
def reminder_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``reminder:snooze:<id>:<minutes|tomorrow>``."""
    reminder_id = parse_id(args[1]) if len(args) == 3 and args[0] == "snooze" else None
    if reminder_id is None:
        return [Reply(turn.knowledge.response("unknown_action"))]
    return snooze(turn, reminder_id, args[2])


@on_pending("reminder")
def answer_reminder(turn: Turn, pending: Pending, parse: Parse) -> list[Reply] | None:
    """Typed answers right after a reminder: "remind me later", "tomorrow", "in 3 hours", "sent"."""
    if is_other_action(parse.intent, parse.confidence, ("thank_you_sent",)):
        return None  # "I have another interview tomorrow at 3": a request of its own, not a snooze
    low = parse.text.lower()
    reminder_id = parse_id(pending.data.get("reminder_id"))
    if reminder_id is None:
        return None
    match = _IN.search(low)
    if match:
        amount = 1 if match.group(1) in {"a", "an"} else int(match.group(1))
        minutes = amount if match.group(2).startswith("min") else amount * 60
        return snooze(turn, reminder_id, str(minutes))
    if "tomorrow" in low or "tmrw" in low:
        return snooze(turn, reminder_id, "tomorrow")
    if _LATER.search(low) and parse.intent not in {"schedule_interview", "add_note"}:
        return snooze(turn, reminder_id, "180")
    interview_id = pending.data.get("interview_id")
    if interview_id and (_DONE.search(low) or parse.intent == "thank_you_sent"):
        interview = turn.data.interview(interview_id)
        if interview is not None:
            return _mark_sent(turn, interview)
    return None
