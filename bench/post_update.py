"""How long a write takes to answer, and to show in stories and briefs, on a real server.

    python bench/post_update.py [--rounds 5] [--out result.json]

Builds a SQLite store from the dev corpora (../shared/corpora/*/articles.jsonl) and
places them (`storyline refresh`), starts `storyline serve` on a loopback port, then
``--rounds`` times POSTs two new articles (one a rewrite of a stored report, one about an
unrelated event) and measures (a) the POST's response time and (b) the time until
``GET /api/status`` reports the update done and both articles have a story whose brief
lists them. Also times `refresh` with nothing new. Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import commit, machine  # noqa: E402

import storyline  # noqa: E402
from storyline.engine import Engine  # noqa: E402
from storyline.serve import serving  # noqa: E402
from storyline.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"


def _articles(k: int, base: storyline.Article) -> list[dict[str, str]]:
    paragraphs = base.text.split("\n\n")
    rewrite = "\n\n".join(reversed(paragraphs[:4])) or base.text
    return [
        {"id": f"bench-{k}-a", "url": f"https://bench.example/{k}/a", "source": "Bench Wire",
         "title": base.title, "published": "2021-07-01", "text": rewrite},
        {"id": f"bench-{k}-b", "url": f"https://bench.example/{k}/b", "source": "Bench Post",
         "title": f"Harbour board approves ferry timetable {k}",
         "published": "2021-07-01",
         "text": (f"The harbour board approved a new ferry timetable for route {k} on "
                  "Thursday, adding two evening crossings from September. The board's chair "
                  "said the change followed a survey of commuters. Fares stay the same.")},
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)

    corpora = [ROOT.parent / "shared" / "corpora" / c / "articles.jsonl"
               for c in ("basil", "neus-dev")]
    articles = storyline.read([p for p in corpora if p.exists()])
    tmp = Path(tempfile.mkdtemp(prefix="storyline-post-"))
    db = tmp / "news.db"
    with Store(db) as store, Engine(store) as engine:
        store.add_articles(articles)
        engine.update()
        t0 = time.perf_counter()
        engine.update()
        nothing = time.perf_counter() - t0
    posts, shown = [], []
    with serving(db, token=TOKEN) as base, httpx.Client(base_url=base, timeout=120) as client:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for k in range(args.rounds):
            before = client.get("/api/status").json()["updates"]
            items = _articles(k, articles[(k * 37) % len(articles)])
            t0 = time.perf_counter()
            response = client.post("/api/articles", json=items, headers=auth)
            t1 = time.perf_counter()
            response.raise_for_status()
            while True:
                status = client.get("/api/status").json()
                if status["updates"] > before and not status["pending"] \
                        and not status["running"]:
                    break
                time.sleep(0.02)
            for item in items:
                story = client.get(f"/api/articles/{item['id']}").json()["story"]
                brief = client.get(f"/api/stories/{story}").json()["brief"]
                assert item["id"] in {a["id"] for a in brief["articles"]}
            t2 = time.perf_counter()
            posts.append(t1 - t0)
            shown.append(t2 - t0)
            print(json.dumps({"round": k, "post_s": round(t1 - t0, 3),
                              "shown_s": round(t2 - t0, 3),
                              "update_s": status["last_seconds"]}), flush=True)
    result = {
        "benchmark": "post_update", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(), "machine": machine(), "stored": len(articles),
        "rounds": args.rounds, "post_max_s": round(max(posts), 3),
        "post_median_s": round(statistics.median(posts), 3),
        "shown_max_s": round(max(shown), 3), "shown_median_s": round(statistics.median(shown), 3),
        "refresh_nothing_new_s": round(nothing, 4),
        "command": "python bench/post_update.py " + " ".join(argv or sys.argv[1:]),
    }
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
