"""Accuracy of the language understanding on the labelled dev sets (tests/data/nlu_dev*.jsonl).

Usage: python bench/nlu_eval.py [FILE ...] [--errors]
Prints intent accuracy (overall and per intent) and exact-match rates of each entity field on the
schedule_interview lines, computed through the same NLU.parse the bot uses.
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


def main(argv: list[str]) -> None:
    show_errors = "--errors" in argv
    files = [Path(a) for a in argv if not a.startswith("--")] or sorted(
        (ROOT / "tests" / "data").glob("nlu_dev*.jsonl")
    )
    t0 = time.perf_counter()
    nlu = NLU.load(cache_dir=Path(tempfile.mkdtemp()))
    print(f"models loaded (or trained, when knowledge/nlu changed) in {time.perf_counter() - t0:.1f} s")
    for path in files:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        per_intent: dict[str, list[bool]] = defaultdict(list)
        fields: dict[str, list[bool]] = defaultdict(list)
        errors = []
        for row in rows:
            parse = nlu.parse(row["text"], datetime.fromisoformat(row["now"]), row["tz"])
            ok = parse.intent == row["intent"]
            per_intent[row["intent"]].append(ok)
            if not ok:
                errors.append(f"INTENT {row['intent']} -> {parse.intent}: {row['text']}")
            if row["intent"] == "schedule_interview":
                got = parse.entities.as_json()
                for field in ("company", "when", "interviewers", "setting"):
                    want = row["entities"][field]
                    same = got[field] == want
                    fields[field].append(same)
                    if not same:
                        errors.append(
                            f"{field.upper()} want {want!r} got {got[field]!r} "
                            f"[{row['now']} {row['tz']}]: {row['text']}"
                        )
                fields["all four"].append(
                    all(got[f] == row["entities"][f] for f in ("company", "when", "interviewers", "setting"))
                )
        total = [ok for oks in per_intent.values() for ok in oks]
        macro = sum(sum(v) / len(v) for v in per_intent.values()) / len(per_intent)
        print(f"\n{path.name}: {len(rows)} messages")
        print(f"intent accuracy: {sum(total) / len(total):.1%} (macro over intents {macro:.1%})")
        for intent, oks in sorted(per_intent.items(), key=lambda kv: sum(kv[1]) / len(kv[1])):
            print(f"  {intent:20s} {sum(oks) / len(oks):6.1%}  n={len(oks)}")
        n = len(fields["company"])
        print(f"entities on {n} schedule_interview messages (exact match):")
        for field in ("company", "when", "interviewers", "setting"):
            print(f"  {field:12s} {sum(fields[field]) / max(n, 1):6.1%}")
        all_fields = sum(sum(fields[f]) for f in ("company", "when", "interviewers", "setting"))
        print(f"  {'fields':12s} {all_fields / max(4 * n, 1):6.1%} (all four fields pooled)")
        print(f"  {'messages':12s} {sum(fields['all four']) / max(n, 1):6.1%} (all four right at once)")
        if show_errors:
            print("\n".join(errors))


if __name__ == "__main__":
    main(sys.argv[1:])
