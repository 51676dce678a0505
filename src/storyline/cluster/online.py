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

Two checks correct the greedy choice once more reports have arrived. Merge: when an
article links two stories whose centroids are alike (``merge_threshold``), they become
one. Split: when an article joins a story of 4 to ``split_max`` reports, the story's
reports are divided in two (2-means on their strongest terms); if both halves hold at
least ``split_min`` reports and their centroids are far apart (cosine under
``split_threshold``), the story splits. A single article's similarity to a centroid can
be misled by shared background; two groups' centroids rarely are, so a follow-up that
joined yesterday's story on shared names leaves it once it has company. The gap between
the two thresholds (merge at 0.5, split under 0.3) keeps a story from flipping back and
forth. Batch clustering is this same loop over articles sorted by publication date.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..model import Article
from ._embeddings import embed, embedding_text
from ._entities import tag_title, tag_titles
from ._features import FeatureConfig, article_features
from ._kernels import two_means
from ._pair import PairModel, load_pair_model

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
    split_threshold: float = 0.3  # centroid cosine under which a story's two halves split
    split_min: int = 2  # reports each half needs for a split
    split_max: int = 64  # a story with more reports is established: no more split checks
    split_terms: int = 32  # strongest terms of each report kept for the split check
    title_ner: bool = True  # spaCy's named entities of titles join the features
    # weight of the cosine between sentence embeddings of title and lead (article against
    # the sum of the story's); 0 = off. Needs the optional extra storyline[embeddings].
    embedding_mix: float = 0.0
    embedding_words: int = 40
    # how an article decides to join its best candidate: "threshold" (similarity against
    # the time-dependent threshold above) or "model" (the learned pair model's probability,
    # ``cluster/_pair.py``; threshold, day_step, gap_slope and title_mix are then unused)
    decision: str = "threshold"
    pair_model: str = ""  # path of a pair model JSON; empty = the packaged pair_model.json

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
class _Member:
    """What the split check keeps of a report while its story is young and live."""

    terms: array  # term ids: the report's strongest terms, then its title's terms
    weights: array
    n_body: int  # how many of ``terms`` are body terms
    ts: float | None
    embedding: NDArray[np.float32] | None = None


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
    reports: list[_Member] | None = field(default_factory=list)  # aligned with members
    embedding: NDArray[np.float32] | None = None  # sum of reports' embeddings (when used)

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
        if other.embedding is not None:
            self.add_embedding(other.embedding)
        if self.reports is not None and other.reports is not None:
            self.reports.extend(other.reports)
        else:
            self.reports = None
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

    def add_embedding(self, embedding: NDArray[np.float32]) -> None:
        self.embedding = embedding.copy() if self.embedding is None \
            else self.embedding + embedding

    def embedding_cosine(self, embedding: NDArray[np.float32]) -> float:
        if self.embedding is None:
            return 0.0
        norm = float(np.linalg.norm(self.embedding))
        return float(self.embedding @ embedding) / norm if norm > 0 else 0.0

    def free(self) -> None:
        """Drop what only matching needs (the story went dormant or was merged away)."""
        self.centroid, self.norm2, self.titles, self.titles_norm2 = {}, 0.0, {}, 0.0
        self.reports = None
        self.embedding = None

    def cosine(self, vec: dict[str, float]) -> float:
        if self.norm2 <= 0:
            return 0.0
        c = self.centroid
        return sum(w * c.get(t, 0.0) for t, w in vec.items()) / math.sqrt(self.norm2)


_COPY_COSINE = 0.8  # reports this alike on their strongest terms count once in a split


class OnlineClusterer:
    """Assign articles to stories one at a time (``partial_fit``) or in batch (``fit_predict``)."""

    def __init__(self, config: ClusterConfig | None = None, *, now: datetime | None = None):
        self.config = config or ClusterConfig.default()
        self._features = self.config.features
        if self.config.decision not in ("threshold", "model"):
            raise ValueError(f"unknown cluster decision {self.config.decision!r}")
        self._model: PairModel | None = load_pair_model(self.config.pair_model) \
            if self.config.decision == "model" else None
        self._titles = bool(self.config.title_mix) or self._model is not None
        self.stories: list[_Story] = []
        self._ids: dict[str, int] = {}  # term -> id
        self._vocab: list[str] = []  # id -> term
        self._df = array("q")  # document frequency by term id
        self._n = 0
        self._postings: dict[str, list[int]] = {}
        self._clock: float | None = None  # latest publication time seen
        self._future = ((now or datetime.now(UTC)) + timedelta(days=1)).timestamp()
        self.assignments: dict[str, str] = {}
        self._story_at: dict[str, int] = {}  # story id -> position in ``stories``
        # ids of stories whose membership changed since the caller last cleared it
        # (reports joined, a merge, a split): what an incremental update must save
        self.touched: set[str] = set()

    def _new_story(self, sid: str) -> int:
        self.stories.append(_Story(sid))
        self._story_at[sid] = len(self.stories) - 1
        return len(self.stories) - 1

    def members(self, story_id: str) -> list[str]:
        """The reports of a story now (empty once it was merged away)."""
        at = self._story_at.get(story_id)
        if at is None:
            return []
        story = self.stories[at]
        return [] if story.merged_into is not None else list(story.members)

    def future_from(self, now: datetime) -> None:
        """Dates more than a day after ``now`` are not trusted (a long-lived clusterer
        moves this line on with the clock)."""
        self._future = (now + timedelta(days=1)).timestamp()

    def _timestamp(self, article: Article) -> float | None:
        """Publication time; a date in the future is not trusted and counts as unknown."""
        if article.published is None:
            return None
        ts = article.published.timestamp()
        return None if ts > self._future else ts

    def _vectors(self, article: Article, entities: Sequence[str] | None
                 ) -> tuple[dict[str, float], dict[str, float]]:
        """The article's unit TF-IDF vector and its title's unit IDF vector."""
        if entities is None and self.config.title_ner:
            entities = tag_title(article.title or "")
        raw, title_terms = article_features(article, self._features, entities or ())
        self._n += 1
        ids, vocab, df = self._ids, self._vocab, self._df
        n = self._n
        idf = {}
        for t in raw:
            i = ids.get(t)
            if i is None:
                i = ids[t] = len(vocab)
                vocab.append(t)
                df.append(1)
            else:
                df[i] += 1
            idf[t] = math.log((1 + n) / (1 + df[i])) + 1.0
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
        self.touched.update((target.id, source.id))
        for article_id in source.members:
            self.assignments[article_id] = target.id
        target.absorb(source)
        source.merged_into = keep
        strongest = sorted(target.centroid.items(), key=lambda kv: -kv[1])
        self._index(keep, strongest[: self.config.index_terms], recent=3)

    def partial_fit(self, article: Article, entities: Sequence[str] | None = None,
                    embedding: NDArray[np.float32] | None = None) -> str:
        """Place one article; return its story id.

        ``entities`` and ``embedding``: what ``annotate`` gives for the article, when the
        caller annotated a batch (spaCy and the encoder are several times faster on
        batches); when None and the configuration uses them, they are computed here."""
        vec, tvec = self._vectors(article, entities)
        cfg = self.config
        if not cfg.embedding_mix:
            embedding = None  # from here on, an embedding means: use it
        elif embedding is None:
            embedding = embed([self._embedding_text(article)])[0]
        ts = self._timestamp(article)
        if ts is not None:
            self._clock = ts if self._clock is None else max(self._clock, ts)
        candidates = self._candidates(vec)
        if self._model is not None:
            scored = self._model_margins(vec, tvec, ts, candidates, self._model)
        else:
            scored = self._threshold_margins(vec, tvec, ts, embedding, candidates)
        best, best_margin = -1, 0.0
        linked: list[int] = []
        for s, margin in scored:
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
        return self._place(best, article.id, vec, tvec, ts, embedding)

    def _threshold_margins(self, vec: dict[str, float], tvec: dict[str, float],
                           ts: float | None, embedding: NDArray[np.float32] | None,
                           candidates: list[int]) -> list[tuple[int, float]]:
        """Similarity minus the time-dependent threshold, for each candidate in the window."""
        cfg = self.config
        out = []
        for s in candidates:
            story = self.stories[s]
            needed = self._needed(ts, story)
            if needed == math.inf:
                continue
            sim = story.cosine(vec)
            if cfg.title_mix and tvec:
                sim += cfg.title_mix * story.title_cosine(tvec)
            if embedding is not None:
                sim += cfg.embedding_mix * story.embedding_cosine(embedding)
            out.append((s, sim - needed))
        return out

    def _model_margins(self, vec: dict[str, float], tvec: dict[str, float],
                       ts: float | None, candidates: list[int], model: PairModel
                       ) -> list[tuple[int, float]]:
        """The pair model's logit minus the logit of its prior, for each candidate."""
        cut = model.cut
        return [(s, model.logit(row) - cut)
                for s, row in self._pair_features(vec, tvec, ts, candidates)]

    def _pair_features(self, vec: dict[str, float], tvec: dict[str, float],
                       ts: float | None, candidates: list[int]
                       ) -> list[tuple[int, list[float]]]:
        """``_pair.FEATURES`` of the article against each candidate within the window.

        All of it comes from what the threshold decision computes anyway (the centroid
        and title cosines, the story's times and size) plus two lookups of the article's
        names and numbers in the centroid: a few microseconds per candidate."""
        window = self.config.window_days
        names = [(t, w * w) for t, w in vec.items() if t[0] == "@"]
        numbers = [(t, w * w) for t, w in vec.items() if t[0].isdigit()]
        names_total = sum(w2 for _t, w2 in names)
        numbers_total = sum(w2 for _t, w2 in numbers)
        rows: list[tuple[int, list[float]]] = []
        for s in candidates:
            story = self.stories[s]
            if ts is None or story.last is None:
                gap = since = 0.5  # undated: half a day, as for the threshold
            else:
                since = abs(ts - story.last) / _DAY
                if since > window:
                    continue
                gap = abs(ts - (story.when if story.when is not None else story.last)) / _DAY
            c = story.centroid
            shared_names = sum(w2 for t, w2 in names if t in c) / names_total \
                if names_total else 0.0
            shared_numbers = sum(w2 for t, w2 in numbers if t in c) / numbers_total \
                if numbers_total else 0.0
            rows.append((s, [story.cosine(vec), story.title_cosine(tvec) if tvec else 0.0,
                             0.0, shared_names, shared_numbers, min(gap, 1.0),
                             math.log1p(max(gap - 1.0, 0.0)), math.log1p(since),
                             math.log(max(story.size, 1)), 0.0]))
        if rows:
            best = max(row[0] for _s, row in rows)
            crowd = math.log1p(len(rows))
            for _s, row in rows:
                row[2] = best - row[0]
                row[9] = crowd
        return rows

    def _place(self, best: int, article_id: str, vec: dict[str, float],
               tvec: dict[str, float], ts: float | None,
               embedding: NDArray[np.float32] | None, new_id: str | None = None) -> str:
        """Add the article to story ``best`` (a new story when negative); run the split
        check. ``new_id``: the id of a new story (else derived from the article's id)."""
        cfg = self.config
        if best < 0:
            best = self._new_story(
                new_id or "s-" + hashlib.sha1(article_id.encode()).hexdigest()[:10])
        story = self.stories[best]
        self.touched.add(story.id)
        when = ts if ts is not None else self._clock
        story.add(vec, article_id, when, cfg.time_ema)
        if self._titles and tvec:
            story.add_title(tvec)
        if embedding is not None:
            story.add_embedding(embedding)
        top = sorted(vec.items(), key=lambda kv: -kv[1])[: cfg.index_terms]
        self._index(best, top)
        self.assignments[article_id] = story.id
        if story.reports is not None:
            if story.size > cfg.split_max:
                story.reports = None  # established: the split check no longer applies
            else:
                member = self._member(top[: cfg.split_terms], tvec, when)
                member.embedding = embedding
                story.reports.append(member)
                self._split_check(best)
        return self.assignments[article_id]

    def _index(self, s: int, top: list[tuple[str, float]], recent: int = 1) -> None:
        """Post story ``s`` under terms, unless among the term's ``recent`` last entries."""
        for t, _w in top:
            plist = self._postings.setdefault(t, [])
            if s not in plist[-recent:]:
                plist.append(s)

    def _member(self, top: list[tuple[str, float]], tvec: dict[str, float],
                ts: float | None) -> _Member:
        ids = self._ids
        terms = array("i", [ids[t] for t, _w in top])
        weights = array("f", [w for _t, w in top])
        terms.extend(ids[t] for t in tvec)
        weights.extend(tvec.values())
        return _Member(terms, weights, len(top), ts)

    def _split_check(self, s: int) -> None:
        """Split story ``s`` in two if its reports form two groups far apart (see above)."""
        cfg = self.config
        story = self.stories[s]
        reports = story.reports
        if reports is None or len(reports) < max(4, 2 * cfg.split_min):
            return
        body = [r.n_body for r in reports]
        terms = np.concatenate([np.frombuffer(r.terms, np.int32)[:k]
                                for r, k in zip(reports, body, strict=True)])
        weights = np.concatenate([np.frombuffer(r.weights, np.float32)[:k]
                                  for r, k in zip(reports, body, strict=True)])
        columns, local = np.unique(terms, return_inverse=True)
        labels = two_means(local.astype(np.int64), weights.astype(np.float64),
                           np.cumsum([0, *body], dtype=np.int64), len(columns),
                           _COPY_COSINE, cfg.split_min, cfg.split_threshold)
        if not labels.size:
            return
        keep = labels == labels[0]  # the half holding the story's first report keeps its id
        stay = [i for i in range(len(reports)) if keep[i]]
        leave = [i for i in range(len(reports)) if not keep[i]]
        members = story.members
        moved_ids = [members[i] for i in leave]
        new_s = self._new_story(
            "s-" + hashlib.sha1(("split:" + ",".join(moved_ids)).encode()).hexdigest()[:10])
        self.touched.update((story.id, self.stories[new_s].id))
        self._rebuild(new_s, moved_ids, [reports[i] for i in leave])
        self._rebuild(s, [members[i] for i in stay], [reports[i] for i in stay])

    def _rebuild(self, s: int, members: list[str], reports: list[_Member]) -> None:
        """Make story ``s`` the given reports (one half of a split)."""
        cfg, vocab = self.config, self._vocab
        story = self.stories[s]
        story.centroid, story.titles = {}, {}
        story.norm2, story.titles_norm2 = 0.0, 0.0
        story.members, story.size, story.last, story.when = [], 0, None, None
        story.reports = reports
        story.embedding = None
        for article_id, r in zip(members, reports, strict=True):
            if r.embedding is not None:
                story.add_embedding(r.embedding)
            body = {vocab[t]: w for t, w in zip(r.terms[: r.n_body], r.weights[: r.n_body],
                                                 strict=True)}
            story.add(body, article_id, r.ts, cfg.time_ema)
            title = {vocab[t]: w for t, w in zip(r.terms[r.n_body:], r.weights[r.n_body:],
                                                  strict=True)}
            if self._titles and title:
                story.add_title(title)
            self.assignments[article_id] = story.id
        strongest = sorted(story.centroid.items(), key=lambda kv: -kv[1])[: cfg.index_terms]
        self._index(s, strongest, recent=3)

    def fit_predict(self, articles: list[Article]) -> list[str]:
        """Place articles in the order given (a stream) and return their story ids.

        Call it with articles sorted by publication date for batch clustering; it is the
        same loop as feeding them one by one, so results never depend on batching. The ids
        are the final ones: a later merge or split can move an earlier article.
        """
        for a, (entities, embedding) in zip(articles, self.annotate(articles), strict=True):
            self.partial_fit(a, entities, embedding)
        return [self.assignments[a.id] for a in articles]

    def annotate(self, articles: Iterable[Article], batch_size: int = 256, *,
                 entities: bool | None = None, embeddings: bool | None = None
                 ) -> Iterator[tuple[list[str] | None, NDArray[np.float32] | None]]:
        """``(entities, embedding)`` of each article for ``partial_fit``, computed a batch
        at a time (lazily); None for what is not wanted. ``entities`` and ``embeddings``
        say what is wanted; by default, what the configuration uses."""
        cfg = self.config
        want_entities = cfg.title_ner if entities is None else entities
        want_embeddings = bool(cfg.embedding_mix) if embeddings is None else embeddings
        batch: list[Article] = []
        for article in itertools.chain(articles, [None]):
            if article is not None:
                batch.append(article)
                if len(batch) < batch_size:
                    continue
            if not batch:
                break
            names: list[list[str] | None] = list(
                tag_titles([a.title or "" for a in batch], batch_size)) if want_entities \
                else [None] * len(batch)
            vectors = embed([self._embedding_text(a) for a in batch]) \
                if want_embeddings else None
            for i, ents in enumerate(names):
                yield ents, (vectors[i] if vectors is not None else None)
            batch = []

    def _embedding_text(self, article: Article) -> str:
        return embedding_text(article.title or "", article.text, self.config.embedding_words)
