"""The dedup index: grows one article at a time and persists to disk.

Per article it keeps an id, a content key (exact copies), ~1 sampled fingerprint
per 8 word 5-grams in a numpy inverted index, a date, a length and a union-find
parent; the text itself lives in a :class:`TextStore` (memory by default), read
back only for the passage check of a candidate pair.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import OrderedDict
from collections.abc import (
    Callable,
    Generator,
    Iterable,
    Iterator,
    MutableMapping,
    Sequence,
)
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from .._folders import current, staging, swap_in
from .._parallel import bounded_map, default_workers, gather
from ..errors import StorylineError
from ..model import Article, DedupRecord, Passage, Relation
from ._align import AlignConfig, Sentences, span_tuples
from ._bulk import (
    CompareJob,
    Edge,
    Sets,
    VerifyJob,
    check,
    compare_job,
    pack,
    relate,
    verify_job,
)
from ._kernels import count_candidates, fingerprint_many
from ._postings import (
    Postings,
    batch_postings,
    earlier_pairs,
    sorted_lookups,
    split_postings,
)

__all__ = ["DedupConfig", "DedupIndex", "Match", "Prepared", "TextStore", "prepare"]

TextStore = MutableMapping[int, str]
_FORMAT = 3  # 2: fingerprints from the compiled scan; 3: Unicode case folding
_SENTENCE_CACHE = 1024  # each entry holds a text's token arrays (~20 bytes per token)
_BATCH = 512  # articles whose candidates are looked up together
_PLAN = 1 << 16  # articles whose candidates add_batches looks up together, ahead
_FIRST_PLAN = 1 << 13  # the first such run: its checks keep the workers busy while the
# next is looked up (with the first batch alone, they waited for it)
_Run = tuple[np.ndarray, np.ndarray]  # postings (keys, docs) sorted by key, then doc
_COMPARE_JOB = 256  # members compared with their canonical article per job


@dataclass(frozen=True, slots=True)
class DedupConfig:
    shingle: int = 5
    sample_rate: int = 8
    min_shared: int = 2
    min_shared_fraction: float = 0.10  # of the smaller text's fingerprints (see docs/dedup.md)
    max_candidates: int = 30
    # a fingerprint keeps only its first max_postings articles (0: no limit): a passage
    # that recurs in thousands of articles (boilerplate, stock phrases) costs every
    # article that has it one comparison per posting, which grows with the archive
    max_postings: int = 1000
    align: AlignConfig = field(default_factory=AlignConfig)


@dataclass(slots=True)
class Match:
    """An edge: article ``a`` (newer in the stream) relates to ``b`` (already indexed).

    Shared passages are kept as one float array of rows (a_start, a_end, b_start,
    b_end, similarity) and made tuples only when looked at: most never are, and
    tuples, let alone Passage objects, cost ten times more to make and to keep.
    """

    a: str
    b: str
    relation: Relation
    score: float
    rows: np.ndarray | list[tuple[int, int, int, int, float]] = field(default_factory=list)

    @property
    def spans(self) -> list[tuple[int, int, int, int, float]]:
        return span_tuples(self.rows) if isinstance(self.rows, np.ndarray) else self.rows

    @property
    def passages(self) -> list[Passage]:
        return [Passage(*s) for s in self.spans]


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the index needs of a batch of articles besides their texts, in plain arrays.

    Computed apart from the index (:func:`prepare`), so that reader processes can
    fingerprint the texts they have just cleaned and send back a few arrays instead
    of the articles. Article ``i``'s fingerprints are ``fps[offsets[i]:offsets[i + 1]]``.
    """

    ids: list[str]
    published: np.ndarray  # epoch seconds, NaN when unknown
    keys: np.ndarray  # content keys, (n, 2) uint64
    ntokens: np.ndarray
    fps: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, part: slice) -> Prepared:
        start, stop, _ = part.indices(len(self.ids))
        lo, hi = int(self.offsets[start]), int(self.offsets[stop])
        return Prepared(self.ids[start:stop], self.published[start:stop],
                        self.keys[start:stop], self.ntokens[start:stop], self.fps[lo:hi],
                        self.offsets[start:stop + 1] - lo)

    def take(self, rows: np.ndarray) -> Prepared:
        """The articles at ``rows``, in that order."""
        lo, hi = self.offsets[rows], self.offsets[rows + 1]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(hi - lo, out=offsets[1:])
        # position k of the result is fps[lo[r] + (k - offsets[r])] for the row r it is in
        at = np.repeat(lo - offsets[:-1], hi - lo) + np.arange(offsets[-1], dtype=np.int64)
        return Prepared([self.ids[r] for r in rows.tolist()], self.published[rows],
                        self.keys[rows], self.ntokens[rows], self.fps[at], offsets)

    @classmethod
    def concat(cls, parts: Sequence[Prepared]) -> Prepared:
        offsets = [np.zeros(1, dtype=np.int64)]
        base = 0
        for part in parts:
            offsets.append(part.offsets[1:] + base)
            base += int(part.offsets[-1])
        return cls([i for part in parts for i in part.ids],
                   np.concatenate([p.published for p in parts] or [np.zeros(0)]),
                   np.concatenate([p.keys for p in parts]
                                  or [np.zeros((0, 2), dtype=np.uint64)]),
                   np.concatenate([p.ntokens for p in parts] or [np.zeros(0, dtype=np.int64)]),
                   np.concatenate([p.fps for p in parts] or [np.zeros(0, dtype=np.uint32)]),
                   np.concatenate(offsets))


@dataclass(slots=True)
class _Round:
    """A round of :meth:`DedupIndex.add_batches`: its exact copies, its checks, and the
    jobs checking them with their futures."""

    size: int
    exact: list[tuple[int, Match]] = field(default_factory=list)
    checks: list[tuple[int, list[int]]] = field(default_factory=list)
    jobs: list[VerifyJob] = field(default_factory=list)
    futures: list[Future[list[Edge]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The candidates of a run of articles looked up ahead (see DedupIndex._plans):
    pairs (doc, candidate) in doc order, and which docs are indexed (not exact copies)."""

    first_doc: int
    indexed: np.ndarray
    docs: np.ndarray
    candidates: np.ndarray
    nfp: np.ndarray  # fingerprint counts of every doc up to the plan's last
    keys: set[bytes]  # content keys the plan's docs add to the index's

    def checks(self, first_doc: int, size: int) -> tuple[np.ndarray, list[tuple[int, list[int]]]]:
        """The part of docs ``first_doc`` to ``first_doc + size - 1``: their indexed mask,
        and each doc with candidates, with them."""
        lo, hi = np.searchsorted(self.docs, [first_doc, first_doc + size])
        start = first_doc - self.first_doc
        return (self.indexed[start:start + size],
                list(_by_doc(self.docs[lo:hi], self.candidates[lo:hi]).items()))


def _by_doc(docs: np.ndarray, candidates: np.ndarray) -> dict[int, list[int]]:
    """Pairs (doc, candidate), docs in order, as each doc's candidates in doc order."""
    out: dict[int, list[int]] = {}
    for doc, cand in zip(docs.tolist(), candidates.tolist(), strict=True):
        out.setdefault(doc, []).append(cand)
    return out


def prepare(ids: list[str], published: np.ndarray, texts: list[str],
            config: DedupConfig | None = None, pool: Executor | None = None,
            workers: int = 1) -> Prepared:
    """Content keys, token counts and fingerprints of ``texts`` (see
    _kernels.fingerprint_many). The kernel releases the GIL, so with a thread
    ``pool`` of ``workers`` slices of a large batch run at once, sharing the texts
    without copying."""
    cfg = config or DedupConfig()
    if pool is None or workers < 2 or len(texts) < 64:
        keys, ntok, fps, offsets = fingerprint_many(texts, cfg.shingle, cfg.sample_rate)
        return Prepared(ids, published, keys, ntok, fps, offsets)
    size = -(-len(texts) // workers)
    parts = list(pool.map(lambda chunk: fingerprint_many(chunk, cfg.shingle, cfg.sample_rate),
                          [texts[i:i + size] for i in range(0, len(texts), size)]))
    return Prepared.concat([Prepared(ids[n * size:(n + 1) * size],
                                     published[n * size:(n + 1) * size], *part)
                            for n, part in enumerate(parts)])


class DedupIndex:
    """Incremental near-duplicate and version index (see module docstring)."""

    def __init__(self, config: DedupConfig | None = None, store: TextStore | None = None,
                 workers: int | None = None) -> None:
        self.config = config or DedupConfig()
        self.workers = max(1, workers if workers is not None else default_workers())
        self._pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
        self.texts: TextStore = store if store is not None else {}
        self.ids: list[str] = []
        self._doc_of: dict[str, int] = {}
        self._published = array("d")  # epoch seconds, NaN when unknown
        self._ntokens = array("I")
        self._nfp = array("I")
        self._parent = array("I")
        self._exact: dict[bytes, int] = {}
        self._postings = Postings()
        self._counter = np.zeros(0, dtype=np.int32)  # scratch of count_candidates
        self.matches: list[Match] = []
        self._sentence_cache: OrderedDict[int, Sentences] = OrderedDict()
        self._batch_sentences: dict[int, Sentences] = {}

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
        return self.add_many([article])[0]

    def add_many(self, articles: list[Article]) -> list[list[Match]]:
        """Index ``articles`` in order; the relations of each to everything before it.

        The same result as calling :meth:`add` on each in turn; candidates of a
        batch are looked up in one pass, which is what keeps the cost per article low.
        """
        out: list[list[Match]] = []
        for start in range(0, len(articles), _BATCH):
            batch, texts = self.prepare(articles[start:start + _BATCH])
            out.extend(self._add_batch(batch, texts))
        return out

    def prepare(self, articles: Sequence[Article]) -> tuple[Prepared, list[str]]:
        """:func:`prepare` of ``articles`` with this index's settings and threads; and
        their texts."""
        texts = [a.text for a in articles]
        published = np.array([a.published.timestamp() if a.published else math.nan
                              for a in articles], dtype=np.float64)
        return prepare([a.id for a in articles], published, texts, self.config, self._pool,
                       self.workers), texts

    def add_prepared(self, batch: Prepared, texts: Sequence[str] | None = None
                     ) -> list[list[Match]]:
        """Index a batch fingerprinted beforehand (by :func:`prepare`, perhaps in another
        process), in order; the relations of each article to everything before it.

        ``texts`` are the batch's texts, stored in the index's text store; ``None``
        means the store already holds them under the numbers the articles get
        (``len(index)`` onwards), as a store laid out before indexing does.
        """
        out: list[list[Match]] = []
        for start in range(0, len(batch), _BATCH):
            end = min(len(batch), start + _BATCH)
            out.extend(self._add_batch(batch[start:end],
                                       texts[start:end] if texts is not None else None))
        return out

    def _add_batch(self, batch: Prepared, texts: Sequence[str] | None) -> list[list[Match]]:
        self._check_new(batch.ids)
        first_doc = len(self.ids)
        parents = self._parent[:first_doc]  # unions may re-parent older roots: keep a copy
        added_keys: list[bytes] = []
        try:
            found, run = self._index_batch(batch, texts, first_doc, added_keys)
        except BaseException:
            self._roll_back(batch.ids, first_doc, parents, added_keys, texts is not None)
            raise
        self._postings.add_sorted(*run)
        for matches in found:
            self.matches.extend(matches)
        return found

    def _index_batch(self, batch: Prepared, texts: Sequence[str] | None, first_doc: int,
                     added_keys: list[bytes]) -> tuple[list[list[Match]], _Run]:
        found, indexed = self._register(batch, texts, first_doc, added_keys)
        docs, cands, run = self._candidates(batch, indexed, first_doc)
        candidates = _by_doc(docs, cands)
        self._batch_sentences = self._analyse(candidates)
        try:
            for doc in sorted(candidates):
                n = doc - first_doc
                found[n].extend(self._verify(batch.ids[n], doc, candidates[doc]))
        finally:
            self._batch_sentences = {}
        return found, run

    def _register(self, batch: Prepared, texts: Sequence[str] | None, first_doc: int,
                  added_keys: list[bytes]) -> tuple[list[list[Match]], np.ndarray]:
        """Number the batch's articles and join exact copies; returns the exact matches
        and which articles are indexed (the rest are exact copies). The per-article
        state goes in a batch at a time: a loop over the articles is kept only for the
        exact copies, which may be of each other."""
        size = len(batch)
        ids = batch.ids
        found: list[list[Match]] = [[] for _ in range(size)]
        self.ids.extend(ids)
        self._doc_of.update(zip(ids, range(first_doc, first_doc + size), strict=True))
        self._published.frombytes(np.ascontiguousarray(batch.published, np.float64).tobytes())
        ntok = batch.ntokens.tolist()
        self._ntokens.extend(ntok)
        self._parent.extend(range(first_doc, first_doc + size))
        if texts is not None:
            for n, text in enumerate(texts):
                self.texts[first_doc + n] = text
        # Python values once for the batch: numpy scalar access per article cost more
        keys = np.ascontiguousarray(batch.keys).tobytes()
        width = len(keys) // max(1, size)
        indexed = np.ones(size, dtype=bool)
        exact = self._exact
        for n in range(size):
            if not ntok[n]:
                continue
            key = keys[n * width:(n + 1) * width]
            first = exact.get(key)
            if first is None:
                exact[key] = first_doc + n
                added_keys.append(key)
            else:
                found[n].append(Match(ids[n], self.ids[first], "exact", 1.0))
                indexed[n] = False
                self._union(first_doc + n, first)
        nfp = np.diff(batch.offsets).astype(np.uint32)
        nfp[~indexed] = 0
        self._nfp.frombytes(nfp.tobytes())
        return found, indexed

    def _fresh(self, batch: Prepared, also: set[bytes]) -> tuple[np.ndarray, set[bytes]]:
        """Which articles of ``batch``, the next to index after those whose content keys
        are the index's or ``also``, :meth:`_register` will index: all but exact copies
        of an earlier article. And the keys they add."""
        size = len(batch)
        keys = np.ascontiguousarray(batch.keys).tobytes()
        width = len(keys) // max(1, size)
        ntok = batch.ntokens.tolist()
        indexed = np.ones(size, dtype=bool)
        exact: set[bytes] = set()
        known = self._exact
        for n in range(size):
            if ntok[n]:
                key = keys[n * width:(n + 1) * width]
                if key in known or key in also or key in exact:
                    indexed[n] = False
                else:
                    exact.add(key)
        return indexed, exact

    def _plan(self, batches: list[tuple[Prepared, Sequence[str] | None]], first_doc: int,
              before: _Plan | None) -> _Plan:
        """The plan of ``batches``, docs ``first_doc`` on, which follow those of plan
        ``before`` (None: the index's last doc); its postings go into the index."""
        chunk = batches[0][0] if len(batches) == 1 else Prepared.concat([b for b, _ in batches])
        indexed, keys = self._fresh(chunk, before.keys if before is not None else set())
        nfp = np.diff(chunk.offsets).astype(np.uint32)
        nfp[~indexed] = 0
        nfp = np.concatenate([before.nfp if before is not None
                              else np.frombuffer(self._nfp, dtype=np.uint32), nfp])
        docs, cands, run = self._candidates(chunk, indexed, first_doc, nfp)
        self._postings.add_sorted(*run)
        return _Plan(first_doc, indexed, docs, cands, nfp, keys)

    def _plans(self, batches: Iterable[tuple[Prepared, Sequence[str] | None]]
               ) -> Generator[tuple[list[tuple[Prepared, Sequence[str] | None]], _Plan], None,
                              None]:
        """``batches`` in runs of up to _PLAN articles, each with the plan holding their
        candidates, whose postings then go into the index as one run.

        Candidates depend only on fingerprints and exact copies, not on the checks,
        so they can be found ahead: one sort of many articles' postings finds the
        pairs among them, where batch after batch looked each up in every run of the
        index (random reads, most of the time indexing took). The first run is small,
        so that the workers get their first checks soon; each next run is planned in
        a thread while the checks of the one before go on (the kernels release the
        GIL): planned in turn, the workers waited for it at every run.
        The thread changes only the postings, which nothing else touches meanwhile; it
        reads the index's exact copies, to which registering the run before only adds,
        and that run's own keys, which may not be there yet.
        """
        source = iter(batches)

        def take(target: int) -> list[tuple[Prepared, Sequence[str] | None]]:
            ahead: list[tuple[Prepared, Sequence[str] | None]] = []
            size = 0
            while size < target and (item := next(source, None)) is not None:
                ahead.append(item)
                size += len(item[0])
            return ahead

        ahead = take(_FIRST_PLAN)
        if not ahead:
            return
        plan = self._plan(ahead, len(self.ids), None)
        with ThreadPoolExecutor(1, thread_name_prefix="storyline-plan") as planner:
            while True:
                after = take(_PLAN)
                end = plan.first_doc + len(plan.indexed)
                future = planner.submit(self._plan, after, end, plan) if after else None
                try:
                    yield ahead, plan
                finally:
                    if future is not None and not future.done():
                        wait([future])  # a plan half made must not be undone under it
                if future is None:
                    return
                ahead, plan = after, future.result()

    def _check_new(self, ids: Sequence[str]) -> None:
        seen: set[str] = set()
        for article_id in ids:
            if article_id in self._doc_of or article_id in seen:
                raise StorylineError(f"article {article_id!r} is already in the dedup index")
            seen.add(article_id)

    def add_batches(self, batches: Iterable[tuple[Prepared, Sequence[str] | None]], *,
                    executor: Executor, workers: int,
                    progress: Callable[[int], None] | None = None, held: int = 0) -> None:
        """Index batches in order, as :meth:`add_prepared` on each in turn would (the same
        groups, matches and scores), with the passage checks run by ``executor``, a pool
        of ``workers`` processes (see :mod:`._bulk`); the workers hold the store's first
        ``held`` texts (see :func:`._bulk.shared_texts`). If anything fails, every
        article of the call is taken out again."""
        first_doc = len(self.ids)
        parents = self._parent[:first_doc]
        postings = self._postings.snapshot()
        nmatches = len(self.matches)
        added_keys: list[bytes] = []
        ids: list[str] = []
        own_texts = False
        pending: _Round | None = None
        round_ = _Round(0)
        plans = self._plans(batches)
        try:
            for ahead, plan in plans:
                for batch, texts in ahead:
                    round_ = _Round(len(batch))
                    self._check_new(batch.ids)
                    ids.extend(batch.ids)
                    own_texts = own_texts or texts is not None
                    first = len(self.ids)
                    found, indexed = self._register(batch, texts, first, added_keys)
                    planned, round_.checks = plan.checks(first, len(batch))
                    if not np.array_equal(indexed, planned):
                        raise RuntimeError("dedup: the exact copies found differ from those "
                                           "planned for")  # a bug, not an input problem
                    round_.exact.extend((first + n, m[0]) for n, m in enumerate(found) if m)
                    if pending is not None:
                        self._finish(pending, progress)
                    round_.jobs = self._jobs(round_.checks, workers, held)
                    round_.futures = [executor.submit(verify_job, job) for job in round_.jobs]
                    pending = round_
            if pending is not None:
                self._finish(pending, progress)
        except BaseException:
            for future in [*(pending.futures if pending else []), *round_.futures]:
                future.cancel()  # not waited for: their edges are dropped anyway
            plans.close()  # its thread is done with the postings
            self._roll_back(ids, first_doc, parents, added_keys, own_texts)
            self._postings.restore(postings)
            del self.matches[nmatches:]
            raise

    def _jobs(self, checks: list[tuple[int, list[int]]], workers: int, held: int
              ) -> list[VerifyJob]:
        """Jobs of the round's checks for ``workers`` processes, split where no candidate
        pair or earlier group connects them (see :mod:`._bulk`); texts below ``held``
        are named, not sent (see :func:`._bulk.shared_texts`)."""
        if not checks:
            return []
        joined = Sets()
        roots: dict[int, int] = {}
        for doc, cands in checks:
            for d in (doc, *cands):
                if d not in roots:
                    roots[d] = self._find(d)
                    joined.union(d, roots[d])
                joined.union(doc, d)
        parts: dict[int, list[int]] = {}
        for n, (doc, _) in enumerate(checks):
            parts.setdefault(joined.find(doc), []).append(n)
        sets = list(parts.values())
        jobs = []
        for chosen in pack([sum(len(checks[n][1]) for n in s) for s in sets], 4 * workers):
            rows = sorted(n for i in chosen for n in sets[i])
            job_checks = [checks[n] for n in rows]
            docs = sorted({d for doc, cands in job_checks for d in (doc, *cands)})
            jobs.append(VerifyJob(docs, self._texts_for(docs, held), [roots[d] for d in docs],
                                  job_checks, self.config.align))
        return jobs

    def _texts_for(self, docs: list[int], held: int) -> list[str] | None:
        """The texts of sorted ``docs`` for a job; None if the workers hold them all
        (the first ``held`` texts, see :func:`._bulk.shared_texts`)."""
        return None if not docs or docs[-1] < held else [self.texts[d] for d in docs]

    def _finish(self, round_: _Round, progress: Callable[[int], None] | None) -> None:
        """Wait for a round's checks and apply their edges, with its exact copies, in
        doc order (the order the index would have found them in)."""
        found: list[tuple[int, int, Match]] = [(doc, -1, m) for doc, m in round_.exact]
        # the jobs no worker has started yet are done here meanwhile (see gather)
        here = partial(verify_job, store=self.texts)
        for edges in gather(round_.futures, round_.jobs, here):
            for doc, k, cand, relation, score, rows in edges:
                found.append((doc, k, Match(self.ids[doc], self.ids[cand], relation, score,
                                            rows)))
                self._union(doc, cand)
        found.sort(key=lambda e: (e[0], e[1]))
        self.matches.extend(m for _, _, m in found)
        if progress is not None:
            progress(round_.size)

    def _roll_back(self, ids: list[str], first_doc: int, parents: array,
                   added_keys: list[bytes], own_texts: bool) -> None:
        """Undo a batch that failed half-way (a text store that raised, an interrupt), so
        that the index is as it was and the batch can be added again."""
        for article_id in ids:
            if self._doc_of.get(article_id, -1) >= first_doc:
                del self._doc_of[article_id]
        end = len(self.ids)
        del self.ids[first_doc:]
        for arr in (self._published, self._ntokens, self._nfp):
            del arr[first_doc:]
        self._parent = parents
        for key in added_keys:
            self._exact.pop(key, None)
        for doc in range(first_doc, end):
            self._sentence_cache.pop(doc, None)
            if own_texts:
                with suppress(Exception):  # the store that failed may fail again
                    self.texts.pop(doc, None)

    def _analyse(self, candidates: dict[int, list[int]]) -> dict[int, Sentences]:
        """Sentences and alignment features of every text the batch's checks will need.

        Cut beforehand, in threads (the kernels release the GIL), rather than one by
        one as the checks, which must run in order, reach them.
        """
        wanted = sorted({d for doc, cands in candidates.items() if cands
                         for d in (doc, *cands)} - self._sentence_cache.keys())
        min_tokens = self.config.align.sentence_min_tokens
        # the text store is read here, in the calling thread: a store need not be
        # thread-safe (an SQLite connection is not)
        texts = [self.texts[d] for d in wanted]

        def work(chunk: list[str]) -> list[Sentences]:
            out = []
            for text in chunk:
                sents = Sentences.of(text)
                sents.features(min_tokens)
                out.append(sents)
            return out

        if self._pool is None or len(wanted) < 16:
            return dict(zip(wanted, work(texts), strict=True))
        size = -(-len(texts) // (2 * self.workers))
        chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
        done = [s for part in self._pool.map(work, chunks) for s in part]
        return dict(zip(wanted, done, strict=True))

    def _candidates(self, batch: Prepared, indexed: np.ndarray, first_doc: int,
                    nfp: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, _Run]:
        """For each ``indexed`` doc of the batch (the first is ``first_doc``), earlier docs
        sharing enough fingerprints, most shared first, as pairs (doc, candidate) in doc
        order; and the postings to index, as a run sorted by key, then doc: the
        fingerprints that have not reached ``max_postings`` articles yet (counting the
        docs of the batch before it). ``nfp``: the fingerprint counts of every doc up to
        the batch's last (by default the index's, which must then hold the batch)."""
        if first_doc + len(batch) > 1 << 32:
            raise ValueError("document numbers must be below 2**32")
        both = batch_postings(batch.fps, batch.offsets, indexed, first_doc)
        both.sort()
        keys, docs = split_postings(both)
        del both
        known = np.zeros(len(keys), dtype=np.int64)  # postings of each key in the index
        pa, pb = [], []
        for run_keys, run_docs in self._postings.runs():  # indexed before
            a, b = sorted_lookups(keys, docs, run_keys, run_docs, known)
            pa.append(a)
            pb.append(b)
        cfg = self.config
        # within the batch: earlier docs only, and only the postings they get to keep
        a, b, stored = earlier_pairs(keys, docs, known, cfg.max_postings)
        pa.append(a)
        pb.append(b)
        run = (keys, docs) if stored.all() else (keys[stored], docs[stored])
        a, b = (pa[0], pb[0]) if len(pa) == 1 else (np.concatenate(pa), np.concatenate(pb))
        if not len(a):
            return a, b, run
        end = first_doc + len(batch)
        if len(self._counter) < end:
            self._counter = np.zeros(2 * end, dtype=np.int32)
        a, b = count_candidates(a, b, first_doc, len(batch),
                                np.frombuffer(self._nfp, dtype=np.uint32) if nfp is None else nfp,
                                cfg.min_shared, cfg.min_shared_fraction, cfg.max_candidates,
                                self._counter)
        return a, b, run

    def _verify(self, article_id: str, doc: int, cands: list[int]) -> list[Match]:
        return [Match(article_id, self.ids[cand], relation, score, rows)
                for _, cand, relation, score, rows
                in check(doc, cands, self._sentences, self._find, self._union,
                         self.config.align)]

    def close(self) -> None:
        """Stop the worker threads (they also stop when the index is garbage-collected)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _cache(self, doc: int, sents: Sentences) -> None:
        if len(self._sentence_cache) >= _SENTENCE_CACHE:
            # popitem, not pop(next(iter(dict))): a plain dict emptied from the front
            # scans its deleted slots on every call
            self._sentence_cache.popitem(last=False)
        self._sentence_cache[doc] = sents

    def _sentences(self, doc: int) -> Sentences:
        """Sentence features of an indexed text; recent ones cached (copies cluster in time)."""
        cached = self._sentence_cache.get(doc)
        if cached is None:
            cached = self._batch_sentences.get(doc) or Sentences.of(self.texts[doc])
            self._cache(doc, cached)
        return cached

    # -- reading out ----------------------------------------------------------
    def _roots(self) -> np.ndarray:
        """The group (its root, which is its first doc) of every doc, by pointer jumping
        over the whole union-find at once."""
        parent = np.frombuffer(self._parent, dtype=np.uint32).astype(np.int64)
        while True:
            up = parent[parent]
            if np.array_equal(up, parent):
                return parent
            parent = up

    def groups(self) -> dict[int, list[int]]:
        """Members of each group, keyed by its root, groups and members in doc order."""
        roots = self._roots()
        order = np.argsort(roots, kind="stable").tolist()
        out: dict[int, list[int]] = {}
        for root, d in zip(roots[order].tolist(), order, strict=True):
            out.setdefault(root, []).append(d)
        return out

    def _canonicals(self, roots: np.ndarray) -> np.ndarray:
        """Each doc's canonical article: its group's earliest dated member; else (or on
        a tie) the most complete; else the first."""
        n = len(roots)
        published = np.frombuffer(self._published, dtype=np.float64)
        when = np.where(np.isnan(published), np.inf, published)
        ntokens = np.frombuffer(self._ntokens, dtype=np.uint32).astype(np.int64)
        docs = np.arange(n, dtype=np.int64)
        order = np.lexsort((docs, -ntokens, when, roots))
        firsts = order[np.r_[True, roots[order][1:] != roots[order][:-1]]] if n else order
        canon_of_root = np.zeros(n, dtype=np.int64)
        canon_of_root[roots[firsts]] = firsts
        return canon_of_root[roots]

    def compare(self, a_id: str, b_id: str, *, passages: bool = True
                ) -> tuple[Relation | None, float, list[Passage]]:
        """The relation between two indexed articles, computed afresh, with its passages."""
        relation, score, rows = relate(self._sentences(self._doc_of[a_id]),
                                       self._sentences(self._doc_of[b_id]), self.config.align)
        return relation, score, [Passage(*s) for s in span_tuples(rows)] if passages else []

    def records(self, *, passages: bool = True, executor: Executor | None = None,
                workers: int = 1, held: int = 0,
                of: Iterable[str] | None = None) -> Iterator[DedupRecord]:
        """One record per indexed article: its group, canonical article and relation to it,
        groups in order of their first article, members in doc order.

        ``passages=False`` leaves out the shared passages, which most uses never show.
        Members not matched with their canonical article directly are compared with it
        afresh, by ``executor`` (a pool of ``workers`` processes, holding the store's
        first ``held`` texts) when given. Groups and canonical articles are found for
        all docs at once in numpy: a loop over the docs cost a second at 50,000.
        ``of``: only the groups of these indexed articles (what an incremental update
        needs), in the same order and with the same records as the full read-out.
        """
        roots = self._roots()
        canon_of = self._canonicals(roots)
        canon = canon_of.tolist()
        doc_of = self._doc_of
        direct: dict[int, Match] = {}  # member -> the last match joining it to its canonical
        for m in self.matches:
            a, b = doc_of[m.a], doc_of[m.b]
            if canon[a] == b:
                direct[a] = m
            elif canon[b] == a:
                direct[b] = m
        docs = np.arange(len(roots), dtype=np.int64)
        linked = np.zeros(len(roots), dtype=bool)
        linked[list(direct)] = True
        order = np.lexsort((docs, roots))  # by group, then doc
        if of is not None:
            wanted = np.zeros(len(roots), dtype=bool)
            wanted[roots[[doc_of[i] for i in of]]] = True
            order = order[wanted[roots[order]]]
        todo = order[(canon_of[order] != order) & ~linked[order]]
        fresh = self._compare_members(todo, canon_of, executor, workers, held, passages)
        ids = self.ids
        best: dict[str, Match] | None = None
        for d in order.tolist():
            c = canon[d]
            aid, canon_id = ids[d], ids[c]
            if d == c:
                yield DedupRecord(aid, canon_id, "original", None, 1.0)
                continue
            edge = direct.get(d)
            if edge is not None:
                shared: list[Passage] = []
                if passages and edge.a == aid:
                    shared = edge.passages
                elif passages:  # stored from the other side: swap the spans
                    shared = [Passage(bs, be, as_, ae, sim) for as_, ae, bs, be, sim in edge.spans]
                yield DedupRecord(aid, canon_id, edge.relation, canon_id, edge.score, shared)
                continue
            relation, score, rows = fresh[d]
            shared = [Passage(*t) for t in span_tuples(rows)] if passages else []
            if relation is None:
                # Related to the canonical article only through another member.
                best = best if best is not None else self._best_matches()
                via = best[aid]
                relation, score = via.relation, via.score
            yield DedupRecord(aid, canon_id, relation, canon_id, score, shared)

    def _best_matches(self) -> dict[str, Match]:
        """Each article's match of highest score (the first of equal ones)."""
        best: dict[str, Match] = {}
        for m in self.matches:
            for end in (m.a, m.b):
                if end not in best or m.score > best[end].score:
                    best[end] = m
        return best

    def _compare_members(self, todo: np.ndarray, canon_of: np.ndarray,
                         executor: Executor | None, workers: int, held: int, spans: bool = True
                         ) -> dict[int, tuple[Relation | None, float, np.ndarray]]:
        """:meth:`compare` of each doc of ``todo`` (members of a group in a row, groups
        one after another) with its canonical article ``canon_of[doc]``, keyed by doc."""
        out: dict[int, tuple[Relation | None, float, np.ndarray]] = {}
        if not len(todo):
            return out
        canons = canon_of[todo]
        cuts = np.flatnonzero(canons[1:] != canons[:-1]) + 1
        groups = [(int(c), part.tolist()) for c, part
                  in zip(canons[np.r_[0, cuts]].tolist(), np.split(todo, cuts), strict=True)]
        if executor is None or len(todo) < 64:
            for canon, members in groups:
                theirs = self._sentences(canon)
                for d in members:
                    out[d] = relate(self._sentences(d), theirs, self.config.align, spans=spans)
            return out
        # jobs of about _COMPARE_JOB members, made as they are sent: at a million
        # articles the texts of all of them would take gigabytes at once
        parts: list[list[int]] = [[]]
        size = 0
        for i, (_, members) in enumerate(groups):
            if size >= _COMPARE_JOB:
                parts.append([])
                size = 0
            parts[-1].append(i)
            size += len(members)

        def job(part: list[int]) -> CompareJob:
            docs = sorted({d for i in part for d in (groups[i][0], *groups[i][1])})
            return CompareJob([groups[i] for i in part], docs, self._texts_for(docs, held),
                              self.config.align, spans)

        jobs = (job(part) for part in parts)
        results = bounded_map(executor, compare_job, jobs, 2 * workers + 2,
                              here=partial(compare_job, store=self.texts))
        for part, result in zip(parts, results, strict=True):
            for i, rels in zip(part, result, strict=True):
                out.update(zip(groups[i][1], rels, strict=True))
        return out

    # -- persistence ----------------------------------------------------------
    @property
    def nbytes(self) -> int:
        """Memory of the index beyond the texts (approximate, for benchmarks)."""
        per_id = sum(len(i) + 50 for i in self.ids) + len(self._doc_of) * 100
        arrays = sum(a.itemsize * len(a) for a in (self._published, self._ntokens, self._nfp,
                                                    self._parent))
        return per_id + arrays + len(self._exact) * 120 + self._postings.nbytes

    def save(self, path: str | Path, *, texts: bool = True) -> None:
        """Write the index to folder ``path`` atomically (a crash leaves the old copy).

        ``texts=False`` leaves the texts out: whoever loads it supplies a store that
        holds them already (a database the articles were read from)."""
        path = Path(path)
        tmp = staging(path)
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
            "texts": texts,
            "ids": self.ids,
            "exact": {k.hex(): v for k, v in self._exact.items()},
            "matches": [
                {"a": m.a, "b": m.b, "relation": m.relation, "score": m.score,
                 "passages": m.spans}
                for m in self.matches
            ],
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        if texts:
            with (tmp / "texts.jsonl").open("w", encoding="utf-8") as fh:
                for doc in range(len(self.ids)):
                    fh.write(json.dumps(self.texts[doc]) + "\n")
        swap_in(tmp, path)

    @classmethod
    def load(cls, path: str | Path, config: DedupConfig | None = None, *,
             workers: int | None = None, texts: TextStore | None = None) -> DedupIndex:
        """Read an index saved by :meth:`save`; ``texts``: the store of an index saved
        without its texts (it must hold text ``n`` of every doc ``n``)."""
        path = current(Path(path), "meta.json") or Path(path)
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            arrays = np.load(path / "arrays.npz")
        except (OSError, ValueError) as exc:
            raise StorylineError(f"{path}: not a readable dedup index ({exc})") from exc
        if meta.get("format") != _FORMAT:
            raise StorylineError(
                f"{path}: dedup index format {meta.get('format')} is from another version of "
                f"storyline (this one writes format {_FORMAT}); delete the folder and run "
                "again to rebuild it")
        if not meta.get("texts", True) and texts is None:
            raise StorylineError(f"{path}: this dedup index was saved without its texts; "
                                 "load it with the store that holds them")
        index = cls(config, store=texts, workers=workers)
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
                  [tuple(p) for p in m["passages"]])
            for m in meta["matches"]
        ]
        if meta.get("texts", True):
            with (path / "texts.jsonl").open(encoding="utf-8") as fh:
                for doc, line in enumerate(fh):
                    index.texts[doc] = json.loads(line)
        return index
