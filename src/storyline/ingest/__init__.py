"""Ingest stage: files, folders and standard input to :class:`~storyline.model.Article`.

Bad input never stops a batch: each problem becomes an :class:`InputProblem`
(naming the file, the line where there is one, and the reason) and the reader
moves on. Callers collect the problems; ``strict=True`` raises on the first.
"""

from __future__ import annotations

import codecs
import multiprocessing
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .._jit import quick_start
from .._parallel import bounded_map
from ..errors import InputError, InputProblem
from ..model import Article
from ._decode import DecodeError, MixedEncodingError, decode, decode_line, looks_binary
from ._formats import READERS, Item, read_jsonl_lines

__all__ = ["IngestReport", "SUPPORTED_SUFFIXES", "WorkerPool", "bounded_map", "iter_files",
           "file_stamp", "iter_items", "iter_jsonl_blocks", "read_articles", "read_block",
           "read_file", "streamable_jsonl", "unique_id"]

SUPPORTED_SUFFIXES = tuple(sorted(READERS))


@dataclass
class IngestReport:
    """What a read produced besides articles: problems, and files passed over."""

    problems: list[InputProblem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[InputProblem]:
        return [p for p in self.problems if p.severity == "error"]


Then = Callable[[Article], Article]
# A JSON Lines input this large is read by worker processes, in chunks of lines:
# parsing and what ``then`` does (normalizing) dominate, and they are independent.
PARALLEL_MIN_BYTES = 4 << 20
_CHUNK_LINES = 400


_FIELDS = tuple(f.name for f in fields(Article))


def _jsonl_chunk(job: tuple[list[str], str, str, int, Then | None]) -> list[Any]:
    """Read a chunk of lines in a worker; articles travel back as plain tuples (a
    dataclass pickles three times slower, and the parent's unpickling is not parallel)."""
    lines, path, stem, first, then = job
    out: list[Any] = []
    for item in read_jsonl_lines(lines, path, stem, first):
        if isinstance(item, Article):
            if then is not None:
                item = then(item)
            out.append(tuple(getattr(item, f) for f in _FIELDS))
        else:
            out.append(item)
    return out


def _read_bytes(path: str, data: bytes, suffix: str, stem: str, then: Then | None = None,
                pool: WorkerPool | None = None) -> Iterator[Item]:
    try:
        text, _encoding = decode(data)
    except MixedEncodingError as exc:
        if READERS[suffix] is not READERS[".jsonl"]:
            yield InputProblem(path, str(exc))
            return
        # one line's bytes must not cost the file's other articles
        for number, raw in enumerate(data.split(b"\n"), start=1):
            try:
                line = decode_line(raw)
            except DecodeError as line_exc:
                yield InputProblem(path, str(line_exc), number)
                continue
            for item in read_jsonl_lines([line], path, stem, number):
                yield then(item) if then is not None and isinstance(item, Article) else item
        return
    except DecodeError as exc:
        yield InputProblem(path, str(exc))
        return
    big = len(data) >= PARALLEL_MIN_BYTES
    if pool is not None and big and READERS[suffix] is READERS[".jsonl"] and pool.usable(then):
        lines = text.split("\n")
        del text
        jobs = ((lines[i:i + _CHUNK_LINES], path, stem, i + 1, then)
                for i in range(0, len(lines), _CHUNK_LINES))
        for items in bounded_map(pool.get(then), _jsonl_chunk, jobs, 2 * pool.workers):
            for item in items:
                yield Article(*item) if isinstance(item, tuple) else item
        return
    for item in READERS[suffix](text, path, stem):
        yield then(item) if then is not None and isinstance(item, Article) else item


def _started() -> None:
    """A job that makes a pool start its processes."""


class WorkerPool:
    """Worker processes, started on first use (most inputs are too small to want them)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def usable(self, then: Then | None) -> bool:
        """Whether worker processes can be used here: they are running, or fork is safe
        (no other thread running; spawn would re-run the caller's script in every
        worker); and ``then`` must travel to them (a lambda cannot)."""
        if self._executor is None and (os.name != "posix" or threading.active_count() > 1):
            return False  # (once started, the pool's own threads run: that is fine)
        try:
            pickle.dumps(then)
        except Exception:  # pickling raises many types; any of them means "serial"
            return False
        return True

    def get(self, then: Then | None = None) -> ProcessPoolExecutor:
        if self._executor is None:
            if then is not None:
                # run it once here, so that forked workers inherit what it loads on first
                # use (compiled kernels take half a second to load per process)
                with quick_start():
                    then(Article(id="warm-up", text="Warm up. A text."))
            self._executor = ProcessPoolExecutor(self.workers,
                                                 mp_context=multiprocessing.get_context("fork"))
            # with fork, the processes start at the first submit: start them now, while
            # usable() still holds (no thread running), not whenever work first comes
            self._executor.submit(_started).result()
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None


def _walk(root: Path, report: IngestReport) -> Iterator[Path]:
    """Files below a folder, in a stable order; hidden ones and unknown formats passed over."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower() not in READERS:
            report.skipped.append(str(path))
            continue
        yield path


def iter_items(
    inputs: Iterable[str | Path],
    report: IngestReport | None = None,
    stdin: BinaryIO | None = None,
    *,
    then: Then | None = None,
    workers: int = 1,
) -> Iterator[Item]:
    """Yield articles and problems from files, folders (recursive) and ``-`` (JSONL on stdin).

    A file named explicitly must have a known format; inside a folder, files of
    other formats (a ``gold.tsv``, a ``README.md``) are passed over and listed in
    ``report.skipped``. ``then`` is applied to every article (a module-level
    function: with ``workers`` > 1, large JSON Lines inputs are read, and ``then``
    applied, by that many processes; the order of what is yielded never changes).
    """
    report = report if report is not None else IngestReport()
    pool = WorkerPool(workers) if workers > 1 else None
    try:
        yield from _iter_items(inputs, report, stdin, then, pool)
    finally:
        if pool is not None:
            pool.close()


def _iter_items(inputs: Iterable[str | Path], report: IngestReport, stdin: BinaryIO | None,
                then: Then | None, pool: WorkerPool | None) -> Iterator[Item]:
    for source in iter_files(inputs, report):
        if isinstance(source, InputProblem):
            yield source
        else:
            yield from read_file(source, stdin=stdin, then=then, pool=pool)


def iter_files(inputs: Iterable[str | Path], report: IngestReport
               ) -> Iterator[Path | InputProblem]:
    """The files to read (``Path("-")`` for standard input), in order, each counted in
    ``report.files``; a missing input or a file of unknown format is a problem."""
    for raw in inputs:
        name = str(raw)
        if name == "-":
            report.files += 1
            yield Path("-")
            continue
        path = Path(name)
        if path.is_dir():
            files: Iterable[Path] = _walk(path, report)
        elif path.exists():
            files = [path]
        else:
            yield InputProblem(name, "no such file or folder")
            continue
        for file in files:
            suffix = file.suffix.lower()
            if suffix not in READERS:
                yield InputProblem(
                    str(file),
                    f"unknown format {suffix or '(no extension)'!r}; expected one of "
                    + ", ".join(SUPPORTED_SUFFIXES),
                )
                continue
            report.files += 1
            yield file


def read_file(file: Path, *, stdin: BinaryIO | None = None, then: Then | None = None,
              pool: WorkerPool | None = None) -> Iterator[Item]:
    """Articles and problems of one file from :func:`iter_files` (read whole)."""
    if str(file) == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        yield from _read_bytes("<stdin>", stream.read(), ".jsonl", "stdin", then, pool)
        return
    try:
        data = file.read_bytes()
    except OSError as exc:
        yield InputProblem(str(file), f"cannot read: {exc.strerror or exc}")
        return
    yield from _read_bytes(str(file), data, file.suffix.lower(), file.stem, then, pool)


def streamable_jsonl(file: Path) -> bool:
    """Whether ``file`` is JSON Lines that :func:`iter_jsonl_blocks` can read piecewise: a
    file, not standard input, whose start is neither UTF-16 nor binary (those are
    read whole, as :func:`read_file` does, for its answer)."""
    if str(file) == "-" or READERS.get(file.suffix.lower()) is not READERS[".jsonl"]:
        return False
    try:
        with file.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    if head.startswith(codecs.BOM_UTF8):
        return True
    return not (head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
                or looks_binary(head))


def iter_jsonl_blocks(file: Path, size: int = 1 << 21) -> Iterator[tuple[int, int, int]]:
    """A JSON Lines file in blocks of whole lines of about ``size`` bytes, as byte ranges
    ``(start, end, first line number)`` (a UTF-8 byte-order mark left out), so that
    worker processes read their blocks themselves (:func:`read_block`) instead of
    being sent them. The caller decodes, and if a block is not UTF-8 reads the file
    with :func:`read_file` instead, which decides for the whole file."""
    line = 1
    with file.open("rb") as fh:
        start = len(codecs.BOM_UTF8) if fh.read(3) == codecs.BOM_UTF8 else 0
        fh.seek(start)
        pos = start  # where the next read starts
        block = fh.read(size)
        while block:
            cut = block.rfind(b"\n")
            if cut >= 0:  # else a line longer than a block: it goes on
                yield start, pos + cut, line
                # the tail before has none; numpy counts three times as fast as bytes.count
                line += int(np.count_nonzero(np.frombuffer(block, np.uint8, cut) == 10)) + 1
                start = pos + cut + 1
            pos += len(block)
            block = fh.read(size)
    if pos > start:
        yield start, pos, line


def file_stamp(file: str | Path) -> tuple[int, int, int, int]:
    """What changes when a file is replaced or rewritten (device, inode, size, time)."""
    st = os.stat(file)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def read_block(file: str | Path, start: int, end: int,
               stamp: tuple[int, int, int, int] | None = None) -> bytes:
    """Bytes ``start:end`` of a file (a block of :func:`iter_jsonl_blocks`); with
    ``stamp`` (:func:`file_stamp` when the blocks were found), an OSError if the file
    has changed since: its blocks would no longer be whole lines."""
    with open(file, "rb") as fh:
        if stamp is not None:
            st = os.fstat(fh.fileno())
            if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != stamp:
                raise OSError(f"{file}: changed while it was read")
        data = os.pread(fh.fileno(), end - start, start)
    if len(data) != end - start:
        raise OSError(f"{file}: changed while it was read")
    return data


def unique_id(seen: dict[str, int], article_id: str, path: str | None, line: int | None
              ) -> tuple[str, InputProblem | None]:
    """The id to keep for an article read from ``path`` at ``line``: a repeated id is
    renamed ``id~2``, ``id~3``... (``seen`` counts the ids read so far), with a warning."""
    count = seen.get(article_id, 0) + 1
    seen[article_id] = count
    if count == 1:
        return article_id, None
    new_id = f"{article_id}~{count}"
    return new_id, InputProblem(path or "<input>",
                                f"duplicate id {article_id!r}; kept as {new_id!r}", line,
                                severity="warning")


def read_articles(
    inputs: Iterable[str | Path],
    *,
    report: IngestReport | None = None,
    strict: bool = False,
    on_problem: Callable[[InputProblem], None] | None = None,
    stdin: BinaryIO | None = None,
    then: Then | None = None,
    workers: int = 1,
) -> list[Article]:
    """Read every article from ``inputs``; problems go to ``report`` and ``on_problem``.

    ``then`` and ``workers``: see :func:`iter_items`.

    Article ids must be unique within a run; a repeated id is reported and the
    later article is renamed ``id~2``, ``id~3``... so that nothing is lost.
    With ``strict=True`` the first error raises :class:`InputError`.
    """
    report = report if report is not None else IngestReport()
    seen: dict[str, int] = {}
    articles: list[Article] = []
    for item in iter_items(inputs, report, stdin=stdin, then=then, workers=workers):
        if isinstance(item, InputProblem):
            report.problems.append(item)
            if on_problem is not None:
                on_problem(item)
            if strict and item.severity == "error":
                raise InputError(item)
            continue
        item.id, problem = unique_id(seen, item.id, item.path, item.line)
        if problem is not None:
            report.problems.append(problem)
            if on_problem is not None:
                on_problem(problem)
        articles.append(item)
    return articles
