"""Online story clustering: each article joins the best live story or starts one.

An article's vector is TF-IDF over title, lead and body terms plus proper-noun
phrases, with document frequencies that grow with the stream. Its similarity to a
story is the cosine with the story's centroid plus ``title_mix`` times the cosine of
its title with the story's titles. The similarity needed to join a story rises with
the time since the story's time (a moving average of its reports' times): by
``day_step`` over the first day, then by ``gap_slope`` per log of further days. The
same-day threshold can thus be low (same-day reports of one event often share few
words) while a look-alike report a day or more later must be clearly closer.
Candidate stories come from an inverted index over each story's strongest terms, so
the cost per article depends on how many live stories share its terms, not on the
archive size. A story goes dormant once no report has joined it for ``window_days``.
Batch clustering is this same loop over articles sorted by publication date.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from ..model import Article
from ._features import FeatureConfig, article_features

__all__ = ["ClusterConfig", "OnlineClusterer"]

_DAY = 86400.0


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Weights and thresholds; the defaults ship in ``cluster/defaults.json``."""

    threshold: float = 0.15  # similarity needed to join a story of the same moment
    day_step: float = 0.18  # rise of the threshold over the first day since the story's time
    gap_slope: float = 0.2  # further rise per log(1 + days beyond the first)
    time_ema: float = 0.3  # share of the way the story's time moves to each new report
    title_mix: float = 0.3  # weight of the title-to-titles cosine in the similarity
    window_days: float = 14.0
    query_terms: int = 40
    index_terms: int = 60
    max_candidates: int = 200
    title_weight: float = 3.0
    lead_weight: float = 2.0
    entity_weight: float = 1.5
    merge_threshold: float = 0.5  # centroid cosine at which two stories an article links merge

    @property
    def features(self) -> FeatureConfig:
        return FeatureConfig(title_weight=self.title_weight, lead_weight=self.lead_weight,
                             entity_weight=self.entity_weight)

    @classmethod
    def default(cls) -> ClusterConfig:
        data = json.loads(
            resources.files("storyline.cluster").joinpath("defaults.json").read_text()
        )
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class _Story:
    id: str
    centroid: dict[str, float] = field(default_factory=dict)
    norm2: float = 0.0
    size: int = 0
    last: float | None = None
    members: list[str] = field(default_factory=list)
    merged_into: int | None = None  # set when merged into another story
    when: float | None = None  # the story's time: a moving average of its reports' times
    titles: dict[str, float] = field(default_factory=dict)  # sum of title vectors
    titles_norm2: float = 0.0

    def add(self, vec: dict[str, float], article_id: str, ts: float | None,
            ema: float = 1.0) -> None:
        c = self.centroid
        for t, w in vec.items():
            old = c.get(t, 0.0)
            c[t] = old + w
            self.norm2 += 2 * old * w + w * w
        self.size += 1
        self.members.append(article_id)
        if ts is not None:
            self.last = ts if self.last is None else max(self.last, ts)
            self.when = ts if self.when is None else self.when + ema * (ts - self.when)

    def absorb(self, other: _Story) -> None:
        """Take over another story's reports (a merge)."""
        c = self.centroid
        for t, w in other.centroid.items():
            c[t] = c.get(t, 0.0) + w
        self.norm2 = sum(w * w for w in c.values())
        self.size += other.size
        self.members.extend(other.members)
        if other.last is not None:
            self.last = other.last if self.last is None else max(self.last, other.last)
        if other.when is not None:
            self.when = other.when if self.when is None else max(self.when, other.when)
        for t, w in other.titles.items():
            self.titles[t] = self.titles.get(t, 0.0) + w
        self.titles_norm2 = sum(w * w for w in self.titles.values())
        other.free()
        other.members = []

    def add_title(self, tvec: dict[str, float]) -> None:
        c = self.titles
        for t, w in tvec.items():
            old = c.get(t, 0.0)
            c[t] = old + w
            self.titles_norm2 += 2 * old * w + w * w

    def title_cosine(self, tvec: dict[str, float]) -> float:
        if self.titles_norm2 <= 0:
            return 0.0
        c = self.titles
        return sum(w * c.get(t, 0.0) for t, w in tvec.items()) / math.sqrt(self.titles_norm2)

    def free(self) -> None:
        """Drop what only matching needs (the story went dormant or was merged away)."""
        self.centroid, self.norm2, self.titles, self.titles_norm2 = {}, 0.0, {}, 0.0

    def cosine(self, vec: dict[str, float]) -> float:
        if self.norm2 <= 0:
            return 0.0
        c = self.centroid
        return sum(w * c.get(t, 0.0) for t, w in vec.items()) / math.sqrt(self.norm2)


class OnlineClusterer:
    """Assign articles to stories one at a time (``partial_fit``) or in batch (``fit_predict``)."""

    def __init__(self, config: ClusterConfig | None = None, *, now: datetime | None = None):
        self.config = config or ClusterConfig.default()
        self._features = self.config.features
        self.stories: list[_Story] = []
        self._df: dict[str, int] = {}
        self._n = 0
        self._postings: dict[str, list[int]] = {}
        self._clock: float | None = None  # latest publication time seen
        self._future = ((now or datetime.now(UTC)) + timedelta(days=1)).timestamp()
        self.assignments: dict[str, str] = {}

    def _timestamp(self, article: Article) -> float | None:
        """Publication time; a date in the future is not trusted and counts as unknown."""
        if article.published is None:
            return None
        ts = article.published.timestamp()
        return None if ts > self._future else ts

    def _vectors(self, article: Article) -> tuple[dict[str, float], dict[str, float]]:
        """The article's unit TF-IDF vector and its title's unit IDF vector."""
        raw, title_terms = article_features(article, self._features)
        self._n += 1
        df = self._df
        for t in raw:
            df[t] = df.get(t, 0) + 1
        n = self._n
        idf = {t: math.log((1 + n) / (1 + df[t])) + 1.0 for t in raw}
        vec = {t: w * idf[t] for t, w in raw.items()}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        tvec = {t: idf[t] for t in title_terms if t in idf}
        tnorm = math.sqrt(sum(w * w for w in tvec.values())) or 1.0
        return {t: w / norm for t, w in vec.items()}, {t: w / tnorm for t, w in tvec.items()}

    def _needed(self, ts: float | None, story: _Story) -> float:
        """The similarity needed to join ``story`` at time ``ts``; infinite past the window."""
        cfg = self.config
        if ts is None or story.last is None:
            # no date to measure the gap by: take it as half a day, neither the same moment
            # (a same-day threshold lets an undated report join a story of any year) nor later
            return cfg.threshold + cfg.day_step * 0.5
        if abs(ts - story.last) / _DAY > cfg.window_days:
            return math.inf
        gap = abs(ts - (story.when if story.when is not None else story.last)) / _DAY
        return (cfg.threshold + cfg.day_step * min(gap, 1.0)
                + cfg.gap_slope * math.log1p(max(gap - 1.0, 0.0)))

    def _resolve(self, s: int) -> int:
        while (target := self.stories[s].merged_into) is not None:
            s = target
        return s

    def _dormant(self, story: _Story) -> bool:
        """No report for longer than the window before the newest one: it cannot grow."""
        return (self._clock is not None and story.last is not None
                and self._clock - story.last > self.config.window_days * _DAY)

    def _candidates(self, vec: dict[str, float]) -> list[int]:
        """Live stories sharing the article's strongest terms, most shared first.

        Postings of dormant and merged-away stories are dropped as they are met, and a
        dormant story's centroid is freed: the cost per article and the memory follow the
        number of live stories, not the size of the archive.
        """
        top = sorted(vec.items(), key=lambda kv: -kv[1])[: self.config.query_terms]
        counts: dict[int, int] = {}
        for t, _w in top:
            plist = self._postings.get(t)
            if not plist:
                continue
            stale = False
            for s in plist:
                story = self.stories[s]
                if story.merged_into is not None or self._dormant(story):
                    stale = True
                    continue
                counts[s] = counts.get(s, 0) + 1
            if stale:
                for s in plist:
                    story = self.stories[s]
                    if story.merged_into is None and self._dormant(story) and story.centroid:
                        story.free()
                live = [s for s in plist if self.stories[s].centroid]
                if live:
                    self._postings[t] = live
                else:
                    del self._postings[t]
        ranked = sorted(counts, key=lambda s: -counts[s])
        return ranked[: self.config.max_candidates]

    def _story_cosine(self, a: _Story, b: _Story) -> float:
        if a.norm2 <= 0 or b.norm2 <= 0:
            return 0.0
        small, large = (a, b) if len(a.centroid) < len(b.centroid) else (b, a)
        dot = sum(w * large.centroid.get(t, 0.0) for t, w in small.centroid.items())
        return dot / math.sqrt(a.norm2 * b.norm2)

    def _merge(self, keep: int, gone: int) -> None:
        """Merge story ``gone`` into ``keep``: an article linked both, and they are alike."""
        target, source = self.stories[keep], self.stories[gone]
        for article_id in source.members:
            self.assignments[article_id] = target.id
        target.absorb(source)
        source.merged_into = keep
        strongest = sorted(target.centroid.items(), key=lambda kv: -kv[1])
        for t, _w in strongest[: self.config.index_terms]:
            plist = self._postings.setdefault(t, [])
            if keep not in plist[-3:]:
                plist.append(keep)

    def partial_fit(self, article: Article) -> str:
        """Place one article; return its story id."""
        vec, tvec = self._vectors(article)
        cfg = self.config
        ts = self._timestamp(article)
        if ts is not None:
            self._clock = ts if self._clock is None else max(self._clock, ts)
        best, best_margin = -1, 0.0
        linked: list[int] = []
        for s in self._candidates(vec):
            story = self.stories[s]
            needed = self._needed(ts, story)
            if needed == math.inf:
                continue
            sim = story.cosine(vec)
            if cfg.title_mix and tvec:
                sim += cfg.title_mix * story.title_cosine(tvec)
            margin = sim - needed
            if margin >= 0.0:
                linked.append(s)
                if best < 0 or margin > best_margin:
                    best, best_margin = s, margin
        # merge check: the article links stories that are themselves alike
        for other in linked:
            if other != best and self.stories[other].merged_into is None and \
                    self._story_cosine(self.stories[best], self.stories[other]) \
                    >= cfg.merge_threshold:
                self._merge(best, other)
        if best < 0:
            sid = "s-" + hashlib.sha1(article.id.encode()).hexdigest()[:10]
            self.stories.append(_Story(sid))
            best = len(self.stories) - 1
        story = self.stories[best]
        story.add(vec, article.id, ts if ts is not None else self._clock, cfg.time_ema)
        if cfg.title_mix and tvec:
            story.add_title(tvec)
        top = sorted(vec.items(), key=lambda kv: -kv[1])[: cfg.index_terms]
        for t, _w in top:
            plist = self._postings.setdefault(t, [])
            if not plist or plist[-1] != best:
                plist.append(best)
        self.assignments[article.id] = story.id
        return story.id

    def fit_predict(self, articles: list[Article]) -> list[str]:
        """Place articles in the order given (a stream) and return their story ids.

        Call it with articles sorted by publication date for batch clustering; it is the
        same loop as feeding them one by one, so results never depend on batching.
        """
        return [self.partial_fit(a) for a in articles]
