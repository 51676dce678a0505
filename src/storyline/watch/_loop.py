"""Poll forever (or a given number of times), handing each poll's result to a callback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from ._fetch import Fetcher
from ._poll import PollResult, poll
from ._state import WatchState

__all__ = ["watch"]


def watch(
    sources: Iterable[str],
    on_articles: Callable[[PollResult], object],
    interval: float,
    max_polls: int | None = None,
    stop_event: threading.Event | None = None,
    *,
    fetcher: Fetcher | None = None,
    state: WatchState | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Poll ``sources`` every ``interval`` seconds until ``max_polls`` or ``stop_event``.

    ``on_articles`` gets every poll's :class:`PollResult` (also empty ones, so a
    caller can report problems). The state is saved after the callback returns,
    when it has a path: a crash in between means a repeat, never a loss.
    Returns the number of polls made. A fetcher made here is closed here.
    """
    feeds = list(sources)  # read once: a generator would be empty from the second poll on
    stop = stop_event or threading.Event()
    own_fetcher = fetcher is None
    active = fetcher or Fetcher()
    current = state if state is not None else WatchState()
    polls = 0
    try:
        while not stop.is_set() and (max_polls is None or polls < max_polls):
            started = clock()
            result = poll(feeds, active, current)
            polls += 1
            on_articles(result)
            if current.path is not None:
                current.save()
            if max_polls is not None and polls >= max_polls:
                break
            # Event.wait, not sleep: setting the event ends the wait at once.
            stop.wait(max(0.0, interval - (clock() - started)))
    finally:
        if own_fetcher:
            active.close()
    return polls
