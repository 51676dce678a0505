"""The one error the store raises on purpose, so the CLI can report it in one line."""

from __future__ import annotations

from ..errors import StorylineError

__all__ = ["StoreError"]


class StoreError(StorylineError):
    """A database URL that cannot be used, or a store that cannot be opened or written."""
