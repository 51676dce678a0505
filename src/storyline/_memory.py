"""Keeping freed memory for reuse, and the cycle collector out of the way, in batch runs.

A run allocates and frees arrays of hundreds of kilobytes for every block of articles.
glibc gives such blocks back to the system when they are freed (they are mapped
separately, or trimmed from the top of the heap), so the next one faults in fresh
pages, and on virtual machines those faults cost as much as a fifth of the reading
(measured: sys time halved on the 50k benchmark). A batch command asks glibc to keep
them instead; the peak memory hardly changes, since the same blocks are reused.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_cycle_collection", "reuse_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3


def reuse_freed_memory(keep: int = 256 << 20, separate: int = 32 << 20) -> bool:
    """Ask the C allocator to keep up to ``keep`` bytes of freed memory, and to map
    separately only blocks of ``separate`` bytes or more (glibc refuses more than 32
    MB there on 64-bit systems). Worker processes forked after inherit it. Returns
    whether every setting took; where it cannot (not glibc) nothing changes."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl has no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    taken = [mallopt(option, value) == 1 for option, value in (
        (_M_MMAP_THRESHOLD, separate), (_M_TRIM_THRESHOLD, keep), (_M_TOP_PAD, 16 << 20))]
    return all(taken)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cycle collector paused inside the block, for the whole process (and for
    processes forked in it).

    Dedup makes hundreds of thousands of containers (tuples, records, matches) that
    reference counting frees, and almost no cycles (714 objects in a 50k run); the
    collector's passes over them cost 0.4 s of the run's main process. Cycles made
    meanwhile are collected once it is back on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
