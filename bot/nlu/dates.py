"""Resolves the date and time of an interview as people write them in chat.

A small table-driven grammar reads clock times, days, ranges and zones, because chat writing defeats
general date parsers in known ways ("2nd interview" read as 2 February, "at 3" ignored, "9.30am" and
"16.03." not recognised, a time invented when none was written); docs/nlu-dates.md has the
comparison that chose this. ``dateparser`` is loaded lazily, only for a month name next to a number
that the grammar could not read. The rules (docs/nlu-guidelines.md):

* weekday names mean their next occurrence; a weekday equal to today means one week ahead;
  "next monday" is the next Monday to come, "monday next week" the Monday of next week;
* a bare hour 1–8 means pm, 9–11 am, 12 noon, unless "morning"/"tonight"… stands next to it;
* ``3/10`` is month/day in American time zones and day/month elsewhere (unless impossible);
  ``16.03.`` is day.month.;
* a moved interview ("from wednesday to thursday 10am") takes the new day;
* a date with no clock time stays a day (no midnight is invented); a time alone is today, or
  tomorrow once it has passed;
* past dates ("yesterday at 3pm", "April 14, 2015") are resolved literally: the dialog asks;
* a time with a zone ("3pm EST") is converted to the user's zone;
* words that name no single day ("end of next week", "sometime soon") give no day and the problem
  "vague", so the bot asks.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.common.zones import zone_of_time
from bot.nlu.types import When

USE_FALLBACK = True  # bench/dates_eval.py switches this off to measure the grammar alone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WD_ALIASES = {
    "mon": 0, "munday": 0, "mondy": 0,
    "tue": 1, "tues": 1, "tu": 1, "tuesay": 1, "tusday": 1,
    "wed": 2, "weds": 2, "wednes": 2, "wensday": 2, "wendsday": 2, "wednsday": 2, "wedensday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thrusday": 3, "thursay": 3, "thursdy": 3,
    "fri": 4, "frid": 4, "fryday": 4, "firday": 4, "frday": 4,
    "sat": 5, "satuday": 5, "saterday": 5,
    "sun": 6, "sundy": 6,
}  # fmt: skip
_WD = {w: i for i, w in enumerate(WEEKDAYS)} | _WD_ALIASES
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTH_ALIASES = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9} | {m: i + 1 for i, m in enumerate(MONTHS)}
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2, "couple": 2, "few": 3,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50,
    "twenty-five": 25, "twenty five": 25, "forty five": 45,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "last": -1,
}  # fmt: skip
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "thirtieth": 30,
}  # fmt: skip
_ORDINAL_WORDS |= {f"twenty{sep}{w}": 20 + n for w, n in list(_ORDINAL_WORDS.items())[:9] for sep in ("-", " ", "")}
_ORDINAL_WORDS |= {f"thirty{sep}first": 31 for sep in ("-", " ", "")}
_HOUR_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")

# Chat spellings, one pattern a line: what people type -> what the grammar reads.
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
    (r"\b(mins?)\b", "minutes"),
    (r"\b(o'?clock|oclock|o clock)\b", "o'clock"),
    (r"\b(a\.m\.?)", "am"),
    (r"\b(p\.m\.?)", "pm"),
    (r"\b(\d{1,2})\s*-?\s*ish\b", r"\1"),
    (r"(?<![\d/.:-])\b12\s*noon\b|\b(?:mid-?day|lunchtime|lunch time)\b", "noon"),
    (r"\b(overmorrow)\b", "day after tomorrow"),
    (r"\bdays?'\s*time\b", "days"),
    (r"\bweeks?'\s*time\b", "weeks"),
    (r"[’‘]", "'"),
    (r"[–—]", "-"),
]
_FIXES_COMPILED = [(re.compile(pattern), repl) for pattern, repl in _FIXES]  # (as re.sub compiles them, once)
_OCLOCK = re.compile(r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s*o'clock")
# ordinals that are not dates: "2nd interview", "second round", "3rd time"
_NOT_DATE = re.compile(
    r"\b(\d+(st|nd|rd|th)|first|second|third|final)\s+(interview\w*|interveiw\w*|intervew\w*|round\w*|"
    r"stage|time|meeting|call|chat|one|step|try|go|attempt|part|person)\b"
    r"|\bround\s*#?\s*(?:\d+|one|two|three|four)\b(?![/.:]\d|\s*(?:am|pm)\b)|#\s*\d+\b|\bnumber\s+(?:\d+|one|two|three)\b"
)
_MOVE_FROM = re.compile(r"\bfrom\b(?P<old>.{1,40}?)(?:\bto\b|\buntil\b|\btill\b|→|->)(?P<new>.+)$")
_MOVE_NOW = re.compile(
    r"\b(?:now it'?s|now its|now is|is now|are now|now on|now at|it'?s now|new date|new time|now)\b:?(?P<new>.+)$"
)
_INSTEAD = re.compile(r"^(?P<new>.+?)\binstead of\b(?P<old>.+)$")
# "Sunday? no wait, saturday at 9am", "after thanksgiving - actually on thanksgiving": the words after it
_CORRECTION = re.compile(
    r"^(?P<old>.+?)(?:[?!.,;:]+|\s-+)\s*\b(?:no+|nope|wait|sorry|actually|correction|i mean|scratch that)\b[,!.:]*\s*"
    r"(?:wait\b[,!.]*\s*|sorry\b[,!.]*\s*|i mean\b[,!.]*\s*)*(?P<new>.+)$"
)
_WAS = re.compile(r"[,;(]?\s*\b(?:it|which|that)?\s*(?:was|were|used to be)\b.*$")
_MOVE_WORDS = re.compile(r"\b(mov\w*|re-?schedul\w*|push\w*|postpon\w*|chang\w*|shift\w*|bump\w*|switch\w*|delay\w*)\b")

_MONTH_RE = "|".join(sorted(_MONTH_ALIASES, key=len, reverse=True))
_WD_RE = "|".join(sorted(_WD, key=len, reverse=True))
_NUM_RE = r"\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_HOUR_RE = r"\d{1,2}|" + "|".join(_HOUR_WORDS)
_ORD_RE = "|".join(_ORDINALS)
_ORDWORD_RE = "|".join(sorted((re.escape(w) for w in _ORDINAL_WORDS), key=len, reverse=True))
# a day of the month written in words: "the first of may", "may the fourth", "on the twenty-third"
_ORDINAL_DAY = re.compile(
    r"()\b(" + _ORDWORD_RE + r")\b(?=\s+(?:of\s+)?(?:" + _MONTH_RE + r")\b)"
    r"|(\b(?:" + _MONTH_RE + r")\.? (?:the )?)(" + _ORDWORD_RE + r")\b"
    r"|(\bon the )(" + _ORDWORD_RE + r")\b(?!\s+(?:" + "|".join(WEEKDAYS) + r"|week|day|time|one)\b)"
)

# --- clock times ---------------------------------------------------------------------------------------

_MORNING = re.compile(r"\b(morning|in the am|breakfast)\b")
_EVENING = re.compile(r"\b(evening|afternoon|tonight|night|in the pm|dinner)\b")

# named points of the day, one a line
_POINTS = [
    (r"\bnoon\b", time(12, 0)),
    (r"\bfirst thing\b", time(9, 0)),
    (r"\bmid\s*-?\s*morning\b", time(10, 0)),
    (r"\bmid\s*-?\s*afternoon\b", time(15, 0)),
    (r"\b(?:eod|cob|close of (?:business|play)|end of (?:the )?(?:business |working |work )?day)\b", time(17, 0)),
]
_POINT_RES = [(re.compile(p), t) for p, t in _POINTS]


@dataclass(frozen=True)
class Found:
    """What the resolver read: the day and time (either may be missing) and whether a date was attempted.

    ``end`` is the end of a range ("between 2 and 4"); ``zone`` the zone a time was written in (the
    day and time are already converted to the user's zone); ``problem`` says why date words gave no
    single day ("vague"); ``others`` that the text names another day or time besides these.
    """

    day: date | None
    at: time | None
    attempted: bool  # a date was written (``day`` is None when it was not a real date, e.g. "Feb 30")
    end: time | None = None
    zone: str | None = None
    problem: str | None = None
    others: bool = False  # the text names another day or time besides this one
    weak: bool = False  # the time is a bare number with no "at" before it ("it's 3"): a guess


def prepare(text: str) -> str:
    """Lowercase, expand chat spellings of days and times, and blank out ordinals that are not dates."""
    low = text.lower()
    for pattern, repl in _FIXES_COMPILED:
        low = pattern.sub(repl, low)
    low = _OCLOCK.sub(lambda m: f"{_number(m.group(1))}:00", low)  # "3 o'clock", "14 o'clock": a clock time
    low = low.replace("o'clock", " ")
    low = _NOT_DATE.sub(" ", low)
    low = _ORDINAL_DAY.sub(_ordinal_digits, low)
    return " ".join(low.split())


def _ordinal_digits(m: re.Match[str]) -> str:
    groups = m.groups()
    i = next(i for i in (1, 3, 5) if groups[i])
    n = _ORDINAL_WORDS[" ".join(groups[i].split())]
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10 if n not in (11, 12, 13) else 0, "th")
    return f"{groups[i - 1] or ''}{n}{suffix}"


def _number(word: str) -> int:
    word = word.strip()
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word.removeprefix("a ").strip(), _NUMBER_WORDS.get(word, 0))


def _hour(h: int, ampm: str | None, context: str) -> int | None:
    """The 24-hour hour for ``h`` written with ``ampm`` (or none), read with the words around it."""
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
        return h % 12 + 12 if h != 12 else 12
    if 1 <= h <= 8:
        return h + 12
    return h


def _around(text: str, start: int, end: int, width: int = 24) -> str:
    return text[max(0, start - width) : end + width]


Span = tuple[int, int]
FOUND_KEPT = 256  # recent texts whose time and day readings are remembered (each is read several times a message)
TimeRule = tuple[re.Pattern[str], Callable[[re.Match[str], str], time | None]]


def _hm(m: re.Match[str], text: str) -> time | None:
    minute = int(m.group(2))
    dotted_date = (
        text[m.start(1) + len(m.group(1))] == "."
        and not m.group(3)
        and minute <= 12
        and (text[m.end(2) : m.end(2) + 1] == "." or int(m.group(1)) > 23)
    )
    h = _hour(int(m.group(1)), m.group(3), _around(text, m.start(), m.end()))
    return time(h, minute) if h is not None and minute < 60 and not dotted_date else None


def _h_ampm(m: re.Match[str], text: str) -> time | None:
    hour, ampm = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    h = _hour(_number(hour), ampm, text)
    return time(h, 0) if h is not None else None


def _word_hm(m: re.Match[str], text: str) -> time | None:
    h = _hour(_number(m.group(1)), m.group(3), _around(text, m.start(), m.end()))
    return time(h, _number(m.group(2))) if h is not None else None


def _military(m: re.Match[str], text: str) -> time | None:
    return time(int(m.group(1)), int(m.group(2)))


def _h24(m: re.Match[str], text: str) -> time | None:
    hour, minute = int(m.group(1)), int((*m.groups(), None)[1] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)  # "15h", "10h30", "9h": a 24-hour clock


def _relative_to_hour(m: re.Match[str], text: str) -> time | None:
    """Minutes before or after an hour: "a quarter past 3pm", "20 to 4", "half past eleven", "15 to noon"."""
    amount, direction, hour_word, ampm = m.group("amount"), m.group("dir"), m.group("hour"), m.group("ampm")
    minutes = 30 if amount == "half" else 15 if amount.endswith("quarter") else _number(amount)
    if not 0 < minutes < 60:
        return None
    if hour_word == "noon":
        base = 12
    else:
        h = _hour(_number(hour_word), ampm, _around(text, m.start(), m.end()))
        if h is None:
            return None
        base = h
    total = base * 60 + (minutes if direction in {"past", "after"} else -minutes)
    return time((total // 60) % 24, total % 60)


def _half_hour(m: re.Match[str], text: str) -> time | None:
    """British "half 3" = 3:30."""
    h = _hour(_number(m.group(1)), m.group(2), _around(text, m.start(), m.end()))
    return time(h, 30) if h is not None else None


def _bare_hour(m: re.Match[str], text: str) -> time | None:
    n = _number(m.group("h"))
    if not 1 <= n <= 12:
        return None
    h = _hour(n, None, _around(text, m.start(), m.end()))
    return time(h, 0) if h is not None else None


_MINUTE_WORDS = r"fifteen|thirty|forty[- ]five|forty|twenty[- ]five|twenty|ten|fifty|o five|oh five"
_AMOUNT = r"(?:a\s+)?quarter|half|5|10|15|20|25|five|ten|fifteen|twenty|twenty[- ]five"
_DAYISH = r"tonight|tomorrow|today|this (?:morning|afternoon|evening)|in the (?:morning|afternoon|evening)|at night"
_TIME_RULES: list[TimeRule] = [
    (
        re.compile(
            r"\b(?P<amount>" + _AMOUNT + r")(?:\s+min(?:ute)?s?)?\s+(?P<dir>past|after|to|till|til|before|of)\s+"
            r"(?P<hour>noon|" + _HOUR_RE + r")(?:\s*(?P<ampm>am|pm))?\b"
        ),
        _relative_to_hour,
    ),
    (re.compile(r"(?<![\d/.:])(\d{1,2})[:.h](\d{2})(?!\d)\s*(am|pm|a|p)?\b(?!\s*(?:%|k\b))"), _hm),
    (re.compile(r"(?<![\d/.:,])(\d{1,2})\s*(am|pm)\b|(?<![\d/.:,])(\d{1,2})(a|p)\b"), _h_ampm),
    (re.compile(r"\b(" + "|".join(_HOUR_WORDS) + r")\s+(am|pm)\b"), _h_ampm),
    (
        re.compile(r"\b(" + "|".join(_HOUR_WORDS) + r")\s+(" + _MINUTE_WORDS + r")\b(?:\s*(am|pm))?"),
        _word_hm,
    ),
    (re.compile(r"(?:\b(?:at|@)\s*|(?<![\d/.:-]))([01]\d|2[0-3])([0-5]\d)\s*(?:hours|h)\b"), _military),
    (re.compile(r"\b(?:at|@)\s*([01]\d|2[0-3])([0-5]\d)\b"), _military),
    (re.compile(r"\b(\d{1,2})\s*uhr\b"), _h24),
    (re.compile(r"(?<![\d.:/])(\d{1,2})h(\d{2})?\b"), _h24),
    (
        re.compile(r"\bhalf\s+(" + _HOUR_RE + r")\b(?!\s*(?:an?\b|hours?|minutes?|days?|weeks?))(?:\s*(am|pm))?"),
        _half_hour,
    ),
]
_AFTER_DAY = re.compile(
    r"\b(?:" + _WD_RE + r"|tomorrow|today|tonight|morning|afternoon|evening)"
    r"\s*(?:@|at)?\s*(?P<h>\d{1,2})\b(?!\s*(?:st|nd|rd|th|/|\.\d|:|%|k\b|people|engineers|of\b|-\d))"
)
_BARE_RULES: list[re.Pattern[str]] = [
    re.compile(r"(?<![\d/.:$£€-])\b(?P<h>" + _HOUR_RE + r")\s+(?:" + _DAYISH + r")\b"),
    re.compile(r"@\s*(?P<h>\d{1,2})\b(?![:/.]\d)"),
    _AFTER_DAY,
    re.compile(
        r"\b(?:at|@|around|by|about|for|ard|arnd|abt|starts?|starting|is|it's|its|like|before|after|until|till)\s+"
        r"(?:around\s+|about\s+)?(?P<h>" + _HOUR_RE + r")\b(?!\s*(?:/|\.\d|%|k\b|people|persons|engineers|"
        r"interviewers|of\b|hours?\b|days?\b|weeks?\b|minutes?\b|years?\b|months?\b|st\b|nd\b|rd\b|th\b|-\w|"
        + _WD_RE
        + r"|past\b))"
    ),
]


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def find_time(text: str) -> tuple[time | None, str]:
    """The clock time in ``text`` (prepared), and the text with it blanked out."""
    at, span, _ = _find_time(text)
    return at, (text if span is None else _blank(text, *span))


@functools.lru_cache(maxsize=FOUND_KEPT)  # (a message's text is read again by the entity tagger, the scheduler…)
def _find_time(text: str) -> tuple[time | None, Span | None, bool]:
    """The first clock time in ``text``, its span, and whether it is only a bare hour ("at 3")."""
    for pattern, read in _TIME_RULES:
        for m in pattern.finditer(text):
            at = read(m, text)
            if at is not None:
                return at, m.span(), False
    for pattern, point in _POINT_RES:
        hit = pattern.search(text)
        if hit:
            return point, hit.span(), False
    for pattern in _BARE_RULES:
        for m in pattern.finditer(text):
            at = _bare_hour(m, text)
            if at is not None:
                return at, m.span("h"), True
    return None, None, False


# --- ranges ("between 2 and 4", "2-4pm", "from 9:30 to 11") ---------------------------------------------------

_ATOM = r"(\d{1,2}|noon)(?:[:.](\d{2}))?\s*(am|pm|a|p)?"
_RANGES = [
    re.compile(r"\bbetween\s+" + _ATOM + r"\s*(?:and|&|-|to)\s*" + _ATOM + r"\b"),
    re.compile(r"\bfrom\s+" + _ATOM + r"\s*(?:to|till|til|until|-)\s*" + _ATOM + r"\b"),
    re.compile(
        r"(?<![\d/.:-])" + _ATOM + r"\s*(-|to|till|until)\s*" + _ATOM + r"\b(?![/.-]\d)"
        r"(?!\s*(?:people|persons|interviewers|interviews|rounds?|candidates|hours|days|weeks|months|years|minutes|"
        r"of\b|k\b|%|x\b|jobs?\b|shifts?\b))"
    ),
]


def _range(text: str) -> tuple[time, time, Span] | None:
    """A time range and its span: the start takes the end's am/pm when it has none."""
    for i, pattern in enumerate(_RANGES):
        for m in pattern.finditer(text):
            groups = [g if g != "noon" else "12" for g in m.groups()]
            if i == 2:
                groups.pop(3)  # the separator
            h1, m1, ap1, h2, m2, ap2 = groups
            if i == 2 and not (ap1 or ap2 or m1 or m2) and (int(h1) > 12 or int(h2) > 12):
                continue  # "13-15" is no range of bare hours
            context = _around(text, m.start(), m.end())
            start_h = _hour(int(h1), ap1, context) if ap1 or not ap2 else _hour(int(h1), ap2, context)
            if start_h is None:
                continue
            if (
                ap2
                and not ap1
                and (start_h * 60 + int(m1 or 0)) >= ((_hour(int(h2), ap2, "") or 0) * 60 + int(m2 or 0))
            ):
                start_h = (start_h + 12) % 24  # "11-1pm": the start is 11am
            start = time(start_h, int(m1 or 0))
            end = _range_end(int(h2), int(m2 or 0), ap2 or (ap1 if int(h2) > int(h1) else None), start)
            if end is not None and int(m1 or 0) < 60:
                return start, end, m.span()
    return None


def _range_end(h: int, minute: int, ampm: str | None, start: time) -> time | None:
    if minute > 59:
        return None
    if ampm:
        hour = _hour(h, ampm, "")
        candidates = [hour] if hour is not None else []
    else:
        candidates = [h % 12, h % 12 + 12] if h <= 12 else [h]
    for hour in sorted(c for c in candidates if c is not None and c < 24):
        end = time(hour, minute)
        if end > start:
            return end
    return None


# --- zones ---------------------------------------------------------------------------------------------


_ZONE_WORDS = re.compile(r"\s*\(?\s*((?:utc|gmt)\s*[+-]\s*\d{1,2}(?::?\d{2})?|[a-z]+(?:\s+[a-z]+){0,3})")
_AFTER_GENERIC = re.compile(r"\s*(?:$|[,.;!?)]|(?:on|tomorrow|today|tonight|this|next|at|for|with|" + _WD_RE + r")\b)")


def _zone_after(text: str, end: int) -> tuple[tzinfo, str, Span] | None:
    """A zone written right after a time ("3pm EST", "10:00 (CET)", "9am london time", "2pm UTC+1")."""
    m = _ZONE_WORDS.match(text, end)
    if not m:
        return None
    words = m.group(1).split()
    for size in range(len(words), 0, -1):
        phrase = " ".join(words[:size])
        zone = zone_of_time(phrase)
        stop = (
            m.start(1) + len(phrase)
            if size == len(words)
            else text.index(words[size - 1], m.start(1)) + len(words[size - 1])
        )
        if zone is None:
            continue
        if size == 1 and len(phrase) > 4 and not _AFTER_GENERIC.match(text, stop):
            continue  # "central park", "pacific heights": a place, not a zone
        if stop < len(text) and text[stop] == ")":
            stop += 1
        return zone, phrase, (end, stop)
    return None


def _convert(day: date, at: time, source: tzinfo, tz: str) -> tuple[date, time]:
    local = datetime.combine(day, at, tzinfo=source).astimezone(ZoneInfo(tz))
    return local.date(), local.time().replace(second=0, microsecond=0)


# --- days ----------------------------------------------------------------------------------------------


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


def _next_weekday(today: date, weekday: int) -> date:
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _last_weekday(today: date, weekday: int) -> date:
    back = (today.weekday() - weekday) % 7
    return today - timedelta(days=back or 7)


def _monday_next_week(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date | None:
    """The ``n``th (1-5, or -1 for last) ``weekday`` of a month."""
    if n > 0:
        first = date(year, month, 1)
        d = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
        return d if d.month == month else None
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    year, month = d.year + month // 12, month % 12 + 1
    return min(date(year, month, 1) + timedelta(days=d.day - 1), _month_end(year, month))


def _easter(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    return date(year, month, (h + ell - 7 * m + 114) % 31 + 1)


# holidays people schedule around: a fixed (month, day), an nth weekday of a month, or Easter-based
_HOLIDAYS: list[tuple[str, Callable[[int], date | None]]] = [
    (r"christmas eve|xmas eve", lambda y: date(y, 12, 24)),
    (r"christmas(?: day)?|xmas(?: day)?", lambda y: date(y, 12, 25)),
    (r"boxing day", lambda y: date(y, 12, 26)),
    (r"new year'?s eve|nye", lambda y: date(y, 12, 31)),
    (r"new year'?s(?: day)?", lambda y: date(y, 1, 1)),
    (r"valentine'?s(?: day)?", lambda y: date(y, 2, 14)),
    (r"st\.? patrick'?s(?: day)?", lambda y: date(y, 3, 17)),
    (r"halloween", lambda y: date(y, 10, 31)),
    (r"independence day|(?:the )?(?:4th|fourth) of july|july (?:4th|fourth)", lambda y: date(y, 7, 4)),
    (r"juneteenth", lambda y: date(y, 6, 19)),
    (r"veterans'? day", lambda y: date(y, 11, 11)),
    (r"thanksgiving(?: day)?", lambda y: _nth_weekday(y, 11, 3, 4)),
    (r"black friday", lambda y: (_nth_weekday(y, 11, 3, 4) or date(y, 11, 1)) + timedelta(days=1)),
    (r"memorial day", lambda y: _nth_weekday(y, 5, 0, -1)),
    (r"labou?r day", lambda y: _nth_weekday(y, 9, 0, 1)),
    (r"(?:mlk|martin luther king(?: jr\.?)?)(?: jr\.?)? day", lambda y: _nth_weekday(y, 1, 0, 3)),
    (r"presidents'? day", lambda y: _nth_weekday(y, 2, 0, 3)),
    (r"columbus day|indigenous peoples'? day", lambda y: _nth_weekday(y, 10, 0, 2)),
    (r"mother'?s day", lambda y: _nth_weekday(y, 5, 6, 2)),
    (r"father'?s day", lambda y: _nth_weekday(y, 6, 6, 3)),
    (r"easter monday", lambda y: _easter(y) + timedelta(days=1)),
    (r"easter(?: sunday)?", _easter),
    (r"good friday", lambda y: _easter(y) - timedelta(days=2)),
]
_HOLIDAY_RES = [(re.compile(r"\b(?:" + p + r")\b"), f) for p, f in _HOLIDAYS]  # the more specific first


@dataclass(frozen=True)
class _Ctx:
    today: date
    month_first: bool


DayRule = tuple[re.Pattern[str], Callable[[re.Match[str], _Ctx], date | None]]


def _iso_date(m: re.Match[str], c: _Ctx) -> date | None:
    return _safe_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))


def _year(text: str | None) -> int | None:
    if not text:
        return None
    y = int(text.strip(" ,'"))
    return y + 2000 if y < 100 else y


def _numeric(m: re.Match[str], c: _Ctx) -> date | None:
    a, b = int(m.group(1)), int(m.group(2))
    month, day = (a, b) if c.month_first else (b, a)
    if month > 12 >= day:
        month, day = day, month
    year = _year(m.group(3))
    return _safe_date(year, month, day) if year else _future(c.today.year, month, day, c.today)


def _dotted(m: re.Match[str], c: _Ctx) -> date | None:
    day, month = int(m.group(1)), int(m.group(2))
    year = _year(m.group(3))
    return _safe_date(year, month, day) if year else _future(c.today.year, month, day, c.today)


def _month_day(m: re.Match[str], c: _Ctx) -> date | None:
    month = _MONTH_ALIASES[m.group("m1") or m.group("m2")]
    day = int(m.group("d1") or m.group("d2"))
    year = _year(m.group("y"))
    return _safe_date(year, month, day) if year else _future(c.today.year, month, day, c.today)


def _nth_weekday_of(m: re.Match[str], c: _Ctx) -> date | None:
    n, weekday, which = _ORDINALS[m.group(1)], _WD[m.group(2)], m.group(3)
    if which in {"the month", "this month"}:
        return _nth_weekday(c.today.year, c.today.month, weekday, n)
    if which == "next month":
        first = _add_months(c.today.replace(day=1), 1)
        return _nth_weekday(first.year, first.month, weekday, n)
    month = _MONTH_ALIASES[which]
    d = _nth_weekday(c.today.year, month, weekday, n)
    if d is not None and d < c.today:
        d = _nth_weekday(c.today.year + 1, month, weekday, n)
    return d


def _day_of_month_named(m: re.Match[str], c: _Ctx) -> date | None:
    """The first or last day of a month: "the last day of july", "the first day of next month"."""
    first_or_last, which = m.group(1), m.group(2)
    if which in {"the month", "this month"}:
        year, month = c.today.year, c.today.month
    elif which == "next month":
        nxt = _add_months(c.today.replace(day=1), 1)
        year, month = nxt.year, nxt.month
    else:
        month = _MONTH_ALIASES[which]
        year = c.today.year if _month_end(c.today.year, month) >= c.today else c.today.year + 1
    return date(year, month, 1) if first_or_last == "first" else _month_end(year, month)


def _holiday(read: Callable[[int], date | None]) -> Callable[[re.Match[str], _Ctx], date | None]:
    def run(m: re.Match[str], c: _Ctx) -> date | None:
        d = read(c.today.year)
        if d is not None and d < c.today:
            d = read(c.today.year + 1)
        return d

    return run


def _unit_days(unit: str) -> int:
    return {"day": 1, "week": 7, "fortnight": 14}[unit]


def _offset(unit: str, n: int, base: date) -> date:
    return _add_months(base, n) if unit == "month" else base + timedelta(days=n * _unit_days(unit))


def _weekday_base(word: str, today: date) -> date:
    """The day an offset counts from: now/today, tomorrow, or a weekday's next occurrence."""
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word in _WD:
        return _next_weekday(today, _WD[word])
    return today


def _from_base(m: re.Match[str], c: _Ctx) -> date | None:
    """An offset from a day: "a week from friday", "3 days from now", "two weeks from tomorrow"."""
    return _offset(m.group(2), _number(m.group(1)), _weekday_base(m.group(3), c.today))


def _weekdays_from_now(m: re.Match[str], c: _Ctx) -> date | None:
    """The nth weekday to come: "3 fridays from now" is the third Friday."""
    n = _number(m.group(1))
    return _next_weekday(c.today, _WD[m.group(2)]) + timedelta(days=7 * (n - 1)) if n >= 1 else None


def _hence(m: re.Match[str], c: _Ctx) -> date | None:
    return _offset(m.group(2), _number(m.group(1)), c.today)


def _ago(m: re.Match[str], c: _Ctx) -> date | None:
    return _offset(m.group(2), -_number(m.group(1)), c.today)


def _in_n(m: re.Match[str], c: _Ctx) -> date | None:
    return _offset(m.group(2), _number(m.group(1)), c.today)


def _weekday(m: re.Match[str], c: _Ctx) -> date | None:
    """A weekday with what stands around it ("next", "this coming", "of next week", "after next", "last")."""
    before, word, after = m.group("before") or "", m.group("wd"), m.group("after") or ""
    wd = _WD[word]
    if before.endswith("last") or before == "past" or after == "before last":
        d = _last_weekday(c.today, wd)
        return d - timedelta(days=7) if after == "before last" else d
    if "next week" in after or before.startswith("next week"):
        return _monday_next_week(c.today) + timedelta(days=wd)
    if after in {"this week", "of this week"}:
        return c.today + timedelta(days=wd - c.today.weekday())
    d = _next_weekday(c.today, wd)
    if after == "after next":
        return d + timedelta(days=7)
    if before in {"this", "on"} and wd == c.today.weekday():
        return c.today if before == "this" else d
    return d


def _ordinal(m: re.Match[str], c: _Ctx) -> date | None:
    """A day of the month: "the 15th" (this month, or next once passed); "monday the 16th" checks the weekday."""
    n = int(m.group(2))
    wd = _WD.get(m.group(1) or "")
    if wd is not None:
        return _weekday_on_day(wd, n, c.today)
    return _day_of_month(n, c.today)


_DAY_RULES: list[DayRule] = [
    (re.compile(r"\b((?:19|20)\d{2})([-/.])(\d{1,2})\2(\d{1,2})\b"), _iso_date),
    (re.compile(r"(?<![\d.:/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])"), _numeric),
    (re.compile(r"(?<![\d.:/-])(\d{1,2})-(\d{1,2})-(\d{4}|\d{2})(?![\d-])"), _numeric),
    (re.compile(r"(?<![\d.:])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?(?!\d)"), _dotted),
    (
        re.compile(
            r"\b(?:the\s+)?(" + _ORD_RE + r")\s+(" + _WD_RE + r")s?\s+(?:of|in)\s+"
            r"(the month|this month|next month|" + _MONTH_RE + r")\b"
        ),
        _nth_weekday_of,
    ),
    (
        re.compile(r"\b(?:the\s+)?(first|last)\s+day\s+of\s+(the month|this month|next month|" + _MONTH_RE + r")\b"),
        _day_of_month_named,
    ),
    (
        re.compile(
            r"(?:\b(?P<m1>" + _MONTH_RE + r")\.?\s+(?:the\s+)?(?P<d1>\d{1,2})(?:st|nd|rd|th)?\b(?!\s*(?:am|pm|:|\.\d))"
            r"|\b(?:the\s+)?(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+|day of\s+)?(?P<m2>" + _MONTH_RE + r")\b\.?)"
            r"(?P<y>,?\s*(?:20\d{2}|19\d{2}|'\d{2})\b)?"
        ),
        _month_day,
    ),
    *[(p, _holiday(f)) for p, f in _HOLIDAY_RES],
    (
        re.compile(
            r"\b("
            + _NUM_RE
            + r")\s+(day|week|fortnight|month)s?\s+(?:from|after)\s+(now|today|tomorrow|"
            + _WD_RE
            + r")\b"
        ),
        _from_base,
    ),
    (re.compile(r"\b(" + _NUM_RE + r")\s+(" + _WD_RE + r")s\s+from\s+(?:now|today)\b"), _weekdays_from_now),
    (
        re.compile(
            r"\b(?:(?:a|one)\s+week\s+on\s+("
            + _WD_RE
            + r"|tomorrow)|("
            + _WD_RE
            + r"|tomorrow)\s+week)\b(?!\s*(?:of|end|ends)\b)"
        ),
        lambda m, c: _weekday_base(m.group(1) or m.group(2), c.today) + timedelta(days=7),
    ),
    (re.compile(r"\b(" + _NUM_RE + r")\s+(day|week|fortnight|month)s?\s+(?:hence|from now|later)\b"), _hence),
    (re.compile(r"\b(" + _NUM_RE + r")\s+(day|week|fortnight|month)s?\s+ago\b"), _ago),
    (re.compile(r"\bin\s+(?:about\s+)?(" + _NUM_RE + r")\s+(day|week|fortnight|month)s?\b"), _in_n),
    (
        re.compile(r"\b(?:today|tomorrow)\s+(?:in\s+)?(?:a|one)\s+week\b|\bthis\s+time\s+next\s+week\b"),
        lambda m, c: c.today + timedelta(days=8 if m.group(0).startswith("tomorrow") else 7),
    ),
    (re.compile(r"\bday after tomorrow\b"), lambda m, c: c.today + timedelta(days=2)),
    (re.compile(r"\bday before yesterday\b"), lambda m, c: c.today - timedelta(days=2)),
    (re.compile(r"\btomorrow\b"), lambda m, c: c.today + timedelta(days=1)),
    (re.compile(r"\byesterday\b"), lambda m, c: c.today - timedelta(days=1)),
    (re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b"), lambda m, c: c.today),
    (
        re.compile(
            r"\b(?:("
            + _WD_RE
            + r")s?,?\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?(?:"
            + _MONTH_RE
            + r"))"
        ),
        _ordinal,
    ),
    (
        re.compile(
            r"\b(?P<before>next week(?: on)?|this coming|the coming|coming|this|next|on|last|past|the)?\s*"
            r"\b(?P<wd>" + _WD_RE + r")s?\b(?!\.\w)\.?"
            r"(?:\s+(?P<after>(?:of\s+)?next week|(?:of\s+)?this week|after next|before last))?"
        ),
        _weekday,
    ),
]

_VAGUE = re.compile(
    r"\b(?:next|this|coming|following|the following)\s+(?:week|month|year|weekend|quarter)\b"
    r"|\bweek-?ends?\b|\bsometime\b|\bsome time\b|\bsoon\b|\bcoming (?:days|weeks)\b|\bnext few (?:days|weeks)\b"
    r"|\b(?:end|beginning|start|middle|mid|early|late|later|rest)\s*-?\s*(?:of\s+)?(?:the\s+)?"
    r"(?:this\s+|next\s+|coming\s+)?(?:week|month|year|" + _MONTH_RE + r")\b"
    r"|\b(?:first|second|third|last)\s+week\s+of\b|\bq[1-4]\b|\b(?:spring|summer|autumn|fall|winter)\b"
    r"|\b(?:in|during|by|before|until)\s+(?:" + _MONTH_RE + r")\b(?!\s*\d)"
    r"|\b(?:" + _MONTH_RE + r")\.?,?\s+(?:19|20)\d{2}\b"
    r"|\b(?:a\s+)?(?:couple(?:\s+of)?|few|several|some)\s+(?:more\s+)?(?:days|weeks|months|hours)\b"
    r"|\bin\s+(?:a|one)\s+(?:week|month)\s+or\s+(?:two|so)\b|\bwithin\s+(?:a|the|" + _NUM_RE + r")\b"
)


def find_day(text: str, today: date, month_first: bool) -> tuple[date | None, bool]:
    """The day in ``text`` (prepared, time removed), and whether a date was attempted at all."""
    day, span, _ = _find_day(text, today, month_first)
    return day, span is not None


_DAYS_AROUND = re.compile(r"(?:\bthe\s+)?\b(?:(" + _NUM_RE + r")\s+)?(day|week)s?\s+(after|before)\s+(?:the\s+)?$")
_BOUND = re.compile(r"\b(?:before|after|until|till|til|no later than|not before)\s+(?:the\s+)?$")
_OR_NEXT = re.compile(r"\s*(?:,\s*)?(?:or|and/or|/)\s+(?:maybe\s+|possibly\s+|on\s+)?")


@functools.lru_cache(maxsize=FOUND_KEPT)  # (pure: the same text and day give the same reading)
def _find_day(text: str, today: date, month_first: bool) -> tuple[date | None, Span | None, bool]:
    """The first day expression in ``text``, its span, and whether the words around it name no single day.

    "the day after <day>" / "2 days before <day>" move the day; "<day> or <day>" and "before <day>"
    name no single day.
    """
    ctx = _Ctx(today, month_first)
    for pattern, read in _DAY_RULES:
        m = pattern.search(text)
        if m:
            day, (start, end) = read(m, ctx), m.span()
            around = _DAYS_AROUND.search(text, 0, start)
            if not around and _BOUND.search(text, 0, start):
                return None, (start, end), True  # "before christmas", "after friday": no single day
            if around and day is not None:
                n = _number(around.group(1)) if around.group(1) else 1
                n *= 7 if around.group(2) == "week" else 1
                day, start = day + timedelta(days=n if around.group(3) == "after" else -n), around.start()
            alternative = _OR_NEXT.match(text, end)
            if alternative and any(p.match(text, alternative.end()) for p, _ in _DAY_RULES):
                return None, (start, end), True  # "thursday or friday": the bot asks which
            return day, (start, end), False
    return None, None, False


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


# --- putting it together -------------------------------------------------------------------------------

_BARE_TRUSTED = re.compile(r"\b(?:at|@|around|about|by|ard|arnd|abt)\s+(?:around\s+|about\s+)?\d|@")
_WEEK_OF = re.compile(r"\b(?:the\s+)?week(?:-?end)?\s+of\b")
_WEEKDAY_WORD = re.compile(r"\b(" + _WD_RE + r")s?\b")
_RELATIVE_TIME = re.compile(
    r"\b(?:in\s+(?:about\s+)?(?P<n>\d+\.\d+|"
    + _NUM_RE
    + r"|half an?)\s+(?P<unit>hours?|minutes?)(?P<half>\s+and\s+a\s+half)?"
    r"|(?P<n2>\d+\.\d+|" + _NUM_RE + r"|half an?)\s+(?P<unit2>hours?|minutes?)(?P<half2>\s+and\s+a\s+half)?"
    r"\s+from\s+now)\b"
)
# a month name touching a number in a shape the grammar does not read ("14-Mar", "Mar-14"): dateparser's turn
_MONTH_NUMBER = re.compile(
    r"\b(?:" + _MONTH_RE + r")\b[\s\-./,]*\d|\d(?:st|nd|rd|th)?[\s\-./,]*(?:of\s+)?(?:" + _MONTH_RE + r")\b"
)


def _relative_time(text: str, now: datetime) -> datetime | None:
    """A moment counted from now: "in 2 hours", "in half an hour", "45 minutes from now"."""
    m = _RELATIVE_TIME.search(text)
    if not m:
        return None
    amount, unit = m.group("n") or m.group("n2"), m.group("unit") or m.group("unit2")
    n = 0.5 if amount.startswith("half") else float(amount) if "." in amount else float(_number(amount))
    n += 0.5 if m.group("half") or m.group("half2") else 0
    if n <= 0:
        return None
    return now + (timedelta(hours=n) if unit.startswith("hour") else timedelta(minutes=n))


def _read(text: str, now: datetime, tz: str) -> Found:
    """The grammar's reading of ``text`` (prepared): day, time, range end, zone, or a problem."""
    later = _relative_time(text, now)
    if later is not None:
        return Found(later.date(), later.time().replace(second=0, microsecond=0), True)
    end: time | None = None
    at: time | None
    span: tuple[int, int] | None
    bare = False
    ranged = _range(text)
    if ranged is not None:
        at, end, span = ranged
    else:
        at, span, bare = _find_time(text)
    zone = _zone_after(text, span[1]) if at is not None and span is not None else None
    rest = text
    if span is not None:
        rest = _blank(rest, *span)
    if zone is not None:
        rest = _blank(rest, *zone[2])
    week_of = _WEEK_OF.search(rest)
    if week_of is not None:  # "the week of the 4th": a day only when a weekday is named too
        anchor, anchor_span, _ = _find_day(rest[week_of.end() :], now.date(), month_first(tz))
        cut = week_of.end() + (anchor_span[1] if anchor_span else 0)
        named = _WEEKDAY_WORD.search(_blank(rest, week_of.start(), cut))
        if anchor is None or named is None:
            return Found(None, None, True, problem="vague")
        rest = _blank(rest, week_of.start(), cut)
        rest = (
            rest[: named.start()]
            + str(anchor - timedelta(days=anchor.weekday() - _WD[named.group(1)]))
            + rest[named.end() :]
        )
    day, day_span, no_single_day = _find_day(rest, now.date(), month_first(tz))
    attempted = day_span is not None
    if no_single_day:
        return Found(None, None, True, problem="vague")
    others = day_span is not None and _find_day(_blank(rest, *day_span), now.date(), month_first(tz))[1] is not None
    others = others or (span is not None and _find_time(rest)[0] is not None)
    weak = bare and span is not None and not _BARE_TRUSTED.search(_around(text, *span, width=12))
    month_number = _MONTH_NUMBER.search(rest) if day is None and not attempted and USE_FALLBACK else None
    if month_number is not None and not _VAGUE.search(rest):
        day, attempted = _dateparser_day(_words_around(rest, *month_number.span()), now.date()), True
    problem = "vague" if not attempted and _VAGUE.search(rest) else None
    if problem:
        return Found(None, None, True, problem=problem)
    if zone is not None and at is not None:
        source, name = zone[0], zone[1]
        if day is None:
            here = datetime.combine(now.date(), now.time(), tzinfo=ZoneInfo(tz)).astimezone(source)
            day = here.date() if at > here.time() else here.date() + timedelta(days=1)
        if end is not None:
            _, end = _convert(day, end, source, tz)
        day, at = _convert(day, at, source, tz)
        return Found(day, at, attempted, end, name, others=others)
    return Found(day, at, attempted, end, others=others, weak=weak)


def _words_around(text: str, start: int, end: int) -> str:
    """The whole words that ``text[start:end]`` touches, and a year right after them."""
    left = text.rfind(" ", 0, start) + 1
    m = re.match(r"\S*(?:\s+(?:19|20)\d{2}\b)?", text[end:])
    return text[left : end + (m.end() if m else 0)]


def _dateparser_day(text: str, today: date) -> date | None:
    """A month-name date the grammar could not read, by ``dateparser`` (imported only here: 20 MB)."""
    import dateparser  # lazy on purpose: most messages never need it

    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime.combine(today, time(12)),
            "REQUIRE_PARTS": ["day", "month"],
        },
    )
    return parsed.date() if parsed else None


def resolve(text: str, now: datetime, tz: str) -> Found:
    """Read the day and clock time in ``text`` relative to ``now`` (naive wall clock in ``tz``)."""
    prepared = prepare(text)
    moved = moved_to(prepared)
    if moved is not None:
        new_part, old_part = moved
        found = _read(new_part, now, tz)
        if found.at is None and found.problem is None:
            lead = re.match(r"\s*(\d{1,2})\b(?![:/.]\d)", new_part)
            if lead and 1 <= int(lead.group(1)) <= 12:
                h = _hour(int(lead.group(1)), None, new_part)
                rest = _read(new_part[lead.end() :], now, tz)
                found = Found(rest.day, time(h, 0) if h is not None else None, rest.attempted)
        if found.day is None and not found.attempted and found.at is not None:
            old = _read(old_part, now, tz)  # "from 2pm to 4pm tomorrow"
            found = Found(old.day, found.at, old.attempted, found.end, found.zone)
        if found.day is not None or found.at is not None or found.problem is not None:
            return found
    return _read(prepared, now, tz)


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
    m = _CORRECTION.search(prepared)
    if m:
        return m.group("new"), m.group("old")
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
    if found.problem is not None or (found.day is None and (found.at is None or found.attempted)):
        return None  # nothing said, no single day, or a date that does not exist
    if found.day is None:
        assert found.at is not None
        day = now.date() if found.at > now.time() else now.date() + timedelta(days=1)
        return When(day, found.at, found.end)
    return When(found.day, found.at, found.end if found.at is not None else None)


def interview_when(
    text: str, when_parts: list[str], now: datetime, tz: str
) -> tuple[When | None, str | None, str | None]:
    """The interview's day and time in a message, the date words it was read from, and a problem.

    ``when_parts`` are the stretches the entity tagger marked as date/time; the whole ``text`` fills in
    what they miss (the tagger may catch only the day, only the time, or leave out the zone). The
    problem says why date words gave no single day ("vague", "unreadable"), else None.
    """
    when_text = " ".join(when_parts) or None
    whole = resolve(text, now, tz)
    part = resolve(when_text, now, tz) if when_text else None
    found: Found | None
    trusted = whole.day is not None or (whole.at is not None and (when_text is not None or not whole.weak))
    if whole.problem is not None or (not whole.others and trusted):
        found = whole  # one date expression in the message: the grammar reads it whole, zone and range included
    elif part is None or (part.day is None and part.at is None and part.problem is None):
        # the tagger marked nothing readable; a bare number outside any date words is not trusted
        found = whole if trusted else None
    elif moved_to(prepare(text)) is not None and (whole.day is not None or whole.at is not None):
        found = whole  # "moved from 2pm to 4pm tomorrow": the whole sentence says which is new
    else:
        found = part  # several dates: the tagger's words say which; the rest of the message fills gaps
        if part.problem is None and part.day is not None and part.at is None and whole.at is not None:
            if whole.day in (None, part.day):
                found = Found(part.day, whole.at, True, whole.end)
        elif part.problem is None and part.day is None and part.at is not None and whole.day is not None:
            found = Found(whole.day, part.at, True, part.end)
    when = to_when(found, now) if found is not None else None
    problem = None
    if when is None and found is not None and found.problem is not None:
        problem = found.problem
    elif when is None and when_text:
        problem = "unreadable"
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
