"""Dedup of inputs too large to hold: read in blocks, keep only what dedup needs.

:func:`dedup` takes articles, so a run over files first holds every article, its
text and its title, which at a million articles is tens of gigabytes. Here the
input goes through in two steps with the same result:

1. **Reading.** JSON Lines files are read in blocks of whole lines; each block is
   parsed, cleaned and fingerprinted (by worker processes when there are several)
   and comes back as a few arrays (ids, dates, content keys, fingerprints) and one
   UTF-8 blob of cleaned texts, which goes straight to a :class:`PackedTexts` store
   in a temporary file. Other inputs are read whole, a file at a time, as ingest
   reads them, and go the same way. Problems and repeated ids are reported as
   :func:`storyline.ingest.read_articles` reports them.
2. **Indexing** in publication order, as :func:`dedup` indexes (the order decides
   which article of a group is compared with which), the store seen in that order.

What stays in memory per article is its id, its fingerprints and the index: about
1.5 KB, where the articles were about 20 KB.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from .._jit import quick_start
from .._memory import no_cycle_collection
from .._parallel import default_workers
from ..errors import InputProblem
from ..ingest import (
    IngestReport,
    WorkerPool,
    bounded_map,
    file_stamp,
    iter_files,
    iter_jsonl_blocks,
    read_block,
    read_file,
    streamable_jsonl,
    unique_id,
)
from ..ingest._formats import Fields, Item, read_jsonl_fields
from ..model import Article, DedupRecord
from ..normalize import clean_text
from ..normalize._markup import clean_texts_codes
from ._bulk import shared_texts
from ._kernels import fingerprint_joined
from ._texts import PackedTexts, Reordered
from .index import DedupConfig, DedupIndex, Prepared

__all__ = ["PARALLEL_ARTICLES", "DedupInput", "dedup_input", "index_and_records",
           "read_for_dedup"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_UNDATED = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND  # as stream_order
_BLOCK = 1 << 21  # bytes of JSON Lines per job: ~500 articles
_SERIAL_ARTICLES = 512  # articles of a file read whole per chunk
PARALLEL_ARTICLES = 4096  # fewer are checked in this process: forking would cost more


def _micros(when: datetime | None) -> int:
    return _UNDATED if when is None else (when - _EPOCH) // _MICROSECOND


@dataclass(slots=True)
class _Chunk:
    """A run of articles of one file, ready for the index, and the problems met."""

    prepared: Prepared
    when: NDArray[np.int64]  # publication time in microseconds, _UNDATED when unknown
    lines: list[int | None]
    path: str | None
    blob: bytes  # cleaned texts, UTF-8, text i at ends[i]:ends[i + 1]
    ends: NDArray[np.int64]
    problems: list[tuple[int, InputProblem]]  # (articles before it, problem)


def _prepare_items(items: Iterable[Item | Fields], shingle: int, rate: int,
                   path: str | None = None) -> _Chunk:
    """Clean and fingerprint articles (as normalize_article and the index would), given
    as articles or as the fields of JSON Lines records of file ``path``."""
    ids: list[str] = []
    published: list[float] = []
    when: list[int] = []
    lines: list[int | None] = []
    texts: list[str] = []
    problems: list[tuple[int, InputProblem]] = []
    for item in items:
        if isinstance(item, InputProblem):
            problems.append((len(ids), item))
            continue
        line: int | None
        if isinstance(item, tuple):
            ident, text, date, line = item
        else:
            ident, text, date, line = (item.id, item.original_text or item.text,
                                       item.published, item.line)
            path = item.path
        ids.append(ident)
        published.append(date.timestamp() if date else math.nan)
        when.append(_micros(date))
        lines.append(line)
        texts.append(text)
    codes, bounds = clean_texts_codes(texts)
    keys, ntok, fps, offsets, blob, ends = fingerprint_joined(codes, bounds, shingle, rate)
    prepared = Prepared(ids, np.array(published, dtype=np.float64), keys, ntok, fps, offsets)
    return _Chunk(prepared, np.array(when, dtype=np.int64), lines, path, blob.tobytes(), ends,
                  problems)


_BlockJob = tuple[str, tuple[int, int, int, int], int, int, str, int, int, int]


def _prepare_block(job: _BlockJob) -> _Chunk | None:
    """A block of JSON Lines, read and prepared in a worker; None when it is not UTF-8
    (the file is then read whole, as ingest would, which may decide on cp1252 for all
    of it)."""
    path, stamp, start, end, stem, first, shingle, rate = job
    lines = read_block(path, start, end, stamp).split(b"\n")
    try:
        return _prepare_items(read_jsonl_fields(lines, path, stem, first), shingle, rate,
                              path)
    except UnicodeDecodeError:
        return None


@dataclass
class DedupInput:
    """Everything dedup needs of an input, in input order (see the module docstring)."""

    ids: list[str] = field(default_factory=list)
    texts: PackedTexts = field(default_factory=PackedTexts)
    _parts: list[Prepared] = field(default_factory=list)
    _when: list[NDArray[np.int64]] = field(default_factory=list)
    _prepared: Prepared | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def prepared(self) -> Prepared:
        if self._prepared is None or len(self._prepared) != len(self.ids):
            self._prepared = Prepared.concat(self._parts)
            self._parts = [self._prepared]
        return self._prepared

    @property
    def when(self) -> NDArray[np.int64]:
        if len(self._when) != 1:
            self._when = [np.concatenate(self._when or [np.zeros(0, dtype=np.int64)])]
        return self._when[0]

    def close(self) -> None:
        self.texts.close()


class _Reader:
    """Adds chunks to a DedupInput, renaming repeated ids, and holds a file's problems
    until the file is done (a file found not to be UTF-8 is read again, whole)."""

    def __init__(self, data: DedupInput, report: IngestReport,
                 on_problem: Callable[[InputProblem], None] | None) -> None:
        self.data = data
        self.report = report
        self.on_problem = on_problem
        self.seen: dict[str, int] = {}
        self._problems: list[InputProblem] = []
        self._given: list[str] = []  # the file's ids as read, to undo their counting
        self._mark = (0, 0, 0)
        self.warm_up: threading.Thread | None = None  # see _read_blocks

    def problem(self, problem: InputProblem) -> None:
        """A problem of no file (a missing input): reported at once."""
        self.report.problems.append(problem)
        if self.on_problem is not None:
            self.on_problem(problem)

    def start_file(self) -> None:
        self._problems, self._given = [], []
        self._mark = (len(self.data.ids), len(self.data._parts), len(self.data.texts))

    def undo_file(self) -> None:
        ids, parts, texts = self._mark
        del self.data.ids[ids:]
        del self.data._parts[parts:]
        del self.data._when[parts:]
        self.data.texts.truncate(texts)
        for given in self._given:
            self.seen[given] -= 1
        self._problems, self._given = [], []

    def end_file(self) -> None:
        for problem in self._problems:
            self.problem(problem)
        self._problems, self._given = [], []

    @property
    def file_items(self) -> int:
        return len(self.data.ids) - self._mark[0] + len(self._problems)

    def add(self, chunk: _Chunk) -> None:
        ids = chunk.prepared.ids
        pending = iter(chunk.problems)
        nxt = next(pending, None)
        for n, given in enumerate(ids):
            while nxt is not None and nxt[0] <= n:
                self._problems.append(nxt[1])
                nxt = next(pending, None)
            self._given.append(given)
            ids[n], problem = unique_id(self.seen, given, chunk.path, chunk.lines[n])
            if problem is not None:
                self._problems.append(problem)
        while nxt is not None:
            self._problems.append(nxt[1])
            nxt = next(pending, None)
        if ids:
            self.data.ids.extend(ids)
            self.data._parts.append(chunk.prepared)
            self.data._when.append(chunk.when)
            self.data.texts.extend(chunk.blob, chunk.ends)


@no_cycle_collection()
def read_for_dedup(
    inputs: Iterable[str | Path],
    *,
    report: IngestReport | None = None,
    on_problem: Callable[[InputProblem], None] | None = None,
    config: DedupConfig | None = None,
    workers: int | None = None,
    stdin: BinaryIO | None = None,
) -> DedupInput:
    """Read ``inputs`` as :func:`storyline.pipeline.read` does, keeping only what dedup
    needs (the cleaned texts in a temporary file). ``workers`` processes parse, clean
    and fingerprint large JSON Lines files; the result does not depend on it."""
    report = report if report is not None else IngestReport()
    cfg = config or DedupConfig()
    workers = workers if workers is not None else default_workers()
    data = DedupInput()
    reader = _Reader(data, report, on_problem)
    pool = WorkerPool(workers) if workers > 1 else None
    try:
        for source in iter_files(inputs, report):
            if isinstance(source, InputProblem):
                reader.problem(source)
                continue
            reader.start_file()
            if streamable_jsonl(source):
                if _read_blocks(source, reader, cfg, pool) and reader.file_items:
                    reader.end_file()
                    continue
                reader.undo_file()  # not UTF-8, or nothing in it: read whole, as ingest does
            items = read_file(source, stdin=stdin)
            while True:
                chunk = _prepare_items(_take(items, _SERIAL_ARTICLES), cfg.shingle,
                                       cfg.sample_rate)
                reader.add(chunk)
                if not len(chunk.prepared) and not chunk.problems:
                    break
            reader.end_file()
    finally:
        if reader.warm_up is not None:
            reader.warm_up.join()  # no thread may run when dedup forks its workers
        if pool is not None:
            pool.close()
    return data


def _take(items: Iterator[Item], articles: int) -> Iterator[Item]:
    """Items up to and including the ``articles``-th article."""
    for item in items:
        yield item
        if not isinstance(item, InputProblem):
            articles -= 1
            if not articles:
                return


def _read_blocks(file: Path, reader: _Reader, cfg: DedupConfig,
                 pool: WorkerPool | None) -> bool:
    """Read a JSON Lines file block by block; False if a block is not UTF-8."""
    path, stem = str(file), file.stem
    stamp = file_stamp(file)
    jobs = ((path, stamp, start, end, stem, first, cfg.shingle, cfg.sample_rate)
            for start, end, first in iter_jsonl_blocks(file, _BLOCK))
    results: Iterator[_Chunk | None]
    parallel = pool is not None and file.stat().st_size > 2 * _BLOCK and pool.usable(None)
    if pool is not None and parallel:
        _warm_up()  # before forking: the workers inherit the loaded kernels
        results = bounded_map(pool.get(), _prepare_block, jobs, 2 * pool.workers)
    else:
        results = map(_prepare_block, jobs)
    for chunk in results:
        if chunk is None:
            close = getattr(results, "close", None)
            if close is not None:
                close()
            return False
        reader.add(chunk)
        if parallel and reader.warm_up is None:
            # the workers exist (a result came back): this process, which mostly waits
            # while they read, loads the kernels it will index with meanwhile
            reader.warm_up = threading.Thread(target=_warm_up_index, daemon=True)
            reader.warm_up.start()
    return True


def _warm_up() -> None:
    """Load the kernels the readers use (not the index's: see _warm_up_index)."""
    with quick_start():
        clean_text("Warm up. A text.")
    fingerprint_joined(*clean_texts_codes(["Warm up. A text."]), 5, 8)


def _warm_up_index() -> None:
    """Index two related articles: loads the kernels of candidates, postings, checks
    and records (0.1 to 0.2 s) before indexing needs them."""
    text = "The council met on Tuesday. It approved the budget. Members voted nine to two."
    index = DedupIndex(workers=1)
    try:
        index.add_many([Article(id="a", text=text),
                        Article(id="b", text=text + " The mayor said it was a good day.")])
        list(index.records(passages=False))
    except Exception:  # noqa: BLE001, S110 - a warm-up only: indexing will say what is wrong
        pass
    finally:
        index.close()


def dedup_input(
    data: DedupInput,
    *,
    index: DedupIndex | None = None,
    config: DedupConfig | None = None,
    progress: Callable[[int], None] | None = None,
    passages: bool = True,
    workers: int | None = None,
) -> list[DedupRecord]:
    """:func:`storyline.dedup.dedup` of what :func:`read_for_dedup` read: the same
    records, one per article, in input order.

    With ``index``, articles not in it yet are added to it (their texts copied into its
    store); without, an index is made over ``data``'s text store and closed after.
    Large inputs have their passage checks run by ``workers`` processes (see
    :mod:`._bulk`); the result does not depend on it.
    """
    own = index is None
    ids = data.ids
    # publication order, undated last, ties in input order: stream_order's order
    order = np.argsort(data.when, kind="stable")
    keep: list[int] = []
    seen: set[str] = set() if index is None else set(index.ids)  # a repeated id: indexed once
    for p in order.tolist():
        if ids[p] not in seen:
            seen.add(ids[p])
            keep.append(p)
    rows = np.array(keep, dtype=np.int64)
    if index is None:
        index = DedupIndex(config, store=Reordered(data.texts, rows))
    prepared = data.prepared
    step = 2048  # as dedup() adds them: the batches, and so the sentence cache, are the same

    def batches() -> Iterator[tuple[Prepared, list[str] | None]]:
        for start in range(0, len(rows), step):
            part = rows[start:start + step]
            yield (prepared.take(part), None if own else [data.texts[p] for p in part.tolist()])

    workers = workers if workers is not None else default_workers()
    # an own index's store holds every text before the workers fork: they read it
    # themselves (a given index's store may not be safe to read from a forked process)
    records = index_and_records(index, batches, len(rows), workers, progress, passages,
                                shared=own)
    wanted = set(ids)
    by_id = {r.id: r for r in records if r.id in wanted}
    if own:
        index.close()
    return [by_id[i] for i in ids]


@no_cycle_collection()
def index_and_records(index: DedupIndex,
                      batches: Callable[[], Iterator[tuple[Prepared, Sequence[str] | None]]],
                      articles: int, workers: int, progress: Callable[[int], None] | None,
                      passages: bool, *, shared: bool = False) -> list[DedupRecord]:
    """Add ``batches()`` (``articles`` in all) to ``index`` and return its records; from
    PARALLEL_ARTICLES on, with the passage checks in ``workers`` processes (see
    :mod:`._bulk`), which :func:`dedup` and :func:`dedup_input` both use. ``shared``:
    the index's store already holds every text and may be read after a fork, so the
    workers read it instead of being sent the texts."""
    pool = WorkerPool(workers) if workers > 1 and articles >= PARALLEL_ARTICLES else None
    held = len(index.texts) if shared and pool is not None else 0
    try:
        # the workers fork holding the store, and are started now, before a progress
        # bar's thread starts (see WorkerPool.usable)
        with shared_texts(index.texts) if held else nullcontext():
            executor: Executor | None = (
                pool.get() if pool is not None and pool.usable(None) else None)
        executor = _index_all(index, batches, executor, workers, progress, held)
        return _records_of(index, passages, executor, workers, held)
    finally:
        if pool is not None:
            pool.close()


def _index_all(index: DedupIndex,
              batches: Callable[[], Iterator[tuple[Prepared, Sequence[str] | None]]],
              executor: Executor | None, workers: int,
              progress: Callable[[int], None] | None, held: int) -> Executor | None:
    """Add ``batches()`` to ``index``, the passage checks in ``executor`` if given; if a
    worker process dies (killed, out of memory), what it added is taken out again and
    everything is checked in this process instead. Returns the executor if it is still
    usable."""
    done = 0  # articles already counted by progress

    def count(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(n)

    if executor is not None:
        try:
            index.add_batches(batches(), executor=executor, workers=workers, progress=count,
                              held=held)
            return executor
        except BrokenExecutor:
            warnings.warn("a dedup worker process died; checking passages in this process "
                          "instead", RuntimeWarning, stacklevel=2)
    counted, done = done, 0
    for batch, texts in batches():
        index.add_prepared(batch, texts)
        if progress is not None:  # what the failed attempt counted is not counted again
            progress(max(0, min(len(batch), done + len(batch) - counted)))
        done += len(batch)
    return None


def _records_of(index: DedupIndex, passages: bool, executor: Executor | None,
               workers: int, held: int) -> list[DedupRecord]:
    """index.records(), compared in ``executor`` if given and still alive, else here."""
    if executor is not None:
        try:
            return list(index.records(passages=passages, executor=executor, workers=workers,
                                      held=held))
        except BrokenExecutor:
            warnings.warn("a dedup worker process died; comparing in this process instead",
                          RuntimeWarning, stacklevel=2)
    return list(index.records(passages=passages))
