"""Idle memory and first-reply time of ``secondround chat``, on a new data folder and then on the same one.

Usage: python -m bench.chat_rss

``python -m bench`` measures the first start only (a new data folder: the embedded database is
created and migrated, which loads Alembic). Here the same folder is used a second time, as every
later start of a student's ``secondround chat`` does: the database is already at the newest
revision, so Alembic is never imported. To measure another tree the same way, put it first on the
path: ``PYTHONPATH=/tmp/base python -m bench.chat_rss`` (the ``secondround`` command imports ``bot``
from there).
"""

from __future__ import annotations

import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.slack_bench import process_rss_mb


def loaded(pid: int, *names: str) -> list[str]:
    """Which of ``names`` have a shared object or file mapped into process ``pid`` (a library imported)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [n for n in names if f"/{n}/" in maps]


def compile_package() -> None:
    """Byte-compile SecondRound's own modules, as ``pip install`` does for an installed package.

    An editable checkout run with ``PYTHONDONTWRITEBYTECODE`` set (as on some shared machines) would
    otherwise compile about a hundred modules from source at every start (0.2-0.3 s), which no
    installed copy does; the third-party packages in the environment were compiled when installed.
    """
    import bot

    root = Path(bot.__file__).resolve().parent.parent
    for package in ("bot", "adapters"):
        if (root / package).is_dir():
            compileall.compile_dir(root / package, quiet=1)


def chat_figures(data: Path, cache_dir: Path | None = None) -> dict[str, Any]:
    """Start ``secondround chat --jsonl`` on the data folder ``data``, ask one question.

    Seconds to the reply, idle RSS after it, which heavy libraries it loaded, how many replies came.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECONDROUND_", "SLACK_", "DISCORD_"))}
    env.update({"SECONDROUND_DATA_DIR": str(data), "SECONDROUND_HEALTH_ADDR": ""})
    if cache_dir is not None:
        env["SECONDROUND_CACHE_DIR"] = str(cache_dir)
    exe = str(Path(sys.executable).parent / "secondround")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [exe, "chat", "--jsonl", "--tz", "America/New_York"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("how do I prepare for a panel interview?\n")
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())
        first_reply = time.perf_counter() - started
        time.sleep(1.0)  # idle
        return {
            "first_reply_s": first_reply,
            "rss_mb": process_rss_mb(proc.pid),
            "heavy": loaded(proc.pid, "sklearn", "scipy", "dateparser"),
            "replies": len(answer.get("replies", [])),
        }
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    """Measure twice on one data folder and print both."""
    compile_package()
    data = Path(tempfile.mkdtemp(prefix="bench-chat-rss-"))
    for label in ("first start, new data folder", "next start, same data folder"):
        got = chat_figures(data)
        print(f"{label:30s} first reply {got['first_reply_s']:5.2f} s   idle RSS after it {got['rss_mb']:4.0f} MB")


if __name__ == "__main__":
    main()
