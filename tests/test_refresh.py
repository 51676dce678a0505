"""Incremental refresh of a store: only the clustering window around new reports is redone."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from storyline.pipeline import refresh_store, refresh_window
from storyline.store import Store


def _shift(articles, days):
    return [replace(a, published=a.published + timedelta(days=days)) for a in articles]


def test_incremental_refresh_leaves_dormant_stories_alone(tmp_path, sample_articles):
    dated = [a for a in sample_articles if a.published is not None]
    tram = [a for a in dated if a.id.startswith("tram-")]
    wind = [a for a in dated if a.id.startswith("windfarm-")]
    old = _shift(tram, -60)  # a story two months before the new reports
    with Store(tmp_path / "news.db") as store:
        store.add_articles(old)
        refresh_store(store)
        before = {s["story"]: s for s in store.briefs()}
        assert len(before) == 1
        store.add_articles(wind)
        stories, redone = refresh_store(store, since=refresh_window(wind))
        assert redone == len(wind)  # the tram story was not re-processed
        assert stories == 1
        after = {s["story"]: s for s in store.briefs()}
        assert set(before) < set(after)  # the old brief is still there, untouched
        assert before[next(iter(before))] == after[next(iter(before))]


def test_incremental_refresh_matches_a_full_one_inside_the_window(tmp_path, sample_articles):
    dated = sorted((a for a in sample_articles if a.published is not None),
                   key=lambda a: a.published)
    half = len(dated) // 2
    with Store(tmp_path / "a.db") as inc, Store(tmp_path / "b.db") as full:
        inc.add_articles(dated[:half])
        refresh_store(inc)
        inc.add_articles(dated[half:])
        refresh_store(inc, since=refresh_window(dated[half:]))
        full.add_articles(dated)
        refresh_store(full)

        def groups(store):
            members: dict[str, set[str]] = {}
            for b in store.briefs():
                members[b["story"]] = {a["id"] for a in b["articles"]}
            return sorted(sorted(m) for m in members.values())

        # the incremental store keeps no retired story with a different membership
        latest_inc = {frozenset(m) for m in map(frozenset, groups(inc))}
        assert {frozenset(m) for m in groups(full)} <= latest_inc


def test_ingest_then_refresh_commands_store_every_stage(tmp_path):
    from click.testing import CliRunner

    from storyline.cli import cli

    db = str(tmp_path / "news.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "sample/articles", "--db", db, "--quiet"]).exit_code == 0
    result = runner.invoke(cli, ["refresh", "--db", db])
    assert result.exit_code == 0, result.output
    assert "22 articles re-processed into 4 stories" in result.stderr
    with Store(db) as store:
        counts = store.counts()
        assert counts["stories"] == 4 and len(store.briefs()) == 4
        assert counts["dedup_records"] == 22
    again = runner.invoke(cli, ["refresh", "--db", db, "--since", "2025-03-15"])
    assert again.exit_code == 0 and "re-processed" in again.stderr
