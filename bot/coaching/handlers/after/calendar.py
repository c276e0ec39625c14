"""The calendar file: "add my interviews to my calendar" (and the "Add to calendar" button after scheduling).

An iCalendar file with every upcoming interview, as :attr:`bot.common.types.Reply.files`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.coaching.registry import on_action, on_intent
from bot.coaching.turn import Turn
from bot.common import formatting
from bot.common.types import File, Reply
from bot.nlu.types import Parse
from bot.storage.models import Interview

if TYPE_CHECKING:
    import icalendar


CALENDAR_NAME = "secondround-interviews.ics"


CALENDAR_MIME = "text/calendar"


DEFAULT_MINUTES = 60


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
        lines.append(f"Setting: {formatting.setting_of(interview)}")
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
        scheduling = Parse(parse.text, "schedule_interview", parse.confidence, e, parse.alternatives)
        return turn.handle_as("schedule_interview", scheduling)  # records it, and adds the file when it did
    return calendar_reply(turn)


@on_action("calendar")
def calendar_button(turn: Turn, args: list[str]) -> list[Reply]:
    """``calendar`` or ``calendar:<anything>`` (the button after scheduling): the calendar file."""
    return calendar_reply(turn)
