"""Passage checks of a large batch in worker processes, with the result of checking in order.

The index checks each new article against its candidates in publication order, and
skips a candidate already in the article's group: which checks run depends on what
the earlier ones found. That order only matters *within* a set of articles that
candidate pairs (or groups formed before the batch) connect, so such sets are
independent: each is replayed in order, in a worker, from the group each of its
articles was in when the batch began; the parent merges the edges in order. The
finding of candidates (serial, but cheap) stays in the parent and overlaps the
workers' checks of the round before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..model import Relation
from ._align import AlignConfig, Sentences, align, classify
from ._kernels import content_key

__all__ = ["CompareJob", "Sets", "VerifyJob", "check", "compare_job", "pack", "relate",
           "shared_texts", "verify_job"]

_NO_ROWS = np.zeros((0, 5))
_NO_ROWS.setflags(write=False)

# (doc, position of the candidate in its list, candidate, relation, score, span rows)
Edge = tuple[int, int, int, Relation, float, np.ndarray]


_shared: Mapping[int, str] | None = None  # see shared_texts


@contextmanager
def shared_texts(store: Mapping[int, str]) -> Iterator[None]:
    """Worker processes forked inside this block hold ``store`` as it is then, so jobs
    may name its texts by number instead of carrying them (``texts=None``): sending
    every text a check needs cost the parent a pickling and a pipe write each. The
    store must be safe to read after a fork (a file read with pread is; an SQLite
    connection is not). Only forked workers read it from here: the parent, doing a
    job itself, passes its own store (see verify_job)."""
    global _shared
    before, _shared = _shared, store
    try:
        yield
    finally:
        _shared = before


def _text_source(docs: Sequence[int], texts: Sequence[str] | None,
                 store: Mapping[int, str] | None) -> Callable[[int], str]:
    """How a job reads the text of one of its docs: from the job, from ``store``, or
    from the store the process was forked with."""
    if texts is not None:
        return dict(zip(docs, texts, strict=True)).__getitem__
    store = store if store is not None else _shared
    if store is None:
        raise RuntimeError("a job names texts by number, but this process holds no store")
    return store.__getitem__


@dataclass(frozen=True, slots=True)
class VerifyJob:
    """Independent sets of articles to check: ``checks`` are (doc, candidates) in doc
    order; ``docs`` every article they name, with its text (None: read from the
    store the workers hold, see :func:`shared_texts`) and its group's root before the
    batch (a doc of the batch is its own root)."""

    docs: list[int]
    texts: list[str] | None
    roots: list[int]
    checks: list[tuple[int, list[int]]]
    config: AlignConfig


class Sets:
    """Union-find over the articles a job or a round touches (a dict: a few thousand of
    the index's millions); joined sets take the smaller root, as the index's do."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self._parent
        while (p := parent.get(x, x)) != x:
            parent[x] = parent.get(p, p)  # path halving
            x = p
        return x

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self._parent[max(rx, ry)] = min(rx, ry)


def check(doc: int, cands: list[int], sentences: Callable[[int], Sentences],
          find: Callable[[int], int], union: Callable[[int, int], None],
          config: AlignConfig) -> Iterator[tuple[int, int, Relation, float, np.ndarray]]:
    """The passage checks of ``doc`` against its candidates, in order: (position of the
    candidate, candidate, relation, score, span rows) of each that relates, joining
    the two. A candidate already in the doc's group is skipped. The index and the
    workers both check through this, which is what makes their results the same."""
    if not cands:
        return
    mine = sentences(doc)
    for k, cand in enumerate(cands):
        if find(cand) == find(doc):
            continue  # already joined to its group through a better candidate
        theirs = sentences(cand)
        al = align(mine, theirs, config)
        relation, score = classify(al, mine, theirs, config)
        if relation is None:
            continue
        yield k, cand, relation, score, al.span_rows(mine, theirs)
        union(doc, cand)


def verify_job(job: VerifyJob, store: Mapping[int, str] | None = None) -> list[Edge]:
    """The edges that checking ``job.checks`` in order finds (what the index would);
    ``store``: where the texts the job names are (default: see shared_texts)."""
    sets = Sets()
    for doc, root in zip(job.docs, job.roots, strict=True):
        if root != doc:
            sets.union(doc, root)
    text_of = _text_source(job.docs, job.texts, store)
    sentences: dict[int, Sentences] = {}

    def sents(doc: int) -> Sentences:
        s = sentences.get(doc)
        if s is None:
            s = sentences[doc] = Sentences.of(text_of(doc))
        return s

    return [(doc, *found) for doc, cands in job.checks
            for found in check(doc, cands, sents, sets.find, sets.union, job.config)]


def relate(a: Sentences, b: Sentences, config: AlignConfig, *, spans: bool = True
           ) -> tuple[Relation | None, float, np.ndarray]:
    """The relation of A to B computed afresh, its score and the aligned span rows (none
    without ``spans``: records without passages never show them)."""
    al = align(a, b, config)
    rows = al.span_rows(a, b) if spans else _NO_ROWS
    if content_key(a.scan.tok_hash) == content_key(b.scan.tok_hash):
        return "exact", 1.0, rows
    relation, score = classify(al, a, b, config)
    return relation, score, rows


@dataclass(frozen=True, slots=True)
class CompareJob:
    """Members to relate to their group's canonical article: (canonical doc, member
    docs), the texts of ``docs`` (None: see :func:`shared_texts`), and whether the span
    rows are wanted (see :func:`relate`)."""

    groups: list[tuple[int, list[int]]]
    docs: list[int]
    texts: list[str] | None
    config: AlignConfig
    spans: bool = True


def compare_job(job: CompareJob, store: Mapping[int, str] | None = None
                ) -> list[list[tuple[Relation | None, float, np.ndarray]]]:
    """Each member's relation to its canonical article (see relate); ``store`` as in
    verify_job."""
    text_of = _text_source(job.docs, job.texts, store)
    out = []
    for canon_doc, members in job.groups:
        canon = Sentences.of(text_of(canon_doc))
        out.append([relate(Sentences.of(text_of(d)), canon, job.config, spans=job.spans)
                    for d in members])
    return out


def pack(sizes: Sequence[int], bins: int) -> list[list[int]]:
    """Items (by index) in at most ``bins`` bins of about equal total size, largest first
    into the lightest bin; each bin's items in index order, bins in order of their first."""
    bins = max(1, min(bins, len(sizes)))
    load = [0] * bins
    content: list[list[int]] = [[] for _ in range(bins)]
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        b = min(range(bins), key=load.__getitem__)
        load[b] += sizes[i]
        content[b].append(i)
    packed = [sorted(c) for c in content if c]
    return sorted(packed, key=lambda c: c[0])
