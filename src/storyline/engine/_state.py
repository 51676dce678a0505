"""The engine's online state: the dedup index, the story clusterer and who follows whom.

Everything an update needs to place new articles without looking at the old ones
again lives here, in memory, and is checkpointed to a folder (:meth:`StoryState.save`).
A *doc* is one content of an article: the article's id for its first version,
``id#vN`` for the N-th. Each doc is indexed by dedup once; a doc that dedup matches
with an earlier one (a copy, a version) *follows* the report it matched and joins that
report's story; any other doc is a *report*, placed by the clusterer. This one rule
serves a batch (one update with every article, in publication order) and a stream
(updates in arrival order) alike, so polls give the stories of one batch run.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._folders import current, staging, swap_in
from ..cluster import ClusterConfig, OnlineClusterer
from ..dedup import DedupConfig, DedupIndex, stream_order
from ..errors import StorylineError
from ..model import Article, DedupRecord
from ._texts import StoreTexts

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Delta", "EngineConfig", "EngineStateError", "StoryState", "doc_id", "read_stamp"]

FORMAT = 1  # of the checkpoint folder; a change refuses older checkpoints


class EngineStateError(StorylineError):
    """A checkpoint that this engine cannot continue from (other settings or version)."""


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """The settings the online state is built with; a checkpoint is stamped with them."""

    dedup: DedupConfig = field(default_factory=DedupConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig.default)

    def to_dict(self) -> dict[str, Any]:
        return {"dedup": asdict(self.dedup), "cluster": self.cluster.to_dict()}

    @property
    def stamp(self) -> str:
        """A digest of every setting: two configurations with one stamp build one state."""
        blob = json.dumps({"format": FORMAT, **self.to_dict()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def read_stamp(path: Path, config: EngineConfig) -> dict[str, Any]:
    """A checkpoint's stamp (format, settings digest, sequence number), refused when
    it was built with settings other than ``config``."""
    try:
        stamp = json.loads((path / "stamp.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EngineStateError(f"{path}: not a readable engine state ({exc})") from exc
    if stamp.get("format") != FORMAT or stamp.get("stamp") != config.stamp:
        raise EngineStateError(
            f"{path}: the engine state was built with other settings (stamp "
            f"{stamp.get('stamp')}, these settings make {config.stamp}); run "
            "'storyline refresh --rebuild' to rebuild it from the stored articles")
    return dict(stamp)


def doc_id(article_id: str, version: int) -> str:
    """The dedup and clustering id of an article's ``version``-th content."""
    return article_id if version <= 1 else f"{article_id}#v{version}"


@dataclass(slots=True)
class Delta:
    """What one update changed: the stories whose members changed, with their members
    now (article ids, publication order), the stories that no longer exist, and the
    dedup records of every group that took a new doc."""

    stories: dict[str, list[str]] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)
    records: list[DedupRecord] = field(default_factory=list)
    docs: int = 0  # docs added


@dataclass(slots=True)
class _Links:
    """Who follows whom, and which doc is each article's current content."""

    root: dict[str, str] = field(default_factory=dict)  # doc -> the report it follows
    followers: dict[str, list[str]] = field(default_factory=dict)  # report -> its followers
    current: dict[str, str] = field(default_factory=dict)  # article id -> its current doc
    article: dict[str, str] = field(default_factory=dict)  # version doc -> its article id
    when: dict[str, float] = field(default_factory=dict)  # doc -> publication time (sorting)
    seq: int = 0  # the last stored version this state holds (store-backed engines)


class StoryState:
    """Dedup index + clusterer + links; :meth:`add` places a batch of docs."""

    def __init__(self, config: EngineConfig | None = None, *, workers: int | None = None,
                 store: Store | None = None) -> None:
        """``store``: where the docs' texts can be read back (then the checkpoint holds
        none of them); without one, the state keeps every text."""
        self.config = config or EngineConfig()
        self.links = _Links()
        self._texts = StoreTexts(store, self._key_of) if store is not None else None
        self.index = DedupIndex(self.config.dedup, store=self._texts, workers=workers)
        self.clusterer = OnlineClusterer(self.config.cluster)

    def _key_of(self, doc: int) -> tuple[str, int]:
        """The stored (article id, version number) a doc was read from."""
        name = self.index.ids[doc]
        aid = self.links.article.get(name)
        return (name, 1) if aid is None else (aid, int(name.rsplit("#v", 1)[1]))

    @property
    def seq(self) -> int:
        return self.links.seq

    def close(self) -> None:
        self.index.close()

    def article_of(self, doc: str) -> str:
        return self.links.article.get(doc, doc)

    def story_of(self, article_id: str) -> str | None:
        doc = self.links.current.get(article_id)
        if doc is None:
            return None
        return self.clusterer.assignments.get(self.links.root.get(doc, doc))

    # -- adding ---------------------------------------------------------------
    def add(self, docs: Sequence[tuple[str, Article]], *, seq: int | None = None,
            now: datetime | None = None) -> Delta:
        """Place ``docs`` (doc id, article) in publication order (undated last, in the
        order given); a doc already held is skipped. Returns what changed."""
        links, clusterer = self.links, self.clusterer
        fresh = [(d, a) for d, a in docs if d not in self.index]
        fresh = list({d: (d, a) for d, a in fresh}.values())  # a repeated doc once
        order = stream_order([_as_doc(d, a) for d, a in fresh])
        clusterer.touched.clear()
        clusterer.future_from(now or datetime.now(UTC))
        matches = self.index.add_many(order) if order else []
        reports: list[Article] = []
        followed: list[tuple[str, str]] = []  # (doc, report it follows)
        moved: set[str] = set()  # stories an article's new version left
        article_of = {d: a.id for d, a in fresh}
        for doc, found in zip(order, matches, strict=True):
            aid = article_of[doc.id]
            old = links.current.get(aid)
            if old is not None and old != doc.id:
                sid = self.story_of(aid)
                if sid is not None:
                    moved.add(sid)
            links.current[aid] = doc.id
            if aid != doc.id:
                links.article[doc.id] = aid
            if doc.published is not None:
                links.when[doc.id] = doc.published.timestamp()
            if found:
                best = max(found, key=lambda m: m.score)
                root = links.root.get(best.b, best.b)
                links.root[doc.id] = root
                links.followers.setdefault(root, []).append(doc.id)
                followed.append((doc.id, root))
            else:
                reports.append(doc)
        for doc, (entities, embedding) in zip(reports, clusterer.annotate(reports),
                                               strict=True):
            clusterer.partial_fit(doc, entities, embedding)
        touched = set(clusterer.touched) | moved
        touched.update(clusterer.assignments[root] for _, root in followed)
        delta = Delta(docs=len(order))
        for sid in sorted(touched):
            members = self.members(sid)
            if members:
                delta.stories[sid] = members
            else:
                delta.retired.append(sid)
        if order:
            delta.records = self.records(d.id for d in order)
        if seq is not None:
            links.seq = max(links.seq, seq)
        return delta

    def members(self, story_id: str) -> list[str]:
        """A story's articles now (by their current doc), in publication order."""
        links = self.links
        docs: list[str] = []
        for report in self.clusterer.members(story_id):
            docs.append(report)
            docs.extend(links.followers.get(report, ()))
        current = [d for d in docs if links.current.get(self.article_of(d)) == d]
        never = float("inf")
        current.sort(key=lambda d: links.when.get(d, never))  # stable: undated in order
        return list(dict.fromkeys(self.article_of(d) for d in current))

    def records(self, docs: Iterable[str]) -> list[DedupRecord]:
        """Dedup records of the groups of ``docs``, by article id (current docs only)."""
        links = self.links
        out = []
        for r in self.index.records(of=list(docs), passages=False):
            aid = self.article_of(r.id)
            if links.current.get(aid) != r.id:
                continue  # an older version of an article: its current doc stands for it
            group = self.article_of(r.group)
            of = self.article_of(r.of) if r.of is not None else None
            if of == aid:
                out.append(DedupRecord(aid, group, "original", None, 1.0))
            else:
                out.append(DedupRecord(aid, group, r.relation, of, r.score))
        return out

    # -- checkpoints ----------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the state to folder ``path`` atomically: a kill leaves the last one."""
        path = Path(path)
        tmp = staging(path)
        self.index.save(tmp / "dedup", texts=self._texts is None)
        with (tmp / "state.pkl").open("wb") as fh:
            pickle.dump({"clusterer": self.clusterer, "links": self.links}, fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        (tmp / "stamp.json").write_text(json.dumps(
            {"format": FORMAT, "stamp": self.config.stamp, "seq": self.links.seq,
             "config": self.config.to_dict()}), encoding="utf-8")
        swap_in(tmp, path)
        if self._texts is not None:
            self._texts.flush()

    @classmethod
    def load(cls, path: str | Path, config: EngineConfig | None = None, *,
             workers: int | None = None, store: Store | None = None) -> StoryState:
        """Continue from a checkpoint; refused when it was built with other settings."""
        config = config or EngineConfig()
        path = current(Path(path), "stamp.json") or Path(path)
        read_stamp(path, config)
        state = cls.__new__(cls)
        state.config = config
        with (path / "state.pkl").open("rb") as fh:
            data = pickle.load(fh)  # noqa: S301 - our own checkpoint, written above
        state.clusterer = data["clusterer"]
        state.links = data["links"]
        state._texts = StoreTexts(store, state._key_of) if store is not None else None
        state.index = DedupIndex.load(path / "dedup", config.dedup, workers=workers,
                                      texts=state._texts)
        if state._texts is not None:
            state._texts.restore(len(state.index))
        return state


def _as_doc(doc: str, article: Article) -> Article:
    """The article under its doc id (what dedup and the clusterer key it by)."""
    if doc == article.id:
        return article
    return Article(id=doc, text=article.text, title=article.title, url=article.url,
                   source=article.source, published=article.published,
                   authors=article.authors, language=article.language)
