"""Finding an IANA time zone in what a user typed ("Europe/Berlin", "berlin", "EST")."""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

ALIASES = {
    "utc": "UTC",
    "gmt": "UTC",
    "est": "America/New_York",
    "edt": "America/New_York",
    "eastern": "America/New_York",
    "et": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "central": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mountain": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "bst": "Europe/London",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "ist": "Asia/Kolkata",
    "aest": "Australia/Sydney",
    "jst": "Asia/Tokyo",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "dc": "America/New_York",
    "atlanta": "America/New_York",
    "miami": "America/New_York",
    "austin": "America/Chicago",
    "dallas": "America/Chicago",
    "houston": "America/Chicago",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "milan": "Europe/Rome",
    "barcelona": "Europe/Madrid",
    "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "san diego": "America/Los_Angeles",
    "portland": "America/Los_Angeles",
}


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name in available_timezones():
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or "/" not in name:
            continue
        index[name.lower()] = name
        city = name.rsplit("/", 1)[-1].replace("_", " ").lower()
        index.setdefault(city, name)
    index["utc"] = "UTC"
    index.update(ALIASES)
    return index


@cache
def all_zones() -> tuple[str, ...]:
    """Every IANA zone name a user would pick, sorted (for autocomplete)."""
    return tuple(
        [
            *sorted(
                n
                for n in available_timezones()
                if "/" in n and not n.startswith(("Etc/", "SystemV/", "posix/", "right/"))
            ),
            "UTC",
        ]
    )


_ZONE_LIKE = re.compile(r"\b[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?\b")


def find_zone(text: str) -> str | None:
    """The time zone a message names, if any (an IANA name, a city, or a common abbreviation)."""
    index = _index()
    for match in _ZONE_LIKE.findall(text):
        if match.lower() in index:
            return index[match.lower()]
    words = re.findall(r"[a-z]+", text.lower())
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size])
            if phrase in index:
                return index[phrase]
    return None


def zone_like(text: str) -> str | None:
    """Something in ``text`` shaped like a zone name (``Mars/Base``), known or not."""
    match = _ZONE_LIKE.search(text)
    return match.group(0) if match else None


def suggest(prefix: str, limit: int = 25) -> list[str]:
    """Zones matching what was typed so far (for autocomplete)."""
    low = prefix.lower().replace(" ", "_")
    zones = all_zones()
    starts = [z for z in zones if z.lower().startswith(low) or z.lower().split("/")[-1].startswith(low)]
    rest = [z for z in zones if low in z.lower() and z not in starts]
    return (starts + rest)[:limit]


# Zones written after a clock time ("3pm EST", "10:00 CET", "9am london time"). People write "EST" all
# year round for New York time, so an abbreviation names the place and its clock on that date (EST or
# EDT, CET or CEST, whichever is in force); only GMT/UTC and "UTC+2" are fixed offsets.
TIME_ZONE_WORDS = {
    "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York", "eastern": "America/New_York",
    "eastern standard": "America/New_York", "eastern daylight": "America/New_York",
    "cst": "America/Chicago", "cdt": "America/Chicago", "ct": "America/Chicago", "central": "America/Chicago",
    "central standard": "America/Chicago", "central daylight": "America/Chicago",
    "mst": "America/Denver", "mdt": "America/Denver", "mt": "America/Denver", "mountain": "America/Denver",
    "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "pacific standard": "America/Los_Angeles",
    "pacific daylight": "America/Los_Angeles", "akst": "America/Anchorage", "hst": "Pacific/Honolulu",
    "bst": "Europe/London", "british summer": "Europe/London", "uk": "Europe/London", "british": "Europe/London",
    "wet": "Europe/Lisbon", "west": "Europe/Lisbon",
    "cet": "Europe/Berlin", "cest": "Europe/Berlin", "central european": "Europe/Berlin",
    "central european summer": "Europe/Berlin", "european": "Europe/Berlin", "europe": "Europe/Berlin",
    "eet": "Europe/Athens", "eest": "Europe/Athens", "msk": "Europe/Moscow", "gst": "Asia/Dubai",
    "ist": "Asia/Kolkata", "india standard": "Asia/Kolkata", "india": "Asia/Kolkata", "indian": "Asia/Kolkata",
    "pkt": "Asia/Karachi", "sgt": "Asia/Singapore", "hkt": "Asia/Hong_Kong", "awst": "Australia/Perth",
    "jst": "Asia/Tokyo", "japan": "Asia/Tokyo", "kst": "Asia/Seoul", "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney", "nzst": "Pacific/Auckland", "nzdt": "Pacific/Auckland", "brt": "America/Sao_Paulo",
    "german": "Europe/Berlin", "germany": "Europe/Berlin", "france": "Europe/Paris", "french": "Europe/Paris",
    "ny": "America/New_York", "nyc": "America/New_York", "sf": "America/Los_Angeles", "la": "America/Los_Angeles",
    "east coast": "America/New_York", "west coast": "America/Los_Angeles",
}  # fmt: skip
_FIXED = {"utc", "gmt", "z", "zulu"}
_UTC_OFFSET = re.compile(r"(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?")


def zone_of_time(phrase: str) -> tzinfo | None:
    """The zone that ``phrase`` names when written after a clock time, or None.

    "EST", "ET", "pacific", "CET", "UK time", "london time" are places with their summer time; "GMT",
    "UTC" and "UTC+2" are fixed offsets. A city needs the word "time" ("3pm london" may be a venue).
    """
    low = " ".join(phrase.lower().split())
    m = _UTC_OFFSET.fullmatch(low)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return timezone(timedelta(minutes=minutes if m.group(1) == "+" else -minutes)) if minutes <= 14 * 60 else None
    name = low.removesuffix(" time").removesuffix(" timezone").removesuffix(" zone")
    if name in _FIXED:
        return UTC
    if name in TIME_ZONE_WORDS:
        return ZoneInfo(TIME_ZONE_WORDS[name])
    if name != low:  # "london time", "new york time"
        found = _index().get(name)
        return ZoneInfo(found) if found else None
    return None
