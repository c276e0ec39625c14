"""Resolves the date and time of an interview as people write them in chat.

Clock times and numeric dates are read by a small grammar here, because chat writing defeats general
date parsers in known ways ("2nd interview" read as 2 February, "at 3" ignored, "9.30am" and
"16.03." not recognised, a bare hour with no am/pm). Month names in any order ("12 March",
"march 12th") go to ``dateparser``. The rules:

* weekday names mean their next occurrence; a weekday equal to today means one week ahead;
  "next monday" is the next Monday to come, "monday next week" the Monday of next week;
* a bare hour 1–8 means pm, 9–11 am, 12 noon; "noon" is 12:00;
* ``3/10`` is month/day in American time zones and day/month elsewhere (unless impossible);
  ``16.03.`` is day.month.;
* a moved interview ("from wednesday to thursday 10am") takes the new day;
* a date with no clock time stays a day (no midnight is invented).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import dateparser

from bot.nlu.types import When

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WD_ALIASES = {
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "tu": 1,
    "wed": 2,
    "weds": 2,
    "wednes": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thrusday": 3,
    "thursay": 3,
    "fri": 4,
    "frid": 4,
    "fryday": 4,
    "sat": 5,
    "sun": 6,
    "wensday": 2,
    "wendsday": 2,
    "wednsday": 2,
    "wedensday": 2,
    "tuesay": 1,
    "tusday": 1,
    "munday": 0,
    "mondy": 0,
    "firday": 4,
    "frday": 4,
    "satuday": 5,
    "saterday": 5,
    "sundy": 6,
    "thursdy": 3,
}
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_ALIASES = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9} | {m: i + 1 for i, m in enumerate(MONTHS)}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple of": 2,
    "few": 3,
}
_WORD_HOURS = {w: n for w, n in _NUMBER_WORDS.items() if w not in {"a", "an", "couple of", "few"}}

_FIXES = [
    (
        r"\b(tmrw|tmrrw|tmr|tmw|tmro|tomorow|tommorow|tommorrow|tomorrw|tomoz|2moro|2morrow|2mrw|tomm)\b",
        "tomorrow",
    ),
    (r"\b(2day|tdy|tday)\b", "today"),
    (r"\b(tonite|2nite|2night)\b", "tonight"),
    (r"\b(nxt)\b", "next"),
    (r"\b(wk)\b", "week"),
    (r"\b(wks)\b", "weeks"),
    (r"\b(hrs?)\b", "hours"),
    (r"\b(o'?clock|oclock|o clock)\b", ""),
    (r"\b(a\.m\.?)", "am"),
    (r"\b(p\.m\.?)", "pm"),
    (r"\b(12\s*noon|mid-?day|lunchtime|lunch time)\b", "noon"),
]
# ordinals that are not dates: "2nd interview", "second round", "3rd time"
_NOT_DATE = re.compile(
    r"\b(\d+(st|nd|rd|th)|first|second|third|final)\s+(interview\w*|interveiw\w*|intervew\w*|round\w*|"
    r"stage|time|meeting|call|chat|one|step|try|go|attempt|part|person)\b"
)
_MOVE_FROM = re.compile(r"\bfrom\b(?P<old>.{1,40}?)(?:\bto\b|\buntil\b|\btill\b|→|->)(?P<new>.+)$")
_MOVE_NOW = re.compile(
    r"\b(?:now it'?s|now its|now is|is now|are now|now on|now at|it'?s now|new date|new time|now)\b:?(?P<new>.+)$"
)
_INSTEAD = re.compile(r"^(?P<new>.+?)\binstead of\b(?P<old>.+)$")
_WAS = re.compile(r"[,;(]?\s*\b(?:it|which|that)?\s*(?:was|were|used to be)\b.*$")
_MOVE_WORDS = re.compile(r"\b(mov\w*|re-?schedul\w*|push\w*|postpon\w*|chang\w*|shift\w*|bump\w*|switch\w*|delay\w*)\b")

_TIME_HM = re.compile(r"(?<![\d/.:])(\d{1,2})[:.h](\d{2})(?!\d)\s*(am|pm|a|p)?\b(?!\s*(?:%|k\b))")
_TIME_H_AMPM = re.compile(r"(?<![\d/.:])(\d{1,2})\s*(am|pm|a|p)\b")
_TIME_MIL = re.compile(r"\b(?:at|@)\s*([01]\d|2[0-3])([0-5]\d)\b(?:\s*(?:hours|h))?")
_TIME_UHR = re.compile(r"\b(\d{1,2})\s*uhr\b")
_TIME_H = re.compile(r"(?<![\d.:/])(\d{1,2})h(\d{2})?\b")  # French and 24-hour styles: 15h, 9h30
_TIME_HALF = re.compile(r"\bhalf (?:past )?(\d{1,2}|" + "|".join(_WORD_HOURS) + r")\b")
_TIME_QUARTER = re.compile(r"\bquarter (past|after|to|till|before) (\d{1,2}|" + "|".join(_WORD_HOURS) + r")\b")
_TIME_BARE = re.compile(
    r"\b(?:at|@|around|by|about|from|for|ard|arnd|abt|starts?|starting|is|it's|its|like)\s+(?:around\s+|about\s+)?"
    r"(\d{1,2}|" + "|".join(_WORD_HOURS) + r")\b(?!\s*(?:/|\.\d|%|k\b|people|persons|engineers|interviewers|of\b|"
    r"hours?\b|days?\b|weeks?\b|mins?\b|minutes?\b|years?\b|months?\b|st\b|nd\b|rd\b|th\b|-\w))"
)
_TIME_AFTER_DAY = re.compile(
    r"\b(?:" + "|".join(WEEKDAYS) + r"|mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun|tomorrow|today|tonight)"
    r"\s*(?:@|at)?\s*(\d{1,2})\b(?!\s*(?:st|nd|rd|th|/|\.\d|:|%|k\b|people|engineers|of\b|-\d))"
)
_TIME_AT_SIGN = re.compile(r"@\s*(\d{1,2})\b(?![:/.]\d)")
_NOON = re.compile(r"\bnoon\b")
_MORNING = re.compile(r"\b(morning|in the am)\b")
_EVENING = re.compile(r"\b(evening|afternoon|tonight|night|in the pm)\b")

_IN_N = re.compile(
    r"\bin\s+(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few)\s+"
    r"(day|week|month)s?\b"
)
_FROM_NOW = re.compile(r"\b(a|one|two|three|\d+)\s+(day|week)s?\s+from\s+(today|now|tomorrow)\b")
_WEEK_TODAY = re.compile(r"\b(today|tomorrow)\s+(?:in\s+)?(?:a|one)\s+week\b|\bthis\s+time\s+next\s+week\b")
_NUMERIC = re.compile(r"(?<![\d.:/])(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?(?![\d/])")
_DOTTED = re.compile(r"(?<![\d.:])(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?(?![\d])")
_ISO = re.compile(r"\b(20\d{2})-(\d{2})-(\d{2})\b")
_ORDINAL = re.compile(r"\b(?:the\s+)?(\d{1,2})(st|nd|rd|th)\b(?!\s+of\s+(" + "|".join(m[:3] for m in MONTHS) + r"))")
_MONTH_NAME = re.compile(
    r"\b(" + "|".join(sorted(_MONTH_ALIASES, key=len, reverse=True)) + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + "|".join(sorted(_MONTH_ALIASES, key=len, reverse=True)) + r")\b"
)
_WEEKDAY = re.compile(
    r"\b(?:(this|next|coming|this coming|on)\s+)?("
    + "|".join(WEEKDAYS)
    + "|"
    + "|".join(sorted(_WD_ALIASES, key=len, reverse=True))
    + r")s?\b(?:\s+(next week|this week|after next))?"
)
_NEXT_WEEK_WD = re.compile(r"\bnext\s+week\s+(?:on\s+)?(" + "|".join(WEEKDAYS) + r")\b")


@dataclass(frozen=True)
class Found:
    """What the resolver read: the day and time (either may be missing) and whether a date was attempted."""

    day: date | None
    at: time | None
    attempted: bool  # a date was written (``day`` is None when it was not a real date, e.g. "Feb 30")


def prepare(text: str) -> str:
    """Lowercase, expand chat spellings of days and times, and blank out ordinals that are not dates."""
    low = text.lower()
    for pattern, repl in _FIXES:
        low = re.sub(pattern, repl, low)
    low = _NOT_DATE.sub(" ", low)
    return " ".join(low.split())


def _number(word: str) -> int:
    return (
        int(word)
        if word.isdigit()
        else _NUMBER_WORDS.get(word.replace("a couple of", "couple of").replace("a few", "few"), 0)
    )


def _hour(h: int, ampm: str | None, context: str) -> int | None:
    if ampm:
        if not 1 <= h <= 12:
            return None
        return (h % 12) + (12 if ampm.startswith("p") else 0)
    if h > 23:
        return None
    if h >= 13 or h == 0:
        return h
    if _MORNING.search(context):
        return h % 12
    if _EVENING.search(context):
        return h % 12 + 12
    if 1 <= h <= 8:
        return h + 12
    return h


def find_time(text: str) -> tuple[time | None, str]:
    """The clock time in ``text`` (prepared), and the text with it removed."""
    for m in _TIME_HM.finditer(text):
        h = _hour(int(m.group(1)), m.group(3), text)
        minute = int(m.group(2))
        dotted_date = (
            text[m.start(1) + len(m.group(1))] == "."
            and not m.group(3)
            and minute <= 12
            and (text[m.end(2) : m.end(2) + 1] == "." or int(m.group(1)) > 23)
        )
        if h is not None and minute < 60 and not dotted_date:
            return time(h, minute), text[: m.start()] + " " + text[m.end() :]
    m = _TIME_H_AMPM.search(text)
    if m:
        h = _hour(int(m.group(1)), m.group(2), text)
        if h is not None:
            return time(h, 0), text[: m.start()] + " " + text[m.end() :]
    m = _TIME_MIL.search(text)
    if m:
        return time(int(m.group(1)), int(m.group(2))), text[: m.start()] + " " + text[m.end() :]
    m = _TIME_UHR.search(text)
    if m and int(m.group(1)) < 24:
        return time(int(m.group(1)), 0), text[: m.start()] + " " + text[m.end() :]
    m = _TIME_H.search(text)
    if m and int(m.group(1)) < 24 and int(m.group(2) or 0) < 60:
        hour = int(m.group(1))
        hour = hour + 12 if 1 <= hour <= 7 else hour  # nobody is interviewed at 3 in the morning
        return time(hour, int(m.group(2) or 0)), text[: m.start()] + " " + text[m.end() :]
    if _NOON.search(text):
        return time(12, 0), _NOON.sub(" ", text)
    m = _TIME_HALF.search(text)
    if m:
        h = _hour(_number(m.group(1)), None, text)
        if h is not None:
            return time(h, 30), text[: m.start()] + " " + text[m.end() :]
    m = _TIME_QUARTER.search(text)
    if m:
        h = _hour(_number(m.group(2)), None, text)
        if h is not None:
            if m.group(1) in {"to", "till", "before"}:
                return time((h - 1) % 24, 45), text[: m.start()] + " " + text[m.end() :]
            return time(h, 15), text[: m.start()] + " " + text[m.end() :]
    m = _TIME_AT_SIGN.search(text) or _TIME_AFTER_DAY.search(text)
    if m:
        h = _hour(int(m.group(1)), None, text)
        if h is not None and 1 <= int(m.group(1)) <= 12:
            return time(h, 0), text[: m.start(1)] + " " + text[m.end(1) :]
    m = _TIME_BARE.search(text)
    if m:
        h = _hour(_number(m.group(1)), None, text)
        if h is not None and 1 <= int(_number(m.group(1))) <= 12:
            return time(h, 0), text[: m.start(1)] + " " + text[m.end(1) :]
    return None, text


def _next_weekday(today: date, weekday: int) -> date:
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _future(candidate_for_year: int, month: int, day: int, today: date) -> date | None:
    d = _safe_date(candidate_for_year, month, day)
    if d is None:
        return None
    if d < today - timedelta(days=1):
        d = _safe_date(candidate_for_year + 1, month, day) or d
    return d


def find_day(text: str, today: date, month_first: bool) -> tuple[date | None, bool]:
    """The day in ``text`` (prepared, time removed), and whether a date was attempted at all."""
    m = _ISO.search(text)
    if m:
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))), True
    m = _NUMERIC.search(text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        month, day = (a, b) if month_first else (b, a)
        if month > 12 >= day:
            month, day = day, month
        if m.group(3):
            year = int(m.group(3))
            year = year + 2000 if year < 100 else year
            return _safe_date(year, month, day), True
        return _future(today.year, month, day, today), True
    m = _DOTTED.search(text)
    if m:
        day, month = int(m.group(1)), int(m.group(2))
        if m.group(3):
            year = int(m.group(3))
            year = year + 2000 if year < 100 else year
            return _safe_date(year, month, day), True
        return _future(today.year, month, day, today), True
    m = _MONTH_NAME.search(text)
    if m:
        month_word = m.group(1) or m.group(4)
        day_num = int(m.group(2) or m.group(3))
        month = _MONTH_ALIASES[month_word]
        year_m = re.search(r"\b(20\d{2})\b", text[m.end() : m.end() + 8])
        if year_m:
            return _safe_date(int(year_m.group(1)), month, day_num), True
        return _future(today.year, month, day_num, today), True
    m = _WEEK_TODAY.search(text)
    if m:
        base = today + timedelta(days=1) if m.group(1) == "tomorrow" else today
        return base + timedelta(days=7), True
    m = _FROM_NOW.search(text)
    if m:
        n = _number(m.group(1))
        base = today + timedelta(days=1) if m.group(3) == "tomorrow" else today
        return base + timedelta(days=n * (7 if m.group(2) == "week" else 1)), True
    if re.search(r"\bday after tomorrow\b", text):
        return today + timedelta(days=2), True
    if re.search(r"\btomorrow\b", text):
        return today + timedelta(days=1), True
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening))\b", text):
        return today, True
    m = _IN_N.search(text)
    if m:
        n = _number(m.group(1).replace("a couple of", "couple of").replace("a few", "few"))
        unit = m.group(2)
        if unit == "month":
            month = today.month + n
            year = today.year + (month - 1) // 12
            month = (month - 1) % 12 + 1
            return _safe_date(year, month, min(today.day, 28)) or today, True
        return today + timedelta(days=n * (7 if unit == "week" else 1)), True
    m = _NEXT_WEEK_WD.search(text)
    if m:
        wd = WEEKDAYS.index(m.group(1))
        monday_next = today + timedelta(days=7 - today.weekday())
        return monday_next + timedelta(days=wd), True
    m = _WEEKDAY.search(text)
    if m:
        word = m.group(2)
        wd = WEEKDAYS.index(word) if word in WEEKDAYS else _WD_ALIASES[word]
        d = _next_weekday(today, wd)
        if m.group(3) == "next week":
            monday_next = today + timedelta(days=7 - today.weekday())
            d = monday_next + timedelta(days=wd)
        elif m.group(3) == "after next":
            d = _next_weekday(today, wd) + timedelta(days=7)
        elif m.group(1) in {"this", "on"} and wd == today.weekday():
            d = today if m.group(1) == "this" else d
        # "tuesday the 10th": the number decides
        o = _ORDINAL.search(text, m.end())
        if o and o.start() - m.end() < 8:
            return _weekday_on_day(wd, int(o.group(1)), today), True
        return d, True
    m = _ORDINAL.search(text)
    if m:
        return _day_of_month(int(m.group(1)), today), True
    if re.search(r"\b(" + "|".join(_MONTH_ALIASES) + r")\b", text):
        parsed = dateparser.parse(
            text,
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": datetime.combine(today, time(12)),
                "REQUIRE_PARTS": ["day", "month"],
            },
        )
        if parsed:
            return parsed.date(), True
        return None, True
    return None, False


def _weekday_on_day(weekday: int, n: int, today: date) -> date | None:
    """The next date that is both the ``n``th of a month and the given weekday (within a year)."""
    year, month = today.year, today.month
    for _ in range(14):
        d = _safe_date(year, month, n)
        if d is not None and d >= today and d.weekday() == weekday:
            return d
        month = month % 12 + 1
        year += 1 if month == 1 else 0
    return _day_of_month(n, today)


def _day_of_month(n: int, today: date) -> date | None:
    if not 1 <= n <= 31:
        return None
    d = _safe_date(today.year, today.month, n)
    if d is not None and d >= today:
        return d
    month = today.month % 12 + 1
    year = today.year + (1 if month == 1 else 0)
    return _safe_date(year, month, n)


def month_first(tz: str) -> bool:
    """Whether ``3/10`` means March 10 for a user in ``tz`` (American zones) or 3 October."""
    return tz.startswith("America/") or tz.startswith("US/") or tz in {"Pacific/Honolulu", "Asia/Manila"}


def resolve(text: str, now: datetime, tz: str) -> Found:
    """Read the day and clock time in ``text`` relative to ``now`` (naive wall clock in ``tz``)."""
    prepared = prepare(text)
    moved = moved_to(prepared)
    if moved is not None:
        new_part, old_part = moved
        at, rest = find_time(new_part)
        if at is None:
            lead = re.match(r"\s*(\d{1,2})\b(?![:/.]\d)", new_part)
            if lead:
                h = _hour(int(lead.group(1)), None, new_part)
                at = time(h, 0) if h is not None and 1 <= int(lead.group(1)) <= 12 else None
                rest = new_part[lead.end() :]
        day, attempted = find_day(rest, now.date(), month_first(tz))
        if day is None and not attempted and at is not None:
            day, attempted = find_day(old_part, now.date(), month_first(tz))  # "from 2pm to 4pm tomorrow"
        if day is not None or at is not None:
            return Found(day, at, attempted)
    at, rest = find_time(prepared)
    day, attempted = find_day(rest, now.date(), month_first(tz))
    return Found(day, at, attempted)


def moved_to(prepared: str) -> tuple[str, str] | None:
    """For a moved interview, (the part naming the new time, the rest); None if nothing moved."""
    m = _MOVE_FROM.search(prepared)
    if m and (_MOVE_WORDS.search(prepared) or re.search(r"\b(not|was)\b", prepared)):
        return m.group("new"), prepared[: m.start()] + " " + m.group("old")
    m = _INSTEAD.search(prepared)
    if m:
        new = m.group("new")
        now_m = _MOVE_NOW.search(new)
        return (now_m.group("new") if now_m else new), m.group("old")
    m = _MOVE_NOW.search(prepared)
    if m and re.search(r"\b(was|were|moved|changed|new date|new time|rescheduled|pushed)\b", prepared):
        new = m.group("new")
        was = _WAS.search(new)
        old = prepared[: m.start()]
        if was:
            new, old = new[: was.start()], old + " " + new[was.start() :]
        return new, old
    return None


def to_when(found: Found, now: datetime) -> When | None:
    """Turn what was read into a :class:`When`: a time alone means today, or tomorrow once it has passed."""
    if found.day is None and (found.at is None or found.attempted):
        return None  # nothing said, or a date that does not exist
    if found.day is None:
        assert found.at is not None
        day = now.date() if found.at > now.time() else now.date() + timedelta(days=1)
        return When(day, found.at)
    return When(found.day, found.at)


def interview_when(
    text: str, when_parts: list[str], now: datetime, tz: str
) -> tuple[When | None, str | None, str | None]:
    """The interview's day and time in a message, the date words it was read from, and a problem.

    ``when_parts`` are the stretches the entity tagger marked as date/time; the whole ``text`` fills in
    what they miss (the tagger may catch only the day or only the time). The problem says why date
    words gave no single day ("vague", "unreadable"), else None.
    """
    when_text = " ".join(when_parts) or None
    when = None
    found = None
    if when_text and len(when_parts) > 1 and moved_to(prepare(text)) is not None:
        when_text = text  # "moved from 2pm to 4pm tomorrow": the whole sentence says which is new
    if when_text:
        found = resolve(when_text, now, tz)
        when = to_when(found, now)
    if when is None:
        whole = resolve(text, now, tz)
        if whole.day is not None or (whole.at is not None and when_text):
            found, when = whole, to_when(whole, now)
    elif when.at is None or found is None or found.day is None:
        # the tagger may have caught only the day or only the time: look around for the rest
        whole = resolve(text, now, tz)
        if (
            found is not None
            and found.day is not None
            and when.at is None
            and whole.at is not None
            and whole.day in (None, found.day)
        ):
            when = to_when(Found(found.day, whole.at, True), now)
        elif found is not None and found.day is None and whole.day is not None:
            when = to_when(Found(whole.day, found.at, True), now)
    problem = "unreadable" if when is None and when_text else None
    return when, when_text, problem


def parse_when(text: str, now: datetime, tz: str) -> When | None:
    """The interview time in ``text``, or None."""
    return to_when(resolve(text, now, tz), now)


def parse_time(text: str) -> time | None:
    """Only a clock time ("3pm", "at 3", "10:30", "noon"), or None."""
    prepared = prepare(text)
    at, _ = find_time(prepared)
    if at is None:
        m = re.fullmatch(r"\s*(\d{1,2})\s*", prepared)
        if m:
            h = _hour(int(m.group(1)), None, prepared)
            at = time(h, 0) if h is not None else None
    return at
