"""How dates, times and interviews are written in replies."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.common import markup

if TYPE_CHECKING:
    from bot.storage.models import Interview

SETTING_WORDS = {
    "informal": "in an informal setting (a meal or drinks)",
    "video": "on a video call",
    "phone": "by phone",
    "onsite": "on site",
}


# how a setting named in the student's own words is written back ("dinner" → "over dinner")
_AT_A = frozenset({"bar", "pub", "restaurant", "cafe", "café", "bistro", "coffee shop"})
_ONE = frozenset(
    {
        "meal",
        "drink",
        "beer",
        "coffee chat",
        "video call",
        "zoom call",
        "teams call",
        "meet call",
        "video chat",
        "phone call",
        "call",
        "phone screen",
        "site visit",
        "office visit",
        "office tour",
        "virtual onsite",
        "virtual on-site",
        "lunch meeting",
        "dinner meeting",
        "dinner interview",
        "lunch interview",
        "video interview",
        "virtual interview",
        "online interview",
        "remote interview",
        "telephone interview",
        "phone interview",
    }
)
_ADVERB = {
    "virtual": "virtually",
    "remote": "remotely",
    "phone": "by phone",
    "telephone": "by telephone",
    "video": "on video",
    "vc": "on a video call",
    "f2f": "face to face",
}
_THEIR = frozenset(
    {
        "office",
        "offices",
        "hq",
        "headquarters",
        "head office",
        "campus",
        "plant",
        "factory",
        "lab",
        "studio",
        "warehouse",
        "store",
        "building",
        "site",
    }
)
_PREPOSITIONS = (
    "over ",
    "at ",
    "in ",
    "on ",
    "by ",
    "via ",
    "face",
    "online",
    "virtually",
    "remotely",
    "onsite",
    "on-site",
)


def _article(words: str) -> str:
    return f"an {words}" if words[:1].lower() in "aeiou" else f"a {words}"


def setting_phrase(setting: str | None, words: str | None = None) -> str:
    """Where an interview happens, in the student's own words when known ("over dinner", "on Zoom", "by phone").

    Without their words, the category's description ("in an informal setting (a meal or drinks)").
    """
    w = " ".join((words or "").split())
    low = w.lower()
    if not w:
        return SETTING_WORDS.get(setting, setting) if setting else ""
    if low.startswith(_PREPOSITIONS) or low in {"in person", "in-person", "onsite", "on-site"}:
        return w
    if low in _ADVERB:
        return _ADVERB[low]
    if low in _ONE:
        return _article(w)
    if low in _AT_A:
        return f"at a {w}"
    if low in {"the office", "their office"}:
        return f"at {w}"
    if setting == "informal":
        return f"at {w}" if low == "happy hour" else f"over {w}"
    if setting == "video":
        return f"on {w}"
    if setting == "onsite" and low in _THEIR:
        return f"at their {w}"
    return SETTING_WORDS.get(setting, setting) if setting else w


def setting_name(setting: str | None, words: str | None = None) -> str:
    """The setting as a noun phrase, for "since it's …": "a dinner", "drinks", "a Zoom call", "a video call"."""
    w = " ".join((words or "").split())
    low = w.lower()
    if setting == "informal" and w and not low.startswith(_PREPOSITIONS):
        if low.endswith("s") or low in {"happy hour", "food", "tea"}:
            return w
        return w if low.startswith(("a ", "an ")) else _article(w)
    return {
        "informal": "an informal setting",
        "video": "a video call",
        "phone": "a phone call",
        "onsite": "at their office",
    }.get(setting or "", "")


def setting_of(interview: Interview) -> str:
    """Where an interview happens, as the student named it (see :func:`setting_phrase`)."""
    return setting_phrase(interview.setting, interview.setting_words)


def clock(dt: datetime) -> str:
    """``3:00 PM`` style."""
    hour = dt.hour % 12 or 12
    return f"{hour}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"


def day(d: date, today: date | None = None) -> str:
    """``Friday 6 March`` style, with "today"/"tomorrow" when it applies, and the year if not this one."""
    text = f"{d:%A} {d.day} {d:%B}"
    if today is not None and d.year != today.year:
        text += f" {d.year}"
    if today is not None:
        if d == today:
            text = f"today, {text}"
        elif (d - today).days == 1:
            text = f"tomorrow, {text}"
    return text


def when(interview: Interview, today: date | None = None) -> str:
    """The interview's date and time in its own time zone, or a note that it is unknown."""
    if interview.local_start is None:
        return "date not set yet"
    text = day(interview.local_start.date(), today)
    if interview.has_time:
        text += f", {clock(interview.local_start)}"
    return text


def utc_in_zone(dt: datetime, tz: str) -> datetime:
    """An aware datetime shown in ``tz``."""
    return dt.astimezone(ZoneInfo(tz))


def people(names: list[str] | tuple[str, ...]) -> str:
    """``Sarah Chen, Tom and the CTO`` (escaped)."""
    safe = [markup.literal(n) for n in names]
    if len(safe) <= 1:
        return "".join(safe)
    return ", ".join(safe[:-1]) + " and " + safe[-1]


def company(interview: Interview) -> str:
    """The company name, escaped, or a placeholder."""
    return markup.literal(interview.company) if interview.company else "(company not set)"


def summary(interview: Interview, today: date | None = None) -> str:
    """One line about an interview: company, when, who, where."""
    parts = [f"**{company(interview)}**: {when(interview, today)}"]
    if interview.interviewers:
        parts.append(f"with {people(interview.interviewers)}")
    if interview.setting:
        parts.append(setting_of(interview))
    return ", ".join(parts)
