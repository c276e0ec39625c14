"""The server's cap on the C allocator's heaps: threads started after it share them."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

CODE = """
import ctypes, ctypes.util, sys, threading
from bot.common.memory import limit_arenas
if sys.argv[1] == "limit":
    assert limit_arenas(1)
def work():
    blocks = [bytes(4096) for _ in range(64)]  # larger than pymalloc's blocks: the C allocator's
    del blocks
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ctypes.CDLL(ctypes.util.find_library("c")).malloc_stats()  # one "Arena N:" block per heap, on stderr
"""


def heaps(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", CODE, mode], capture_output=True, text=True, env=env, check=True)
    return sum(1 for line in done.stderr.splitlines() if line.startswith("Arena "))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_threads_share_one_heap_once_limited() -> None:
    assert heaps("free") > 1  # (each thread gets a heap of its own by default)
    assert heaps("limit") == 1


def test_the_operators_setting_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.common.memory import limit_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_arenas(1) is False
