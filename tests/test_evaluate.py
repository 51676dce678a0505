from __future__ import annotations

import pytest

from storyline.errors import EvaluationError
from storyline.evaluate import bcubed, load_gold, pairwise, score_clusters


def test_perfect_and_all_in_one():
    gold = {"a": "1", "b": "1", "c": "2"}
    assert bcubed(gold, gold) == (1.0, 1.0, 1.0)
    p, r, f = bcubed({"a": "x", "b": "x", "c": "x"}, gold)
    assert r == 1.0 and p == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3)
    pp, pr, _ = pairwise({"a": "x", "b": "x", "c": "x"}, gold)
    assert (pp, pr) == (pytest.approx(1 / 3), 1.0)


def test_singletons():
    gold = {"a": "1", "b": "1"}
    p, r, _ = bcubed({"a": "x", "b": "y"}, gold)
    assert (p, r) == (1.0, 0.5)


def test_missing_predictions_are_an_error():
    with pytest.raises(EvaluationError, match="no prediction"):
        score_clusters({"a": "x"}, {"a": "1", "b": "1"})


def test_load_gold(tmp_path):
    path = tmp_path / "gold.tsv"
    path.write_text("id\tstory\na\t1\nb\t2\n")
    assert load_gold(path) == {"a": "1", "b": "2"}
    with pytest.raises(EvaluationError):
        load_gold(tmp_path / "missing.tsv")
