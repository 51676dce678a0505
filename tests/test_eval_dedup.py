from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from storyline.dedup import dedup
from storyline.evaluate.dedup import (
    LABELS,
    RELATIONS,
    LabelledPair,
    eval_dedup,
    evaluate_pairs,
    make_pairs,
)
from storyline.model import Article, DedupRecord
from storyline.normalize import clean_text, normalize_article

from .conftest import shared_path

# Two invented reports, written for these tests (no corpus text).
FERRY = """\
HARTWELL BAY — A passenger ferry lost engine power in heavy fog on Tuesday morning and drifted \
for nearly three hours before a coast guard cutter towed it back to port, officials said.

The vessel, the Morning Tern, was carrying 212 passengers and 14 crew members on its regular \
crossing from Hartwell Bay to the island town of Pell Harbor when both of its engines stopped. \
The captain dropped anchor to keep the ship away from a line of rocks near the harbor mouth.

No one was injured, according to the regional transport authority, which operates the route \
under a contract that expires next year.

Passengers described a calm but uneasy wait on the open deck, where crew members handed out \
blankets and bottled water while the ship rolled in a moderate swell. Several families with \
young children were moved into the enclosed lounge on the lower deck.

The coast guard said it received a distress call at 7:42 a.m. and dispatched the cutter Avocet \
from its station about eleven miles to the north.

By the time the cutter reached the ferry, the fog had thickened so much that the two vessels \
could barely see each other at a distance of fifty yards.

The tow began shortly after ten o'clock and the ferry was secured at the main terminal a little \
before noon, more than two hours behind its schedule.

Engineers from the operating company boarded the Morning Tern as soon as it docked and began \
examining the fuel system, which was replaced during an overhaul last winter. A spokesman for \
the company declined to speculate on the cause until that inspection is complete.

The transport authority suspended the route for the rest of the day and arranged buses and a \
smaller chartered boat for travelers who needed to reach the island.

Local officials in Pell Harbor, where the ferry is the only regular link to the mainland, \
said shops and the island clinic had been warned to expect delayed deliveries.

It was the second breakdown on the route this year; in March a steering fault forced another \
ferry to return to Hartwell Bay shortly after departure.

The authority said an independent marine surveyor would review the maintenance records of the \
whole fleet and publish a summary of the findings within six weeks.
"""

LIBRARY = """\
The city council of Marlow Falls voted on Wednesday to close its oldest public library branch \
for two years while workers repair the roof and replace the heating system.

The Elm Street branch, which opened in 1911, has been losing visitors since a storm damaged \
its roof in the autumn and rain began to leak into the reading room.

Council members approved a budget of 4.6 million dollars for the work, most of it drawn from \
a bond that voters passed three years ago for municipal buildings.

During the closure, a temporary reading room will open in the community center two blocks \
away, and the branch collection will be moved into storage near the river.

Several residents asked the council to keep the children's story hour running, and the \
library director promised to find a room for it before the end of the month.

Construction is expected to begin in the spring once the city has chosen a contractor from \
the bids it received in a tender that closed last week.
"""


def _article(aid: str, text: str, day: int, title: str) -> Article:
    return normalize_article(Article(id=aid, text=text, title=title, source="test",
                                     published=datetime(2024, 5, day, tzinfo=UTC)))


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return [
        _article("test-ferry-a", FERRY, 7, "Ferry drifts for hours in fog after engine failure"),
        _article("test-library-b", LIBRARY, 8, "Council votes to close old library branch"),
    ]


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", clean_text(text).lower())


def _key(p: LabelledPair) -> tuple[str, str, str, str, str]:
    return (p.source.id, p.other.id, p.label, p.kind, p.other.original_text)


def test_generators_are_deterministic(articles):
    a = make_pairs(articles, seed=3, per_kind=6)
    b = make_pairs(articles, seed=3, per_kind=6)
    assert [_key(p) for p in a] == [_key(p) for p in b]
    c = make_pairs(articles, seed=4, per_kind=6)
    assert [_key(p) for p in a] != [_key(p) for p in c]


def test_pairs_are_labelled_as_built(articles):
    pairs = make_pairs(articles, seed=0, per_kind=6)
    kinds = {p.kind for p in pairs}
    assert {"exact-verbatim", "exact-noise", "exact-wire", "near-duplicate", "contained-lead",
            "contained-excerpt", "version", "random"} <= kinds
    for p in pairs:
        if p.label == "none":
            continue
        assert p.other.id.startswith(f"{p.source.id}~")
        assert p.other.published > p.source.published  # the copy comes later in the stream
        same = _words(p.other.original_text) == _words(p.source.original_text)
        assert same == (p.label == "exact"), (p.kind, p.detail)
    noisy = next(p for p in pairs if p.kind == "exact-noise").other.original_text
    assert noisy != FERRY and noisy != LIBRARY
    wire = next(p for p in pairs if p.kind == "exact-wire").other.original_text
    assert "(Reporting by" in wire and "\nBy " in wire


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_transform_yields_its_relation(articles, seed):
    pairs = make_pairs(articles, seed=seed, per_kind=4)
    assert {p.label for p in pairs} == set(LABELS)
    scores = evaluate_pairs(pairs)
    wrong = {gold: row for gold, row in scores.confusion.items()
             if any(n for pred, n in row.items() if pred != gold)}
    assert not wrong, scores.format_text()
    assert all(scores.relations[r].f1 == 1.0 for r in RELATIONS)


def test_same_event_negatives_cover_every_outlet_pair(articles):
    ferry, library = articles
    triplet = [
        normalize_article(Article(id=f"basil-e1-{o}", text=t, published=ferry.published))
        for o, t in [("nyt", FERRY), ("fox", LIBRARY), ("HPO", FERRY[:400])]
    ]
    pairs = make_pairs(triplet, seed=0, per_kind=0)
    assert sorted((p.source.id, p.other.id) for p in pairs if p.kind == "same-event") == sorted(
        [("basil-e1-HPO", "basil-e1-fox"), ("basil-e1-HPO", "basil-e1-nyt"),
         ("basil-e1-fox", "basil-e1-nyt")]
    )


def _tiny(aid: str) -> Article:
    return Article(id=aid, text=aid, published=datetime(2024, 1, 1, tzinfo=UTC))


def test_scores_on_a_fake_set():
    # (label, what the fake dedup says of the second article)
    plan = [
        ("exact", "exact"), ("exact", "exact"), ("exact", "near-duplicate"),
        ("near-duplicate", "near-duplicate"), ("near-duplicate", "contained"),
        ("contained", "contained"), ("version", "none"), ("version", "version"),
        ("none", "none"), ("none", "version"), ("none", "none"),
    ]
    pairs = [LabelledPair(_tiny(f"s{n}"), _tiny(f"o{n}"), label, "fake")  # type: ignore[arg-type]
             for n, (label, _) in enumerate(plan)]
    said = {f"o{n}": pred for n, (_, pred) in enumerate(plan)}

    def fake(batch: list[Article]) -> list[DedupRecord]:
        src, other = batch
        pred = said[other.id]
        if pred == "none":
            return [DedupRecord(src.id, src.id, "original", None, 1.0),
                    DedupRecord(other.id, other.id, "original", None, 1.0)]
        # the canonical one may be either: the copy is whichever is not "original"
        return [DedupRecord(src.id, other.id, pred, other.id, 0.5),  # type: ignore[arg-type]
                DedupRecord(other.id, other.id, "original", None, 1.0)]

    s = evaluate_pairs(pairs, dedup_fn=fake)
    ex, nd, co, ve = (s.relations[r] for r in RELATIONS)
    assert (ex.support, ex.predicted, ex.correct) == (3, 2, 2)
    assert (ex.precision, ex.recall) == (1.0, pytest.approx(2 / 3))
    assert ex.f1 == pytest.approx(0.8)
    assert (nd.precision, nd.recall) == (0.5, 0.5)
    assert (co.precision, co.recall, co.f1) == (0.5, 1.0, pytest.approx(2 / 3))
    assert (ve.precision, ve.recall) == (0.5, 0.5)
    assert (s.related.support, s.related.predicted, s.related.correct) == (8, 8, 7)
    assert s.confusion["version"]["none"] == 1 and s.confusion["none"]["version"] == 1
    assert sum(map(sum, (row.values() for row in s.confusion.values()))) == len(plan)
    assert [(f.source, f.other, f.predicted) for f in s.false_copies] == [("s9", "o9", "version")]
    assert s.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3 + 0.5) / 4)
    json.dumps(s.to_dict())
    assert "precision" in s.format_text()


def test_the_real_dedup_agrees_with_itself_on_an_exact_copy(articles):
    ferry = articles[0]
    pair = make_pairs([ferry], seed=0, per_kind=1)[0]
    assert pair.kind == "exact-verbatim"
    records = dedup([pair.source, pair.other])
    assert records[1].relation == "exact" and records[1].of == ferry.id


def test_eval_dedup_on_shared_corpora():
    dirs = [shared_path("corpora", "basil"), shared_path("corpora", "neus-dev")]
    s = eval_dedup(dirs, per_kind=20, seed=0)
    assert set(s.relations) == set(RELATIONS)
    assert set(s.confusion) == set(LABELS)
    assert sum(map(sum, (row.values() for row in s.confusion.values()))) == s.pairs
    for r in RELATIONS:
        assert s.relations[r].support == 20
        sc = s.relations[r]
        assert 0.0 <= min(sc.precision, sc.recall, sc.f1) <= max(sc.precision, sc.recall) <= 1.0
    negatives = sum(s.confusion["none"].values())
    assert negatives == 300 + 20  # every outlet pair of the 100 BASIL events, and random pairs
    assert all(f.kind in {"same-event", "random"} for f in s.false_copies)
    assert s.seconds > 0
    d = json.loads(json.dumps(s.to_dict()))
    assert d["pairs"] == s.pairs and set(d["relations"]) == set(RELATIONS)
