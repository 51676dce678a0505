"""Complete exports of the articles table: jsonl, json, csv or parquet.

Each row is an article's current version plus what the rest of the database
says about it: how many versions it has had, its latest dedup verdict and story.
Rows are streamed, so an export never holds the whole database in memory.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..ingest._records import parse_date
from ._schema import ArticleRow, DedupRow, StoryMemberRow, VersionRow

__all__ = ["COLUMNS", "FORMATS", "SUFFIXES", "format_of", "write_export"]

FORMATS = ("jsonl", "json", "csv", "parquet")
#: The format a file name implies (``export --out news.csv`` without ``--format``).
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
            ".parquet": "parquet", ".pq": "parquet"}
COLUMNS = ("key", "id", "url", "source", "title", "original_title", "published", "authors",
           "language", "text", "original_text", "content_hash", "first_seen", "last_seen",
           "versions", "dedup_group", "dedup_relation", "dedup_of", "story")
_CHUNK = 1000


def _rows(session: Session) -> Iterator[dict[str, Any]]:
    versions = dict(session.execute(
        select(VersionRow.article_key, func.count()).group_by(VersionRow.article_key)).all())
    dedup: dict[str | None, tuple[str | None, str | None, str | None]] = {}
    for key, d_group, d_relation, d_of in session.execute(
            select(DedupRow.article_key, DedupRow.group, DedupRow.relation, DedupRow.of)
            .where(DedupRow.article_key.is_not(None)).order_by(DedupRow.pk)):
        dedup[key] = (d_group, d_relation, d_of)  # later saves win
    story: dict[str | None, str] = {}
    for key, story_id in session.execute(
            select(StoryMemberRow.article_key, StoryMemberRow.story_id)
            .where(StoryMemberRow.article_key.is_not(None)).order_by(StoryMemberRow.pk)):
        story[key] = story_id
    result = session.execute(select(ArticleRow).order_by(ArticleRow.pk)
                             .execution_options(yield_per=_CHUNK))
    for row in result.scalars():
        group, relation, of = dedup.get(row.key, (None, None, None))
        yield {"key": row.key, "id": row.id, "url": row.url, "source": row.source,
               "title": row.title, "original_title": row.original_title,
               "published": row.published_as or row.published, "authors": list(row.authors),
               "language": row.language, "text": row.text, "original_text": row.original_text,
               "content_hash": row.content_hash, "first_seen": row.first_seen,
               "last_seen": row.last_seen, "versions": versions.get(row.key, 0),
               "dedup_group": group, "dedup_relation": relation, "dedup_of": of,
               "story": story.get(row.key)}


def format_of(path: str | Path) -> str | None:
    """The export format a file's extension names, or None."""
    return SUFFIXES.get(Path(path).suffix.lower())


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@contextmanager
def _target(out: str | Path | IO[Any], binary: bool) -> Iterator[IO[Any]]:
    """An open file: the stream given, or a temporary file renamed over the path at the end."""
    if not isinstance(out, str | Path):
        yield out
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600 (private to a temporary file); the export itself is
        # an ordinary file, so it gets the mode open() would give it under the umask.
        os.fchmod(fd, 0o666 & ~_umask())
        f: IO[Any] = (os.fdopen(fd, "wb") if binary
                      else os.fdopen(fd, "w", encoding="utf-8", newline=""))
        with f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (only settable, so set and restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _json(rows: Iterator[dict[str, Any]], f: IO[str]) -> int:
    """One JSON array, one article per line, written as it streams."""
    n = 0
    f.write("[")
    for n, row in enumerate(rows, 1):  # noqa: B007
        f.write(("\n" if n == 1 else ",\n")
                + json.dumps({k: _iso(v) for k, v in row.items()}, ensure_ascii=False))
    f.write("\n]\n" if n else "]\n")
    return n


def _jsonl(rows: Iterator[dict[str, Any]], f: IO[str]) -> int:
    n = 0
    for n, row in enumerate(rows, 1):  # noqa: B007
        f.write(json.dumps({k: _iso(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
    return n


def _csv(rows: Iterator[dict[str, Any]], f: IO[str]) -> int:
    writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    n = 0
    for n, row in enumerate(rows, 1):  # noqa: B007
        row["authors"] = json.dumps(row["authors"], ensure_ascii=False)
        writer.writerow({k: "" if v is None else _iso(v) for k, v in row.items()})
    return n


def _parquet(rows: Iterator[dict[str, Any]], f: IO[bytes]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ts = pa.timestamp("us", tz="UTC")
    schema = pa.schema([
        ("key", pa.string()), ("id", pa.string()), ("url", pa.string()),
        ("source", pa.string()), ("title", pa.string()), ("original_title", pa.string()),
        ("published", ts), ("authors", pa.list_(pa.string())), ("language", pa.string()),
        ("text", pa.string()), ("original_text", pa.string()), ("content_hash", pa.string()),
        ("first_seen", ts), ("last_seen", ts), ("versions", pa.int64()),
        ("dedup_group", pa.string()), ("dedup_relation", pa.string()),
        ("dedup_of", pa.string()), ("story", pa.string()),
    ])
    n = 0
    with pq.ParquetWriter(f, schema) as writer:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            if isinstance(row["published"], str):  # as given; parquet holds the UTC instant
                row["published"] = parse_date(row["published"])
            chunk.append(row)
            if len(chunk) == _CHUNK:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                n += len(chunk)
                chunk = []
        if chunk or n == 0:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            n += len(chunk)
    return n


def write_export(session: Session, fmt: str, out: str | Path | IO[Any]) -> int:
    """Write every article to ``out`` in ``fmt``; returns how many were written."""
    binary = fmt == "parquet"
    if binary and isinstance(out, io.TextIOBase):
        raise ValueError("parquet is binary: give a file path or a binary stream")
    with _target(out, binary) as f:
        if fmt == "jsonl":
            return _jsonl(_rows(session), f)
        if fmt == "json":
            return _json(_rows(session), f)
        if fmt == "csv":
            return _csv(_rows(session), f)
        return _parquet(_rows(session), f)
