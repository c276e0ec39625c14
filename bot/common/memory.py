"""Giving memory freed after a one-off burst of work (building an index) back to the operating system.

CPython returns freed blocks to the C allocator, which keeps them for reuse; after a build whose
scratch data (tokens, counts) is larger than what it keeps, that is several megabytes of resident
memory that a long-running bot never needs again. glibc's ``malloc_trim`` hands them back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system; False where the C library cannot (not glibc)."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
