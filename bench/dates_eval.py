"""How exactly date/time expressions in scheduling sentences are resolved (DATA.md §3 format).

Usage:
  python bench/dates_eval.py [FILE ...] [--errors]     the bot's resolver, overall and by kind
  python bench/dates_eval.py [FILE ...] --compare      every parser alone, and behind the bot's grammar
  python bench/dates_eval.py --import-cost             memory and seconds to import and first use each
  python bench/dates_eval.py [FILE ...] --pipeline     through NLU.parse (intent + entity tagger) too

Without FILE: tests/data/dates_tail.jsonl and dates_holdout.jsonl, then tests/data/dev/dates.jsonl and
tests/data/blind/dates.jsonl when they exist. For any file under tests/data/blind/ only aggregate
figures are printed: never a message, an expression or an error.

A row is exact when both ``when`` and ``end`` equal the label. The kinds are read off the label and
the written expression: vague (no single day), range (an end), zone (a zone named), both (a day and a
time), time only, day only.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import time as clock
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BLIND = DATA / "blind"
KINDS = ("time only", "day only", "both", "range", "zone", "vague")

Answer = tuple[str | None, str | None]  # (when as in the labels, end "HH:MM")
Resolver = Callable[[str, datetime, str], Answer]

_ZONE_WORDS = re.compile(
    r"\b(utc|gmt|est|edt|cst|cdt|mst|mdt|pst|pdt|cet|cest|bst|ist|aest|jst|et|pt|ct|mt|eastern|pacific|central|"
    r"mountain|\w+ time)\b",
    re.I,
)
_DAY_WORDS = re.compile(
    r"\b(today|tonight|tomorrow|tmrw?|tmw|yesterday|day|days|week|weeks|fortnight|mon|tue|tues|wed|thu|thur|thurs|"
    r"fri|sat|sun|\w+day|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|\w+(uary|ch|il|ust|ber)|ago|hence|"
    r"christmas|xmas|eve|thanksgiving|halloween|\d+(st|nd|rd|th))\b|\d{1,4}[/.-]\d{1,2}",
    re.I,
)


def kind_of(row: dict[str, Any]) -> str:
    """The kind of a labelled row (see the module docstring)."""
    expr = row.get("expr") or ""
    if row["when"] is None:
        return "vague"
    if row.get("end"):
        return "range"
    if _ZONE_WORDS.search(expr) and "T" in row["when"]:
        return "zone"
    if "T" in row["when"]:
        return "both" if _DAY_WORDS.search(expr) else "time only"
    return "day only"


def load(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON-lines file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def is_blind(path: Path) -> bool:
    """Whether ``path`` lies under tests/data/blind/ (print aggregates only)."""
    try:
        path.resolve().relative_to(BLIND.resolve())
    except ValueError:
        return False
    return True


# --- the resolvers compared ----------------------------------------------------------------------------


def _iso(day: date, at: time | None) -> str:
    return day.isoformat() if at is None else f"{day.isoformat()}T{at.strftime('%H:%M')}"


def _time_only(at: time, now: datetime) -> str:
    """The project's rule for a time with no day: today, or tomorrow once it has passed."""
    day = now.date() if at > now.time() else now.date() + timedelta(days=1)
    return _iso(day, at)


def bot_resolver() -> Resolver:
    """The bot's own resolver (bot.nlu.dates), on the whole sentence."""
    from bot.nlu import dates

    def run(text: str, now: datetime, tz: str) -> Answer:
        when = dates.parse_when(text, now, tz)
        if when is None:
            return None, None
        end = getattr(when, "end", None)
        return when.iso(), end.strftime("%H:%M") if end else None

    return run


def bot_grammar_only() -> Resolver:
    """The bot's grammar with its dateparser fallback switched off."""
    from bot.nlu import dates

    run = bot_resolver()

    def grammar(text: str, now: datetime, tz: str) -> Answer:
        saved = getattr(dates, "USE_FALLBACK", None)
        dates.USE_FALLBACK = False  # type: ignore[attr-defined]
        try:
            return run(text, now, tz)
        finally:
            dates.USE_FALLBACK = saved  # type: ignore[attr-defined]

    return grammar


def dateparser_resolver() -> Resolver:
    """``dateparser.search.search_dates`` as the project used it: future dates, the user's zone."""
    from dateparser.search import search_dates

    def run(text: str, now: datetime, tz: str) -> Answer:
        base = now.replace(second=17)
        found = search_dates(
            text,
            languages=["en"],
            settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "TIMEZONE": tz, "TO_TIMEZONE": tz},
        )
        if not found:
            return None, None
        got = found[0][1].replace(tzinfo=None)
        wrote_time = got.second != 17 or (got.hour, got.minute) != (base.hour, base.minute)
        return (_iso(got.date(), got.time()) if wrote_time else got.date().isoformat()), None

    return run


def parsedatetime_resolver() -> Resolver:
    """``parsedatetime.Calendar.nlp`` (context style: it says whether a date and a time were read)."""
    import parsedatetime

    cal = parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)

    def run(text: str, now: datetime, tz: str) -> Answer:
        found = cal.nlp(text, sourceTime=now)
        if not found:
            return None, None
        joined = " ".join(f[4] for f in found)
        with cal.context() as ctx:
            got, _ = cal.parseDT(joined, sourceTime=now)
            has_date, has_time = ctx.hasDate, ctx.hasTime
        if has_time and not has_date:
            return _time_only(got.time(), now), None
        return (_iso(got.date(), got.time()) if has_time else got.date().isoformat()), None

    return run


def ctparse_resolver() -> Resolver:
    """``ctparse.ctparse`` (a scored grammar; X marks what was not said)."""
    import ctparse as ct

    logging.getLogger("ctparse").setLevel(logging.CRITICAL)  # it logs every message it cannot read

    def run(text: str, now: datetime, tz: str) -> Answer:
        res = ct.ctparse(text, ts=now, timeout=1)
        if res is None:
            return None, None
        r = res.resolution
        end = None
        if hasattr(r, "t_from"):
            r, to = r.t_from, r.t_to
            end = f"{to.hour:02d}:{to.minute or 0:02d}" if to is not None and to.hour is not None else None
        if r is None or not hasattr(r, "year"):
            return None, None
        at = time(r.hour, r.minute or 0) if r.hour is not None else None
        if r.year is None or r.month is None or r.day is None:
            return (_time_only(at, now), end) if at is not None else (None, None)
        return _iso(date(r.year, r.month, r.day), at), end

    return run


def recognizers_resolver() -> Resolver:
    """Microsoft Recognizers-Text (datetimeV2), the last (future) reading of the first match."""
    from recognizers_date_time import Culture, recognize_datetime

    def run(text: str, now: datetime, tz: str) -> Answer:
        results = [r for r in recognize_datetime(text, Culture.English, reference=now) if r.resolution]
        results = [r for r in results if not r.type_name.endswith(("duration", "set"))]
        if not results:
            return None, None
        value = results[0].resolution["values"][-1]
        timex = value.get("timex", "")
        kind = value.get("type", "")
        if kind in {"date", "datetime"}:
            got = datetime.fromisoformat(value["value"])
            return (_iso(got.date(), got.time()) if "T" in timex else got.date().isoformat()), None
        if kind == "time":
            return _time_only(time.fromisoformat(value["value"]), now), None
        if kind in {"timerange", "datetimerange"} and "start" in value:
            start, stop = value["start"], value.get("end", "")
            if kind == "timerange":
                return _time_only(time.fromisoformat(start), now), stop[:5] or None
            got = datetime.fromisoformat(start)
            return _iso(got.date(), got.time()), stop[11:16] or None
        return None, None

    return run


def timefhuman_resolver() -> Resolver:
    """``timefhuman`` (datetimes, ranges and lists from text)."""
    import timefhuman as tfh

    def run(text: str, now: datetime, tz: str) -> Answer:
        found = tfh.timefhuman(text, config=tfh.tfhConfig(now=now))
        if not found:
            return None, None
        first = found[0]
        end = None
        if isinstance(first, tuple):
            first, stop = first
            end = stop.strftime("%H:%M") if isinstance(stop, datetime | time) else None
        if isinstance(first, list):
            first = first[0]
        if isinstance(first, datetime):
            wrote_time = first.time() != time(0)
            return (_iso(first.date(), first.time()) if wrote_time else first.date().isoformat()), end
        if isinstance(first, date):
            return first.isoformat(), end
        if isinstance(first, time):
            return _time_only(first, now), end
        return None, None

    return run


def dateutil_resolver() -> Resolver:
    """``dateutil.parser.parse(fuzzy=True)``, read twice with different defaults to see what was said."""
    from dateutil import parser

    def run(text: str, now: datetime, tz: str) -> Answer:
        a_default = datetime(now.year, now.month, now.day, 1, 1, 1)
        b_default = (now + timedelta(days=40)).replace(hour=2, minute=2, second=2)
        try:
            a = parser.parse(text, fuzzy=True, default=a_default)
            b = parser.parse(text, fuzzy=True, default=b_default)
        except (ValueError, OverflowError):
            return None, None
        wrote_time = a.time() == b.time()
        wrote_day = a.date() == b.date()
        if wrote_time and not wrote_day:
            return _time_only(a.time(), now), None
        if not wrote_day:
            return None, None
        return (_iso(a.date(), a.time()) if wrote_time else a.date().isoformat()), None

    return run


def behind_grammar(fallback: Resolver) -> Resolver:
    """The bot's grammar first; ``fallback`` only where the grammar read no date words at all."""
    from bot.nlu import dates

    grammar = bot_grammar_only()

    def run(text: str, now: datetime, tz: str) -> Answer:
        got = grammar(text, now, tz)
        if got[0] is not None:
            return got
        if dates.resolve(text, now, tz).problem is not None:
            return got  # the grammar understood the words: they name no single day
        return fallback(text, now, tz)

    return run


PARSERS: dict[str, Callable[[], Resolver]] = {
    "dateparser": dateparser_resolver,
    "parsedatetime": parsedatetime_resolver,
    "ctparse": ctparse_resolver,
    "recognizers-text": recognizers_resolver,
    "timefhuman": timefhuman_resolver,
    "dateutil fuzzy": dateutil_resolver,
}

# (set-up not counted, code measured): bot.nlu's package init trains the intent model, so the grammar is
# measured by importing bot/nlu/dates.py without it
_NO_NLU_INIT = (
    "import sys, types, bot; pkg = types.ModuleType('bot.nlu'); pkg.__path__ = [bot.__path__[0] + '/nlu']; "
    "sys.modules['bot.nlu'] = pkg"
)
IMPORTS = {
    "bot grammar (bot/nlu/dates.py)": (
        _NO_NLU_INIT,
        "from bot.nlu import dates; dates.parse_when('friday at 3pm', NOW, 'UTC')",
    ),
    "dateparser.parse, English only (the bot's lazy fallback)": (
        "",
        "import dateparser; dateparser.parse('14-Mar-2027', languages=['en'])",
    ),
    "dateparser search_dates, all languages (as used before)": (
        "",
        "from dateparser.search import search_dates; search_dates('interview on friday at 3pm')",
    ),
    "parsedatetime": ("", "import parsedatetime; parsedatetime.Calendar().nlp('friday at 3pm')"),
    "ctparse": ("", "import ctparse; ctparse.ctparse('friday at 3pm', ts=NOW)"),
    "recognizers-text": (
        "",
        "from recognizers_date_time import recognize_datetime, Culture; "
        "recognize_datetime('friday at 3pm', Culture.English)",
    ),
    "timefhuman": ("", "import timefhuman; timefhuman.timefhuman('friday at 3pm')"),
    "dateutil fuzzy": ("", "from dateutil import parser; parser.parse('friday at 3pm', fuzzy=True)"),
}


# --- scoring -------------------------------------------------------------------------------------------


def score(resolver: Resolver, rows: list[dict[str, Any]]) -> tuple[dict[str, list[bool]], list[float], list[str]]:
    """Exactness per kind (with "all"), per-row latencies in ms, and error lines."""
    by_kind: dict[str, list[bool]] = defaultdict(list)
    latencies: list[float] = []
    errors: list[str] = []
    for row in rows:
        now = datetime.fromisoformat(row["now"])
        t0 = clock.perf_counter()
        try:
            got = resolver(row["text"], now, row["tz"])
        except Exception as exc:  # a third-party parser failing counts as a miss
            got = (f"error {type(exc).__name__}", None)
        latencies.append((clock.perf_counter() - t0) * 1000)
        ok = got == (row["when"], row.get("end"))
        kind = kind_of(row)
        by_kind[kind].append(ok)
        by_kind["all"].append(ok)
        if not ok:
            errors.append(
                f"[{kind}] want {row['when']} {row.get('end') or ''} got {got[0]} {got[1] or ''} "
                f"[{row['now']} {row['tz']}] {row['text']!r} (expr {row.get('expr')!r})"
            )
    return by_kind, latencies, errors


def pct(oks: list[bool]) -> str:
    """``93.1% (27/29)``."""
    return f"{sum(oks) / len(oks):.1%} ({sum(oks)}/{len(oks)})" if oks else "-"


def p99(values: list[float]) -> float:
    """The 99th percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def report(name: str, path: Path, rows: list[dict[str, Any]], resolver: Resolver, show_errors: bool) -> None:
    """Print one resolver's figures on one file."""
    by_kind, lat, errors = score(resolver, rows)
    print(f"\n{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(rows)} rows, {name}")
    print(f"  exact overall   {pct(by_kind['all'])}")
    for kind in KINDS:
        print(f"  {kind:15s} {pct(by_kind[kind])}")
    print(f"  latency median {statistics.median(lat):.2f} ms, p99 {p99(lat):.2f} ms")
    if show_errors and not is_blind(path):
        print("\n".join("  " + e for e in errors))


def compare(files: list[Path]) -> None:
    """One table row per parser, alone and behind the bot's grammar, per file."""
    resolvers: list[tuple[str, Resolver]] = [("bot (grammar + lazy dateparser)", bot_resolver())]
    resolvers.append(("bot grammar alone", bot_grammar_only()))
    for name, make in PARSERS.items():
        try:
            made = make()
        except ImportError as exc:
            print(f"(skipping {name}: {exc})")
            continue
        resolvers += [(f"{name} alone", made), (f"grammar + {name}", behind_grammar(made))]
    for path in files:
        rows = load(path)
        print(f"\n{path.relative_to(ROOT)}: {len(rows)} rows")
        print(f"| resolver | exact | {' | '.join(KINDS)} | median ms | p99 ms |")
        print("|---|---|" + "---|" * len(KINDS) + "---|---|")
        for name, resolver in resolvers:
            by_kind, lat, _ = score(resolver, rows)
            cells = " | ".join(f"{sum(by_kind[k]) / len(by_kind[k]):.0%}" if by_kind[k] else "-" for k in KINDS)
            print(
                f"| {name} | {sum(by_kind['all']) / len(by_kind['all']):.1%} | {cells} | "
                f"{statistics.median(lat):.2f} | {p99(lat):.2f} |"
            )


def import_cost() -> None:
    """Peak memory added and seconds taken by importing each parser and reading one message."""
    probe = (
        "import resource, time, datetime; NOW = datetime.datetime(2026, 3, 2, 10, 0); {setup}; "
        "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; t0 = time.perf_counter(); {code}; "
        "print(time.perf_counter() - t0, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - r0) / 1024)"
    )
    print("| parser | import + first use, s (median of 3) | peak memory added, MB |")
    print("|---|---|---|")
    for name, (setup, code) in IMPORTS.items():
        runs = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-W", "ignore", "-c", probe.format(setup=setup or "pass", code=code)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            if out.returncode != 0:
                break
            seconds, mb = out.stdout.split()
            runs.append((float(seconds), float(mb)))
        if not runs:
            print(f"| {name} | not installed | |")
            continue
        print(f"| {name} | {statistics.median(r[0] for r in runs):.2f} | {statistics.median(r[1] for r in runs):.0f} |")


def pipeline(files: list[Path], show_errors: bool) -> None:
    """The ``when`` (and end) that NLU.parse gives the whole sentence, through the entity tagger."""
    from bot.nlu import NLU

    nlu = NLU.load(cache_dir=Path(tempfile.mkdtemp()))

    def run(text: str, now: datetime, tz: str) -> Answer:
        when = nlu.parse(text, now, tz).entities.when
        if when is None:
            return None, None
        end = getattr(when, "end", None)
        return when.iso(), end.strftime("%H:%M") if end else None

    for path in files:
        report("through NLU.parse", path, load(path), run, show_errors)


def main(argv: list[str]) -> None:
    """Entry point."""
    if "--import-cost" in argv:
        import_cost()
        return
    files = [Path(a).resolve() for a in argv if not a.startswith("--")] or [
        p
        for p in (
            DATA / "dates_tail.jsonl",
            DATA / "dates_holdout.jsonl",
            DATA / "dev" / "dates.jsonl",
            BLIND / "dates.jsonl",
        )
        if p.exists()
    ]
    if "--compare" in argv:
        compare(files)
        return
    resolver = bot_resolver()
    for path in files:
        report("bot.nlu.dates on the whole sentence", path, load(path), resolver, "--errors" in argv)
    if "--pipeline" in argv:
        pipeline(files, "--errors" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
