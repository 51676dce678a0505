"""Evaluation: clustering quality against a gold labelling.

This module is the only place that reads ``gold.tsv``; the pipeline never does.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import EvaluationError

__all__ = ["ClusterScores", "bcubed", "load_gold", "pairwise", "score_clusters"]


@dataclass(frozen=True, slots=True)
class ClusterScores:
    articles: int
    gold_stories: int
    predicted_stories: int
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float

    def to_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def load_gold(path: str | Path) -> dict[str, str]:
    """Read ``id<TAB>story`` lines (a header line ``id story`` is skipped)."""
    path = Path(path)
    if not path.exists():
        raise EvaluationError(f"{path}: no gold file")
    gold: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not row or (n == 1 and row[0] == "id"):
                continue
            if len(row) < 2:
                raise EvaluationError(f"{path}:{n}: expected 'id<TAB>story'")
            gold[row[0]] = row[1]
    return gold


def bcubed(pred: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Bagga & Baldwin) over the items in both labellings."""
    items = [i for i in gold if i in pred]
    if not items:
        raise EvaluationError("no article ids in common between prediction and gold")
    joint = Counter((pred[i], gold[i]) for i in items)
    psize = Counter(pred[i] for i in items)
    gsize = Counter(gold[i] for i in items)
    p = sum(joint[(pred[i], gold[i])] / psize[pred[i]] for i in items) / len(items)
    r = sum(joint[(pred[i], gold[i])] / gsize[gold[i]] for i in items) / len(items)
    return p, r, _f1(p, r)


def pairwise(pred: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, float, float]:
    """Precision, recall and F1 over pairs of articles placed in one story."""
    items = [i for i in gold if i in pred]
    joint = Counter((pred[i], gold[i]) for i in items)
    psize = Counter(pred[i] for i in items)
    gsize = Counter(gold[i] for i in items)

    def pairs(counts: Counter[Any]) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    tp, pp, gp = pairs(joint), pairs(psize), pairs(gsize)
    p = tp / pp if pp else 1.0
    r = tp / gp if gp else 1.0
    return p, r, _f1(p, r)


def score_clusters(pred: Mapping[str, str], gold: Mapping[str, str]) -> ClusterScores:
    missing = [i for i in gold if i not in pred]
    if missing:
        raise EvaluationError(
            f"{len(missing)} gold ids have no prediction (first: {missing[0]!r})"
        )
    bp, br, bf = bcubed(pred, gold)
    pp, pr, pf = pairwise(pred, gold)
    return ClusterScores(
        articles=len(gold),
        gold_stories=len(set(gold.values())),
        predicted_stories=len({pred[i] for i in gold}),
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=bf,
        pairwise_precision=pp,
        pairwise_recall=pr,
        pairwise_f1=pf,
    )
