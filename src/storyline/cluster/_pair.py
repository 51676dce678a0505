"""The learned join decision: a logistic model over (article, candidate story) features.

Why a model: a hand threshold that rises with the time gap was fitted by grid search to
the two dev corpora, and it does not carry to denser or unseen streams. The pair model
weighs the same evidence (centroid and title cosines, shared names and numbers, time gap,
story size, how crowded the moment is) with coefficients learned from the join decisions
of the dev corpora replayed in publication order (``_train``). The coefficients ship as
package data (``pair_model.json``); scoring a candidate is one dot product, so the model
adds no dependency and almost no cost at run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["FEATURES", "PairModel", "load_pair_model"]

# Order of the feature vector; ``OnlineClusterer._pair_features`` computes them.
FEATURES = (
    "cosine",        # TF-IDF cosine of the article with the story's centroid
    "title_cosine",  # cosine of the article's title with the sum of the story's titles
    "cosine_behind",  # how far this candidate's cosine is behind the best candidate's
    "names",         # share of the article's name weight that the story also has
    "numbers",       # share of the article's number weight that the story also has
    "gap_day",       # days from the story's time, up to one
    "gap_log",       # log(1 + days beyond the first)
    "since_last",    # log(1 + days since the story's latest report)
    "size",          # log of the story's number of reports
    "crowd",         # log(1 + live candidate stories): how dense the moment is
)


@dataclass(frozen=True, slots=True)
class PairModel:
    """Logistic regression coefficients over ``FEATURES``; join when p >= ``prior``."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    prior: float = 0.5

    def logit(self, row: Sequence[float]) -> float:
        return self.intercept + sum(c * x for c, x in zip(self.coef, row, strict=True))

    def probability(self, row: Sequence[float]) -> float:
        z = self.logit(row)
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0

    @property
    def cut(self) -> float:
        """The logit at which p equals the prior: the join decision without an exp."""
        return math.log(self.prior / (1.0 - self.prior))

    @classmethod
    def from_dict(cls, data: dict) -> PairModel:
        features = tuple(data["features"])
        if features != FEATURES:
            raise ValueError(f"pair model features {features} are not {FEATURES}")
        return cls(features, tuple(float(c) for c in data["coef"]),
                   float(data["intercept"]), float(data.get("prior", 0.5)))


@cache
def load_pair_model(path: str = "") -> PairModel:
    """The packaged model (``path`` empty) or one stored at ``path`` (a held-out fit)."""
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("storyline.cluster").joinpath("pair_model.json").read_text()
    return PairModel.from_dict(json.loads(text))
