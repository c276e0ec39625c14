"""Sanity checks for the dev evaluation sets in this folder (formats, real dates, weekday arithmetic).

Run: python3 tests/data/dev/check_dev.py   (prints problems, exits 1 if any)

The date checks re-derive what they can by brute force (walk the calendar day by day) instead of
reusing the arithmetic that produced the labels, so a slip in one is caught by the other.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).parent
PROBLEMS: list[str] = []
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)(day|sday|s|nesday|rsday|rs|r|urday)?s?\b\.?", re.I)
ZONE_WORDS = re.compile(r"\b(EST|EDT|ET|CET|CEST|PT|PST|PDT|IST|GMT|UTC|eastern)\b")
COACHING = [
    "expectations",
    "interviewers",
    "informal_setting",
    "offer",
    "salary",
    "preparation",
    "questions_to_ask",
    "presentation",
    "selling_yourself",
    "company_fit",
    "follow_up",
    "nerves",
]
INTENTS = {
    *COACHING,
    "report_outcome",
    "schedule_interview",
    "fallback",
    "greeting",
    "help",
    "list_interviews",
    "cancel_interview",
    "add_note",
    "show_notes",
    "thank_you_sent",
    "export_data",
    "forget_me",
}
SETTINGS = {None, "informal", "video", "phone", "onsite"}


def problem(where: str, msg: str) -> None:
    PROBLEMS.append(f"{where}: {msg}")


def load(name: str) -> list[dict]:
    rows = []
    for i, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            problem(f"{name}:{i}", f"bad JSON ({exc})")
            rows.append({})
    return rows


def check_now(where: str, row: dict) -> datetime | None:
    now, tz = row.get("now"), row.get("tz")
    try:
        ZoneInfo(str(tz))
    except Exception:
        problem(where, f"unknown tz {tz!r}")
    if not isinstance(now, str) or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", now):
        problem(where, f"bad now {now!r}")
        return None
    return datetime.fromisoformat(now)


def check_when(where: str, when: object) -> None:
    if when is None:
        return
    if not isinstance(when, str) or not re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d)?", when):
        problem(where, f"bad when {when!r}")
        return
    try:
        datetime.fromisoformat(when)
    except ValueError:
        problem(where, f"not a real date {when!r}")


def walk(start: date, weekday: int, skip_today: bool = True) -> date:
    """First day after ``start`` (or on it) with that weekday, found by stepping one day at a time."""
    d = start + timedelta(days=1 if skip_today else 0)
    while d.weekday() != weekday:
        d += timedelta(days=1)
    return d


def expected_day(expr: str, now: datetime) -> date | None:
    """The day an expression means, for the simple shapes this checker knows; None for the rest."""
    low = expr.lower()
    today = now.date()
    if ZONE_WORDS.search(expr) or re.search(r"\d+[/.-]\d+|\b\d{1,2}(st|nd|rd|th)\b|20\d\d", low):
        return None
    months = r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
    if re.search(rf"\b({months})[a-z]*\b", low) or "month" in low:
        return None
    if "day after tomorrow" in low:
        return today + timedelta(2)
    if "day before yesterday" in low:
        return today - timedelta(2)
    if re.search(r"\b(tomorrow|tmrw)\b", low):
        return today + timedelta(1 + (7 if "week from tomorrow" in low else 0))
    if "yesterday" in low:
        return today - timedelta(1)
    if re.search(r"\b(today|tonight|this morning)\b", low) and "from today" not in low:
        return today
    m = re.search(r"\bin (\d+|one|two|three|four|five|six|a) (day|week)s?\b", low)
    if m:
        words = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
        k = int(m.group(1)) if m.group(1).isdigit() else words[m.group(1)]
        return today + timedelta(k * (7 if m.group(2) == "week" else 1))
    m = re.search(r"\b(\d+) (day|week)s? (from today|from now|ago)\b", low)
    if m:
        k = int(m.group(1)) * (7 if m.group(2) == "week" else 1)
        return today + timedelta(-k if m.group(3) == "ago" else k)
    if "a week hence" in low or "a week from today" in low:
        return today + timedelta(7)
    if "a week ago" in low:
        return today - timedelta(7)
    if "fortnight from today" in low:
        return today + timedelta(14)
    wd = WEEKDAY.search(low)
    if not wd:
        return None
    target = DAYS.index(wd.group(1).lower())
    m = re.search(r"\b(\d) \w+s from now\b", low)
    if m:
        d = walk(today, target)
        for _ in range(int(m.group(1)) - 1):
            d = walk(d, target)
        return d
    if "of next week" in low:
        d = walk(today, target)
        while d.isocalendar()[1] != (today + timedelta(7)).isocalendar()[1]:
            d = walk(d, target)
        return d
    if re.search(r"\blast \w+day\b|\blast (mon|tue|wed|thu|fri|sat|sun)\b", low):
        d = today - timedelta(1)
        while d.weekday() != target:
            d -= timedelta(1)
        return d
    m = re.search(r"\b(a|two|2) weeks? from \w+day\b|\ba week from \w+\b", low)
    if m:
        extra = 14 if m.group(0).startswith(("two", "2")) else 7
        return walk(today, target) + timedelta(extra)
    return walk(today, target)


def expected_clock(expr: str) -> tuple[int, int] | None:
    """The clock time for explicit am/pm or hh:mm shapes (no zone); None when not that simple."""
    low = expr.lower()
    if ZONE_WORDS.search(expr) or re.search(r"past|to noon|to \d|to 1\d|till|between|from|-|–|half|quarter", low):
        return None
    m = re.search(r"\b(\d{1,2})(?:[:.h](\d\d))?\s*(am|pm|a\.m\.|p\.m\.)", low)
    if m:
        h, mi = int(m.group(1)) % 12, int(m.group(2) or 0)
        return (h + 12 if m.group(3).startswith("p") else h, mi)
    m = re.search(r"\b(?:at|@) (\d{1,2})(?:[:.](\d\d))?\b(?!\s*(?:in the|o'clock))", low)
    if m and not re.search(r"morning|afternoon|evening|night|tonight", low):
        h, mi = int(m.group(1)), int(m.group(2) or 0)
        if h >= 13:
            return (h, mi)
        return (h + 12 if 1 <= h <= 8 else h, mi)
    return None


def check_dates() -> None:
    rows = load("dates.jsonl")
    for i, r in enumerate(rows, 1):
        where = f"dates.jsonl:{i}"
        if set(r) != {"text", "now", "tz", "expr", "when", "end"}:
            problem(where, f"keys {sorted(r)}")
            continue
        now = check_now(where, r)
        check_when(where, r["when"])
        if r["expr"] not in r["text"]:
            problem(where, "expr not in text")
        if r["end"] is not None:
            if not re.fullmatch(r"\d\d:\d\d", r["end"]) or not r["when"] or "T" not in r["when"]:
                problem(where, "bad end")
            elif r["end"] <= r["when"][11:]:
                problem(where, "end not after start")
        if now is None or r["when"] is None:
            continue
        day = expected_day(r["expr"], now)
        if day is not None and r["when"][:10] != day.isoformat():
            problem(where, f"{r['expr']!r}: expected day {day} got {r['when']}")
        clock = expected_clock(r["expr"])
        if clock is not None and r["when"][11:] != f"{clock[0]:02d}:{clock[1]:02d}":
            problem(where, f"{r['expr']!r}: expected clock {clock} got {r['when']}")
        wd = WEEKDAY.search(r["expr"])
        if wd and not ZONE_WORDS.search(r["expr"]) and "from now" not in r["expr"]:
            got = datetime.fromisoformat(r["when"][:10]).weekday()
            if got != DAYS.index(wd.group(1).lower()):
                problem(where, f"{r['expr']!r}: {r['when']} is not a {wd.group(1)}")


def check_entities(where: str, r: dict, e: dict, with_venue: bool) -> None:
    keys = {"company", "when", "interviewers", "setting"} | ({"venue"} if with_venue else set())
    if set(e) != keys:
        problem(where, f"entity keys {sorted(e)}")
        return
    low = r["text"].lower()
    if e["company"] is not None and e["company"].lower() not in low:
        problem(where, f"company {e['company']!r} not in text")
    if not isinstance(e["interviewers"], list) or any(p.lower() not in low for p in e["interviewers"]):
        problem(where, f"interviewers {e['interviewers']!r} not all in text")
    if e["setting"] not in SETTINGS:
        problem(where, f"setting {e['setting']!r}")
    if with_venue and e["venue"] is not None and e["venue"].lower() not in low:
        problem(where, f"venue {e['venue']!r} not in text")
    check_when(where, e["when"])


def check_intent_file(name: str, with_venue: bool = False) -> None:
    for i, r in enumerate(load(name), 1):
        where = f"{name}:{i}"
        if set(r) != {"text", "now", "tz", "intent", "entities"}:
            problem(where, f"keys {sorted(r)}")
            continue
        check_now(where, r)
        if r["intent"] not in INTENTS:
            problem(where, f"intent {r['intent']!r}")
        e = r["entities"]
        check_entities(where, r, e, with_venue)
        if r["intent"] != "schedule_interview" and any(
            (e.get("company"), e.get("when"), e.get("interviewers"), e.get("setting"))
        ):
            problem(where, "entities must be empty for this intent")
        days = {m.group(1).lower() for m in WEEKDAY.finditer(r["text"])}
        plain = len(days) == 1 and e["when"] and not re.search(r"\bfrom \w+ to\b|instead of|no wait", r["text"])
        if plain and datetime.fromisoformat(e["when"][:10]).weekday() != DAYS.index(days.pop()):
            problem(where, f"when {e['when']} is not the weekday named in the text")
        if name == "scheduling.jsonl" and r["intent"] != "schedule_interview":
            problem(where, "scheduling set holds schedule_interview only")


def check_oos() -> None:
    for i, r in enumerate(load("oos.jsonl"), 1):
        where = f"oos.jsonl:{i}"
        if set(r) != {"text", "now", "tz", "intent", "domain"} or r.get("intent") != "fallback" or not r.get("domain"):
            problem(where, f"bad row {r}")
            continue
        check_now(where, r)


def check_dialogs() -> None:
    for i, r in enumerate(load("dialogs.jsonl"), 1):
        where = f"dialogs.jsonl:{i}"
        if not {"name", "now", "tz", "turns", "expect"} <= set(r):
            problem(where, f"keys {sorted(r)}")
            continue
        check_now(where, r)
        for t in r["turns"]:
            if len(t) != 1 or next(iter(t)) not in {"say", "press", "advance_minutes"}:
                problem(where, f"bad turn {t}")
        ex = r["expect"]
        if not ex or not set(ex) <= {"interviews", "notes", "user_data_kept", "last_reply_contains", "last_reply_asks"}:
            problem(where, f"bad expect {ex}")
        for iv in ex.get("interviews", []):
            if not {"company", "when", "status"} <= set(iv) or iv["status"] not in {"scheduled", "cancelled"}:
                problem(where, f"bad interview {iv}")
            check_when(where, iv.get("when"))


def check_answers() -> None:
    for i, r in enumerate(load("answers.jsonl"), 1):
        where = f"answers.jsonl:{i}"
        lab = r.get("labels", {})
        if set(r) != {"question", "answer", "labels"} or set(lab) != {
            "situation",
            "task",
            "action",
            "result",
            "quantified",
            "ownership",
        }:
            problem(where, "keys")
            continue
        if lab["ownership"] not in {"i", "we", "mixed", "none"}:
            problem(where, "ownership value")
        if not all(isinstance(lab[k], bool) for k in ("situation", "task", "action", "result", "quantified")):
            problem(where, "non-bool label")
        if not lab["action"] and lab["ownership"] != "none":
            problem(where, "no action described, so ownership must be none")


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def check_near_duplicates() -> None:
    for name, key in [
        ("oos.jsonl", "text"),
        ("jobseeker.jsonl", "text"),
        ("scheduling.jsonl", "text"),
        ("answers.jsonl", "answer"),
        ("dates.jsonl", "text"),
    ]:
        if not (HERE / name).exists():
            continue
        texts = [r.get(key, "") for r in load(name)]
        bags = [words(t) for t in texts]
        for a in range(len(texts)):
            for b in range(a + 1, len(texts)):
                union = bags[a] | bags[b]
                if union and len(bags[a] & bags[b]) / len(union) >= 0.8:
                    problem(name, f"near-duplicates {a + 1} and {b + 1}: {texts[a]!r} / {texts[b]!r}")


def main() -> int:
    check_dates()
    for name, venue in [("jobseeker.jsonl", False), ("scheduling.jsonl", True)]:
        if (HERE / name).exists():
            check_intent_file(name, venue)
    for name, fn in [("oos.jsonl", check_oos), ("dialogs.jsonl", check_dialogs), ("answers.jsonl", check_answers)]:
        if (HERE / name).exists():
            fn()
    check_near_duplicates()
    for p in PROBLEMS:
        print(p)
    counts = {p.name: sum(1 for _ in p.open(encoding="utf-8")) for p in sorted(HERE.glob("*.jsonl"))}
    print(json.dumps(counts), f"problems={len(PROBLEMS)}")
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
