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
    for helping in (False, True):
        submitted: list[int] = []

        def jobs(submitted: list[int] = submitted):
            for j in range(30):
                submitted.append(j)
                yield j

        with ThreadPoolExecutor(1, thread_name_prefix="worker") as pool:
            out = []
            for result, _ in bounded_map(pool, _slow, jobs(), 4, helping=helping):
                out.append(result)
                assert len(submitted) - len(out) <= 4  # never more than the window ahead
        assert out == [j * j for j in range(30)]


def test_bounded_map_helping_runs_some_jobs_in_the_caller():
    with ThreadPoolExecutor(1, thread_name_prefix="worker") as pool:
        names = [name for _, name in bounded_map(pool, _slow, iter(range(20)), 6,
                                                  helping=True)]
    assert any(not n.startswith("worker") for n in names)
    assert any(n.startswith("worker") for n in names)


def test_a_batch_run_keeps_freed_memory_where_glibc_allows():
    import platform
    import sys

    from storyline._memory import reuse_freed_memory

    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert reuse_freed_memory() == glibc
