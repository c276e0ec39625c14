"""CPU per message of the coaching core (Coach.handle), on the embedded SQLite database.

Usage: python -m bench.core_bench [--messages 2000] [--users 200] [--json]

To measure another version of the bot the same way (a baseline), run this file with that version
first on the path: ``git archive main | tar -x -C /tmp/base`` then
``PYTHONPATH=/tmp/base python bench/core_bench.py`` (``python -m bench --baseline /tmp/base`` does it).

Every message comes from a returning student (each wrote twice before, not measured) and is
different: companies, people, days, times, settings and wording vary per student, with typos and
shorthand, so the intent classifier, the entity tagger and the date parser all work on every
message (no cache of a repeated text helps). Measured per message, in the same run:

* CPU time of the handling thread (``time.thread_time``: understanding, database work, advice;
  not time spent waiting), median and p99, for coaching questions and for new interviews;
* wall time, median and p99;
* SQL statements sent to the database (a SQLAlchemy event listener), on average.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.common.settings import load_settings
from bot.common.types import ConversationRef, IncomingMessage
from bot.ops.app import App

COMPANIES = [
    "Acme", "Globex", "Initech", "Blue Harbor Analytics", "Umbrella Health", "Stark Industries", "Wayne Logistics",
    "Hooli", "Pied Piper", "Vandelay Imports", "Soylent", "Tyrell Corp", "Cyberdyne", "Oscorp", "Nakatomi Trading",
]  # fmt: skip
PEOPLE = [
    "Sarah Chen", "Tom", "Priya Natarajan", "Jorge", "Ms. Okafor", "Dave from HR", "Lena Fischer", "Ahmed",
    "the CTO", "Kim Park", "Mr. Rossi", "Aisha",
]  # fmt: skip
DAYS = ["monday", "Tuesday", "wed", "Thursday", "friday", "next Monday", "tmrw", "tomorrow", "3/12", "March 19"]
TIMES = ["3pm", "10am", "11:30", "2", "9:15 am", "4 pm", "noon", "1:45pm"]
SETTINGS = ["over dinner", "on zoom", "in person", "at their office", "by phone", "over lunch", ""]

COACHING = [
    "what should I ask {person} at the end?",
    "its a dinner interview with {company} {day}, can I order wine?",
    "{company} offered me the job on the spot, what do I say??",
    "how do I prepare for round 2 at {company}",
    "may I ask {company} for a week to decide on the offer?",
    "they asked about my salary expectations, what number do i give {person}",
    "im so nervous about {day} at {time} 😬",
    "do i need to bring slides for the presentation to {person}",
    "how do i know if {company} is right for me",
    "who will I meet this time, {person} again?",
    "how is the second round differnt from the first one",
    "what to wear for a {setting} interview",
    "should I send a thank you email to {person} after {day}",
]
SCHEDULE = [
    "I have a second interview with {company} on {day} at {time} with {person}, {setting}",
    "2nd round w/ {company_low} {day} {time} {setting}",
    "got a second interview at {company} {day} at {time} with the hiring manager",
    "second interview with {company} on {day} at {time}, with {person} and {person2}",
    "{company} invited me back for a final round {day} {time}",
]


def text_for(template: str, rng: random.Random) -> str:
    """One message from a template, with this student's details."""
    company = rng.choice(COMPANIES)
    person, person2 = rng.sample(PEOPLE, 2)
    return " ".join(
        template.format(
            company=company,
            company_low=company.lower(),
            person=person,
            person2=person2,
            day=rng.choice(DAYS),
            time=rng.choice(TIMES),
            setting=rng.choice(SETTINGS),
        ).split()
    )


@dataclass
class Kind:
    """Measurements of one kind of message."""

    cpu: list[float]
    wall: list[float]
    statements: list[int]
    intents: list[str]

    def statements_when(self, intents: frozenset[str] | set[str]) -> list[int]:
        """Statements of the messages that were handled as one of ``intents``."""
        return [n for n, i in zip(self.statements, self.intents, strict=True) if i in intents]

    def median_ms(self) -> float:
        """Median CPU per message, ms."""
        return statistics.median(self.cpu) * 1000

    def p99_ms(self) -> float:
        """99th percentile CPU per message, ms."""
        return statistics.quantiles(self.cpu, n=100)[98] * 1000

    def line(self, name: str) -> str:
        """One row of the report."""
        wall_q = statistics.quantiles(self.wall, n=100)[98] * 1000
        return (
            f"{name:20s} n={len(self.cpu):5d}  CPU median {self.median_ms():6.2f} ms  p99 {self.p99_ms():6.2f} ms   "
            f"wall median {statistics.median(self.wall) * 1000:6.2f} ms  p99 {wall_q:6.2f} ms   "
            f"SQL statements {statistics.mean(self.statements):4.1f}/message"
        )


class Counter:
    """Statements sent to the database (an engine event listener)."""

    def __init__(self, app: App) -> None:
        self.count = 0
        event.listen(app.db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def measure(app: App, counter: Counter, templates: list[str], n: int, users: int, seed: int) -> Kind:
    """``n`` messages from ``users`` returning students, each text different; per-message CPU, wall, statements."""
    rng = random.Random(seed)
    out = Kind([], [], [], [])
    seen: list[str] = []
    app.coach.observers.append(lambda handled: seen.append(handled.intent))
    for i in range(n):
        ref = ConversationRef("bench", "", "dm", f"u{i % users}")
        msg = IncomingMessage(ref, text=text_for(templates[i % len(templates)], rng), tz_hint="America/New_York")
        before = counter.count
        wall, cpu = time.perf_counter(), time.thread_time()
        app.coach.handle(msg)
        out.cpu.append(time.thread_time() - cpu)
        out.wall.append(time.perf_counter() - wall)
        out.statements.append(counter.count - before)
        out.intents.append(seen[-1] if seen else "?")
    app.coach.observers.pop()
    return out


def ranking_times(app: App, n: int) -> list[float]:
    """The part of a coaching answer spent ranking the knowledge items (facts, BM25, scoring, choosing).

    Each ranking is of a question not asked before (the ranking remembers the last questions it read).
    """
    from bot.coaching import advice, situation

    knowledge = app.knowledge
    rng = random.Random(7)
    texts: dict[str, None] = {}
    for i in range(n * 20):  # (a template with few blanks gives the same text again: drawn until n differ)
        texts[text_for(COACHING[i % len(COACHING)], rng)] = None
        if len(texts) == n:
            break
    parses = [app.nlu.parse(text, datetime(2026, 3, 2, 10), "UTC") for text in texts]  # (in the order drawn)
    times = []
    for i in range(len(parses)):
        parse = parses[i]
        start = time.thread_time()
        facts = situation.Facts()
        for name, found in situation.detect(knowledge, parse.text).items():
            facts.values[name] = found.value
        priors = {p: c for p, c in parse.alternatives}
        advice.choose(advice.rank(knowledge, facts, parse.text, priors))
        times.append(time.thread_time() - start)
    return times


def run(messages: int = 2000, users: int = 200) -> dict[str, Any]:
    """Build the bot on a fresh SQLite file, warm every student up, measure; returns the figures."""
    data = Path(tempfile.mkdtemp(prefix="core-bench-"))
    settings = load_settings(
        data_dir=data, database_url=f"sqlite:///{data / 'bench.db'}", health_addr="", flood_messages=1_000_000
    )
    started = time.perf_counter()
    app = App.build(settings)
    startup = time.perf_counter() - started
    counter = Counter(app)
    for u in range(users):  # first contact and one question: every measured message is from a returning student
        ref = ConversationRef("bench", "", "dm", f"u{u}")
        app.coach.handle(IncomingMessage(ref, text="hi", tz_hint="America/New_York"))
        app.coach.handle(IncomingMessage(ref, text="how do I prepare?", tz_hint="America/New_York"))
    coaching = measure(app, counter, COACHING, messages, users, seed=1)
    schedule = measure(app, counter, SCHEDULE, min(messages, users * 20), users, seed=2)
    ranking = ranking_times(app, min(messages, 500))
    app.close()
    return {"startup_s": startup, "coaching": coaching, "schedule": schedule, "ranking": ranking}


def summary(result: dict[str, Any]) -> dict[str, float]:
    """The headline figures, as plain numbers (for ``--json`` and ``python -m bench``)."""
    c, s = result["coaching"], result["schedule"]
    return {
        "coaching_median_ms": c.median_ms(),
        "coaching_p99_ms": c.p99_ms(),
        "schedule_median_ms": s.median_ms(),
        "schedule_p99_ms": s.p99_ms(),
        "coaching_statements": statistics.mean(c.statements),
        "schedule_statements": statistics.mean(s.statements),
    }


def main() -> None:
    """Run and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    result = run(args.messages, args.users)
    if args.json:
        print(json.dumps(summary(result)))
        return
    print(f"start-up (migrate, load knowledge and models): {result['startup_s']:.2f} s")
    print(result["coaching"].line("coaching question"))
    print(result["schedule"].line("schedule_interview"))
    ranking = result["ranking"]
    print(
        f"{'  of which ranking':20s} n={len(ranking):5d}  CPU median {statistics.median(ranking) * 1000:6.2f} ms  "
        f"p99 {statistics.quantiles(ranking, n=100)[98] * 1000:6.2f} ms"
    )


if __name__ == "__main__":
    main()
