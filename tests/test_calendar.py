"""The calendar file: every upcoming interview as an iCalendar event the student can open."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from tests.conftest import BotHarness, Replies
from tests.test_cli import run


def _calendar(r: Replies) -> icalendar.Calendar:
    [file] = [f for reply in r for f in reply.files]
    assert file.name.endswith(".ics") and file.mime == "text/calendar"
    return icalendar.Calendar.from_ical(file.content)


def _events(r: Replies) -> list[icalendar.Event]:
    return list(_calendar(r).walk("VEVENT"))


def test_the_calendar_file_holds_every_upcoming_interview_in_its_own_zone(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen and Tom, over dinner")
    me.say("I have a second interview with Globex on Thursday between 10 and 11:30")
    r = me.say("add my interviews to my calendar")
    assert r.private
    globex, acme = _events(r)
    ny = ZoneInfo("America/New_York")
    assert acme.decoded("dtstart") == datetime(2026, 3, 6, 15, 0, tzinfo=ny)
    assert acme.decoded("dtend") - acme.decoded("dtstart") == timedelta(hours=1)  # no end given: one hour
    assert str(acme["summary"]) == "Second interview: Acme"
    assert "Sarah Chen, Tom" in str(acme["description"]) and "Setting: over dinner" in str(acme["description"])
    assert globex.decoded("dtend") - globex.decoded("dtstart") == timedelta(minutes=90)  # the range's end
    assert "Acme" in r.text and "Globex" in r.text


def test_each_event_alerts_at_the_prepare_reminder(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Acme on Friday at 3pm")
    [acme] = _events(me.say("add it to my calendar"))
    [alarm] = acme.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(hours=-24)  # the prepare reminder: the day before, same hour


def test_a_zone_change_keeps_the_wall_clock_time_in_the_new_zone(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("set my time zone to Europe/Berlin")
    me.say("I have a second interview with Acme on Friday at 3pm")
    [acme] = _events(me.say("add my interviews to my calendar"))
    assert acme.decoded("dtstart") == datetime(2026, 3, 6, 15, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert any(tz["tzid"] == "Europe/Berlin" for tz in _calendar(me.say("calendar file please")).walk("VTIMEZONE"))


def test_a_day_only_interview_is_an_all_day_event_and_past_ones_are_left_out(bot: BotHarness) -> None:
    me = bot.chat()
    me.say("I have a second interview with Initech on Friday")
    me.say("I have a second interview with Hooli on Tuesday at 9am")
    bot.clock.set(bot.clock.now() + timedelta(days=2))  # Wednesday: Hooli is over
    [initech] = _events(me.say("add my interviews to my calendar"))
    assert initech.decoded("dtstart") == date(2026, 3, 6)
    assert str(initech["summary"]) == "Second interview: Initech"


def test_the_button_after_scheduling_gives_the_file(bot: BotHarness) -> None:
    me = bot.chat()
    r = me.say("I have a second interview with Acme on Friday at 3pm with Sarah Chen")
    [acme] = _events(me.press(r.button("Add to calendar")))
    assert str(acme["summary"]) == "Second interview: Acme"


def test_nothing_to_put_in_a_calendar_is_said_plainly(bot: BotHarness) -> None:
    r = bot.chat().say("add my interviews to my calendar")
    assert "no upcoming interviews on file" in r.text and not any(reply.files for reply in r)


def test_chat_jsonl_carries_the_file(env: dict[str, str]) -> None:
    """The contract: a ``secondround chat --jsonl`` reply carries files with name, mime and content."""
    lines = "I have a second interview with Acme on Friday at 3pm\nadd my interviews to my calendar\n"
    p = run(["chat", "--jsonl", "--user", "ann", "--tz", "America/New_York"], env, lines, timeout=300)
    assert p.returncode == 0, p.stderr
    turns = [json.loads(line) for line in p.stdout.splitlines()]
    [ics] = [f for t in turns for reply in t.get("replies", []) for f in reply.get("files", [])]
    assert ics["mime"] == "text/calendar" and ics["name"].endswith(".ics")
    [event] = icalendar.Calendar.from_ical(ics["content"]).walk("VEVENT")
    assert str(event["summary"]) == "Second interview: Acme"
    start = event.decoded("dtstart")  # the real clock: next Friday at 3 PM in New York
    assert (start.weekday(), start.hour, start.minute, str(start.tzinfo)) == (4, 15, 0, "America/New_York")


def test_the_interactive_chat_saves_the_file_and_prints_its_path(env: dict[str, str]) -> None:
    p = run(
        ["chat", "--user", "kim", "--tz", "UTC"],
        env,
        "I have a second interview with Acme on Friday at 3pm\nadd my interviews to my calendar\n/quit\n",
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    saved = next(line for line in p.stdout.splitlines() if line.startswith("Saved as "))
    path = Path(saved.removeprefix("Saved as ").strip())
    assert path.parent == Path(env["SECONDROUND_DATA_DIR"]) / "files"
    [event] = icalendar.Calendar.from_ical(path.read_text(encoding="utf-8")).walk("VEVENT")
    assert str(event["summary"]) == "Second interview: Acme"


def test_an_interview_described_with_the_calendar_request_is_recorded_then_included(bot: BotHarness) -> None:
    r = bot.chat().say("put in my calendar: Northwind, thursday 2pm, with Dana Kim")
    assert "tracking this interview" in r.text
    [event] = _events(r)
    assert str(event["summary"]) == "Second interview: Northwind"
    assert event.decoded("dtstart") == datetime(2026, 3, 5, 14, 0, tzinfo=ZoneInfo("America/New_York"))


def test_a_calendar_request_for_an_interview_without_a_time_asks_the_time_first(bot: BotHarness) -> None:
    r = bot.chat().say("put in my calendar: Olive & Oak, the 12th, lunch with the owner")
    assert "What time does it start?" in r.text
    assert not any(reply.files for reply in r) and "Add to calendar" in r.buttons
