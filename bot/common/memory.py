"""The C allocator's memory, for a long-running process: give freed memory back, and keep few heaps.

CPython returns freed blocks to the C allocator, which keeps them for reuse; after a burst of work whose
scratch data (tokens, counts) is larger than what it keeps, that is several megabytes of resident
memory that a long-running bot never needs again: glibc's ``malloc_trim`` hands them back.

glibc also gives each thread that allocates while another holds a heap's lock a heap of its own, up to
eight per CPU, each with its own free memory. The server's threads (the coach's workers, the inbox
writer, Python's default executor) allocate little outside the GIL, so they gain next to nothing from
heaps of their own: one shared pair holds ~1.4 MB less once warm (``python -m bench.slack_bench``,
docs/performance.md). Elsewhere (musl, macOS) both calls do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache

M_ARENA_MAX = -8  # glibc's mallopt() parameter (malloc.h)


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system; False where the C library cannot (not glibc)."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is None:
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return bool(trim(0))


def limit_arenas(count: int) -> bool:
    """Let the C allocator create at most ``count`` heaps from now on; False where it cannot (not glibc).

    Threads that already have a heap keep it: call this before the server's threads start.
    ``MALLOC_ARENA_MAX`` in the environment, when set, is the operator's choice and is left alone.
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, max(1, count)))
