"""The story list: summaries built once per data revision, then sorted, filtered and paged.

Listing is the hot path (the home page and ``GET /api/stories``), so summaries are derived
from the stored briefs only when the repository's revision changes. Pagination is keyset
based: the opaque cursor holds the sort key of the last item shown, so a page never repeats
or skips a story when others are added in between.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._repo import Repository

__all__ = ["BadCursor", "Page", "PageCache", "RevisionClock", "StoryIndex", "StoryRow"]

_UNDATED = -1e15  # sorts undated stories after every dated one when newest comes first


class BadCursor(ValueError):
    """A cursor that this server did not issue (or issued for another sort)."""


@dataclass(frozen=True, slots=True)
class StoryRow:
    """One story's list entry, plus the lower-cased text that ``q`` searches."""

    id: str
    headline: str
    articles: int
    independent_sources: int
    sources: tuple[str, ...]
    newest: datetime | None
    oldest: datetime | None
    summary: str
    haystack: str
    article_ids: frozenset[str] = frozenset()

    def key(self, sort: str) -> list[Any]:
        """Sort key, ascending; JSON-serialisable so that it can travel in a cursor."""
        ts = self.newest.timestamp() if self.newest else _UNDATED
        if sort == "largest":
            return [-self.articles, -ts, self.id]
        return [-ts, -self.articles, self.id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "headline": self.headline,
            "articles": self.articles,
            "independent_sources": self.independent_sources,
            "sources": list(self.sources),
            "newest": self.newest,
            "oldest": self.oldest,
            "summary": self.summary,
            "url": f"/stories/{self.id}",
        }


@dataclass(frozen=True, slots=True)
class Page:
    items: list[StoryRow]
    next_cursor: str | None


def _parse_time(value: Any) -> datetime | None:
    """As ingest parses it: a date alone stays a date (midnight UTC for sorting)."""
    if not isinstance(value, str) or not value:
        return None
    from ..ingest._records import parse_date

    return parse_date(value)


def _row(brief: dict[str, Any]) -> StoryRow:
    """Derive a list entry from a brief's JSON form, tolerating missing fields."""
    articles = [a for a in brief.get("articles") or [] if isinstance(a, dict)]
    sources: list[str] = []
    for a in articles:
        name = a.get("source") or ""
        if name and name not in sources:
            sources.append(str(name))
    times = [t for t in (_parse_time(a.get("published")) for a in articles) if t is not None]
    aware = [t for t in times if t.tzinfo is not None] if times else []
    times = aware or times
    summary = brief.get("summary") or []
    first = summary[0].get("text", "") if summary and isinstance(summary[0], dict) else ""
    headline = str(brief.get("headline") or "")
    parts = [headline, *(str(s.get("text", "")) for s in summary if isinstance(s, dict))]
    parts += [str(a.get("title") or "") for a in articles]
    return StoryRow(
        id=str(brief.get("story")),
        headline=headline,
        articles=len(articles),
        independent_sources=int(brief.get("independent_sources") or 0),
        sources=tuple(sources),
        newest=max(times) if times else None,
        oldest=min(times) if times else None,
        summary=str(first),
        haystack="\n".join(parts).casefold(),
        article_ids=frozenset(str(a.get("id")) for a in articles),
    )


def encode_cursor(sort: str, key: list[Any]) -> str:
    raw = json.dumps({"s": sort, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list[Any]:
    """The sort key a cursor points after; anything malformed is a :class:`BadCursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("malformed cursor") from exc
    if not isinstance(data, dict) or data.get("s") != sort:
        raise BadCursor("cursor belongs to another sort order")
    key = data.get("k")
    if not isinstance(key, list):
        raise BadCursor("malformed cursor")
    valid = (
        len(key) == 3
        and all(isinstance(k, int | float) and not isinstance(k, bool) for k in key[:2])
        and isinstance(key[2], str)
    )
    if not valid:
        raise BadCursor("malformed cursor")
    return list(key)


class RevisionClock:
    """The repository's revision, asked at most once per ``ttl`` seconds.

    Writes through this server call :meth:`invalidate`, so they show at once; writes by other
    processes (a batch run on the same database) show within ``ttl``. Under load this turns a
    query per request into a query per second.
    """

    def __init__(self, repo: Repository, ttl: float = 1.0) -> None:
        self.repo = repo
        self.ttl = ttl
        self._value = ""
        self._checked = float("-inf")

    def current(self) -> str:
        now = time.monotonic()
        if now - self._checked >= self.ttl:
            self._value = self.repo.revision()
            self._checked = now
        return self._value

    def fresh(self) -> bool:
        """True when :meth:`current` will answer without asking the repository."""
        return time.monotonic() - self._checked < self.ttl

    def invalidate(self) -> None:
        self._checked = float("-inf")


class PageCache:
    """Rendered pages by key, valid for one revision; least recently used evicted first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def get(self, key: str, revision: str) -> str | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != revision:
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: str, revision: str, value: str) -> None:
        with self._lock:
            self._items[key] = (revision, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class StoryIndex:
    """Cached story summaries over a repository, refreshed when its revision changes."""

    def __init__(self, repo: Repository, clock: RevisionClock | None = None) -> None:
        self.repo = repo
        self.clock = clock or RevisionClock(repo, ttl=0.0)
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._rows: list[StoryRow] = []
        self._sorted: dict[str, list[StoryRow]] = {}

    def ready(self) -> bool:
        """True when listing will not touch the repository (so it may run on the event loop)."""
        return self.clock.fresh() and self._revision == self.clock.current()

    def rows(self) -> list[StoryRow]:
        revision = self.clock.current()
        if revision != self._revision:
            with self._lock:
                if revision != self._revision:
                    self._rows = [_row(b) for b in self.repo.briefs()]
                    self._sorted = {}
                    self._revision = revision
        return self._rows

    def sorted_rows(self, sort: str) -> list[StoryRow]:
        rows = self.rows()
        cached = self._sorted.get(sort)
        if cached is None or len(cached) != len(rows):
            cached = sorted(rows, key=lambda r: r.key(sort))
            self._sorted[sort] = cached
        return cached

    def sources(self) -> list[str]:
        return sorted({s for r in self.rows() for s in r.sources}, key=str.casefold)

    def page(
        self,
        *,
        sort: str = "newest",
        source: str | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
        matched: set[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        min_articles: int = 1,
    ) -> Page:
        """One page of stories; ``q`` matches when every word appears in the story's text,
        or when the story holds one of the ``matched`` articles (what a full-text search of
        the bodies found). ``since``/``until``: stories with coverage in that span."""
        after = decode_cursor(cursor, sort) if cursor else None
        words = (q or "").casefold().split()
        wanted_source = source.casefold() if source else None
        items: list[StoryRow] = []
        more = False
        for row in self.sorted_rows(sort):
            if after is not None and row.key(sort) <= after:
                continue
            if wanted_source and wanted_source not in (s.casefold() for s in row.sources):
                continue
            if words and not (all(w in row.haystack for w in words)
                              or (matched and not matched.isdisjoint(row.article_ids))):
                continue
            if row.articles < min_articles:
                continue
            if since is not None and (row.newest is None or row.newest < since):
                continue
            if until is not None and (row.oldest is None or row.oldest > until):
                continue
            if len(items) == limit:
                more = True
                break
            items.append(row)
        next_cursor = encode_cursor(sort, items[-1].key(sort)) if more and items else None
        return Page(items, next_cursor)
