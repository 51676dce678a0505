"""Passage checks in worker processes give what checking in order gives (dedup/_bulk.py)."""

from __future__ import annotations

import json
import multiprocessing
import random
import re
import warnings
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from storyline.dedup import (
    DedupConfig,
    DedupIndex,
    dedup,
    dedup_input,
    prepare,
    read_for_dedup,
    stream_order,
)
from storyline.dedup import index as index_module
from storyline.dedup import stream as dedup_stream
from storyline.dedup._bulk import VerifyJob, pack, shared_texts, verify_job
from storyline.ingest import WorkerPool
from storyline.model import Article
from storyline.normalize import clean_text

from .conftest import shared_path


def _variants(rng: random.Random, text: str, other: str) -> list[str]:
    """Copies of a report as feeds carry them: whole, cut, extended, lightly edited, and
    another version (every other sentence kept, the rest from another report)."""
    sents = re.split(r"(?<=[.!?])\s+", text)
    others = re.split(r"(?<=[.!?])\s+", other)
    out = [text]
    if len(sents) > 6:
        out.append(" ".join(sents[: len(sents) // 2]))
        out.append(text + " The council said a decision would follow next week.")
        out.append(" ".join(s if i % 2 == 0 or i // 2 >= len(others) else others[i // 2]
                            for i, s in enumerate(sents)))
    words = text.split(" ")
    for _ in range(max(1, len(words) // 60)):
        words[rng.randrange(len(words))] = "reportedly"
    out.append(" ".join(words))
    return rng.sample(out, k=rng.randint(min(2, len(out)), len(out)))


@pytest.fixture(scope="module")
def copies() -> list[Article]:
    """~2,000 articles: real reports and copies of them, dated over a month, in no order."""
    rng = random.Random(7)
    texts = []
    for name in ("basil", "neus-dev"):
        with shared_path("corpora", name, "articles.jsonl").open(encoding="utf-8") as fh:
            texts += [clean_text(json.loads(line)["text"]) for line in fh]
    start = datetime(2024, 3, 1, tzinfo=UTC)
    articles = []
    for n, text in enumerate(texts):
        when = start + timedelta(hours=rng.randrange(24 * 30))
        for k, variant in enumerate(_variants(rng, text, texts[n - 1])):
            dated = when + timedelta(minutes=rng.randrange(3000)) if rng.random() > 0.05 else None
            articles.append(Article(id=f"a{n}-{k}", text=variant, published=dated))
    rng.shuffle(articles)
    return articles


def _prepared(articles: list[Article]):
    published = [a.published.timestamp() if a.published else float("nan") for a in articles]
    import numpy as np

    return prepare([a.id for a in articles], np.array(published), [a.text for a in articles])


def _state(index: DedupIndex):
    matches = [(m.a, m.b, m.relation, m.score, m.spans) for m in index.matches]
    return matches, list(index.records())


@pytest.mark.parametrize(("kind", "cap", "plan"), [("threads", 1000, None),
                                                  ("processes", 1000, None),
                                                  ("threads", 3, 300),
                                                  ("processes", 1000, 500)])
def test_checks_in_workers_equal_checks_in_order(copies, kind, cap, plan, monkeypatch):
    """add_batches (candidates looked up ahead, checks in workers) against add_many (a
    batch at a time, in order); a small max_postings makes postings reach their cap
    both in the index and within a batch; small plans make several, each looked up
    while the checks of the one before run."""
    if plan is not None:
        monkeypatch.setattr(index_module, "_FIRST_PLAN", plan // 2)
        monkeypatch.setattr(index_module, "_PLAN", plan)
    ordered = stream_order(copies)
    head, tail = ordered[:300], ordered[300:]
    config = DedupConfig(max_postings=cap)
    serial = DedupIndex(config, workers=1)
    serial.add_many(head)  # groups formed before the batch must be respected
    serial.add_many(tail)
    bulk = DedupIndex(config, workers=1)
    bulk.add_many(head)
    batches = [(_prepared(tail[i:i + 200]), [a.text for a in tail[i:i + 200]])
               for i in range(0, len(tail), 200)]
    executor: Executor = (ThreadPoolExecutor(2) if kind == "threads" else
                          ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")))
    done: list[int] = []
    with executor:
        bulk.add_batches(batches, executor=executor, workers=2, progress=done.append)
        expected = _state(serial)
        assert len(serial.matches) > 1000  # many groups, many pairs checked across rounds
        assert _state(bulk) == expected
        assert list(bulk.records(executor=executor, workers=2)) == expected[1]
    assert sum(done) == len(tail)
    assert len(bulk.groups()) == len(serial.groups())


@pytest.mark.parametrize("plan", [1 << 16, 150])
def test_a_failed_check_takes_the_whole_call_back_out(copies, plan, monkeypatch):
    monkeypatch.setattr(index_module, "_FIRST_PLAN", min(plan, 100))
    monkeypatch.setattr(index_module, "_PLAN", plan)  # 150: a plan is being looked up then
    ordered = stream_order(copies)
    head, tail = ordered[:300], ordered[300:900]
    index = DedupIndex(workers=1)
    index.add_many(head)
    before = (_state(index), list(index._parent), dict(index._exact), len(index._postings),
              len(index.texts))

    class Failing(ThreadPoolExecutor):
        calls = 0

        def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[override]
            Failing.calls += 1
            if Failing.calls == 5:  # a later round: earlier rounds' edges are in by then
                raise OSError("worker lost")
            return super().submit(fn, *args, **kwargs)

    batches = [(_prepared(tail[i:i + 100]), [a.text for a in tail[i:i + 100]])
               for i in range(0, len(tail), 100)]
    with Failing(2) as executor, pytest.raises(OSError, match="worker lost"):
        index.add_batches(batches, executor=executor, workers=1)
    after = (_state(index), list(index._parent), dict(index._exact), len(index._postings),
             len(index.texts))
    assert after == before and len(index) == len(head)
    index.add_many(tail)  # and the same articles go in again
    fresh = DedupIndex(workers=1)
    fresh.add_many(head)
    fresh.add_many(tail)
    assert _state(index) == _state(fresh)


def test_dedup_gives_the_same_records_with_worker_processes(copies, tmp_path, monkeypatch):
    path = tmp_path / "copies.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for a in copies:
            fh.write(json.dumps({"id": a.id, "text": a.text,
                                 "published": a.published.isoformat() if a.published else None})
                     + "\n")
    monkeypatch.setattr(dedup_stream, "PARALLEL_ARTICLES", 100)
    # other tests may leave idle threads behind, which would make forking be refused
    monkeypatch.setattr(WorkerPool, "usable", lambda self, then: True)
    calls: list[int] = []
    add_batches = DedupIndex.add_batches

    def counted(self, *args, **kwargs):
        calls.append(1)
        return add_batches(self, *args, **kwargs)

    monkeypatch.setattr(DedupIndex, "add_batches", counted)
    sent: list[bool] = []  # per job: whether it carried its texts
    texts_for = DedupIndex._texts_for
    monkeypatch.setattr(DedupIndex, "_texts_for", lambda self, docs, held: sent.append(
        (found := texts_for(self, docs, held)) is not None) or found)
    warnings.simplefilter("error", RuntimeWarning)  # no quiet fallback to checking here
    data = read_for_dedup([path], workers=1)
    in_order = dedup(copies, index=DedupIndex(workers=1))
    assert not calls
    assert dedup_input(data, workers=1) == in_order and not calls
    assert dedup_input(data, workers=2) == in_order and len(calls) == 1
    # its own index's store was complete before the workers forked: they read it
    assert sent and not any(sent)
    sent.clear()
    assert dedup(copies, index=DedupIndex(workers=2)) == in_order and len(calls) == 2
    assert sent and all(sent)  # texts arrive in the batches, after the fork: sent
    assert sum(r.relation == "version" for r in in_order) > 20


def test_a_job_reads_named_texts_from_the_shared_store_only(copies):
    texts = [a.text for a in stream_order(copies)[:400]]
    checks = [(d, list(range(max(0, d - 5), d))) for d in range(300, 400)]
    docs = sorted({d for doc, cands in checks for d in (doc, *cands)})
    config = DedupConfig().align
    carried = verify_job(VerifyJob(docs, [texts[d] for d in docs], docs, checks, config))
    assert carried  # copies among the neighbours: there is something to compare
    named = VerifyJob(docs, None, docs, checks, config)
    with pytest.raises(RuntimeError, match="holds no store"):
        verify_job(named)
    with shared_texts(dict(enumerate(texts))):
        assert repr(verify_job(named)) == repr(carried)
    with pytest.raises(RuntimeError, match="holds no store"):  # the block is over
        verify_job(named)
    # the parent, doing a job itself, reads its own store
    assert repr(verify_job(named, store=dict(enumerate(texts)))) == repr(carried)


def test_jobs_are_packed_evenly_and_in_order():
    sizes = [9, 1, 1, 5, 4, 1, 3]
    bins = pack(sizes, 3)
    assert sorted(i for b in bins for i in b) == list(range(len(sizes)))
    loads = [sum(sizes[i] for i in b) for b in bins]
    assert sorted(loads) == [7, 8, 9] and all(b == sorted(b) for b in bins)
    assert pack([], 4) == [] and pack([3], 4) == [[0]]


def test_a_worker_that_dies_leaves_the_checks_to_this_process(copies, tmp_path, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    class Dying(Executor):
        """A pool whose worker was killed (out of memory, say) after two jobs."""

        def __init__(self) -> None:
            self.jobs = 0

        def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[override]
            self.jobs += 1
            future: Future = Future()
            if self.jobs > 2:
                future.set_exception(BrokenProcessPool("a worker was killed"))
            else:
                future.set_result(fn(*args, **kwargs))
            return future

    dying = Dying()
    monkeypatch.setattr(dedup_stream, "PARALLEL_ARTICLES", 100)
    monkeypatch.setattr(WorkerPool, "usable", lambda self, then: True)
    monkeypatch.setattr(WorkerPool, "get", lambda self, then=None: dying)
    monkeypatch.setattr(WorkerPool, "close", lambda self: None)
    in_order = dedup(copies, index=DedupIndex(workers=1))
    counted: list[int] = []
    with pytest.warns(RuntimeWarning, match="worker process died"):
        assert dedup(copies, index=DedupIndex(workers=2), progress=counted.append) == in_order
    assert dying.jobs > 2 and sum(counted) == len(copies)  # none counted twice
