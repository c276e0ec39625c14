"""Per-message time of the coaching core (Coach.handle), on the embedded SQLite database.

Usage: python -m bench.core_bench [--messages 2000]

Runs coaching questions and schedule_interview messages through the core's one entry point, on a
fresh SQLite file, with the trained models loaded from the cache (built first if needed), and
prints median and p99 per message for each kind, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bot.app import App
from bot.settings import load_settings
from bot.types import ConversationRef, IncomingMessage

COACHING = [
    "who's interviewing me this time?",
    "it's a dinner interview, can I order wine?",
    "they offered me the job on the spot, what do I say?",
    "what should I ask them?",
    "how do I prepare?",
    "how is round 2 different from the first one",
    "they asked about my salary expectations, what number do i give",
    "im so nervous about tmrw",
    "do i need to bring slides for the presentation",
    "how do i know if this company is right for me",
]
SCHEDULE = [
    "I have a second interview with Acme on Friday at 3pm with Sarah Chen, over dinner",
    "2nd round w/ globex tmrw 10am on zoom",
    "got a second interview at Initech next monday at 2 with the hiring manager",
    "my Acme interview moved to Thursday 10am",
    "second interview with Blue Harbor Analytics on 3/12 at 11:30, in person, with Tom and the CTO",
]


def measure(app: App, texts: list[str], n: int, prefix: str) -> list[float]:
    """Send ``n`` messages (cycling through ``texts``) from many users; return seconds per message."""
    times = []
    for i in range(n):
        ref = ConversationRef("bench", "", "dm", f"{prefix}{i % 200}")
        msg = IncomingMessage(ref, text=texts[i % len(texts)], tz_hint="America/New_York")
        start = time.perf_counter()
        app.coach.handle(msg)
        times.append(time.perf_counter() - start)
    return times


def ranking_times(app: App, n: int) -> list[float]:
    """The part of a coaching answer spent ranking the knowledge items (facts, BM25, scoring, choosing)."""
    from bot import advice, situation

    knowledge = app.knowledge
    parses = [app.nlu.parse(t, datetime(2026, 3, 2, 10), "UTC") for t in COACHING]
    times = []
    for i in range(n):
        parse = parses[i % len(parses)]
        start = time.perf_counter()
        facts = situation.Facts()
        for name, found in situation.detect(knowledge, parse.text).items():
            facts.values[name] = found.value
        priors = {p: c for p, c in parse.alternatives}
        advice.choose(advice.rank(knowledge, facts, parse.text, priors))
        times.append(time.perf_counter() - start)
    return times


def report(name: str, times: list[float]) -> str:
    """Median and p99 in milliseconds."""
    q = statistics.quantiles(times, n=100)
    return f"{name:22s} n={len(times):5d}  median {statistics.median(times) * 1000:7.2f} ms  p99 {q[98] * 1000:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="core-bench-"))
    settings = load_settings(
        data_dir=data, database_url=f"sqlite:///{data / 'bench.db'}", health_addr="", flood_messages=1_000_000
    )
    started = time.perf_counter()
    app = App.build(settings)
    print(f"start-up (migrate, load knowledge and models): {time.perf_counter() - started:.2f} s")
    measure(app, COACHING + SCHEDULE, 50, "warm")  # warm-up: imports, caches, first connections
    coaching = measure(app, COACHING, args.messages, "c")
    schedule = measure(app, SCHEDULE, args.messages, "s")
    print(report("coaching questions", coaching))
    print(report("schedule_interview", schedule))
    print(report("  of which ranking", ranking_times(app, args.messages)))
    app.close()


if __name__ == "__main__":
    main()
