"""A progress bar on stderr that appears only for runs longer than a second.

Silent when stderr is not a terminal (pipes, CI logs) or with ``--quiet``.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType

__all__ = ["Progress"]


class Progress:
    """Counts work done; shows a rich bar once the run has lasted ``delay`` seconds."""

    def __init__(self, label: str, total: int | None, *, enabled: bool = True,
                 delay: float = 1.0) -> None:
        self.label = label
        self.total = total
        self.enabled = enabled and sys.stderr.isatty()
        self.delay = delay
        self.done = 0
        self._start = time.monotonic()
        self._bar: object | None = None
        self._task: object | None = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()  # type: ignore[attr-defined]

    def __call__(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._start < self.delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(),
                                     console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total)
        self._bar.update(self._task, completed=self.done)  # type: ignore[attr-defined]
