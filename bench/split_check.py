"""Cost of the clustering split check by story size.

    python bench/split_check.py [--rounds N]

The split check runs each time an article joins a story of 4 to 64 reports. The
synthetic stream of ``bench/cluster_speed.py`` has few stories that large, so this
measures the check itself: the vectors of real reports (basil, full text) put into one
story of 4, 8, 16, 32 and 64 reports, with a threshold that never splits (every step
runs), median of ``--rounds`` runs of 200 calls.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import storyline
from storyline.cluster import ClusterConfig, OnlineClusterer
from storyline.cluster.online import _Story

ROOT = Path(__file__).resolve().parent.parent
BASIL = ROOT.parent / "shared" / "corpora" / "basil" / "articles.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    articles = storyline.read(BASIL)
    config = replace(ClusterConfig.default(), split_threshold=-1.0)  # never splits
    print("| reports in the story | µs per check (median) |")
    print("|---:|---:|")
    for size in (4, 8, 16, 32, 64):
        c = OnlineClusterer(config)
        merged = _Story("bench")
        for a in articles[:size]:  # the reports as the clusterer keeps them, in one story
            vec, tvec = c._vectors(a)
            top = sorted(vec.items(), key=lambda kv: -kv[1])[: config.split_terms]
            assert merged.reports is not None
            merged.reports.append(c._member(top, tvec, None))
            merged.members.append(a.id)
        c.stories.append(merged)
        story = len(c.stories) - 1
        times = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            for _ in range(200):
                c._split_check(story)
            times.append((time.perf_counter() - t) / 200 * 1e6)
        print(f"| {size} | {statistics.median(times):.0f} |")


if __name__ == "__main__":
    main()
