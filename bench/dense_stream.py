"""Story clustering quality when the stream is dense: the dev corpora with their dates squeezed.

    python bench/dense_stream.py [--days 365,30,7]

basil spreads 300 articles over nine years and neus-dev 731 over three and a half
months, so few unrelated reports share a day, while a monitoring feed carries thousands.
This stress test merges both corpora into one stream and spreads their distinct
publication dates evenly over ``D`` days (order kept, each corpus ending on its own last
date), then scores the default configuration, and the same without the split check,
against the union of the two gold files (evaluation only, as ``storyline eval``). It
measures how much precision falls as unrelated same-day reports multiply; it is not a
tuning target.
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import timedelta
from pathlib import Path

import storyline
from storyline.cluster import ClusterConfig, assign_stories
from storyline.evaluate import load_gold, score_clusters
from storyline.model import Article

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


def squeezed(days: float) -> tuple[list[Article], dict[str, str]]:
    articles: list[Article] = []
    gold: dict[str, str] = {}
    for name in ("basil", "neus-dev"):
        corpus = storyline.read(CORPORA / name / "articles.jsonl")
        dates = sorted({a.published for a in corpus if a.published is not None})
        last = dates[-1]
        step = days / max(len(dates) - 1, 1)
        moved = {d: last - timedelta(days=step * (len(dates) - 1 - i)) for i, d in enumerate(dates)}
        articles += [dataclasses.replace(a, published=moved.get(a.published)) for a in corpus]
        gold.update({k: f"{name}:{v}" for k, v in load_gold(CORPORA / name / "gold.tsv").items()})
    return articles, gold


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", default="365,30,7", help="comma-separated spans in days")
    args = ap.parse_args()
    default = ClusterConfig.default()
    configs = {"default": default,
               "default without the split check": dataclasses.replace(default, split_threshold=0.0)}
    print("| days | articles per day | configuration | BCubed P | BCubed R | BCubed F1 "
          "| pairwise F1 |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for days in (float(d) for d in args.days.split(",")):
        articles, gold = squeezed(days)
        records = storyline.dedup(articles, passages=False)
        for label, config in configs.items():
            s = score_clusters(assign_stories(articles, records, config=config), gold)
            print(f"| {days:g} | {len(articles) / days:.0f} | {label} | {s.bcubed_precision:.3f} "
                  f"| {s.bcubed_recall:.3f} | {s.bcubed_f1:.3f} | {s.pairwise_f1:.3f} |")


if __name__ == "__main__":
    main()
