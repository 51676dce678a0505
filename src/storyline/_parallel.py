"""How many processes or threads a stage may use, and how it waits for them.

One per core, at most 4, unless ``STORYLINE_WORKERS`` (or the CLI's ``--workers``)
says otherwise: a user sharing a machine can hold storyline to one core.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from typing import TypeVar

from .errors import StorylineError

__all__ = ["bounded_map", "default_workers", "gather"]

J = TypeVar("J")
R = TypeVar("R")


def default_workers() -> int:
    value = os.environ.get("STORYLINE_WORKERS", "").strip()
    if not value:
        return min(4, os.cpu_count() or 1)
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if workers < 1:
        raise StorylineError(f"STORYLINE_WORKERS={value!r}: expected a whole number of 1 or more")
    return workers


def _run_here(futures: list[Future[R]], jobs: Sequence[J], fn: Callable[[J], R],
              until: Future[R] | None = None) -> None:
    """Do ``fn(job)`` here for each job whose future no worker has started yet, the last
    first (the workers take them from the front), putting a finished future in its
    place; stop once ``until`` is done, or once a job has failed (its error is what the
    caller will get). Cancelled futures are never run by the pool."""
    for i in range(len(futures) - 1, -1, -1):
        if until is not None and until.done():
            return
        if any(f.done() and not f.cancelled() and f.exception() is not None for f in futures):
            return
        if futures[i].cancel():
            done: Future[R] = Future()
            done.set_result(fn(jobs[i]))
            futures[i] = done


def gather(futures: Sequence[Future[R]], jobs: Sequence[J], here: Callable[[J], R]) -> list[R]:
    """The results of ``futures`` (jobs submitted in order), in order. While they run,
    the caller does the jobs no worker has started yet itself, with ``here`` (the
    submitted function, or one that reads what the caller holds), rather than sit idle:
    at the end of a run the workers would otherwise finish a backlog alone."""
    todo = list(futures)
    _run_here(todo, jobs, here)
    return [future.result() for future in todo]


def bounded_map(executor: Executor, fn: Callable[[J], R], jobs: Iterator[J],
                ahead: int, *, here: Callable[[J], R] | None = None) -> Iterator[R]:
    """executor.map, in order, with at most ``ahead`` jobs in flight (map submits them all
    at once, which holds the whole input twice more in memory). With ``here``, the
    caller does jobs not yet started itself while it waits, as in :func:`gather`. Jobs
    not yet started when the caller stops reading are cancelled."""
    futures: deque[Future[R]] = deque()
    given: deque[J] = deque()  # the jobs of futures, kept only to do them here

    def first() -> R:
        if here is not None:
            waiting = list(futures)
            _run_here(waiting, list(given), here, until=waiting[0])
            futures.clear()
            futures.extend(waiting)
            given.popleft()
        return futures.popleft().result()

    try:
        for job in jobs:
            futures.append(executor.submit(fn, job))
            if here is not None:
                given.append(job)
            if len(futures) >= ahead:
                yield first()
        while futures:
            yield first()
    finally:
        for future in futures:
            future.cancel()
