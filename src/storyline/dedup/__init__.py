"""Dedup stage: exact copies, near-duplicates, contained copies and versions of one report.

``dedup(articles)`` is the batch form; :class:`DedupIndex` is the incremental,
persistent one that the batch form drives in publication order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from ..model import Article, DedupRecord
from ._align import AlignConfig, Alignment, Sentences, align, classify
from .index import DedupConfig, DedupIndex, Match, Prepared, prepare
from .stream import DedupInput, dedup_input, index_and_records, read_for_dedup

__all__ = [
    "AlignConfig",
    "Alignment",
    "DedupConfig",
    "DedupIndex",
    "DedupInput",
    "Match",
    "Prepared",
    "Sentences",
    "align",
    "classify",
    "dedup",
    "dedup_input",
    "prepare",
    "read_for_dedup",
    "stream_order",
]

_NEVER = datetime.max.replace(tzinfo=UTC)


def stream_order(articles: list[Article]) -> list[Article]:
    """Publication order; undated articles keep their input order after the dated ones.

    Undated articles go last so that a dated original always precedes its copies;
    among themselves, input order stands for arrival order.
    """
    return [a for _, a in sorted(enumerate(articles),
                                 key=lambda p: (p[1].published or _NEVER, p[0]))]


def dedup(
    articles: Iterable[Article],
    *,
    config: DedupConfig | None = None,
    index: DedupIndex | None = None,
    progress: Callable[[int], None] | None = None,
    passages: bool = True,
) -> list[DedupRecord]:
    """Group copies and versions; return one record per article, in input order.

    With ``index``, articles are added to it (those already in it are not added
    again) and the records cover everything the index holds from this input.
    ``passages=False`` leaves the shared passages out of the records (faster).
    """
    batch = list(articles)
    own = index is None
    index = index if index is not None else DedupIndex(config)
    ordered: list[Article] = []
    seen: set[str] = set()
    for a in stream_order(batch):
        if a.id not in index and a.id not in seen:  # a repeated id is indexed once
            seen.add(a.id)
            ordered.append(a)
    step = 2048
    parts = [ordered[start:start + step] for start in range(0, len(ordered), step)]
    records = index_and_records(index, lambda: (index.prepare(part) for part in parts),
                                len(ordered), index.workers, progress, passages)
    wanted = {a.id for a in batch}
    by_id = {r.id: r for r in records if r.id in wanted}
    if own:
        index.close()
    return [by_id[a.id] for a in batch]
