"""``storyline serve``: stories and their cited briefs over HTTP, as JSON and as web pages.

The app is built over a small :class:`Repository` protocol; :class:`MemoryRepository` keeps
everything in memory, and :func:`open_repository` opens the persistent store by URL or path.
"""

from __future__ import annotations

from ._repo import MemoryRepository, RebuildResult, Repository, WriteCounts, rebuild
from ._run import serving
from ._store import StoreRepository, open_repository
from .app import create_app

__all__ = [
    "MemoryRepository",
    "RebuildResult",
    "Repository",
    "StoreRepository",
    "WriteCounts",
    "create_app",
    "open_repository",
    "rebuild",
    "serving",
]
