"""The server's update worker: one background thread that brings stories up to date.

A write stores its articles and answers at once; the worker then runs
``repo.update()`` (place what is new, rebrief what changed) outside the request.
Writes that arrive while an update runs are taken by the next one, so a burst of
posts costs one update, not one each.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ._repo import Repository

__all__ = ["UpdateWorker", "WorkerStatus"]

_log = logging.getLogger("storyline.serve")


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    """What the worker is doing: whether work waits, how many updates ran, the last one."""

    pending: bool
    running: bool
    updates: int
    last_seconds: float | None
    last_error: str | None


class UpdateWorker:
    """Runs ``repo.update()`` in a daemon thread whenever :meth:`kick` is called."""

    def __init__(self, repo: Repository, on_done: Callable[[list[str]], None] | None = None
                 ) -> None:
        self.repo = repo
        self.on_done = on_done
        self._wake = threading.Condition()
        self._pending = False
        self._running = False
        self._stop = False
        self._updates = 0
        self._last_seconds: float | None = None
        self._last_error: str | None = None
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        """Ask for an update (written articles wait for one)."""
        with self._wake:
            self._pending = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="storyline-update",
                                                daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def status(self) -> WorkerStatus:
        with self._wake:
            return WorkerStatus(self._pending, self._running, self._updates,
                                self._last_seconds, self._last_error)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no update is pending or running; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._wake:
            while self._pending or self._running:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._wake.wait(left)
            return True

    def close(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._stop:
                    self._wake.wait()
                if self._stop:
                    return
                self._pending, self._running = False, True
            started = time.perf_counter()
            error = None
            changed: list[str] = []
            try:
                changed = self.repo.update()
            except Exception as exc:  # the server keeps serving; the next write retries
                error = f"{type(exc).__name__}: {exc}"
                _log.exception("storyline: update failed")
            with self._wake:
                self._running = False
                self._updates += 1
                self._last_seconds = time.perf_counter() - started
                self._last_error = error
                self._wake.notify_all()
            if self.on_done is not None and error is None:
                self.on_done(changed)
