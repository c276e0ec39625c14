"""How long redaction takes on hostile input: per pattern (no cut) and per whole log field.

Usage: python -m bench.logs_bench [--runs 7]

For each input shape that made an old pattern quadratic (a long run of token characters, runs
split by dots, a long scheme before ``://``…), times every redaction pattern on inputs of 50k,
200k and 800k characters and prints the median and the growth per 4× input (about 4 means linear;
16 would be quadratic). Then times :func:`bot.ops.logs.redact` on whole fields up to 4 MB: the cut before
the patterns keeps that flat.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable

from bot.ops.logs import _PATTERNS, redact

SHAPES: dict[str, Callable[[int], str]] = {
    "token run": lambda n: "a" * n,
    "dotted runs": lambda n: ("a" * 30 + ".") * (n // 31),
    "a.a.a": lambda n: "a." * (n // 2),
    "long scheme": lambda n: "a" * n + "://",
    "hex run": lambda n: "0" * n,
    "url pieces": lambda n: "x://y:" * (n // 6),
    "open quotes": lambda n: "password='" + 'password="' * (n // 10),
    "key + spaces": lambda n: "token=" + " " * n,
}
SIZES = (50_000, 200_000, 800_000)


def timed(func: Callable[[], object], runs: int) -> float:
    """Median seconds of ``runs`` calls."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print("all patterns, no cut: median ms at " + ", ".join(f"{n:,}" for n in SIZES) + " chars; growth per 4×")
    for name, make in SHAPES.items():
        medians = []
        for n in SIZES:
            text = make(n)
            medians.append(timed(lambda text=text: [p.sub(r, text) for p, r in _PATTERNS], args.runs))
        growth = [b / a for a, b in itertools.pairwise(medians)]
        print(
            f"  {name:14s} "
            + "  ".join(f"{m * 1000:8.2f}" for m in medians)
            + "   growth "
            + ", ".join(f"{g:.1f}×" for g in growth)
        )
    print("redact() on one field (cut first): median ms")
    for n in (10_000, 1_000_000, 4_000_000):
        text = "a" * n
        print(f"  {n:>9,} chars  {timed(lambda text=text: redact(text), args.runs) * 1000:8.3f}")


if __name__ == "__main__":
    main()
