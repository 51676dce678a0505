"""A monitoring service's day through `watch`'s code path: polls stored, then one update each.

    python bench/day.py --n 20000 --poll 2000 [--url postgresql://...] [--out result.json]

Articles come from ``bench/make_corpus.py`` (made here when missing, under bench/data/),
their dates squeezed into one day in file order, and go in polls of ``--poll``: each
poll is stored (``Store.add_articles``) and placed (``Engine.update``: dedup, stories,
briefs of the changed stories, checkpoint), exactly what ``storyline watch`` does after
a fetch. Prints one line per poll (store and update seconds, stories changed) and a
summary: the whole day, the median and 95th percentile of one poll's update, peak RSS.
Then times ``refresh`` with nothing new and reports it.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import commit, machine  # noqa: E402

import storyline  # noqa: E402
from storyline.engine import Engine  # noqa: E402
from storyline.store import Store  # noqa: E402

HERE = Path(__file__).resolve().parent


def corpus(n: int) -> Path:
    path = HERE / "data" / f"corpus-{n}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "make_corpus.py"), "--n", str(n),
                        "--out", str(path), "--no-truth"], check=True)
    return path


def squeeze(articles: list, day: datetime) -> list:
    """Dates spread evenly over one day, in input order (the corpus's own order)."""
    step = timedelta(days=1) / max(1, len(articles))
    return [replace(a, published=day + i * step) for i, a in enumerate(articles)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20_000, help="articles in the day")
    ap.add_argument("--poll", type=int, default=2_000, help="articles per poll")
    ap.add_argument("--url", help="database URL (default: a new SQLite file)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--polls", type=int, default=None,
                    help="stop after this many polls (the day's density is kept)")
    ap.add_argument("--out", type=Path, help="write the result as JSON here")
    args = ap.parse_args(argv)

    articles = squeeze(storyline.read(corpus(args.n), workers=args.workers),
                       datetime(2026, 12, 1, tzinfo=UTC))
    tmp = Path(tempfile.mkdtemp(prefix="storyline-day-"))
    url = args.url or str(tmp / "day.db")
    polls = []
    started = time.perf_counter()
    with Store(url) as store, Engine(store, state_dir=tmp / "engine",
                                     workers=args.workers) as engine:
        for k, start in enumerate(range(0, len(articles), args.poll)):
            if args.polls is not None and k >= args.polls:
                break
            batch = articles[start:start + args.poll]
            t0 = time.perf_counter()
            store.add_articles(batch)
            t1 = time.perf_counter()
            result = engine.update()
            t2 = time.perf_counter()
            polls.append({"poll": k, "articles": len(batch), "store_s": round(t1 - t0, 3),
                          "update_s": round(t2 - t1, 3), "stories": len(result.stories),
                          "retired": len(result.retired), "briefs": result.briefs,
                          "analysed": result.analysed,
                          "timings": {k: round(v, 2) for k, v in result.timings.items()}})
            print(json.dumps(polls[-1]), flush=True)
        total = time.perf_counter() - started
    with Store(url) as store, Engine(store, state_dir=tmp / "engine") as engine:
        t0 = time.perf_counter()
        engine.update()
        nothing = time.perf_counter() - t0
    updates = sorted(p["update_s"] for p in polls)
    p95 = updates[min(len(updates) - 1, round(0.95 * (len(updates) - 1)))]
    summary = {
        "benchmark": "day", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(), "machine": machine(), "articles": len(articles),
        "poll": args.poll, "polls": len(polls), "db": "postgresql" if args.url else "sqlite",
        "placed": sum(p["articles"] for p in polls), "total_s": round(total, 1),
        "articles_per_s": round(sum(p["articles"] for p in polls) / total, 1),
        "update_median_s": round(statistics.median(updates), 2), "update_p95_s": p95,
        "refresh_nothing_new_s": round(nothing, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "command": "python bench/day.py " + " ".join(argv or sys.argv[1:]),
        "per_poll": polls,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "per_poll"}, indent=1))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
