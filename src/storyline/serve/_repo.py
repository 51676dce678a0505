"""What the server needs from storage, as a small Protocol, and an in-memory implementation.

The web layer never talks to SQLAlchemy: it sees :class:`Repository`, so the same app serves
the persistent store (:mod:`storyline.serve._store`) and the in-memory repository the fast
tests use. Writes go through :func:`rebuild`, which re-runs dedup, cluster and brief over the
stored articles, so every write leaves stories and briefs consistent with the articles.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from ..model import Article, Brief, DedupRecord, Story

__all__ = ["MemoryRepository", "RebuildResult", "Repository", "WriteCounts", "rebuild"]


@dataclass(frozen=True, slots=True)
class WriteCounts:
    """How a batch of articles changed storage."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """The outcome of one write: storage counts and the stories after re-clustering."""

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

    def replace_results(
        self, records: Sequence[DedupRecord], stories: Sequence[Story], briefs: Sequence[Brief]
    ) -> None:
        """Replace all dedup records, stories and briefs with a fresh pipeline run."""
        ...


def run_pipeline(articles: list[Article]) -> tuple[list[DedupRecord], list[Story], list[Brief]]:
    """Dedup, cluster and brief, exactly as ``storyline brief`` does."""
    from .. import pipeline

    records = pipeline.dedup(articles)
    stories = pipeline.cluster(articles, records)
    briefs = pipeline.brief(stories)
    return records, stories, briefs


_WRITE_LOCK = threading.Lock()


def rebuild(repo: Repository, incoming: Sequence[Article]) -> RebuildResult:
    """Store articles, then re-run the pipeline over everything stored.

    Re-running over all articles is simple and keeps clustering identical to a batch run;
    writes are serialised so two concurrent posts never interleave their results.
    """
    with _WRITE_LOCK:
        counts = repo.add_articles(incoming)
        stored = repo.articles()
        records, stories, briefs = run_pipeline(stored)
        repo.replace_results(records, stories, briefs)
    story_of = {a.id: s.id for s in stories for a in s.articles}
    return RebuildResult(counts, len(stored), [s.id for s in stories], story_of)


class MemoryRepository:
    """Everything in dicts: for tests, demos and ``storyline serve`` without a database."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._articles: dict[str, list[Article]] = {}
        self._briefs: dict[str, dict[str, Any]] = {}
        self._dedup: dict[str, DedupRecord] = {}
        self._story_of: dict[str, str] = {}
        self._revision = 0

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
        return WriteCounts(new, updated, unchanged)

    def replace_results(
        self, records: Sequence[DedupRecord], stories: Sequence[Story], briefs: Sequence[Brief]
    ) -> None:
        from ..render import brief_to_dict

        with self._lock:
            self._dedup = {r.id: r for r in records}
            self._story_of = {a.id: s.id for s in stories for a in s.articles}
            self._briefs = {b.story: brief_to_dict(b) for b in briefs}
            self._revision += 1
