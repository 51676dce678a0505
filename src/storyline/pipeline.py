"""The whole pipeline, stage by stage: ingest → normalize → dedup → cluster → brief.

Each function here is one stage's public entry point, re-exported by the
package (``storyline.read``, ``storyline.dedup``...), so that Python users and the
CLI run exactly the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .brief import brief as _brief
from .cluster import cluster as _cluster
from .dedup import dedup as _dedup
from .errors import InputProblem
from .ingest import IngestReport, read_articles
from .model import Article, Brief, DedupRecord, Story
from .normalize import normalize

__all__ = ["brief", "cluster", "dedup", "read", "refresh_store", "run"]


def read(
    inputs: Iterable[str | Path] | str | Path,
    *,
    strict: bool = False,
    report: IngestReport | None = None,
    on_problem: Callable[[InputProblem], None] | None = None,
) -> list[Article]:
    """Read and normalize articles from files, folders or ``-`` (stdin JSONL)."""
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    raw = read_articles(inputs, report=report, strict=strict, on_problem=on_problem)
    return list(normalize(raw))


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


def refresh_store(store: Any) -> tuple[int, int]:
    """Re-run dedup, clustering and briefs over everything a store holds, and save them.

    Returns ``(stories, articles)``. Each stage's output is saved in its own batched
    transactions, so a run killed half-way leaves the previous results readable and
    the next refresh redoes the work.
    """
    articles = store.articles()
    records = _dedup(articles)
    stories = _cluster(articles, records)
    briefs = _brief(stories)
    store.save_dedup(records, articles)
    store.save_stories(stories)
    store.save_briefs(briefs)
    return len(stories), len(articles)
