"""Waiting for worker pools: results in order, and the caller helps with what no worker
has started (storyline/_parallel.py)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from storyline._parallel import bounded_map, gather


def _slow(job: int) -> tuple[int, str]:
    time.sleep(0.02)
    return job * job, threading.current_thread().name


def test_gather_returns_results_in_order_and_runs_unstarted_jobs_here():
    with ThreadPoolExecutor(1, thread_name_prefix="worker") as pool:
        jobs = list(range(12))
        futures = [pool.submit(_slow, j) for j in jobs]
        results = gather(futures, jobs, _slow)
    assert [r for r, _ in results] == [j * j for j in jobs]
    here = [j for j, (_, name) in zip(jobs, results, strict=True) if not name.startswith("worker")]
    # the caller took jobs from the back while the worker took them from the front
    assert here and here == sorted(here) and here[-1] == jobs[-1] and jobs[0] not in here


def test_bounded_map_keeps_order_and_a_window_and_can_help():
    for here in (None, _slow):
        submitted: list[int] = []

        def jobs(submitted: list[int] = submitted):
            for j in range(30):
                submitted.append(j)
                yield j

        with ThreadPoolExecutor(1, thread_name_prefix="worker") as pool:
            out = []
            for result, _ in bounded_map(pool, _slow, jobs(), 4, here=here):
                out.append(result)
                assert len(submitted) - len(out) <= 4  # never more than the window ahead
        assert out == [j * j for j in range(30)]


def test_bounded_map_helping_runs_some_jobs_in_the_caller():
    with ThreadPoolExecutor(1, thread_name_prefix="worker") as pool:
        names = [name for _, name in bounded_map(pool, _slow, iter(range(20)), 6,
                                                  here=_slow)]
    assert any(not n.startswith("worker") for n in names)
    assert any(n.startswith("worker") for n in names)


def _fails_on_3(job: int) -> tuple[int, str]:
    if job == 3:
        raise ValueError("job 3")
    return _slow(job)


def test_a_failed_job_stops_the_caller_helping_and_is_what_it_gets():
    import pytest

    for here in (_slow, _fails_on_3):  # the worker's job fails / the caller's own one does
        ran_here: list[int] = []

        def counted(job: int, here=here, ran_here=ran_here) -> tuple[int, str]:
            ran_here.append(job)
            return here(job)

        with ThreadPoolExecutor(1, thread_name_prefix="worker") as pool:
            jobs = list(range(12))
            futures = [pool.submit(_fails_on_3, j) for j in jobs]
            with pytest.raises(ValueError, match="job 3"):
                gather(futures, jobs, counted)
        # once job 3 failed, no more jobs were done here
        assert len(ran_here) < len(jobs) - 4


def test_stopping_a_bounded_map_early_cancels_what_has_not_started():
    with ThreadPoolExecutor(1) as pool:
        results = bounded_map(pool, _slow, iter(range(50)), 8, here=_slow)
        assert next(results)[0] == 0
        results.close()  # the caller stops reading
    # nothing left running or queued: the pool shut down at once, far before 49 jobs


def test_a_batch_run_keeps_freed_memory_where_glibc_allows():
    import platform
    import sys

    from storyline._memory import reuse_freed_memory

    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert reuse_freed_memory() == glibc


def test_cycle_collection_is_paused_only_inside_and_comes_back_after_an_error():
    import gc

    import pytest

    from storyline._memory import no_cycle_collection

    assert gc.isenabled()
    with pytest.raises(RuntimeError), no_cycle_collection():
        assert not gc.isenabled()
        with no_cycle_collection():  # nested: the outer block still pauses it
            pass
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with no_cycle_collection():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_dedup_reads_and_indexes_with_the_cycle_collector_paused(tmp_path, monkeypatch):
    """read_for_dedup and index_and_records run with it paused, and give it back."""
    import gc
    import importlib

    from storyline.dedup import dedup_input, read_for_dedup

    stream = importlib.import_module("storyline.dedup.stream")
    seen = []
    real = stream._prepare_items
    monkeypatch.setattr(stream, "_prepare_items",
                        lambda *a, **k: (seen.append(gc.isenabled()), real(*a, **k))[1])
    real_index = stream._index_all
    monkeypatch.setattr(stream, "_index_all",
                        lambda *a, **k: (seen.append(gc.isenabled()), real_index(*a, **k))[1])
    src = tmp_path / "a.jsonl"
    src.write_text('{"id": "a", "text": "One sentence here. And another one."}\n')
    records = dedup_input(read_for_dedup([src], workers=1), workers=1)
    assert [r.id for r in records] == ["a"]
    assert seen and not any(seen)
    assert gc.isenabled()


def _no_other_threads(monkeypatch) -> None:
    """Count threads from here on, as if this process ran none (other tests of the
    suite may have left some)."""
    real, before = threading.active_count, threading.active_count()
    monkeypatch.setattr(threading, "active_count", lambda: real() - before + 1)


def test_a_started_pool_stays_usable_while_threads_run(monkeypatch):
    """Forking with a thread running can deadlock the child, so a pool is not started
    then; but one already started (its own threads run) serves every later file."""
    from storyline.ingest import WorkerPool

    _no_other_threads(monkeypatch)
    pool = WorkerPool(2)
    assert pool.usable(None)
    pool.get()
    sleeper = threading.Thread(target=time.sleep, args=(0.5,))
    sleeper.start()
    try:
        assert pool.usable(None)
        assert not WorkerPool(2).usable(None)
    finally:
        sleeper.join()
        pool.close()


def test_reading_for_dedup_leaves_no_thread_running(tmp_path, monkeypatch):
    """The main process loads its indexing kernels in a thread while workers read large
    files; the thread is done before dedup forks its checking workers, and does not
    keep a large file after a small one from the workers."""
    import importlib
    import json

    stream = importlib.import_module("storyline.dedup.stream")
    _no_other_threads(monkeypatch)
    parallel = []
    monkeypatch.setattr(stream, "bounded_map",
                        lambda *a, **k: parallel.append(1) or bounded_map(*a, **k))
    body = " ".join(f"Sentence {i} of the report on the harbour works." for i in range(60))
    for name, n in (("a", 10), ("b", 1500), ("c", 1500)):  # ~5 MB: read in blocks
        with (tmp_path / f"{name}.jsonl").open("w") as fh:
            for i in range(n):
                fh.write(json.dumps({"id": f"{name}{i}", "text": f"{name} {i}. {body}"}) + "\n")
    data = stream.read_for_dedup([tmp_path / f"{n}.jsonl" for n in "abc"], workers=2)
    try:
        assert threading.active_count() == 1 and len(data) == 3010
        assert len(parallel) == 2  # both large files, by the workers
        assert len(stream.dedup_input(data, passages=False, workers=2)) == 3010
    finally:
        data.close()
