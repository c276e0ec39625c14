"""Finding an IANA time zone in what a user typed ("Europe/Berlin", "berlin", "EST")."""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
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


# Zones written after a clock time ("3pm EST", "10:00 CET", "9am london time"). An abbreviation that
# names standard or summer time is that fixed offset ("EST" is UTC-5 even in July); a generic name
# ("ET", "eastern", "pacific time", "UK time", "<city> time") follows the place's own rules.
FIXED_OFFSETS = {
    "utc": 0, "gmt": 0, "z": 0, "wet": 0, "west": 60, "bst": 60, "ist": 330, "cet": 60, "cest": 120,
    "eet": 120, "eest": 180, "msk": 180, "gst": 240, "pkt": 300, "sgt": 480, "hkt": 480, "awst": 480,
    "jst": 540, "kst": 540, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
    "akst": -540, "akdt": -480, "hst": -600, "brt": -180, "art": -180,
    "eastern standard": -300, "eastern daylight": -240, "central standard": -360, "central daylight": -300,
    "mountain standard": -420, "mountain daylight": -360, "pacific standard": -480, "pacific daylight": -420,
    "british summer": 60, "central european": 60, "central european summer": 120, "india standard": 330,
}  # fmt: skip
GENERIC_ZONES = {
    "et": "America/New_York", "eastern": "America/New_York", "ct": "America/Chicago", "central": "America/Chicago",
    "mt": "America/Denver", "mountain": "America/Denver", "pt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "uk": "Europe/London", "british": "Europe/London", "india": "Asia/Kolkata",
    "indian": "Asia/Kolkata", "german": "Europe/Berlin", "germany": "Europe/Berlin", "france": "Europe/Paris",
    "french": "Europe/Paris", "japan": "Asia/Tokyo", "ny": "America/New_York", "nyc": "America/New_York",
    "sf": "America/Los_Angeles", "la": "America/Los_Angeles", "east coast": "America/New_York",
    "west coast": "America/Los_Angeles", "european": "Europe/Berlin", "europe": "Europe/Berlin",
}  # fmt: skip
_UTC_OFFSET = re.compile(r"(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?")


def zone_of_time(phrase: str) -> tzinfo | None:
    """The zone that ``phrase`` names when written after a clock time, or None.

    Abbreviations and "<x> standard time" are fixed offsets; "ET", "pacific", "UK time", "london time"
    are places with their summer time; "UTC+2" is that offset.
    """
    low = " ".join(phrase.lower().split())
    m = _UTC_OFFSET.fullmatch(low)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return timezone(timedelta(minutes=minutes if m.group(1) == "+" else -minutes)) if minutes <= 14 * 60 else None
    name = low.removesuffix(" time").removesuffix(" timezone").removesuffix(" zone")
    if name in FIXED_OFFSETS:
        return timezone(timedelta(minutes=FIXED_OFFSETS[name]))
    if name in GENERIC_ZONES:
        return ZoneInfo(GENERIC_ZONES[name])
    if name != low:  # "london time", "new york time": a city needs the word "time"
        found = _index().get(name)
        return ZoneInfo(found) if found else None
    return None
