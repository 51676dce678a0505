"""Database URLs: a bare path or ``sqlite:///`` for the embedded default, or PostgreSQL.

``postgresql://`` (and ``postgres://``) are mapped to the psycopg 3 driver, the
only PostgreSQL driver installed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ._errors import StoreError

__all__ = ["database_url", "display_url"]

_POSTGRES = {"postgresql", "postgres", "postgresql+psycopg"}


def database_url(target: str | Path | URL) -> URL:
    """Parse ``target`` into a SQLAlchemy URL that names a supported driver."""
    if isinstance(target, URL):
        url = target
    elif isinstance(target, Path) or "://" not in target:
        return make_url("sqlite:///" + str(Path(target).expanduser().resolve()))
    else:
        try:
            url = make_url(target)
        except ArgumentError as exc:
            raise StoreError(f"not a database URL: {target!r}") from exc
    if url.drivername in _POSTGRES:
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        return url
    raise StoreError(
        f"unsupported database {url.drivername!r}: use a file path, sqlite:///FILE "
        "or postgresql://USER@HOST/DB"
    )


def display_url(url: URL) -> str:
    """The URL for messages, password hidden."""
    return url.render_as_string(hide_password=True)
