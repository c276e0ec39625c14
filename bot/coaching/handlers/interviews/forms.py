"""Button and form input for interviews (``interview:*`` actions, structured commands), and "which one?" answers."""

from __future__ import annotations

import re
from datetime import datetime

from bot.coaching.dialog import is_other_action
from bot.coaching.handlers.interviews.cancel import _cancel
from bot.coaching.handlers.interviews.listing import list_interviews
from bot.coaching.handlers.interviews.pick import _MOVE, _chosen
from bot.coaching.handlers.interviews.schedule import (
    MAX_COMPANY,
    MAX_PERSON,
    _create,
    _update,
    check_when,
    confirm,
    set_when,
)
from bot.coaching.registry import on_action, on_pending
from bot.coaching.turn import Turn
from bot.common import formatting
from bot.common.limits import parse_id
from bot.common.pending import Pending
from bot.common.types import Reply
from bot.nlu.types import Entities, Parse
from bot.storage.models import Interview


def _gone() -> list[Reply]:
    return [Reply("I can't find that interview any more (it may have been deleted).", private=True)]


def _one(turn: Turn, args: list[str]) -> Interview | list[Reply]:
    """The interview a button names (``<id>`` first in ``args``), or what to answer instead.

    Ids are checked before any lookup.
    """
    interview_id = parse_id(args[0]) if args else None
    if interview_id is None:
        return [Reply(turn.knowledge.response("unknown_action"))]
    interview = turn.data.interview(interview_id)
    return _gone() if interview is None else interview


@on_action("interview:list")
def list_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``interview:list``."""
    return list_interviews(turn, Parse("", "list_interviews", 1.0))


@on_action("interview:add")
def add_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``interview:add`` with fields company, when, with, setting."""
    return add_from_fields(turn)


@on_action("interview:cancel")
def cancel_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``interview:cancel:<id>``."""
    interview = _one(turn, args)
    return interview if isinstance(interview, list) else _cancel(turn, interview)


@on_action("interview:restore")
def restore_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``interview:restore:<id>`` (under "Cancelled")."""
    interview = _one(turn, args)
    if isinstance(interview, list):
        return interview
    interview.status = "scheduled"
    interview.updated_at = turn.now
    turn.plan_reminders(interview)
    return [Reply(f"Restored: {formatting.summary(interview, turn.local_now.date())}", private=True)]


@on_action("interview:update")
def update_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``interview:update:<id>``: the answer to "which interview?", carrying out the message that asked."""
    interview = _one(turn, args)
    if isinstance(interview, list):
        return interview
    if len(args) != 1:
        return [Reply(turn.knowledge.response("unknown_action"))]
    asked = _asked_message(turn, turn.pending)
    if asked is None:
        return [Reply("That question is no longer open. Tell me again what changed.", private=True)]
    return _update(turn, asked, interview)


@on_action("interview:move")
def move_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``interview:move:<id>`` with the new time in the ``when`` field (the one format)."""
    interview = _one(turn, args)
    if isinstance(interview, list):
        return interview
    if len(args) != 1:
        return [Reply(turn.knowledge.response("unknown_action"))]
    return move(turn, interview)


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


def move(turn: Turn, interview: Interview) -> list[Reply]:
    """Move an interview to the time in the form's ``when`` field."""
    entities, _ = _fields_entities(turn)
    problem = check_when(turn, Parse("", "schedule_interview", 1.0, entities))
    if problem or entities.when is None:
        return [Reply(problem or "When should it be? For example “Thursday 10am”.", private=True)]
    set_when(interview, entities.when, turn.tz)
    interview.updated_at = turn.now
    turn.plan_reminders(interview)
    return confirm(turn, interview, "Moved. Here's the interview now (its reminders moved too):")


_PURPOSE_INTENT = {"cancel": "cancel_interview", "update": "schedule_interview"}


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
    return None
