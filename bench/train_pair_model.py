"""Train the pair model (the learned join decision) and report it in-corpus and held out.

    python bench/train_pair_model.py [--write] [--augment 30,7,1] [--report]

Replays basil and neus-dev in publication order with gold story membership
(``storyline.cluster._train``: evaluation and training code, the only place the gold
files are read), harvests one row of features per (article, candidate story) decision,
and fits a calibrated logistic regression. ``--augment``: the corpora are also replayed
with their stories spread over that many days (each story's own gaps kept, seeds other
than those of ``bench/dense_stream.py``), so the model sees crowded moments.

``--write`` stores the model fitted on both corpora as
``src/storyline/cluster/pair_model.json``. ``--report`` scores BCubed F1 with
``ClusterConfig(decision="model")`` in-corpus (the model fitted on both corpora) and
leave-one-corpus-out (fitted on basil, scored on neus-dev, and the reverse), beside the
threshold decision, plus the held-out calibration (Brier score, predicted against
observed join rate).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import storyline
from storyline.cluster import ClusterConfig, assign_stories, tag_titles
from storyline.cluster._pair import FEATURES, PairModel
from storyline.cluster._train import fit, harvest, lead_version, spread_stories
from storyline.evaluate import load_gold, score_clusters
from storyline.model import Article, DedupRecord

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
MODEL = ROOT / "src" / "storyline" / "cluster" / "pair_model.json"
NAMES = ("basil", "neus-dev")
TRAIN_SEED = 1000  # spread seeds for training; bench/dense_stream.py uses others


@dataclasses.dataclass
class Corpus:
    name: str
    articles: list[Article]
    records: list[DedupRecord]
    gold: dict[str, str]
    entities: dict[str, list[str]]


def load(name: str, limit: int | None = None) -> Corpus:
    articles = storyline.read(CORPORA / name / "articles.jsonl")
    if limit is not None:
        articles = articles[:limit]
    gold = load_gold(CORPORA / name / "gold.tsv")
    gold = {a.id: gold[a.id] for a in articles}
    entities = dict(zip([a.id for a in articles],
                        tag_titles(a.title or "" for a in articles), strict=True))
    return Corpus(name, articles, storyline.dedup(articles, passages=False), gold, entities)


def rows_of(corpora: list[Corpus], augment: list[float], leads: bool = False
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Harvested decisions ``(X, y, groups, weights)`` of each corpus as published, cut
    to title and lead (``leads``) and spread over each span. Each version weighs the
    same in total: basil offers about one candidate per article, neus-dev thirty, and
    unweighted the second would decide everything."""
    parts = []
    offset = 0
    for corpus in corpora:
        versions = [corpus.articles] + [
            spread_stories(corpus.articles, corpus.gold, days, seed=TRAIN_SEED + k)
            for k, days in enumerate(augment)]
        if leads:
            versions.append([lead_version(a) for a in corpus.articles])
        for articles in versions:
            X, y, g = harvest(articles, corpus.gold, corpus.records, entities=corpus.entities)
            parts.append((X, y, g + offset, np.full(len(y), 1.0 / max(len(y), 1))))
            offset += len(articles)
    w = np.concatenate([p[3] for p in parts])
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]), w / w.mean())


def train(corpora: list[Corpus], augment: list[float], c: float = 1.0,
          drop: tuple[str, ...] = (), leads: bool = True) -> dict[str, Any]:
    """The model fitted on ``corpora``; features in ``drop`` are held at zero (weight 0)."""
    X, y, g, w = rows_of(corpora, augment, leads)
    for name in drop:
        X[:, FEATURES.index(name)] = 0.0
    model = fit(X, y, g, c=c, weights=w)
    model["trained_on"] = [k.name for k in corpora]
    model["augment_days"] = augment
    model["leads"] = leads
    model["rows"], model["positives"] = int(len(y)), int(y.sum())
    return model


def score(corpus: Corpus, config: ClusterConfig, articles: list[Article] | None = None
          ) -> float:
    mapping = assign_stories(articles or corpus.articles, corpus.records, config=config,
                             entities=corpus.entities)
    return score_clusters(mapping, corpus.gold).bcubed_f1


def calibration(model: dict[str, Any], corpus: Corpus) -> str:
    """Brier score and predicted against observed join rate, on a corpus' decisions."""
    X, y, _g, _w = rows_of([corpus], [])
    pm = PairModel.from_dict(model)
    p = np.array([pm.probability(row) for row in X])
    bins = np.digitize(p, [0.1, 0.3, 0.5, 0.7, 0.9])
    cells = []
    for b in range(6):
        m = bins == b
        if m.any():
            cells.append(f"{p[m].mean():.2f}/{y[m].mean():.2f} (n={m.sum()})")
    return f"Brier {np.mean((p - y) ** 2):.4f}; predicted/observed by bin: " + ", ".join(cells)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--augment", default="30,7,1",
                    help="comma-separated spans (days) of spread copies; '' for none")
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength")
    ap.add_argument("--train", default=",".join(NAMES), help="corpora to fit on")
    ap.add_argument("--out", type=Path, help="also store the fitted model here")
    ap.add_argument("--drop", default="", help="comma-separated features left out")
    ap.add_argument("--write", action="store_true", help=f"store the model as {MODEL}")
    ap.add_argument("--report", action="store_true", help="in-corpus and LOCO scores")
    args = ap.parse_args()
    augment = [float(d) for d in args.augment.split(",") if d.strip()]
    drop = tuple(d for d in args.drop.split(",") if d)
    corpora = {name: load(name) for name in NAMES}
    both = train([corpora[n] for n in args.train.split(",")], augment, args.c, drop)
    print(json.dumps(both))
    if args.out:
        args.out.write_text(json.dumps(both, indent=1) + "\n", encoding="utf-8")
    if args.write:
        if both["trained_on"] != list(NAMES):
            raise SystemExit("the packaged model is fitted on both corpora")
        MODEL.write_text(json.dumps(both, indent=1) + "\n", encoding="utf-8")
    if not args.report:
        return
    threshold = ClusterConfig.default()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "both.json"
        path.write_text(json.dumps(both))
        in_corpus = dataclasses.replace(threshold, decision="model", pair_model=str(path))
        print("| corpus | threshold | model, in-corpus | model, leave-one-corpus-out |")
        print("|---|---:|---:|---:|")
        for name, corpus in corpora.items():
            other = [k for n, k in corpora.items() if n != name]
            held = train(other, augment, args.c, drop)
            hpath = Path(tmp) / f"without-{name}.json"
            hpath.write_text(json.dumps(held))
            loco = dataclasses.replace(in_corpus, pair_model=str(hpath))
            print(f"| {name} | {score(corpus, threshold):.3f} | {score(corpus, in_corpus):.3f} "
                  f"| {score(corpus, loco):.3f} |", flush=True)
            print(f"  held-out calibration on {name}: {calibration(held, corpus)}", flush=True)


if __name__ == "__main__":
    main()
