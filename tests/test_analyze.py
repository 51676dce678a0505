"""The per-article analysis: made once per text, stored, and enough for the brief."""

from __future__ import annotations

import orjson
import pytest

import storyline.analyze._analysis as analysis_module
from storyline.analyze import ANALYSIS_KIND, ArticleAnalysis, analyze, analyze_texts, text_hash
from storyline.brief import build_brief
from storyline.engine import Engine
from storyline.model import Brief, Story
from storyline.store import Store


def _no_spacy() -> None:
    raise AssertionError("spaCy was run on a text already analysed")


def _story_of(articles, prefix: str) -> Story:
    return Story(prefix, [a for a in articles if a.id.startswith(prefix)], {})


def test_a_stored_analysis_round_trips_and_gives_the_same_brief(sample_articles, monkeypatch):
    story = _story_of(sample_articles, "windfarm-")
    assert len(story.articles) >= 3
    fresh = build_brief(story)
    stored = {text_hash(a.text): ArticleAnalysis.from_dict(
        orjson.loads(orjson.dumps(analyze(a.text).to_dict()))) for a in story.articles}
    monkeypatch.setattr(analysis_module, "load_nlp", _no_spacy)
    again = build_brief(story, stored)  # no spaCy: everything comes from the analyses
    assert again == fresh
    assert fresh.quotes and fresh.entities  # the analyses carried quotes and entities


def test_the_analysis_holds_sentences_entities_quotes_and_parsed_figures():
    text = ('Harbour Freight cut 240 jobs on Monday, the company said. "We had no choice," '
            'said Mara Quell, its chief executive. Shares fell 4 percent.')
    (an,) = analyze_texts([text])
    assert [text[s:e] for s, e in an.sentences][0].startswith("Harbour Freight cut")
    assert ("Mara Quell", "PERSON") in {(text[s:e], label) for s, e, label in an.entities}
    (quote,) = an.quotes
    assert text[quote.start:quote.end].strip('"').startswith("We had no choice")
    assert quote.speaker == "Mara Quell"
    jobs = [f for fs in an.figures for f in fs if f.kind == "count"]
    # the quantity and the holder come from the parse
    assert jobs and jobs[0].quantity == "jobs" and jobs[0].holder == "Harbour Freight"


def test_analyses_of_many_texts_equal_those_made_one_by_one(sample_articles):
    texts = [a.text for a in sample_articles[:6]]
    assert [a.to_dict() for a in analyze_texts(texts)] == [analyze(t).to_dict() for t in texts]


def test_an_update_analyses_only_new_texts_and_stores_them(tmp_path, sample_articles,
                                                           monkeypatch):
    wind = [a for a in sample_articles if a.id.startswith("windfarm-") and a.published]
    wind.sort(key=lambda a: a.published)
    first, rest = wind[:-1], wind[-1:]
    with Store(tmp_path / "news.db") as store, Engine(store, workers=1) as engine:
        store.add_articles(first)
        one = engine.update()
        assert one.analysed == len({a.text for a in first})
        assert set(store.analyses(ANALYSIS_KIND, [text_hash(a.text) for a in first])) == {
            text_hash(a.text) for a in first}
        store.add_articles(rest)
        two = engine.update()
        assert two.briefs >= 1
        assert two.analysed == 1  # the story grew: its old articles were not analysed again
    # a new engine (a restart) reads the stored analyses: no spaCy for the old texts
    monkeypatch.setattr(analysis_module, "load_nlp", _no_spacy)
    with Store(tmp_path / "news.db") as store, Engine(store, workers=1) as engine:
        briefs = engine.brief([Story("s", wind, {})])
        assert isinstance(briefs[0], Brief) and engine.analysed == 0


def test_a_batch_engine_keeps_analyses_for_the_next_brief(sample_articles, monkeypatch):
    story = _story_of(sample_articles, "tram-")
    with Engine(workers=1) as engine:
        first = engine.brief([story])
        assert engine.analysed == len({a.text for a in story.articles})
        monkeypatch.setattr(analysis_module, "load_nlp", _no_spacy)
        assert engine.brief([story]) == first


@pytest.mark.parametrize("text", ["", "No quotes, no figures and no names here at all."])
def test_texts_with_nothing_to_parse_are_analysed(text):
    an = analyze(text)
    assert an.quotes == [] and ArticleAnalysis.from_dict(an.to_dict()) == an
