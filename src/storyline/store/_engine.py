"""Engines tuned for safe, resumable writes.

SQLite: Python's sqlite3 module runs DDL outside transactions and starts its own
transactions lazily; we switch that off and issue ``BEGIN IMMEDIATE`` ourselves,
so every transaction (schema changes included) is atomic and takes the write lock
up front instead of failing half-way when another writer appears. WAL lets
readers (an export, a progress poll) run beside a writer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL

__all__ = ["make_engine"]

READ_ONLY = "storyline_read_only"


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # no implicit BEGIN: we send our own below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
