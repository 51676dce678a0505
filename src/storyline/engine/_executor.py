"""Where the engine's per-item work runs: this process, or a pool of processes.

The engine maps a function over items (stories to brief, batches to analyse) through
the small :class:`Executor` protocol, so the same stages can later run on a
distributed engine by giving it another implementation, without changing them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar

__all__ = ["Executor", "LocalExecutor", "SerialExecutor"]

J = TypeVar("J")
R = TypeVar("R")


class Executor(Protocol):
    """Maps a function over items and yields the results in the items' order."""

    def map(self, fn: Callable[[J], R], items: Iterable[J]) -> Iterator[R]: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Everything in this process, one item after another."""

    def map(self, fn: Callable[[J], R], items: Iterable[J]) -> Iterator[R]:
        return map(fn, items)

    def close(self) -> None:
        pass


class LocalExecutor:
    """A pool of ``workers`` forked processes, started on the first map with at least
    ``min_items`` items (fewer run here: forking would cost more than it saves). Forked
    workers inherit what this process has loaded (the spaCy model, compiled kernels)."""

    def __init__(self, workers: int, *, min_items: int = 8, chunksize: int = 4) -> None:
        self.workers = max(1, workers)
        self.min_items = min_items
        self.chunksize = chunksize
        self._pool: ProcessPoolExecutor | None = None

    def _usable(self) -> bool:
        # fork with other threads running can deadlock a child: stay serial then
        return self._pool is not None or (os.name == "posix"
                                          and threading.active_count() == 1)

    def start(self) -> bool:
        """Fork the workers now, while no other thread runs (an engine starts its pool
        before its dedup index starts threads); False when that cannot be done safely."""
        if self._pool is None and self.workers > 1 and self._usable():
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("fork"))
            self._pool.submit(os.getpid).result()  # fork now, not at the first real job
        return self._pool is not None

    def map(self, fn: Callable[[J], R], items: Iterable[J]) -> Iterator[R]:
        todo = list(items)
        if self.workers < 2 or len(todo) < self.min_items or not self.start():
            return map(fn, todo)
        assert self._pool is not None
        return self._pool.map(fn, todo, chunksize=self.chunksize)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
