"""The whole pipeline, stage by stage: ingest → normalize → dedup → cluster → brief.

Each function here is one stage's public entry point, re-exported by the
package (``storyline.read``, ``storyline.dedup``...), so that Python users and the
CLI run exactly the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._parallel import default_workers
from .brief import brief as _brief
from .cluster import cluster as _cluster
from .dedup import dedup as _dedup
from .errors import InputProblem
from .ingest import IngestReport, read_articles
from .model import Article, Brief, DedupRecord, Story

if TYPE_CHECKING:
    from .engine import UpdateResult
from .normalize import normalize_article

__all__ = ["brief", "cluster", "dedup", "read", "refresh_store", "run"]


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
    """Everything at once: read, dedup, cluster and brief (one :class:`Engine` batch)."""
    from .engine import Engine

    with Engine() as engine:
        return engine.run(read(inputs, strict=strict)).briefs


def refresh_store(store: Any, *, state_dir: str | Path | None = None,
                  rebuild: bool = False) -> UpdateResult:
    """Bring a store's dedup records, stories and briefs up to date with its articles:
    only what was stored since the engine's last checkpoint is placed (see
    :class:`storyline.engine.Engine`); ``rebuild`` starts again from scratch."""
    from .engine import Engine

    with Engine(store, state_dir=state_dir) as engine:
        if rebuild:
            engine.reset()
        return engine.update()
