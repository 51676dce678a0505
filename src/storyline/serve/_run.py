"""Run the app under uvicorn: what ``storyline serve`` calls."""

from __future__ import annotations

import sys
from pathlib import Path

from ._repo import MemoryRepository, Repository
from .app import create_app

__all__ = ["run_server"]


def run_server(
    *,
    db: str | Path | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    log_level: str = "info",
) -> None:
    """Serve until interrupted; without ``db`` the stories live in memory only."""
    import uvicorn

    repo: Repository
    if db is None:
        repo = MemoryRepository()
        print("storyline: no --db given: serving an empty in-memory store", file=sys.stderr)
    else:
        from ._store import open_repository

        repo = open_repository(db)
    if not token:
        print("storyline: no token configured: writes are refused (403)", file=sys.stderr)
    app = create_app(repo, token=token)
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False,
                proxy_headers=False)
