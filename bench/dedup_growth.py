"""Where dedup's cost per article goes as the index grows, tenth by tenth.

Runs what ``storyline dedup FILE`` runs (read in worker processes, then index with the
passage checks in worker processes), with timers around the main process's steps, and
prints per tenth of the articles: wall time, the main process's candidate lookups, the
raw pairs they found (one per shared fingerprint), the checks sent to the workers;
then the time of the records. Use it when ``bench/dedup_speed.py`` shows the time per
article growing between sizes.

    python bench/dedup_growth.py bench/data/corpus-1m.jsonl
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

from storyline.dedup import dedup_input, read_for_dedup
from storyline.dedup import index as dedup_index
from storyline.ingest import IngestReport


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="JSON Lines (bench/make_corpus.py)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = read_for_dedup([args.corpus], report=IngestReport())
    t1 = time.perf_counter()
    total = len(data)
    print(f"{total:,} articles; read in {t1 - t0:.1f} s ({(t1 - t0) / total * 1e3:.3f} ms each)")
    tenth = Counter[str]()
    rows: list[dict[str, Any]] = []
    index_cls = dedup_index.DedupIndex
    lookups = dedup_index.shared_counts
    candidates = index_cls._candidates
    finish = index_cls._finish
    records = index_cls.records
    mark = [time.perf_counter()]

    def timed_lookups(*a: Any) -> Any:
        out = lookups(*a)
        tenth["pairs"] += len(out[0])
        return out

    def timed_candidates(self: Any, *a: Any) -> Any:
        t = time.perf_counter()
        out = candidates(self, *a)
        tenth["candidates_s"] += time.perf_counter() - t
        return out

    def timed_finish(self: Any, round_: Any, progress: Any) -> None:
        finish(self, round_, progress)
        tenth["checks"] += sum(len(c) for _, c in round_.checks)
        tenth["articles"] += round_.size
        if tenth["articles"] >= total / 10:
            now = time.perf_counter()
            rows.append({**tenth, "wall_s": now - mark[0], "indexed": len(self)})
            mark[0] = now
            tenth.clear()

    def timed_records(self: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        out = list(records(self, **kw))
        print(f"records: {time.perf_counter() - t:.1f} s")
        return iter(out)

    dedup_index.shared_counts = timed_lookups  # type: ignore[assignment]
    index_cls._candidates = timed_candidates  # type: ignore[method-assign]
    index_cls._finish = timed_finish  # type: ignore[method-assign]
    index_cls.records = timed_records  # type: ignore[method-assign]
    dedup_input(data, passages=False)
    if tenth["articles"]:  # the last round, checked once every article was registered
        rows.append({**tenth, "wall_s": time.perf_counter() - mark[0], "indexed": total})
    print(f"index and records: {time.perf_counter() - t1:.1f} s")
    print("| indexed | ms/article | candidates ms/article | raw pairs/article | checks/article |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        n = max(1, r.get("articles", 0))
        print(f"| {r['indexed']:,} | {r['wall_s'] / n * 1e3:.3f} | "
              f"{r.get('candidates_s', 0) / n * 1e3:.3f} | {r.get('pairs', 0) / n:.0f} | "
              f"{r.get('checks', 0) / n:.2f} |")


if __name__ == "__main__":
    main()
