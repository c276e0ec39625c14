"""The time ranking adds to a coaching message: reading the facts, ranking every item, choosing three.

Usage: python -m bench.ranking_bench [--repeat N]

Runs over the questions of tests/data/ranking_own.jsonl and tests/data/dev/ranking.jsonl (the NLU parse is
done once beforehand and not timed: it happens for every message anyway), each time as a question the ranking
has not read before (it remembers the last ones). Prints the median and p99 CPU time of the thread per
message (``time.thread_time``: on a shared machine, wall time mostly measures the other processes), and
the one-off time to build the index when the knowledge base is loaded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bench.ranking_eval import NOW, ROOT
from bot.coaching import advice, situation
from bot.coaching.handlers.coaching import _priors
from bot.knowledge.library import load_knowledge
from bot.nlu import NLU

FILES = [ROOT / "tests/data/ranking_own.jsonl", ROOT / "tests/data/dev/ranking.jsonl"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    knowledge = load_knowledge()
    nlu = NLU.load()
    started = time.perf_counter()
    advice.index(knowledge)
    build = time.perf_counter() - started
    texts = [json.loads(line)["text"] for path in FILES for line in Path(path).read_text().splitlines() if line]
    parsed = [(t, _priors(nlu.parse(t, NOW, "UTC"))) for t in texts]
    seconds: list[float] = []
    idx = advice.index(knowledge)
    for _ in range(args.repeat):
        for text, priors in parsed:
            idx.forget()  # each time as a question read for the first time
            started = time.thread_time()
            facts = situation.Facts()
            for name, found in situation.detect(knowledge, text).items():
                facts.values[name] = found.value
            advice.choose(advice.rank(knowledge, facts, text, priors))
            seconds.append(time.thread_time() - started)
    p99 = statistics.quantiles(seconds, n=100)[98]
    print(
        f"ranking per message (thread CPU): median {statistics.median(seconds) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms "
        f"(n={len(seconds)}); index built once in {build * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
