"""How many heaps ("arenas") the C allocator keeps, for a long-running server.

glibc gives each thread that allocates while another holds a heap's lock a heap of its own, up to
eight per CPU; each keeps its own free memory, which ``malloc_trim`` (bot.common.memory) only partly
hands back. The server's threads (the coach's workers, the inbox writer, Python's default executor)
allocate little outside the GIL, so they gain next to nothing from heaps of their own: one shared heap
holds ~1.4 MB less once warm (``python -m bench.slack_bench``, docs/performance.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # glibc's mallopt() parameter (malloc.h)


def limit_arenas(count: int) -> bool:
    """Let the C allocator create at most ``count`` heaps from now on; False where it cannot (not glibc).

    Threads that already have a heap keep it: call this before the server's threads start.
    ``MALLOC_ARENA_MAX`` in the environment, when set, is the operator's choice and is left alone.
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # musl, macOS: no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, max(1, count)))
