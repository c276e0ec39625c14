"""The student's time zone: setting it, asking for it, and keeping interviews at their wall-clock time."""

from __future__ import annotations

from bot.coaching.dialog import ask_first, is_other_action
from bot.coaching.registry import on_action, on_intent, on_pending
from bot.coaching.turn import Turn
from bot.common import markup
from bot.common.pending import Pending
from bot.common.types import Button, Reply
from bot.common.zones import find_zone, zone_like
from bot.nlu.types import Parse
from bot.reminders.planner import to_utc


def _tz_note(turn: Turn) -> str:
    return f"Times are in {turn.tz}; say “set my time zone to …” if that's not yours."


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
