"""The learned join decision (ClusterConfig.decision="model"): the packaged coefficients,
their decisions on obvious pairs, streaming equal to batch, and reproducible training."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import numpy as np
import pytest

from storyline.cluster import ClusterConfig, OnlineClusterer, assign_stories
from storyline.cluster._pair import FEATURES, PairModel, load_pair_model
from storyline.cluster._train import fit, harvest, lead_version, spread_stories
from storyline.dedup import dedup, stream_order
from storyline.evaluate import load_gold, score_clusters
from storyline.model import Article

from .conftest import shared_path

MODEL = ClusterConfig(decision="model")


def _row(**values: float) -> list[float]:
    return [values.get(name, 0.0) for name in FEATURES]


def test_packaged_model_loads_with_the_feature_order() -> None:
    data = json.loads(resources.files("storyline.cluster").joinpath("pair_model.json")
                      .read_text())
    model = load_pair_model()
    assert model.features == FEATURES
    assert len(model.coef) == len(FEATURES)
    assert data["trained_on"] == ["basil", "neus-dev"]
    # the cosines push towards joining, the time gap and lagging the best candidate against
    weights = dict(zip(FEATURES, model.coef, strict=True))
    assert weights["cosine"] > 0 and weights["title_cosine"] > 0
    assert weights["cosine_behind"] < 0 and weights["gap_day"] < 0


def test_obvious_pair_joins_and_obvious_stranger_does_not() -> None:
    model = load_pair_model()
    same = _row(cosine=0.6, title_cosine=0.5, names=0.8, numbers=0.5, crowd=np.log1p(5))
    stranger = _row(cosine=0.02, title_cosine=0.0, cosine_behind=0.4, gap_day=1.0,
                    gap_log=np.log1p(3), since_last=np.log1p(4), size=np.log(3),
                    crowd=np.log1p(5))
    assert model.probability(same) > 0.9
    assert model.probability(stranger) < 0.05
    assert (model.logit(same) >= model.cut) and (model.logit(stranger) < model.cut)


def test_model_features_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="features"):
        PairModel.from_dict({"features": ["cosine"], "coef": [1.0], "intercept": 0.0})


def test_unknown_decision_is_refused() -> None:
    with pytest.raises(ValueError, match="decision"):
        OnlineClusterer(ClusterConfig(decision="vote"))


def _art(i: str, text: str, title: str, days: float) -> Article:
    return Article(id=i, text=text, title=title,
                   published=datetime(2025, 3, 1, tzinfo=UTC) + timedelta(days=days))


FLOOD = ("Floodwater forced the evacuation of 400 homes in Riverton on Monday after the Arlen "
         "river burst its banks, the Riverton fire service said.")
FLOOD2 = ("The Arlen river burst its banks in Riverton, flooding 400 homes and forcing "
          "evacuations, the town's fire service said on Monday.")
BUDGET = ("The Velmora council approved a budget of 12 million for new school buildings, "
          "the mayor Anja Tellmark said after the vote.")


def test_model_decision_on_constructed_stream() -> None:
    c = OnlineClusterer(MODEL)
    a = c.partial_fit(_art("a", FLOOD, "Riverton flood forces evacuations", 0))
    b = c.partial_fit(_art("b", FLOOD2, "Arlen river floods Riverton homes", 0.1))
    other = c.partial_fit(_art("c", BUDGET, "Velmora approves school budget", 0.2))
    assert a == b
    assert other != a


def test_model_streaming_gives_the_batch_stories(sample_articles: list[Article]) -> None:
    records = dedup(sample_articles)
    batch = assign_stories(sample_articles, records, config=MODEL)
    scores = score_clusters(batch, load_gold("sample/gold.tsv"))
    assert scores.bcubed_f1 >= 0.9
    copies = {r.id for r in records if r.of}
    c = OnlineClusterer(MODEL)
    for a in stream_order(sample_articles):
        if a.id not in copies:
            c.partial_fit(a)
    assert all(batch[k] == v for k, v in c.assignments.items())


def test_spread_keeps_each_story_gaps() -> None:
    articles = [_art("a1", FLOOD, "", 0), _art("a2", FLOOD2, "", 3), _art("b1", BUDGET, "", 40)]
    gold = {"a1": "A", "a2": "A", "b1": "B"}
    moved = {a.id: a.published for a in spread_stories(articles, gold, 1.0, seed=3)
             if a.published is not None}
    assert moved["a2"] - moved["a1"] == timedelta(days=3)
    start = datetime(2031, 1, 1, tzinfo=UTC)
    assert all(start <= moved[k] < start + timedelta(days=1) for k in ("a1", "b1"))


def test_lead_version_cuts_to_first_paragraphs() -> None:
    long = "\n\n".join(" ".join(["word"] * 50) for _ in range(5))
    cut = lead_version(_art("x", long, "t", 0))
    assert cut.text.count("\n\n") == 1 and len(cut.text.split()) == 100


def _slice() -> tuple[list[Article], dict[str, str]]:
    import storyline

    folder = shared_path("corpora", "neus-dev")
    articles = storyline.read(folder / "articles.jsonl")[:150]
    gold = load_gold(folder / "gold.tsv")
    return articles, {a.id: gold[a.id] for a in articles}


def test_harvest_labels_follow_gold_and_training_is_reproducible() -> None:
    articles, gold = _slice()
    config = dataclasses.replace(ClusterConfig.default(), title_ner=False)
    X, y, groups = harvest(articles, gold, config=config)
    assert X.shape[1] == len(FEATURES) and len(X) == len(y) == len(groups)
    # at most one positive per decision, and only where an earlier story-mate exists
    assert np.bincount(groups[y == 1]).max() == 1
    first = fit(X, y, groups)
    again = fit(*harvest(articles, gold, config=config))
    assert first == again
    # recorded from this slice when the model was built (bench/train_pair_model.py)
    assert first["coef"] == pytest.approx(SLICE_COEF, abs=1e-6)
    assert first["intercept"] == pytest.approx(SLICE_INTERCEPT, abs=1e-6)


# neus-dev's first 150 articles, titles' entities off (no spaCy), no augmentation
SLICE_COEF = [5.90242216, 1.79929606, -6.32094465, 0.90555714, 0.19590017, -3.5686623,
              -0.35371211, -0.63059183, -13.13615798, 0.21011116]
SLICE_INTERCEPT = 8.35443893


def test_threshold_stays_the_default_decision() -> None:
    # the model is not the default: leave-one-corpus-out falls 0.07 to 0.13 below
    # in-corpus on basil (docs/benchmarks.md, "Stories on dense streams")
    assert ClusterConfig.default().decision == "threshold"
