"""Cancelling an interview."""

from __future__ import annotations

from bot.coaching.dialog import ask_first, sure
from bot.coaching.handlers.interviews.pick import _interview_buttons, _pick, names_an_interview
from bot.coaching.registry import on_intent
from bot.coaching.turn import Turn
from bot.common import formatting
from bot.common.types import Button, Reply
from bot.nlu.types import Parse
from bot.storage.models import Interview


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
