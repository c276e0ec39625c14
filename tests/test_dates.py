"""Dates and times as students write them: the long tail, ranges, zones, vague days, and the cost of reading them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu import dates

NOW = datetime(2026, 3, 2, 10, 0)  # a Monday, 10:00
NY = "America/New_York"
LONDON = "Europe/London"
ROOT = Path(__file__).resolve().parent.parent


def when(text: str, tz: str = NY, now: datetime = NOW) -> str | None:
    got = dates.parse_when(text, now, tz)
    return got.iso() if got else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # minutes before and after an hour, and named points of the day
        ("second round at a quarter past 3pm", "2026-03-02T15:15"),
        ("panel at 20 past 3pm", "2026-03-02T15:20"),
        ("final interview 15 to noon", "2026-03-02T11:45"),
        ("call at twenty to 11 tomorrow", "2026-03-03T10:40"),
        ("lunch interview at noon", "2026-03-02T12:00"),
        ("they want me first thing tomorrow", "2026-03-03T09:00"),
        ("panel thursday mid-morning", "2026-03-05T10:00"),
        ("case study review EOD friday", "2026-03-06T17:00"),
        ("coffee chat at five thirty pm", "2026-03-02T17:30"),
        ("interview at 14 o'clock on wednesday", "2026-03-04T14:00"),
        # a bare hour with the day after it, and the words around it
        ("second interview 9 tomorrow", "2026-03-03T09:00"),
        ("dinner interview 8 tonight", "2026-03-02T20:00"),
        ("8 tomorrow morning", "2026-03-03T08:00"),
        ("at 7 in the evening on thursday", "2026-03-05T19:00"),
        # days: years kept, offsets, nth weekdays, holidays
        ("my first interview was April 14, 2015", "2015-04-14"),
        ("second round on 14 April 2027 at 10:30am", "2027-04-14T10:30"),
        ("the day after tomorrow", "2026-03-04"),
        ("in 3 days", "2026-03-05"),
        ("a week hence", "2026-03-09"),
        ("a week from friday", "2026-03-13"),
        ("this coming monday", "2026-03-09"),
        ("3 fridays from now", "2026-03-20"),
        ("wednesday of next week", "2026-03-11"),
        ("last Monday of March", "2026-03-30"),
        ("the first of may", "2026-05-01"),
        ("thanksgiving", "2026-11-26"),
        ("the day after christmas", "2026-12-26"),
        ("friday week", "2026-03-13"),
        # past days are read literally: the dialog asks about them
        ("I had it yesterday at 3pm", "2026-03-01T15:00"),
        ("my interview was last friday", "2026-02-27"),
        # counted from now
        ("the technical round is in 2 hours", "2026-03-02T12:00"),
        ("in an hour and a half", "2026-03-02T11:30"),
        # never dates
        ("got a 2nd interview with Acme", None),
        ("round 2 is with 4 people", None),
        ("may I ask for a week to decide?", None),
        ("my follow up with Monday.com", None),
    ],
)
def test_long_tail(text: str, expected: str | None) -> None:
    assert when(text) == expected


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("between 2 and 4 on friday", "2026-03-06T14:00", time(16, 0)),
        ("tomorrow 2-4pm", "2026-03-03T14:00", time(16, 0)),
        ("11:30-1:30 on wednesday", "2026-03-04T11:30", time(13, 30)),
        ("friday from 9 to 11am", "2026-03-06T09:00", time(11, 0)),
        ("tuesday 3 till 5", "2026-03-03T15:00", time(17, 0)),
        ("tomorrow from noon to 2", "2026-03-03T12:00", time(14, 0)),
    ],
)
def test_ranges_start_when_and_keep_the_end(text: str, start: str, end: time) -> None:
    got = dates.parse_when(text, NOW, NY)
    assert got is not None
    assert (got.iso(), got.end) == (start, end)


def test_a_count_or_a_date_is_no_range() -> None:
    assert dates.parse_when("2-3 rounds on friday", NOW, NY) == dates.parse_when("on friday", NOW, NY)
    got = dates.parse_when("interview 25-05-2027", NOW, LONDON)
    assert got is not None and (got.iso(), got.end) == ("2027-05-25", None)


@pytest.mark.parametrize(
    ("text", "tz", "now", "expected"),
    [
        # the student is in New York in winter (EST): Berlin is 6 hours ahead, Kolkata 10.5
        ("video call 10:00 CET on wednesday", NY, NOW, "2026-03-04T04:00"),
        ("tomorrow 9:30 IST", NY, NOW, "2026-03-02T23:00"),  # lands on the student's evening before
        ("3pm EST tomorrow", NY, NOW, "2026-03-03T15:00"),  # the student's own zone: nothing changes
        # after 8 March New York keeps summer time, Berlin not until 29 March: 5 hours apart
        ("March 20 at 3pm CET", NY, NOW, "2026-03-20T10:00"),
        # "EST" written in July means New York's clock (EDT), as people write it
        ("3pm EST friday", LONDON, datetime(2026, 7, 16, 16, 30), "2026-07-17T20:00"),
        ("noon UTC tomorrow", LONDON, datetime(2026, 7, 16, 16, 30), "2026-07-17T13:00"),
        ("monday 4pm (GMT+1)", "America/Chicago", datetime(2026, 4, 22, 14, 10), "2026-04-27T10:00"),
        ("monday 10am london time", "Asia/Kolkata", datetime(2026, 11, 27, 20, 15), "2026-11-30T15:30"),
    ],
)
def test_times_with_a_zone_are_converted_to_the_students_zone(text: str, tz: str, now: datetime, expected: str) -> None:
    assert when(text, tz, now) == expected


def test_a_place_after_a_time_is_not_a_zone() -> None:
    assert when("drinks at 6pm central park boathouse on friday") == "2026-03-06T18:00"


@pytest.mark.parametrize(
    "text",
    [
        "end of next week for the final round",
        "sometime next week probably",
        "in a couple of weeks",
        "final interview should happen before christmas",
        "either thursday or friday, they'll confirm",
        "the week of the 16th",
        "mid april for the onsite",
    ],
)
def test_words_naming_no_single_day_make_the_bot_ask(text: str) -> None:
    got, when_text, problem = dates.interview_when(text, [text], NOW, NY)
    assert (got, problem) == (None, "vague")
    assert when_text == text


def test_a_weekday_inside_a_named_week_is_a_day() -> None:
    assert when("monday at 10, the week of the 16th") == "2026-03-16T10:00"


def test_a_correction_inside_the_message_wins() -> None:
    assert when("sunday? no wait, saturday at 9am") == "2026-03-07T09:00"
    assert when("moved from 10am to 2pm on wednesday") == "2026-03-04T14:00"


def test_the_whole_message_completes_what_the_tagger_marked() -> None:
    # the tagger caught only "tmrw, 1pm" of "day after tmrw, 1pm" and left out the zone of "3pm EST"
    got, _, _ = dates.interview_when("day after tmrw, 1pm, lunch w/ Costa", ["tmrw, 1pm"], NOW, NY)
    assert got is not None and got.iso() == "2026-03-04T13:00"
    got, _, _ = dates.interview_when("friday 3pm EST with Acme", ["friday 3pm"], NOW, LONDON)
    assert got is not None and got.iso() == "2026-03-06T20:00"
    # with two dates in the message the tagged words choose
    text = "first round was on monday, the second is thursday at 2"
    got, _, _ = dates.interview_when(text, ["thursday at 2"], NOW, NY)
    assert got is not None and got.iso() == "2026-03-05T14:00"


def test_a_date_that_does_not_exist_is_unreadable() -> None:
    assert dates.interview_when("interview on Feb 30", ["Feb 30"], NOW, NY) == (None, "Feb 30", "unreadable")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "at",
                "3",
                "pm",
                "12",
                "/",
                "-",
                ":",
                ".",
                "2026",
                "monday",
                "of",
                "next",
                "week",
                "the",
                "1st",
                "uhr",
                "h",
                "o'clock",
                "between",
                "and",
                "from",
                "to",
                "est",
                "utc+",
                "quarter",
                "past",
                "noon",
                "in",
                "days",
                "ago",
                "may",
                "christmas",
                "or",
                "no,",
                "moved",
                "half",
                "a",
                "99",
                "0",
                "#",
            ]
        ),
        max_size=12,
    ).map(" ".join)
    | st.text(max_size=40)
)
def test_no_message_makes_the_reader_fail(text: str) -> None:
    dates.interview_when(text, [text[:10]], NOW, NY)
    dates.parse_time(text)


def test_dateparser_is_loaded_only_for_a_month_name_the_grammar_cannot_read() -> None:
    probe = (
        "import sys; from datetime import datetime; from bot.nlu import dates\n"
        "now = datetime(2026, 3, 2, 10)\n"
        "for text in ['may I ask for a week to decide?', 'friday at 3pm', 'April 14, 2015', 'in march',\n"
        "             'between 2 and 4 on the 12th', 'march the 3rd 10am CET']:\n"
        "    dates.interview_when(text, [text], now, 'Europe/Berlin')\n"
        "print('dateparser' in sys.modules)\n"
        "print(dates.parse_when('interview on 14-Mar-2027 with Acme', now, 'Europe/Berlin').iso())\n"
        "print('dateparser' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "2027-03-14", "True"]


def test_own_tail_sets_stay_exact() -> None:
    for name in ("dates_tail.jsonl", "dates_holdout.jsonl"):
        for line in (ROOT / "tests" / "data" / name).read_text().splitlines():
            row = json.loads(line)
            got = dates.parse_when(row["text"], datetime.fromisoformat(row["now"]), row["tz"])
            pair = (got.iso() if got else None, got.end.strftime("%H:%M") if got and got.end else None)
            assert pair == (row["when"], row["end"]), row["text"]
