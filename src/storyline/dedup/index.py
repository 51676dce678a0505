"""The dedup index: grows one article at a time and persists to disk.

Per article it keeps an id, a content key (exact copies), ~1 sampled fingerprint
per 8 word 5-grams in a numpy inverted index, a date, a length and a union-find
parent; the text itself lives in a :class:`TextStore` (memory by default), read
back only for the passage check of a candidate pair.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from array import array
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import StorylineError
from ..model import Article, DedupRecord, Passage, Relation
from ._align import AlignConfig, Sentences, align, classify
from ._postings import Postings
from ._shingles import content_key, fingerprints, tokens

__all__ = ["DedupConfig", "DedupIndex", "Match", "TextStore"]

TextStore = MutableMapping[int, str]
_FORMAT = 1
_SENTENCE_CACHE = 256  # each entry holds a text's sentence bigram sets (~100 KB)


@dataclass(frozen=True, slots=True)
class DedupConfig:
    shingle: int = 5
    sample_rate: int = 8
    min_shared: int = 2
    min_shared_fraction: float = 0.06  # of the smaller text's fingerprints (stock phrases recur)
    max_candidates: int = 30
    align: AlignConfig = field(default_factory=AlignConfig)


@dataclass(slots=True)
class Match:
    """An edge: article ``a`` (newer in the stream) relates to ``b`` (already indexed)."""

    a: str
    b: str
    relation: Relation
    score: float
    passages: list[Passage] = field(default_factory=list)


class DedupIndex:
    """Incremental near-duplicate and version index (see module docstring)."""

    def __init__(self, config: DedupConfig | None = None, store: TextStore | None = None) -> None:
        self.config = config or DedupConfig()
        self.texts: TextStore = store if store is not None else {}
        self.ids: list[str] = []
        self._doc_of: dict[str, int] = {}
        self._published = array("d")  # epoch seconds, NaN when unknown
        self._ntokens = array("I")
        self._nfp = array("I")
        self._parent = array("I")
        self._exact: dict[bytes, int] = {}
        self._postings = Postings()
        self.matches: list[Match] = []
        self._sentence_cache: dict[int, Sentences] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._doc_of

    # -- union-find -----------------------------------------------------------
    def _find(self, x: int) -> int:
        parent = self._parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def _union(self, x: int, y: int) -> None:
        rx, ry = self._find(x), self._find(y)
        if rx != ry:
            self._parent[max(rx, ry)] = min(rx, ry)

    # -- adding ---------------------------------------------------------------
    def add(self, article: Article) -> list[Match]:
        """Index ``article`` and return its relations to articles indexed before it."""
        if article.id in self._doc_of:
            raise StorylineError(f"article {article.id!r} is already in the dedup index")
        toks = tokens(article.text)
        key = content_key(toks)
        doc = len(self.ids)
        self.ids.append(article.id)
        self._doc_of[article.id] = doc
        ts = article.published.timestamp() if article.published else math.nan
        self._published.append(ts)
        self._ntokens.append(len(toks))
        self._parent.append(doc)
        self.texts[doc] = article.text
        found: list[Match] = []
        first = self._exact.get(key)
        if first is not None and toks:
            found.append(Match(article.id, self.ids[first], "exact", 1.0))
            self._nfp.append(0)
            self._union(doc, first)
        else:
            if toks:
                self._exact[key] = doc
            fps = fingerprints(toks, self.config.shingle, self.config.sample_rate)
            self._nfp.append(len(fps))
            found = self._verify(article, doc, fps)
            self._postings.add(doc, fps)
        self.matches.extend(found)
        return found

    def _candidates(self, doc: int, fps: np.ndarray) -> list[int]:
        hits = self._postings.lookup(fps)
        if len(hits) == 0:
            return []
        # unique over the hits, not bincount over every doc: cost stays flat as the index grows
        cands, shared = np.unique(hits, return_counts=True)
        nfp = np.frombuffer(self._nfp, dtype=np.uint32)[cands]
        smaller = np.minimum(nfp, len(fps))
        need = np.maximum(np.minimum(smaller, self.config.min_shared),
                          np.ceil(self.config.min_shared_fraction * smaller))
        ok = shared >= need
        cands, shared = cands[ok], shared[ok]
        order = np.argsort(-shared, kind="stable")[: self.config.max_candidates]
        return [int(c) for c in cands[order] if c != doc]

    def _verify(self, article: Article, doc: int, fps: np.ndarray) -> list[Match]:
        cands = self._candidates(doc, fps)
        if not cands:
            return []
        mine = Sentences.of(article.text)
        out: list[Match] = []
        for cand in cands:
            if self._find(cand) == self._find(doc):
                continue  # already joined to its group through a better candidate
            theirs = self._sentences(cand)
            al = align(mine, theirs, self.config.align)
            relation, score = classify(al, mine, theirs, self.config.align)
            if relation is None:
                continue
            out.append(Match(article.id, self.ids[cand], relation, score,
                             al.passages(mine, theirs)))
            self._union(doc, cand)
        return out

    def _sentences(self, doc: int) -> Sentences:
        """Sentence features of an indexed text; recent ones cached (copies cluster in time)."""
        cached = self._sentence_cache.get(doc)
        if cached is None:
            cached = Sentences.of(self.texts[doc])
            if len(self._sentence_cache) >= _SENTENCE_CACHE:
                self._sentence_cache.pop(next(iter(self._sentence_cache)))
            self._sentence_cache[doc] = cached
        return cached

    # -- reading out ----------------------------------------------------------
    def groups(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for doc in range(len(self.ids)):
            out.setdefault(self._find(doc), []).append(doc)
        return out

    def _canonical(self, members: list[int]) -> int:
        """The earliest dated member; else (or on a tie) the most complete; else the first."""

        def key(d: int) -> tuple[float, int, int]:
            ts = self._published[d]
            return (math.inf if math.isnan(ts) else ts, -self._ntokens[d], d)

        return min(members, key=key)

    def compare(self, a_id: str, b_id: str) -> tuple[Relation | None, float, list[Passage]]:
        """The relation between two indexed articles, computed afresh, with its passages."""
        da, db = self._doc_of[a_id], self._doc_of[b_id]
        a, b = self._sentences(da), self._sentences(db)
        al = align(a, b, self.config.align)
        if content_key(tokens(self.texts[da])) == content_key(tokens(self.texts[db])):
            return "exact", 1.0, al.passages(a, b)
        relation, score = classify(al, a, b, self.config.align)
        return relation, score, al.passages(a, b)

    def records(self) -> Iterator[DedupRecord]:
        """One record per indexed article: its group, canonical article and relation to it."""
        edges: dict[tuple[str, str], Match] = {}
        best: dict[str, Match] = {}
        for m in self.matches:
            edges[(m.a, m.b)] = m
            edges[(m.b, m.a)] = m
            for end in (m.a, m.b):
                if end not in best or m.score > best[end].score:
                    best[end] = m
        for members in self.groups().values():
            canon = self._canonical(members)
            canon_id = self.ids[canon]
            for d in sorted(members):
                aid = self.ids[d]
                if d == canon:
                    yield DedupRecord(aid, canon_id, "original", None, 1.0)
                    continue
                edge = edges.get((aid, canon_id))
                if edge is not None:
                    passages = edge.passages
                    if edge.a != aid:  # stored from the other side: swap the spans
                        passages = [Passage(p.b_start, p.b_end, p.a_start, p.a_end, p.similarity)
                                    for p in passages]
                    yield DedupRecord(aid, canon_id, edge.relation, canon_id, edge.score,
                                      passages)
                    continue
                relation, score, passages = self.compare(aid, canon_id)
                if relation is None:
                    # Related to the canonical article only through another member.
                    via = best[aid]
                    relation, score = via.relation, via.score
                yield DedupRecord(aid, canon_id, relation, canon_id, score, passages)

    # -- persistence ----------------------------------------------------------
    @property
    def nbytes(self) -> int:
        """Memory of the index beyond the texts (approximate, for benchmarks)."""
        per_id = sum(len(i) + 50 for i in self.ids) + len(self._doc_of) * 100
        arrays = sum(a.itemsize * len(a) for a in (self._published, self._ntokens, self._nfp,
                                                    self._parent))
        return per_id + arrays + len(self._exact) * 120 + self._postings.nbytes

    def save(self, path: str | Path) -> None:
        """Write the index to folder ``path`` atomically (a crash leaves the old copy)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        keys, docs = self._postings.arrays()
        np.savez(
            tmp / "arrays.npz",
            keys=keys,
            docs=docs,
            published=np.frombuffer(self._published, dtype=np.float64),
            ntokens=np.frombuffer(self._ntokens, dtype=np.uint32),
            nfp=np.frombuffer(self._nfp, dtype=np.uint32),
            parent=np.frombuffer(self._parent, dtype=np.uint32),
        )
        meta = {
            "format": _FORMAT,
            "ids": self.ids,
            "exact": {k.hex(): v for k, v in self._exact.items()},
            "matches": [
                {"a": m.a, "b": m.b, "relation": m.relation, "score": m.score,
                 "passages": [[p.a_start, p.a_end, p.b_start, p.b_end, p.similarity]
                              for p in m.passages]}
                for m in self.matches
            ],
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        with (tmp / "texts.jsonl").open("w", encoding="utf-8") as fh:
            for doc in range(len(self.ids)):
                fh.write(json.dumps(self.texts[doc]) + "\n")
        old = path.with_name(path.name + ".old")
        if path.exists():
            if old.exists():
                shutil.rmtree(old)
            os.replace(path, old)
        os.replace(tmp, path)
        if old.exists():
            shutil.rmtree(old)

    @classmethod
    def load(cls, path: str | Path, config: DedupConfig | None = None) -> DedupIndex:
        path = Path(path)
        if not (path / "meta.json").exists() and path.with_name(path.name + ".old").exists():
            path = path.with_name(path.name + ".old")  # killed between the two renames
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            arrays = np.load(path / "arrays.npz")
        except (OSError, ValueError) as exc:
            raise StorylineError(f"{path}: not a readable dedup index ({exc})") from exc
        if meta.get("format") != _FORMAT:
            raise StorylineError(f"{path}: dedup index format {meta.get('format')} unsupported")
        index = cls(config)
        index.ids = list(meta["ids"])
        index._doc_of = {i: n for n, i in enumerate(index.ids)}
        index._published = array("d", arrays["published"].tolist())
        index._ntokens = array("I", arrays["ntokens"].tolist())
        index._nfp = array("I", arrays["nfp"].tolist())
        index._parent = array("I", arrays["parent"].tolist())
        index._exact = {bytes.fromhex(k): v for k, v in meta["exact"].items()}
        index._postings = Postings.from_arrays(arrays["keys"], arrays["docs"])
        index.matches = [
            Match(m["a"], m["b"], m["relation"], m["score"],
                  [Passage(*p) for p in m["passages"]])
            for m in meta["matches"]
        ]
        with (path / "texts.jsonl").open(encoding="utf-8") as fh:
            for doc, line in enumerate(fh):
                index.texts[doc] = json.loads(line)
        return index
