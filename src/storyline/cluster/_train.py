"""Training the pair model (``_pair``): join decisions harvested from labelled corpora.

Evaluation and training code only: this is where gold story labels are read, never in
the pipeline. ``bench/train_pair_model.py`` is the command that writes the packaged
``pair_model.json``.

How decisions are harvested: the corpus is replayed in publication order through an
``OnlineClusterer`` whose stories are the gold stories so far (teacher forcing: each
article is placed where the gold puts it, copies folded by dedup skipped, as at run time).
Before placing an article, every candidate story the index offers within the window
gives one row of ``_pair.FEATURES``; its label is 1 when the candidate is the story of
the article's earlier gold story-mates, else 0. An article whose gold story has no
earlier report gives only negatives: that is the new-story decision. Dense versions of
a corpus (``spread_stories``: each story's reports keep their day gaps, story starts are
spread over a few days) add the crowded moments the dev corpora lack.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from ..dedup import stream_order
from ..model import Article, DedupRecord
from ._pair import FEATURES
from .online import ClusterConfig, OnlineClusterer

__all__ = ["fit", "harvest", "lead_version", "spread_stories"]

_START = datetime(2031, 1, 1, tzinfo=UTC)


def spread_stories(articles: Sequence[Article], gold: Mapping[str, str], days: float,
                   seed: int = 0, start: datetime = _START) -> list[Article]:
    """The articles with each gold story moved to a random start within ``days`` days,
    its reports keeping their gaps to the story's first report (a two-day story stays a
    two-day story). Articles without a gold story or a date keep their place in time
    relative to nothing: they get a random time in the span too."""
    rng = random.Random(seed)
    first: dict[str, datetime] = {}
    for a in articles:
        g = gold.get(a.id)
        if g is not None and a.published is not None:
            first[g] = min(first.get(g, a.published), a.published)
    offsets = {g: timedelta(days=rng.uniform(0.0, days)) for g in sorted(first)}
    out = []
    for a in articles:
        g = gold.get(a.id)
        if g is None or a.published is None or g not in first:
            when = start + timedelta(days=rng.uniform(0.0, days))
        else:
            when = start + offsets[g] + (a.published - first[g])
        out.append(dataclasses.replace(a, published=when))
    return out


def lead_version(article: Article, words: int = 90) -> Article:
    """The article cut to its first paragraphs (about ``words`` words): a full-text
    corpus replayed as title and lead, as feeds often deliver it (neus-dev's median)."""
    out: list[str] = []
    n = 0
    for para in article.text.split("\n\n"):
        out.append(para)
        n += len(para.split())
        if n >= words:
            break
    return dataclasses.replace(article, text="\n\n".join(out))


def harvest(articles: Sequence[Article], gold: Mapping[str, str],
            records: Sequence[DedupRecord] = (), *,
            entities: Mapping[str, Sequence[str]] | None = None,
            config: ClusterConfig | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, y, groups)``: one row of features per (article, candidate story) decision,
    its label, and the article's position (rows of one decision share a group)."""
    cfg = dataclasses.replace(config or ClusterConfig.default(), decision="threshold",
                              split_max=0)  # gold stories stay whole: no split check
    clusterer = OnlineClusterer(cfg, now=datetime.max.replace(tzinfo=UTC) - timedelta(days=2))
    clusterer._titles = True  # the title cosine is a feature whatever title_mix says
    copies = {r.id for r in records if r.of is not None}
    fresh = [a for a in stream_order(list(articles)) if a.id not in copies]
    if entities is None and cfg.title_ner:
        notes = clusterer.annotate(fresh, entities=True, embeddings=False)
        entities = {a.id: ents or [] for a, (ents, _e) in zip(fresh, notes, strict=True)}
    story_of: dict[str, int] = {}  # gold story -> clusterer story
    rows: list[list[float]] = []
    labels: list[int] = []
    groups: list[int] = []
    for n, article in enumerate(fresh):
        vec, tvec = clusterer._vectors(article, list((entities or {}).get(article.id, ())))
        ts = clusterer._timestamp(article)
        if ts is not None:
            clusterer._clock = ts if clusterer._clock is None else max(clusterer._clock, ts)
        g = gold.get(article.id, "\0" + article.id)
        target = story_of.get(g, -1)
        scored = clusterer._pair_features(vec, tvec, ts, clusterer._candidates(vec))
        for s, row in scored:
            rows.append(row)
            labels.append(int(s == target))
            groups.append(n)
        if target >= 0 and (clusterer.stories[target].merged_into is not None
                            or clusterer._dormant(clusterer.stories[target])
                            or not clusterer.stories[target].centroid):
            target = -1  # past the window: at run time this is a new story too
        clusterer._place(target, article.id, vec, tvec, ts, None, new_id=f"gold:{g}:{n}")
        story_of[g] = clusterer._story_at[clusterer.assignments[article.id]]
    width = len(FEATURES)
    return (np.asarray(rows, dtype=np.float64).reshape(-1, width),
            np.asarray(labels, dtype=np.int64), np.asarray(groups, dtype=np.int64))


def fit(X: np.ndarray, y: np.ndarray, groups: np.ndarray, *, c: float = 1.0,
        folds: int = 5, weights: np.ndarray | None = None) -> dict[str, Any]:
    """A logistic regression, its scores calibrated by Platt scaling on group-wise
    cross-validated predictions (``CalibratedClassifierCV``, one classifier); both steps
    are linear in the logit, so the result folds into one set of coefficients over the
    raw features, stored as ``pair_model.json``. ``weights``: per row (so that a corpus
    with few candidates per article is not drowned by one with many)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    splits = list(GroupKFold(n_splits=folds).split(Z, y, groups))
    model = CalibratedClassifierCV(LogisticRegression(C=c, max_iter=2000), method="sigmoid",
                                   cv=splits, ensemble=False)
    model.fit(Z, y, sample_weight=weights)
    inner = model.calibrated_classifiers_[0]
    lr = inner.estimator
    sig = inner.calibrators[0]  # p = 1 / (1 + exp(a * f + b)), f the LR's logit
    a, b = float(sig.a_), float(sig.b_)
    w = lr.coef_[0] / scale
    intercept = float(lr.intercept_[0] - (lr.coef_[0] * mean / scale).sum())
    return {"features": list(FEATURES),
            "coef": [round(float(-a * wi), 8) for wi in w],
            "intercept": round(-a * intercept - b, 8),
            "prior": 0.5}
