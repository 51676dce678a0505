"""The whole pipeline, stage by stage: ingest → normalize → dedup → cluster → brief.

Each function here is one stage's public entry point, re-exported by the
package (``storyline.read``, ``storyline.dedup``...), so that Python users and the
CLI run exactly the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from ._parallel import default_workers
from .brief import brief as _brief
from .cluster import cluster as _cluster
from .dedup import dedup as _dedup
from .errors import InputProblem
from .ingest import IngestReport, read_articles
from .model import Article, Brief, DedupRecord, Story
from .normalize import normalize_article

__all__ = ["brief", "cluster", "dedup", "read", "refresh_store", "refresh_window", "run"]


def read(
    inputs: Iterable[str | Path] | str | Path,
    *,
    strict: bool = False,
    report: IngestReport | None = None,
    on_problem: Callable[[InputProblem], None] | None = None,
    workers: int | None = None,
    originals: bool = True,
) -> list[Article]:
    """Read and normalize articles from files, folders or ``-`` (stdin JSONL).

    Large JSON Lines inputs are read and normalized by ``workers`` processes
    (default: one per core, at most 4, or ``STORYLINE_WORKERS``); the result does not
    depend on it. ``originals=False`` drops the texts as received (see
    :func:`storyline.normalize.normalize_article`).
    """
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    if workers is None:
        workers = default_workers()
    return read_articles(inputs, report=report, strict=strict, on_problem=on_problem,
                         then=normalize_article if originals
                         else partial(normalize_article, keep_original=False),
                         workers=workers)


def dedup(articles: Iterable[Article], **kwargs: object) -> list[DedupRecord]:
    """Group exact copies, near-duplicates, contained copies and versions."""
    return _dedup(articles, **kwargs)  # type: ignore[arg-type]


def cluster(
    articles: Iterable[Article], dedup_records: list[DedupRecord] | None = None,
    **kwargs: object,
) -> list[Story]:
    """Group articles into stories; dedup runs first unless its records are given."""
    batch = list(articles)
    if dedup_records is None:
        dedup_records = _dedup(batch)
    return _cluster(batch, dedup_records, **kwargs)  # type: ignore[arg-type]


def brief(stories: Iterable[Story], **kwargs: object) -> list[Brief]:
    """One cited brief per story."""
    return _brief(stories, **kwargs)  # type: ignore[arg-type]


def run(inputs: Iterable[str | Path] | str | Path, *, strict: bool = False) -> list[Brief]:
    """Everything at once: read, dedup, cluster and brief."""
    articles = read(inputs, strict=strict)
    return brief(cluster(articles, dedup(articles)))


def refresh_store(store: Any, *, since: datetime | None = None) -> tuple[int, int]:
    """Re-run dedup, clustering and briefs over a store's articles, and save the results.

    With ``since`` the refresh is incremental: only articles published since then (and
    undated ones), with every other member of the stored stories they belong to, are
    re-processed. A story whose reports all predate ``since`` by more than the clustering
    window is dormant: no new report can join it, so it is left as stored. (A copy of an
    article older than the window is then not recognised as a copy.)

    Returns ``(stories, articles)`` re-processed. Each stage's output is saved in its own
    batched transactions: a run killed half-way leaves the previous results readable and
    the next refresh redoes the work.
    """
    if since is None:
        articles = store.articles()
    else:
        recent = store.articles(since=since)
        have = {a.id for a in recent}
        peers = store.story_peers(have) - have
        articles = recent + (store.articles(ids=peers) if peers else [])
    records = _dedup(articles)
    stories = _cluster(articles, records)
    briefs = _brief(stories)
    store.save_dedup(records, articles)
    store.save_stories(stories)
    store.save_briefs(briefs)
    return len(stories), len(articles)


def refresh_window(articles: Iterable[Article], *, window_days: float | None = None,
                   now: datetime | None = None) -> datetime:
    """Where an incremental refresh for these new articles must start.

    The earliest new publication date minus the clustering window (a story dormant for
    longer cannot take the new reports); an undated article counts as published now.
    """
    from .cluster import ClusterConfig

    days = window_days if window_days is not None else ClusterConfig.default().window_days
    current = now or datetime.now(UTC)
    dates = [a.published or current for a in articles]
    return min(dates, default=current) - timedelta(days=days)
