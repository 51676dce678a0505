"""How many processes or threads a stage may use.

One per core, at most 4, unless ``STORYLINE_WORKERS`` (or the CLI's ``--workers``)
says otherwise: a user sharing a machine can hold storyline to one core.
"""

from __future__ import annotations

import os

from .errors import StorylineError

__all__ = ["default_workers"]


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
