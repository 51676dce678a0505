"""Run the app under uvicorn: what ``storyline serve`` calls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StorylineError
from ._repo import MemoryRepository, Repository
from .app import create_app

__all__ = ["run_server", "serving"]


def run_server(
    *,
    db: str | Path | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    log_level: str = "info",
    state_dir: str | Path | None = None,
) -> None:
    """Serve until interrupted; without ``db`` the stories live in memory only.
    ``state_dir``: the engine's checkpoint (default: beside a SQLite file)."""
    import uvicorn

    repo: Repository
    if db is None:
        repo = MemoryRepository()
        print("storyline: no --db given: serving an empty in-memory store", file=sys.stderr)
    else:
        from ._store import open_repository

        repo = open_repository(db, state_dir=state_dir)
    if not token:
        print("storyline: no token configured: writes are refused (403)", file=sys.stderr)
    app = create_app(repo, token=token)
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False,
                proxy_headers=False)


@contextmanager
def serving(db: str | Path, *, token: str | None = None, log_level: str = "warning",
            timeout: float = 60.0) -> Iterator[str]:
    """Run ``storyline serve`` in a child process on a free loopback port; yield its base URL.

    For tests and benchmarks that need a real server: waits until the API answers, and
    stops the process (terminate, then kill) however the block ends.
    """
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "STORYLINE_TOKEN"}
    if token:
        env["STORYLINE_TOKEN"] = token
    proc = subprocess.Popen(
        [sys.executable, "-m", "storyline", "serve", "--db", str(db), "--port", str(port),
         "--log-level", log_level],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                tail = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
                raise StorylineError(f"storyline serve exited: {tail}")
            try:
                if httpx.get(f"{base}/api/stories", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise StorylineError(f"storyline serve did not answer within {timeout:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
