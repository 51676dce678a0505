"""The engine: batch and stream give the same stories; updates place only what is new."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import storyline
from storyline.dedup import stream_order
from storyline.engine import Engine, EngineConfig, EngineStateError, StoryState
from storyline.evaluate import load_gold
from storyline.model import Article
from storyline.store import Store
from storyline.store._schema import StoryMemberRow

from .conftest import shared_path
from .test_store import _new_database, pg_server  # noqa: F401 - a fixture, used by name


def _stored_stories(store: Store) -> dict[str, str]:
    with store._reading() as s:
        return {a: sid for sid, a in s.execute(
            select(StoryMemberRow.story_id, StoryMemberRow.article_id))}


def _batch(articles: list[Article]) -> dict[str, str]:
    with Engine(workers=1) as engine:
        return {a: s.id for s in engine.stories(articles) for a in s.article_ids}


def _polls(articles: list[Article], size: int) -> dict[str, str]:
    state = StoryState(workers=1)
    order = stream_order(articles)
    for start in range(0, len(order), size):
        state.add([(a.id, a) for a in order[start:start + size]])
    out = {a.id: state.story_of(a.id) for a in articles}
    state.close()
    return {k: v for k, v in out.items() if v is not None}


def test_the_sample_streamed_in_polls_of_any_size_gives_the_batch_stories(sample_articles):
    batch = _batch(sample_articles)
    assert len(batch) == len(sample_articles)
    for size in (1, 3, 7, len(sample_articles)):
        assert _polls(sample_articles, size) == batch, size


@pytest.mark.parametrize("corpus", ["basil", "neus-dev"])
def test_dev_corpora_streamed_in_polls_give_the_batch_stories(corpus):
    path = shared_path("corpora", corpus)
    articles = storyline.read(path / "articles.jsonl")
    batch = _batch(articles)
    assert set(batch) == {a.id for a in articles}
    assert _polls(articles, 97) == batch
    # and the engine's stories are the ones `eval clusters` scores
    from storyline.evaluate import score_clusters

    scores = score_clusters(batch, load_gold(path / "gold.tsv"))
    assert scores.bcubed_f1 >= (0.97 if corpus == "basil" else 0.93)


def test_updates_through_a_store_match_the_batch_and_nothing_new_costs_nothing(
        tmp_path, sample_articles):
    batch = _batch(sample_articles)
    order = stream_order(sample_articles)
    with Store(tmp_path / "news.db") as store:
        for start in range(0, len(order), 5):
            store.add_articles(order[start:start + 5])
            with Engine(store, workers=1) as engine:  # a new process each time: checkpoint
                result = engine.update()
                assert result.contents == len(order[start:start + 5])
        assert _stored_stories(store) == batch
        # the checkpoint keeps no texts: the dedup index reads them back from the store
        assert (tmp_path / "news.db.engine" / "dedup" / "meta.json").exists()
        assert not (tmp_path / "news.db.engine" / "dedup" / "texts.jsonl").exists()
        briefs = {b["story"]: b for b in store.briefs()}
        assert set(briefs) == set(batch.values())
        for sid, b in briefs.items():
            assert {a["id"] for a in b["articles"]} == {a for a, s in batch.items() if s == sid}
        with Engine(store, workers=1) as engine:
            again = engine.update()
            assert again.contents == 0 and again.stories == [] and engine._state is None


def test_an_update_rebriefs_only_the_stories_that_changed(tmp_path, sample_articles):
    dated = [a for a in sample_articles if a.published is not None]
    tram = [a for a in dated if a.id.startswith("tram-")]
    wind = [a for a in dated if a.id.startswith("windfarm-")]
    old = [replace(a, published=a.published - timedelta(days=60)) for a in tram]
    with Store(tmp_path / "news.db") as store, Engine(store, workers=1) as engine:
        store.add_articles(old)
        first = engine.update()
        before = {b["story"]: b for b in store.briefs()}
        assert len(before) == 1 and first.stories == sorted(before)
        store.add_articles(wind)
        second = engine.update()
        assert second.contents == len(wind)
        assert not set(second.stories) & set(before)  # the tram story was not touched
        after = {b["story"]: b for b in store.briefs()}
        assert set(before) < set(after)
        sid = next(iter(before))
        assert before[sid] == after[sid]


def test_an_article_dated_before_the_window_is_placed_without_redoing_it(
        tmp_path, sample_articles):
    dated = sorted((a for a in sample_articles if a.published is not None),
                   key=lambda a: a.published)
    late = dated[-1]
    early = replace(dated[0], id="old-report", url="https://example.org/old",
                    published=dated[0].published - timedelta(days=400),
                    text="An unrelated council meeting approved a budget for "
                         "street lighting and park benches on Tuesday evening.")
    with Store(tmp_path / "news.db") as store, Engine(store, workers=1) as engine:
        store.add_articles(dated)
        engine.update()
        before = _stored_stories(store)
        store.add_articles([early])
        result = engine.update()
        assert result.contents == 1
        assert len(result.stories) == 1  # only the old article's own story
        after = _stored_stories(store)
        assert {k: v for k, v in after.items() if k != "old-report"} == before
        assert late.id in after


def test_a_new_version_moves_the_article_and_keeps_one_member(tmp_path, sample_articles):
    a = next(x for x in sample_articles if x.url)
    with Store(tmp_path / "news.db") as store, Engine(store, workers=1) as engine:
        store.add_articles(sample_articles)
        engine.update()
        sid = _stored_stories(store)[a.id]
        extra = "\n\nThis report was updated with a correction to the name of the harbour."
        store.add_articles([replace(a, text=a.text + extra,
                                    original_text=(a.original_text or a.text) + extra)])
        result = engine.update()
        assert result.contents == 1
        stories = _stored_stories(store)
        assert stories[a.id] == sid  # a version of itself: the same story
        members = [b for b in store.briefs() if b["story"] == sid][0]["articles"]
        assert [m["id"] for m in members].count(a.id) == 1


def test_a_checkpoint_with_other_settings_is_refused(tmp_path, sample_articles):
    with Store(tmp_path / "news.db") as store:
        store.add_articles(sample_articles[:4])
        with Engine(store, workers=1) as engine:
            engine.update()
        cfg = EngineConfig()
        other = EngineConfig(cluster=replace(cfg.cluster, threshold=cfg.cluster.threshold + 0.1))
        with Engine(store, workers=1, config=other) as engine, \
                pytest.raises(EngineStateError, match="--rebuild"):
            engine.update()
        with Engine(store, workers=1, config=other) as engine:
            engine.reset()
            assert engine.update().contents == 4


def test_a_store_without_a_default_state_folder_asks_for_one():
    with Store("sqlite://") as store, pytest.raises(EngineStateError, match="--engine-state"):
        Engine(store)


_KILLED = textwrap.dedent("""
    import os, signal, sys
    import storyline
    from storyline.engine import Engine, _state
    from storyline.store import Store

    where, db = sys.argv[1], sys.argv[2]
    if where == "save":  # after the results are stored, before the checkpoint is
        _state.StoryState.save = lambda self, path: os.kill(os.getpid(), signal.SIGKILL)
    elif where == "stories":  # half-way through storing the results
        real = Store.save_stories
        def save_stories(self, stories):
            stories = list(stories)
            real(self, stories[: len(stories) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        Store.save_stories = save_stories
    elif where == "briefs":
        Store.save_briefs = lambda self, briefs: os.kill(os.getpid(), signal.SIGKILL)
    with Store(db) as store, Engine(store, workers=1, state_dir=sys.argv[3]) as engine:
        engine.update()
""")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "news.db")
    server = request.getfixturevalue("pg_server")
    return server.url(_new_database(server))


@pytest.mark.parametrize("where", ["stories", "briefs", "save"])
def test_sigkill_during_an_update_then_a_restart_loses_and_doubles_nothing(
        tmp_path, sample_articles, where, db_url):
    order = stream_order(sample_articles)
    half = len(order) // 2
    state = str(tmp_path / "state")
    with Store(db_url) as store, Engine(store, workers=1, state_dir=state) as engine:
        store.add_articles(order[:half])
        engine.update()
        store.add_articles(order[half:])
    script = tmp_path / "killed.py"
    script.write_text(_KILLED)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.run([sys.executable, str(script), where, db_url, state], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    expected = _batch(sample_articles)
    with Store(db_url) as store, Engine(store, workers=1, state_dir=state) as engine:
        result = engine.update()  # the restart
        assert result.contents == len(order) - half  # redone from the last checkpoint
        assert _stored_stories(store) == expected
        briefs = store.briefs()
        assert len(briefs) == len({b["story"] for b in briefs})
        assert sorted(b["story"] for b in briefs) == sorted(set(expected.values()))
        assert store.counts()["dedup_records"] == len(sample_articles)


def test_refresh_command_updates_and_says_what_it_did(tmp_path):
    from click.testing import CliRunner

    from storyline.cli import cli

    db = str(tmp_path / "news.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "sample/articles", "--db", db, "--quiet"]).exit_code == 0
    result = runner.invoke(cli, ["refresh", "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["contents"] == 22 and done["stories"] == 4 and done["briefs"] == 4
    with Store(db) as store:
        counts = store.counts()
        assert counts["stories"] == 4 and len(store.briefs()) == 4
        assert counts["dedup_records"] == 22
    again = runner.invoke(cli, ["refresh", "--db", db])
    assert again.exit_code == 0 and "0 new contents placed" in again.stderr
    rebuilt = runner.invoke(cli, ["refresh", "--db", db, "--rebuild", "--format", "json"])
    assert rebuilt.exit_code == 0 and json.loads(rebuilt.stdout)["contents"] == 22
    with Store(db) as store:
        assert store.counts()["stories"] == 4
