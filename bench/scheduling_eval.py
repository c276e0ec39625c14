"""Exact-match accuracy of the interview details the bot reads from scheduling messages.

Usage: python bench/scheduling_eval.py [FILE ...] [--errors]

For every ``schedule_interview`` line of each JSON-lines file (the nlu_dev* format, or the realistic
scheduling sets with an optional ``venue``), the message goes through the same ``NLU.parse`` the bot
uses, and each field is compared exactly: company, when, interviewers, setting (and venue where the
line says one). Without FILE arguments it reads tests/data/nlu_dev*.jsonl, tests/data/nlu_final.jsonl,
tests/data/dev/scheduling.jsonl and tests/data/blind/scheduling.jsonl (those that exist).

Only aggregate figures are ever printed for the blind sets (anything under ``tests/data/blind/``) and
the final held-out set (``nlu_final*``): ``--errors`` lists the misses of the other files only.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from bot.nlu import NLU

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
FIELDS = ("company", "when", "interviewers", "setting")


def aggregate_only(path: Path) -> bool:
    """Whether only figures, never messages, may be printed for ``path``."""
    resolved = path.resolve()
    return (DATA / "blind").resolve() in resolved.parents or resolved.name.startswith("nlu_final")


def default_files() -> list[Path]:
    """The sets measured when no file is named."""
    files = [*sorted(DATA.glob("nlu_dev*.jsonl")), DATA / "nlu_final.jsonl"]
    files += [DATA / "dev" / "scheduling.jsonl", DATA / "blind" / "scheduling.jsonl"]
    return [f for f in files if f.exists()]


def evaluate(nlu: NLU, path: Path, show_errors: bool) -> None:
    """Print the per-field exact-match rates of one file (and its misses when allowed)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("intent", "schedule_interview") == "schedule_interview"]
    hits: dict[str, list[bool]] = defaultdict(list)
    errors: list[str] = []
    for row in rows:
        parse = nlu.parse(row["text"], datetime.fromisoformat(row["now"]), row["tz"])
        hits["intent"].append(parse.intent == "schedule_interview")
        got = parse.entities.as_json()
        got.setdefault("venue", None)
        want = row["entities"]
        fields = FIELDS + (("venue",) if "venue" in want else ())
        for field in fields:
            same = got[field] == want[field]
            hits[field].append(same)
            if not same:
                errors.append(f"{field.upper()} want {want[field]!r} got {got[field]!r} [{row['now']}]: {row['text']}")
        hits["all four"].append(all(got[f] == want[f] for f in FIELDS))
    n = len(rows)
    print(f"\n{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {n} scheduling messages")
    if not n:
        return
    print(f"  {'intent':12s} {sum(hits['intent']) / n:6.1%} read as schedule_interview")
    for field in (*FIELDS, "venue"):
        if hits[field]:
            print(f"  {field:12s} {sum(hits[field]) / len(hits[field]):6.1%}  n={len(hits[field])}")
    pooled = sum(sum(hits[f]) for f in FIELDS)
    print(f"  {'fields':12s} {pooled / (4 * n):6.1%} (the four fields pooled)")
    print(f"  {'messages':12s} {sum(hits['all four']) / n:6.1%} (all four right at once)")
    if show_errors and errors:
        if aggregate_only(path):
            print("  (misses not shown: held-out set)")
        else:
            print("\n".join(f"    {e}" for e in errors))


def main(argv: list[str]) -> None:
    """Train the NLU afresh and measure every named file."""
    show_errors = "--errors" in argv
    files = [Path(a) for a in argv if not a.startswith("--")] or default_files()
    t0 = time.perf_counter()
    nlu = NLU.load(cache_dir=Path(tempfile.mkdtemp()))
    print(f"trained in {time.perf_counter() - t0:.1f} s")
    for path in files:
        evaluate(nlu, path, show_errors)


if __name__ == "__main__":
    main(sys.argv[1:])
