"""One reader per input format. Each yields articles and problems, never raises on bad data."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import orjson

from ..errors import InputProblem
from ..model import Article
from ._records import RecordError, article_from_record, parse_date, record_fields

__all__ = ["READERS", "Fields", "Item", "read_html", "read_json", "read_jsonl",
           "read_jsonl_fields", "read_jsonl_lines", "read_text"]

Item = Article | InputProblem


def _warn(path: str, line: int | None, reasons: list[str]) -> Iterator[InputProblem]:
    for reason in reasons:
        yield InputProblem(path, reason, line, severity="warning")


def read_text(text: str, path: str, stem: str) -> Iterator[Item]:
    """A bare text file: the whole file is the article body; id = file stem."""
    yield Article(id=stem, text=text, original_text=text, path=path)


_DATE_PARAMS = {"extensive_search": True, "original_date": True,
                "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def _page_date(value: str | None) -> datetime | None:
    """htmldate's time: with an offset when the page gave one; midnight without an offset
    is what it writes for a date alone, which stays a date."""
    if value and value.endswith("T00:00:00"):
        value = value[:10]
    return parse_date(value)


def read_html(text: str, path: str, stem: str) -> Iterator[Item]:
    """An HTML page: trafilatura extracts the main text, title, date and site."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    # htmldate's default output is the date alone: a page's 10:15+02:00 became 00:00 UTC
    doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False,
                                      date_extraction_params=_DATE_PARAMS)
    body = getattr(doc, "text", None) if doc is not None else None
    if not body or not body.strip():
        yield InputProblem(path, "no article text found in the HTML page")
        return
    title = (getattr(doc, "title", None) or "").strip()
    lines = [ln for ln in body.split("\n") if ln.strip()]
    if title and lines and lines[0].strip() == title:
        lines = lines[1:]  # trafilatura repeats the headline as the first line
    body = "\n\n".join(lines)
    url = getattr(doc, "url", None)
    source = getattr(doc, "sitename", None) or (urlparse(url).hostname if url else None)
    author = getattr(doc, "author", None)
    yield Article(
        id=stem,
        text=body,
        title=title,
        url=url,
        source=source,
        published=_page_date(getattr(doc, "date", None)),
        authors=[a.strip() for a in author.split(";")] if author else [],
        language=getattr(doc, "language", None),
        original_text=body,
        original_title=title,
        path=path,
    )


def _record(record: object, path: str, line: int | None, fallback_id: str) -> Iterator[Item]:
    try:
        article, warnings = article_from_record(
            record, path=path, line=line, fallback_id=fallback_id
        )
    except RecordError as exc:
        yield InputProblem(path, str(exc), line)
        return
    yield from _warn(path, line, warnings)
    yield article


def read_jsonl(text: str, path: str, stem: str) -> Iterator[Item]:
    """JSON Lines: one article object per line; a broken line is reported and skipped."""
    # Split on newlines only: JSON strings may hold U+2028/U+2029/U+0085 raw.
    return read_jsonl_lines(text.split("\n"), path, stem, 1)


def _parse_line(raw: str, path: str, number: int) -> Any:
    """The record on a JSON Lines line; _BLANK for a blank line, a problem for a broken
    one."""
    raw = raw.rstrip("\r")
    if not raw.strip():
        return _BLANK
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        return InputProblem(path, f"broken JSON: {exc.msg} (column {exc.colno})", number)


_BLANK = object()


def read_jsonl_lines(lines: list[str], path: str, stem: str, first: int) -> Iterator[Item]:
    """The JSON Lines reader over ``lines``, the first being line number ``first``."""
    for number, raw in enumerate(lines, start=first):
        record = _parse_line(raw, path, number)
        if isinstance(record, InputProblem):
            yield record
        elif record is not _BLANK:
            yield from _record(record, path, number, f"{stem}-{number}")


Fields = tuple[str, str, datetime | None, int]
"""An article's id, text, date and line: what dedup reads of a JSON Lines record."""


def read_jsonl_fields(lines: list[bytes], path: str, stem: str, first: int
                      ) -> Iterator[Fields | InputProblem]:
    """:func:`read_jsonl_lines` of UTF-8 ``lines`` reduced to :data:`Fields`, with the
    same problems; raises UnicodeDecodeError if a line is not UTF-8.

    Lines are parsed by orjson, from the bytes: decoding a block and parsing its
    lines with json cost twice as much. Where orjson refuses a line, or may read it
    otherwise (it makes integers beyond 64 bits floats), json decides, so that
    records and problems are those of :func:`read_jsonl_lines`.
    """
    for number, raw in enumerate(lines, start=first):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)
            # json decides for anything but an object of no floats: orjson reads an
            # integer beyond 64 bits as a float, which would change the record or the
            # problem named (a top-level number, a float text)
            exact = type(record) is dict and not any(type(v) is float
                                                     for v in record.values())
        except orjson.JSONDecodeError:
            exact = False
        if not exact:
            record = _parse_line(raw.decode("utf-8"), path, number)
            if isinstance(record, InputProblem):
                yield record
                continue
            if record is _BLANK:
                continue
        try:
            ident, text, published, _, warnings = record_fields(
                record, fallback_id=f"{stem}-{number}")
        except RecordError as exc:
            yield InputProblem(path, str(exc), number)
            continue
        yield from _warn(path, number, warnings)
        yield ident, text, published, number


def read_json(text: str, path: str, stem: str) -> Iterator[Item]:
    """A JSON file: one article object, or an array of them."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield InputProblem(path, f"broken JSON: {exc.msg}", exc.lineno)
        return
    if isinstance(data, list):
        for index, record in enumerate(data):
            yield from _record(record, path, None, f"{stem}-{index + 1}")
    else:
        yield from _record(data, path, None, stem)


def read_csv(text: str, path: str, stem: str) -> Iterator[Item]:
    """CSV with a header row naming the fields (ours or news-please's)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        yield InputProblem(path, "CSV file has no header row")
        return
    try:
        for record in reader:
            line = reader.line_num
            clean = {k: v for k, v in record.items() if k is not None}
            yield from _record(clean, path, line, f"{stem}-{line}")
    except csv.Error as exc:
        yield InputProblem(path, f"broken CSV: {exc}", reader.line_num)


READERS = {
    ".txt": read_text,
    ".text": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
}

