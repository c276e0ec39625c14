"""Start-up: time to the first reply of ``secondround chat`` on a fresh data and cache folder.

Usage: python bench/nlu_start.py [--runs N]

Each run starts ``secondround chat`` with an empty data folder and an empty cache folder (a first
start on a fresh machine: no database, no cached models), types one coaching question and measures
wall time from process start to the first line of the answer. Then, in a fresh interpreter, the
language-understanding part alone: ``import bot.nlu``, ``NLU.load()`` and the first ``parse``, and
which of scikit-learn, scipy and dateparser got imported (none should be).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).parent / "secondround"
PROBE = """
import sys, time
t0 = time.perf_counter()
from bot.nlu import NLU
t1 = time.perf_counter()
nlu = NLU.load()
t2 = time.perf_counter()
from datetime import datetime
nlu.parse("how do I prepare for round two?", datetime(2026, 3, 2, 10), "America/New_York")
t3 = time.perf_counter()
rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
heavy = sorted(m for m in ("sklearn", "scipy", "dateparser") if m in sys.modules)
print(f"import bot.nlu {t1 - t0:.2f} s, NLU.load {t2 - t1:.2f} s, first parse {1000 * (t3 - t2):.1f} ms, "
      f"RSS {rss} MB, heavy modules imported: {heavy}")
"""


def first_reply() -> float:
    base = Path(tempfile.mkdtemp(prefix="secondround-start-"))
    env = dict(os.environ, SECONDROUND_DATA_DIR=str(base / "data"), SECONDROUND_CACHE_DIR=str(base / "cache"))
    start = time.monotonic()
    proc = subprocess.Popen(
        [str(EXE), "chat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("how do I prepare for a second interview?\n")
    proc.stdin.flush()
    elapsed = float("nan")
    for line in proc.stdout:
        if line.lstrip().startswith(("•", "-", "[/1]")):
            elapsed = time.monotonic() - start
            break
    proc.stdin.close()
    proc.wait(timeout=60)
    shutil.rmtree(base, ignore_errors=True)
    return elapsed


def main(argv: list[str]) -> None:
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    times = [first_reply() for _ in range(runs)]
    print(f"secondround chat, fresh data and cache: first reply after {statistics.median(times):.2f} s (median "
          f"of {runs}: {', '.join(f'{t:.2f}' for t in times)}); load average {os.getloadavg()[0]:.1f}")
    subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
