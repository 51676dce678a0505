"""What the server needs from storage, as a small Protocol, and an in-memory implementation.

The web layer never talks to SQLAlchemy: it sees :class:`Repository`, so the same app serves
the persistent store (:mod:`storyline.serve._store`) and the in-memory repository the fast
tests use. A write stores the articles at once; :meth:`Repository.update` then places only what
is new (an :class:`storyline.engine.Engine` update) and rebriefs only the stories it changed.
The server runs updates in a background worker (``serve._worker``); :func:`rebuild` does
both steps in the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from ..engine import Engine, doc_id
from ..model import Article, DedupRecord
from ..store._search import SNIPPET_WORDS, SearchHit, SearchQuery, search_words

__all__ = ["MemoryRepository", "RebuildResult", "Repository", "WriteCounts", "rebuild"]


@dataclass(frozen=True, slots=True)
class WriteCounts:
    """How a batch of articles changed storage."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """The outcome of one write and its update: storage counts, how many articles were
    written, the stories the update changed, and the story of each written article."""

    counts: WriteCounts
    articles: int
    stories: list[str]
    story_of: dict[str, str]


@runtime_checkable
class Repository(Protocol):
    """Storage as the server sees it; every method may be called from several threads."""

    def revision(self) -> str:
        """A cheap token that changes whenever stories or briefs change (for caching)."""
        ...

    def briefs(self) -> list[dict[str, Any]]:
        """Every stored brief in its JSON form (``storyline.render.brief_to_dict``)."""
        ...

    def brief(self, story_id: str) -> dict[str, Any] | None:
        """One brief, or None."""
        ...

    def articles(self, ids: Sequence[str] | None = None) -> list[Article]:
        """Stored articles (all when ``ids`` is None), in storage order."""
        ...

    def dedup(self, ids: Iterable[str]) -> dict[str, DedupRecord]:
        """The latest dedup record of each of these article ids that has one."""
        ...

    def story_of(self, article_id: str) -> str | None:
        """The id of the story an article belongs to."""
        ...

    def versions(self, article_id: str) -> list[Article]:
        """Every stored content of an article, oldest first (one item when never changed)."""
        ...

    def version_counts(self, ids: Iterable[str]) -> dict[str, int]:
        """How many distinct contents each of these articles has had."""
        ...

    def add_articles(self, articles: Sequence[Article]) -> WriteCounts:
        """Store articles (new ones added, changed ones updated)."""
        ...

    def search(self, query: SearchQuery) -> list[SearchHit]:
        """Articles whose title or body holds every word of the query (full text)."""
        ...

    def update(self) -> list[str]:
        """Place what was added since the last update; the ids of the stories it changed."""
        ...


def rebuild(repo: Repository, incoming: Sequence[Article]) -> RebuildResult:
    """Store articles, then bring stories and briefs up to date, in this thread."""
    counts = repo.add_articles(incoming)
    changed = repo.update()
    story_of = {a.id: sid for a in incoming if (sid := repo.story_of(a.id)) is not None}
    return RebuildResult(counts, len(incoming), changed, story_of)


class MemoryRepository:
    """Everything in dicts: for tests, demos and ``storyline serve`` without a database."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._articles: dict[str, list[Article]] = {}
        self._briefs: dict[str, dict[str, Any]] = {}
        self._dedup: dict[str, DedupRecord] = {}
        self._story_of: dict[str, str] = {}
        self._revision = 0
        self._pending: list[tuple[str, Article]] = []  # (doc id, content) not placed yet
        self._update_lock = threading.Lock()
        self._engine = Engine(workers=1)

    def revision(self) -> str:
        return str(self._revision)

    def briefs(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._briefs.values())

    def brief(self, story_id: str) -> dict[str, Any] | None:
        return self._briefs.get(story_id)

    def articles(self, ids: Sequence[str] | None = None) -> list[Article]:
        with self._lock:
            if ids is None:
                return [versions[-1] for versions in self._articles.values()]
            return [self._articles[i][-1] for i in ids if i in self._articles]

    def dedup(self, ids: Iterable[str]) -> dict[str, DedupRecord]:
        return {i: self._dedup[i] for i in ids if i in self._dedup}

    def story_of(self, article_id: str) -> str | None:
        return self._story_of.get(article_id)

    def versions(self, article_id: str) -> list[Article]:
        return list(self._articles.get(article_id, []))

    def version_counts(self, ids: Iterable[str]) -> dict[str, int]:
        return {i: len(self._articles[i]) for i in ids if i in self._articles}

    def search(self, query: SearchQuery) -> list[SearchHit]:
        """What the store's index answers, by scanning: the same words rule and filters."""
        words = search_words(query.q)
        if not words:
            return []
        found: list[tuple[int, Article]] = []
        for a in self.articles():
            tokens = search_words(f"{a.title} {a.text}")
            if not all(w in tokens for w in words) or not _keeps(query, a):
                continue
            found.append((sum(tokens.count(w) for w in words), a))
        if query.sort == "newest":
            found.sort(key=lambda item: item[1].published.timestamp()
                       if item[1].published else float("-inf"), reverse=True)
        else:
            found.sort(key=lambda item: -item[0])
        page = found[query.offset:query.offset + query.limit]
        return [SearchHit(a.id, a.title, a.source, a.url, a.published, a.language,
                          _snippet(a.text, words)) for _, a in page]

    def add_articles(self, articles: Sequence[Article]) -> WriteCounts:
        new = updated = unchanged = 0
        with self._lock:
            for article in articles:
                versions = self._articles.setdefault(article.id, [])
                if not versions:
                    new += 1
                elif versions[-1].text == article.text and versions[-1].title == article.title:
                    unchanged += 1
                    continue
                else:
                    updated += 1
                versions.append(replace(article))
                self._pending.append((doc_id(article.id, len(versions)), versions[-1]))
        return WriteCounts(new, updated, unchanged)

    def update(self) -> list[str]:
        from ..render import brief_to_dict

        with self._update_lock:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return []
            engine = self._engine
            delta = engine.state.add(pending)
            stories = engine.load_stories(delta.stories, self._fetch)
            briefs = engine.brief([s for s in stories if s.articles])
            with self._lock:
                self._dedup.update({r.id: r for r in delta.records})
                for s in stories:
                    self._dedup.update(s.dedup)
                for sid in delta.retired:
                    self._briefs.pop(sid, None)
                for story in stories:
                    for a in story.articles:
                        self._story_of[a.id] = story.id
                self._briefs.update({b.story: brief_to_dict(b) for b in briefs})
                self._revision += 1
            return sorted(delta.stories)

    def _fetch(self, *, ids: Sequence[str]) -> list[Article]:
        return self.articles(ids)


def _keeps(query: SearchQuery, a: Article) -> bool:
    """The search filters on one article (dates bound the publication instant)."""
    if query.since is not None and (a.published is None or a.published < query.since):
        return False
    if query.until is not None and (a.published is None or a.published > query.until):
        return False
    if query.source and (a.source or "").casefold() != query.source.casefold():
        return False
    return not (query.language and (a.language or "").casefold() != query.language.casefold())


def _snippet(text: str, words: list[str]) -> str:
    """A few words of ``text`` around the first of ``words`` it holds."""
    tokens = text.split()
    for i, token in enumerate(tokens):
        if any(w in token.casefold() for w in words):
            start = max(0, i - SNIPPET_WORDS // 2)
            part = " ".join(tokens[start:start + SNIPPET_WORDS])
            return ("…" if start else "") + part + ("…" if start + SNIPPET_WORDS < len(tokens)
                                                    else "")
    return " ".join(tokens[:SNIPPET_WORDS])
