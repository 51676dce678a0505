"""The figure model and the agreement check (issue 18): perturbed surface forms, quantity
matching, time and scope, and the veto on agreements whose figures differ. Every
sentence here is written for the test."""

from __future__ import annotations

from datetime import datetime

import pytest

from storyline.analyze._figures import compatible, extract_figures, signature
from storyline.brief import build_brief
from storyline.evaluate.figures import eval_figures, perturb_number
from storyline.model import Article, Story

from .conftest import shared_path

# -- the perturbation ---------------------------------------------------------------------

@pytest.mark.parametrize(("surface", "factor", "expected"), [
    ("12 million", 1.2, "14.4 million"),
    ("2,600", 1.2, "3,120"),
    ("5.9%", 0.8, "4.7%"),
    ("21 percent", 1.13, "24 percent"),
    ("$1.5 billion", 0.77, "$1.2 billion"),
    ("E497 million", 1.1, "E547 million"),
    ("410", 0.75, "308"),
])
def test_perturbation_keeps_the_surface_form(surface, factor, expected):
    assert perturb_number(surface, factor) == expected


def test_perturbation_that_rounds_back_is_refused():
    assert perturb_number("10", 1.04) is None


# -- helpers ---------------------------------------------------------------------------------

def _story(*texts: str, sources: tuple[str, ...] = ()) -> Story:
    articles = [Article(id=f"a{n}", text=t, title="", source=(sources[n] if sources else f"s{n}"),
                        published=datetime(2024, 3, 1, 9 + n))
                for n, t in enumerate(texts)]
    return Story("t", articles, {})


def _values(d):
    return sorted(f.value for f in d.facts)


FILLER = ("The harbour authority gave the update at a briefing in the port town of Velmar. "
          "Rescue crews worked through the night along the flooded coast road. ")


# -- quantity matching -----------------------------------------------------------------------

def test_dead_and_missing_are_never_compared():
    b = build_brief(_story(
        FILLER + "The flooding in the Velmar valley has left 24 people dead, officials said.",
        FILLER + "Officials said 121 people were missing after the flooding in the Velmar valley.",
    ))
    assert not [d for d in b.discrepancies if {24.0, 121.0} <= set(_values(d))]


def test_same_quantity_different_value_is_a_difference_not_an_agreement():
    one = FILLER + ("The storm cut power to 12 million homes across the northern provinces, "
                    "the grid operator said.")
    two = FILLER + ("The storm cut power to 13 million homes across the northern provinces, "
                    "the grid operator said.")
    b = build_brief(_story(one, two))
    diffs = [d for d in b.discrepancies if {12e6, 13e6} <= set(_values(d))]
    assert diffs, [(d.kind, _values(d)) for d in b.discrepancies]
    assert {f.citation.article for f in diffs[0].facts} == {"a0", "a1"}
    for line in list(b.agreements) + [s for s in b.summary if s.independent_sources >= 2]:
        quotes = " ".join(c.quote for c in line.citations)
        assert not ("12 million" in quotes and "13 million" in quotes), line


def test_equal_figures_agree():
    one = FILLER + ("The storm cut power to 12 million homes across the northern provinces, "
                    "the grid operator said.")
    two = FILLER + ("The grid operator said the storm cut power to 12 million homes across "
                    "the northern provinces.")
    b = build_brief(_story(one, two))
    assert not [d for d in b.discrepancies if 12e6 in _values(d)]
    assert any(len({c.article for c in a.citations}) == 2 and "12 million" in a.text
               for a in b.agreements)


# -- time and scope --------------------------------------------------------------------------

def test_different_months_are_a_time_update():
    b = build_brief(_story(
        FILLER + "Joblessness in Ostland rose to 5.9 percent in June, the statistics office said.",
        FILLER + "The statistics office said joblessness in Ostland stood at 5.8 percent in May.",
    ))
    kinds = {d.kind for d in b.discrepancies if {5.8, 5.9} <= set(_values(d))}
    assert kinds == {"time-update"}, [(d.kind, _values(d)) for d in b.discrepancies]


def test_qualifier_after_a_figure_is_its_own():
    s = "Joblessness rose to 5.9% in June from 5.8% in May."
    quals = [f.qualifiers.get("time") for f in extract_figures(s, 0, len(s))]
    assert quals == [["in June"], ["in May"]]


def test_different_scopes_are_not_a_conflict():
    b = build_brief(_story(
        FILLER + "Brandvik Motors said its truck division lost 300 million euros in the first "
                 "half.",
        FILLER + "Brandvik Motors lost 410 million euros for the full year, the carmaker said.",
    ))
    kinds = {d.kind for d in b.discrepancies if {3e8, 4.1e8} <= set(_values(d))}
    assert "conflict" not in kinds


def test_idioms_are_not_figures():
    s = "Critics called the plan too cute by half, and the majority leader agreed."
    assert not [f for f in extract_figures(s, 0, len(s)) if f.kind == "percent"]
    s = "The family owns half of the voting rights."
    assert [f.value for f in extract_figures(s, 0, len(s))] == [50.0]


def test_names_with_numbers_are_not_counts():
    s = "Lawmakers debated Senate Bill 1062 for hours on Tuesday evening."
    assert not [f for f in extract_figures(s, 0, len(s)) if f.kind == "count"]


# -- the agreement veto ----------------------------------------------------------------------

def test_veto_on_different_figures_and_negation():
    a = signature("The plant will cut 2,600 jobs next year, the company said.")
    b = signature("The plant will cut 3,100 jobs next year, the company said.")
    c = signature("The plant will cut 2,600 jobs and close 3 lines next year.")
    d = signature("The plant will not cut 2,600 jobs next year, the company said.")
    assert not compatible(a, b)
    assert compatible(a, c)  # adding a figure is not contradicting one
    assert not compatible(a, d)


def test_vetoed_pair_is_not_an_agreement():
    one = FILLER + "Harlow Steel will close its Dunmore plant and cut 2,600 jobs by next year."
    two = FILLER + "Harlow Steel will close its Dunmore plant and cut 3,100 jobs by next year."
    b = build_brief(_story(one, two))
    for line in b.agreements:
        quotes = " ".join(c.quote for c in line.citations)
        assert not ("2,600" in quotes and "3,100" in quotes)
    assert [d for d in b.discrepancies if {2600.0, 3100.0} <= set(_values(d))]


# -- the evaluator on a shared corpus ----------------------------------------------------------

def test_eval_figures_on_basil_sample():
    corpus = shared_path("corpora", "basil")
    scores = eval_figures(corpus, seed=0, limit=8)
    assert scores.stories == 8
    assert scores.false_agreement_lines == 0
    assert scores.equal_value_conflicts == 0 or scores.conflicts >= scores.equal_value_conflicts
    again = eval_figures(corpus, seed=0, limit=8)
    assert [c.new_text for c in again.case_list] == [c.new_text for c in scores.case_list]
    assert all(c.old_value != c.new_value for c in scores.case_list)
    for c in scores.case_list:
        assert 0.65 <= c.new_value / c.old_value <= 1.35
