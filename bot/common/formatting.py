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
        parts.append(SETTING_WORDS.get(interview.setting, interview.setting))
    return ", ".join(parts)
