"""Cluster stage: group the reports of one event into a story.

``cluster(articles)`` runs the online clusterer over the stream in publication
order; copies and versions folded by dedup join their canonical article's story.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from ..dedup import stream_order
from ..model import Article, DedupRecord, Story
from ._entities import tag_titles
from .online import ClusterConfig, OnlineClusterer

__all__ = ["ClusterConfig", "OnlineClusterer", "cluster", "assign_stories", "tag_titles"]


def assign_stories(
    articles: Iterable[Article],
    dedup_records: Sequence[DedupRecord] | None = None,
    *,
    config: ClusterConfig | None = None,
    progress: Callable[[int], None] | None = None,
    entities: Mapping[str, Sequence[str]] | None = None,
    embeddings: Mapping[str, NDArray[np.float32]] | None = None,
) -> dict[str, str]:
    """Map every article id to a story id.

    ``entities`` and ``embeddings``: title entities (``tag_titles``) and sentence
    embeddings already computed, by article id (a fitting script computes them once for
    many configurations); whatever is not given is computed here, in batches."""
    batch = list(articles)
    canonical_of = {r.id: r.of for r in dedup_records or () if r.of is not None}
    clusterer = OnlineClusterer(config)
    ordered = stream_order(batch)
    fresh = [a for a in ordered if a.id not in canonical_of]  # copies are not annotated
    cfg = clusterer.config
    # only what was not given is computed
    notes = iter(clusterer.annotate(fresh, entities=entities is None and cfg.title_ner,
                                    embeddings=embeddings is None and bool(cfg.embedding_mix)))
    for article in ordered:
        if article.id not in canonical_of:
            ents, emb = next(notes)
            if entities is not None and cfg.title_ner:
                ents = list(entities.get(article.id, ()))
            if embeddings is not None and cfg.embedding_mix:
                emb = embeddings.get(article.id)
            clusterer.partial_fit(article, ents, emb)
        if progress is not None:
            progress(1)
    out = {}
    for article in batch:
        root = canonical_of.get(article.id, article.id)
        out[article.id] = clusterer.assignments[root]
    return out


def cluster(
    articles: Iterable[Article],
    dedup_records: Sequence[DedupRecord] | None = None,
    *,
    config: ClusterConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Story]:
    """Group articles into stories, largest first; articles within a story by date."""
    batch = list(articles)
    mapping = assign_stories(batch, dedup_records, config=config, progress=progress)
    records = {r.id: r for r in dedup_records or ()}
    by_story: dict[str, list[Article]] = {}
    for article in stream_order(batch):
        by_story.setdefault(mapping[article.id], []).append(article)
    stories = [
        Story(sid, members, {a.id: records[a.id] for a in members if a.id in records})
        for sid, members in by_story.items()
    ]
    stories.sort(key=lambda s: -len(s.articles))
    return stories
