"""Story clustering quality when the stream is dense: the dev corpora's stories in a few days.

    python bench/dense_stream.py [--days 7,1] [--distractors 0,2000] \\
        [--decisions threshold,model] [--corpora basil,neus-dev] [--pair-model PATH] \\
        [--mode spread|squeeze]

basil spreads 300 articles over nine years and neus-dev 731 over three and a half
months, so few unrelated reports share a day, while a monitoring feed carries thousands.

``--mode spread`` (default): every gold story of the chosen corpora is moved to a random
start within ``D`` days, its reports keeping their own day gaps to its first report
(``storyline.cluster._train.spread_stories``; seed 7 here, other than training's), so a
week or a day holds every story at once. ``--distractors N`` adds N synthetic articles
from ``bench/make_corpus.py`` (spliced from sentences of the corpora with about a fifth
of the words replaced; each its own gold story) at random times in the span: unrelated
reports that share the stories' vocabulary. ``--mode squeeze``: the older test, each
corpus' distinct dates spread evenly over ``D`` days, order kept.

Each stream is scored for each decision (``ClusterConfig.decision``: the fitted
threshold, or the learned pair model, ``--pair-model`` for a held-out fit) against the
gold files (evaluation only). Columns: BCubed over every article (distractors included),
BCubed F1 over the dev articles only (a distractor in a dev story counts against its
precision), pairwise F1 over every article, and the clustering time (dedup excluded).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import storyline
from storyline.cluster import ClusterConfig, assign_stories, tag_titles
from storyline.cluster._train import spread_stories
from storyline.evaluate import load_gold, score_clusters
from storyline.model import Article

HERE = Path(__file__).resolve().parent
CORPORA = HERE.parent.parent / "shared" / "corpora"
START = datetime(2031, 1, 1, tzinfo=UTC)
SEED = 7


def squeezed(names: list[str], days: float) -> tuple[list[Article], dict[str, str]]:
    """Each corpus' distinct dates spread evenly over ``days``, order kept."""
    articles: list[Article] = []
    gold: dict[str, str] = {}
    for name in names:
        corpus = storyline.read(CORPORA / name / "articles.jsonl")
        dates = sorted({a.published for a in corpus if a.published is not None})
        last = dates[-1]
        step = days / max(len(dates) - 1, 1)
        moved = {d: last - timedelta(days=step * (len(dates) - 1 - i)) for i, d in enumerate(dates)}
        articles += [dataclasses.replace(
            a, published=moved.get(a.published) if a.published is not None else None)
            for a in corpus]
        gold.update({k: f"{name}:{v}" for k, v in load_gold(CORPORA / name / "gold.tsv").items()})
    return articles, gold


def spread(names: list[str], days: float) -> tuple[list[Article], dict[str, str]]:
    """Every gold story moved to a random start within ``days``, its own gaps kept."""
    articles: list[Article] = []
    gold: dict[str, str] = {}
    for name in names:
        articles += storyline.read(CORPORA / name / "articles.jsonl")
        gold.update({k: f"{name}:{v}" for k, v in load_gold(CORPORA / name / "gold.tsv").items()})
    return spread_stories(articles, gold, days, seed=SEED, start=START), gold


def distractors(n: int, days: float, seed: int = SEED) -> list[Article]:
    """``n`` synthetic base articles of ``make_corpus`` at random times in the span."""
    sys.path.insert(0, str(HERE))
    make_corpus = importlib.import_module("make_corpus")  # bench/, beside this script

    gen = make_corpus.Generator(make_corpus.Material(make_corpus.DEFAULT_SOURCES), n, seed)
    rng = random.Random(seed + 1)
    return [Article(id=f"distractor-{i}", title=gen.title(),
                    text="\n\n".join(gen.base_text()), source=rng.choice(make_corpus.OUTLETS),
                    published=START + timedelta(days=rng.uniform(0.0, days)))
            for i in range(n)]


def dev_bcubed(pred: dict[str, str], gold: dict[str, str], dev: set[str]) -> float:
    """BCubed F1 averaged over the dev articles, every article counting in the clusters."""
    clusters = Counter(pred.values())
    both = Counter((pred[i], gold[i]) for i in pred)
    stories = Counter(gold[i] for i in dev)
    p = r = 0.0
    for i in dev:
        shared = both[(pred[i], gold[i])]
        p += shared / clusters[pred[i]]
        r += shared / stories[gold[i]]
    p, r = p / len(dev), r / len(dev)
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", default="7,1", help="comma-separated spans in days")
    ap.add_argument("--distractors", default="0", help="comma-separated counts")
    ap.add_argument("--decisions", default="threshold,model")
    ap.add_argument("--corpora", default="basil,neus-dev")
    ap.add_argument("--pair-model", default="", help="pair model JSON (default: packaged)")
    ap.add_argument("--mode", choices=["spread", "squeeze"], default="spread")
    args = ap.parse_args()
    names = args.corpora.split(",")
    base = ClusterConfig.default()
    configs = {d: dataclasses.replace(base, decision=d, pair_model=args.pair_model)
               for d in args.decisions.split(",")}
    print("| days | distractors | articles per day | decision | BCubed P | BCubed R "
          "| BCubed F1 | F1, dev articles | pairwise F1 | seconds |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for days in (float(d) for d in args.days.split(",")):
        stories, gold = (spread if args.mode == "spread" else squeezed)(names, days)
        dev = set(gold)
        for count in (int(n) for n in args.distractors.split(",")):
            extra = distractors(count, days) if count else []
            articles = stories + extra
            truth = {**gold, **{a.id: a.id for a in extra}}
            records = storyline.dedup(articles, passages=False)
            ids = [a.id for a in articles]
            entities = dict(zip(ids, tag_titles(a.title or "" for a in articles), strict=True))
            for label, config in configs.items():
                t0 = time.perf_counter()
                mapping = assign_stories(articles, records, config=config, entities=entities)
                seconds = time.perf_counter() - t0
                s = score_clusters(mapping, truth)
                print(f"| {days:g} | {count} | {len(articles) / days:.0f} | {label} "
                      f"| {s.bcubed_precision:.3f} | {s.bcubed_recall:.3f} | {s.bcubed_f1:.3f} "
                      f"| {dev_bcubed(mapping, truth, dev):.3f} | {s.pairwise_f1:.3f} "
                      f"| {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
