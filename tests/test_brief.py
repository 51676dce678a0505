"""Briefs: verbatim citations everywhere, on the sample and on every story of the corpora."""

from __future__ import annotations

import html
import json

import pytest

import storyline
import storyline.normalize
from storyline.render import FORMATS, render
from tests.citations import assert_citations_verbatim, iter_citations
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def sample_briefs(sample_articles):
    return storyline.brief(storyline.cluster(sample_articles, storyline.dedup(sample_articles)))


def test_sample_briefs_cite_verbatim(sample_briefs):
    assert len(sample_briefs) == 4
    for b in sample_briefs:
        assert assert_citations_verbatim(b) > 0
        assert 3 <= len(b.summary) <= 7


def test_sample_conflict_on_jobs_is_a_conflict(sample_briefs):
    takeover = max(sample_briefs, key=lambda b: len(b.articles))
    jobs = [d for d in takeover.discrepancies if d.facts[0].subject.endswith("jobs")]
    assert jobs and jobs[0].kind == "conflict"
    assert {"410", "340"} <= {f.text for f in jobs[0].facts}


def test_versions_count_once(sample_briefs):
    takeover = max(sample_briefs, key=lambda b: len(b.articles))
    outlets = {a.source for a in takeover.articles}
    assert takeover.independent_sources < len(takeover.articles)
    assert takeover.independent_sources <= len(outlets)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders(sample_briefs, fmt):
    out = render(sample_briefs[:1], fmt)
    shown = html.unescape(out) if fmt == "html" else out
    assert sample_briefs[0].headline.split()[0] in shown or fmt == "json"
    if fmt == "json":
        doc = json.loads(out)
        story = doc["stories"][0]
        for key in ("story", "headline", "articles", "independent_sources", "summary", "facts",
                    "agreements", "discrepancies", "exclusives"):
            assert key in story
        assert all(d["kind"] in {"time-update", "different-scope", "approximation", "conflict"}
                   for d in story["discrepancies"])


def test_json_citations_match_ingest_text(sample_briefs, sample_articles):
    doc = json.loads(render(sample_briefs, "json"))
    texts = {a.id: a.text for a in sample_articles}
    cites = list(iter_citations(doc))
    assert cites
    for c in cites:
        assert c["quote"] == texts[c["article"]][c["start"]:c["end"]]


@pytest.mark.parametrize("corpus", ["basil", "neus-dev"])
def test_every_corpus_citation_is_verbatim(corpus):
    path = shared_path("corpora", corpus, "articles.jsonl")
    articles = storyline.read(path)
    stories = storyline.cluster(articles, storyline.dedup(articles))
    total = 0
    for b in storyline.brief(stories):
        total += assert_citations_verbatim(b)
    assert total > len(stories)


def test_json_output_follows_the_published_schema(sample_briefs, gm_psa_brief):
    import jsonschema

    from tests.conftest import ROOT

    schema = json.loads((ROOT / "docs" / "brief-schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for briefs in (sample_briefs, [gm_psa_brief]):
        doc = json.loads(render(briefs, "json"))
        assert doc["schema"] == schema["$id"]
        jsonschema.validate(doc, schema)


def test_a_single_source_story_lists_no_exclusives():
    from storyline.model import Article

    text = "Floodwater forced the evacuation of 400 homes in Riverton on Monday, officials said."
    articles = [storyline.normalize.normalize_article(Article(id=i, text=text))
                for i in ("a", "b")]
    (b,) = storyline.brief(storyline.cluster(articles))
    assert b.independent_sources == 1 and b.exclusives == {}
    assert "ONLY ONE SOURCE" not in render([b], "text")
