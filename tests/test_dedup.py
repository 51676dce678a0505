"""Dedup relations on realistic transformations of the project's own sample, and the index."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

import storyline
import storyline.normalize
from storyline.dedup import DedupIndex, dedup
from storyline.model import Article


@pytest.fixture(scope="module")
def by_id(sample_articles):
    return {a.id: a for a in sample_articles}


def _copy(article: Article, new_id: str, text: str | None = None, day: int = 6) -> Article:
    raw = text if text is not None else article.original_text
    return storyline.normalize.normalize_article(replace(
        article, id=new_id, text=raw, original_text=raw, original_title="",
        published=datetime(2025, 3, day, 12, tzinfo=UTC)))


def _rel(records, article_id):
    return {r.id: r for r in records}[article_id]


def test_sample_relations_match_gold(sample_articles):
    from pathlib import Path

    gold = {}
    for line in Path("sample/gold-dedup.tsv").read_text().splitlines()[1:]:
        aid, relation, of = (line.split("\t") + [""])[:3]
        gold[aid] = (relation, of or None)
    records = {r.id: r for r in dedup(sample_articles)}
    got = {aid: (r.relation, r.of) for aid, r in records.items()}
    assert got == gold


def test_exact_copy(by_id):
    base = by_id["halvorsen-northgate-analysis"]
    twin = _copy(base, "twin")
    r = _rel(dedup([base, twin]), "twin")
    assert (r.relation, r.of, r.score) == ("exact", base.id, 1.0)


def test_light_edits_are_near_duplicate(by_id):
    base = by_id["halvorsen-northgate-analysis"]
    edited = base.original_text.replace(" said", " says", 3).replace("Tuesday", "Tue.", 1)
    r = _rel(dedup([base, _copy(base, "edited", edited)]), "edited")
    assert r.relation == "near-duplicate" and r.of == base.id


def test_truncation_is_contained(by_id):
    base = by_id["halvorsen-northgate-analysis"]
    lead = "\n\n".join(base.original_text.split("\n\n")[:3])
    r = _rel(dedup([base, _copy(base, "lead", lead)]), "lead")
    assert r.relation == "contained" and r.of == base.id


def test_unrelated_stories_stay_apart(by_id):
    a, b = by_id["halvorsen-northgate-analysis"], by_id["tram-northgate-vote"]
    records = dedup([a, b])
    assert {r.relation for r in records} == {"original"}


def test_boilerplate_and_markup_do_not_hide_a_copy(by_id):
    base = by_id["halvorsen-northgate-analysis"]
    noisy = ("Sign up for our newsletter\n\n" + base.original_text.replace(
        "Halvorsen Group", "Halvorsen Group (>> Halvorsen Group)", 1)
        + "\n\n($1 = 0.9312 euros)\n\n(Editing by Someone Else)\n\nShare this article")
    r = _rel(dedup([base, _copy(base, "noisy", noisy)]), "noisy")
    assert r.relation == "exact"


def test_index_grows_persists_and_resumes(tmp_path, sample_articles):
    half = len(sample_articles) // 2
    index = DedupIndex()
    first = dedup(sample_articles[:half], index=index)
    index.save(tmp_path / "idx")
    loaded = DedupIndex.load(tmp_path / "idx")
    assert len(loaded) == half
    rest = dedup(sample_articles, index=loaded)  # already-indexed ones are not re-added
    assert len(loaded) == len(sample_articles)
    whole = dedup(sample_articles)
    assert [(r.id, r.group, r.relation) for r in rest] == \
           [(r.id, r.group, r.relation) for r in whole]
    assert {r.id for r in first} <= {r.id for r in rest}


def test_index_memory_per_article_is_small(sample_articles):
    index = DedupIndex()
    for a in sample_articles:
        index.add(a)
    assert index.nbytes / len(index) < 1024


def test_adding_the_same_id_twice_is_an_error(sample_articles):
    index = DedupIndex()
    index.add(sample_articles[0])
    with pytest.raises(storyline.StorylineError):
        index.add(sample_articles[0])


def test_sharing_a_long_quotation_is_not_a_version():
    """Two outlets quoting the same multi-sentence statement are independent reports."""
    quote = ('"We made mistakes in how the closure was announced. Families learned of it '
             'from social media before any letter reached them. That should never have '
             'happened, and I apologise to every parent who found out that way. We will '
             'publish the full review of the decision by the end of the month."')
    a = _plain("a", "The Velmora school board voted on Monday to close Harbour Street "
               "primary school at the end of the year, citing falling enrolment.\n\n"
               f"Board chair Anneli Roos said in a statement: {quote}\n\n"
               "Parents gathered outside the school on Monday evening with banners.")
    b = _plain("b", "Parents in Velmora reacted angrily to news that their children's "
               "school will shut in December, with some threatening legal action.\n\n"
               f"In a message posted online, Anneli Roos wrote: {quote}\n\n"
               "A petition against the closure had 2,300 signatures by Tuesday night.")
    assert {r.relation for r in dedup([a, b])} == {"original"}


def _plain(article_id: str, text: str) -> Article:
    return storyline.normalize.normalize_article(Article(id=article_id, text=text))
