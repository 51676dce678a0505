"""Mapping of JSON/CSV records (our names and news-please's) onto :class:`Article`."""

from __future__ import annotations

import email.utils
import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from ..model import Article

__all__ = ["Day", "RecordError", "article_from_record", "parse_date", "record_fields"]


class RecordError(ValueError):
    """A record that cannot become an article; the message says why."""


# First key present wins. news-please: maintext, date_publish, source_domain, authors.
_TEXT_KEYS = ("text", "maintext", "content", "body", "article_text")
_TITLE_KEYS = ("title", "headline", "title_page", "title_rss")
_DATE_KEYS = ("published", "date_publish", "date", "pubDate", "published_at", "datetime",
              "date_modify", "date_download")
_SOURCE_KEYS = ("source", "source_domain", "outlet", "publisher", "sitename", "site")
_URL_KEYS = ("url", "link", "source_url")
_ID_KEYS = ("id", "article_id", "uuid", "guid")
_LANG_KEYS = ("language", "lang")
_AUTHOR_KEYS = ("authors", "author", "byline")


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


class Day(datetime):
    """A publication date without a time of day ("2021-04-22").

    It is midnight UTC for every comparison and sort, but says only the date when
    written out, so that a date-only source is never shown or stored as 00:00.
    """

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return self.date().isoformat()

    def __str__(self) -> str:
        return self.isoformat()


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: Any) -> datetime | None:
    """Parse ISO 8601, "YYYY-MM-DD HH:MM:SS" (news-please) or RFC 2822; ``None`` if unparseable.

    Naive times are taken as UTC so that every date in a run compares; a given offset
    is kept (10:15+02:00 stays so, the same instant as 08:15 UTC), and a date alone
    is a :class:`Day`.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
        try:
            d = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return Day(d.year, d.month, d.day, tzinfo=UTC)
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, int | float):
        try:
            dt = datetime.fromtimestamp(float(value), tz=UTC)
        except (ValueError, OverflowError, OSError):  # NaN, infinite, out of range
            return None
    else:
        s = str(value).strip()
        dt_or_none: datetime | None = None
        try:
            dt_or_none = datetime.fromisoformat(s)
        except ValueError:
            try:
                dt_or_none = email.utils.parsedate_to_datetime(s)
            except (TypeError, ValueError, IndexError):
                dt_or_none = None
        if dt_or_none is None:
            return None
        dt = dt_or_none
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def _authors(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        parts = re.split(r"\s*(?:;|,| and )\s*", value)
        return [p for p in (x.strip() for x in parts) if p]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def record_fields(record: Any, *, fallback_id: str
                  ) -> tuple[str, str, datetime | None, Any, list[str]]:
    """What every use of a record needs: its id, text, date and URL, with any warnings
    (an unreadable date). Readers that want no more (dedup) stop here and build no
    :class:`Article`, which cost a third of reading a record.

    Raises :class:`RecordError` when there is no usable text.
    """
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    text = _first(record, _TEXT_KEYS)
    if text is None:
        raise RecordError(
            "missing text field (expected one of: " + ", ".join(_TEXT_KEYS) + ")"
        )
    if not isinstance(text, str):
        raise RecordError(f"text field is {type(text).__name__}, not a string")
    if not text.strip():
        raise RecordError("empty text")
    warnings: list[str] = []
    raw_date = _first(record, _DATE_KEYS)
    published = parse_date(raw_date)
    if raw_date is not None and published is None:
        warnings.append(f"unreadable date {raw_date!r} ignored")
    url = _first(record, _URL_KEYS)
    ident = _first(record, _ID_KEYS)
    if ident is None:
        ident = (
            "url-" + hashlib.sha1(str(url).encode()).hexdigest()[:16] if url else fallback_id
        )
    return str(ident), text, published, url, warnings


def article_from_record(
    record: Any, *, path: str, line: int | None, fallback_id: str
) -> tuple[Article, list[str]]:
    """Build an article from a decoded record; return it with any warnings.

    Raises :class:`RecordError` when there is no usable text.
    """
    ident, text, published, url, warnings = record_fields(record, fallback_id=fallback_id)
    title = _first(record, _TITLE_KEYS) or ""
    source = _first(record, _SOURCE_KEYS)
    lang = _first(record, _LANG_KEYS)
    article = Article(
        id=ident,
        text=text,
        title=str(title),
        url=str(url) if url is not None else None,
        source=str(source) if source is not None else None,
        published=published,
        authors=_authors(_first(record, _AUTHOR_KEYS)),
        language=str(lang) if lang is not None else None,
        original_text=text,
        original_title=str(title),
        path=path,
        line=line,
    )
    return article, warnings
