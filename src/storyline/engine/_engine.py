"""The :class:`Engine`: one way from articles to stories and briefs, batch or stream.

``run(articles)`` places a batch in memory and briefs every story; ``update()`` takes
what a store holds beyond the engine's checkpoint, places only that, saves the
stories whose members changed, deletes the ones that no longer exist and rebriefs
only the changed ones. Crash safety comes from order: results go to the store first,
then the checkpoint; a run killed in between starts again from the older checkpoint
and redoes the same contents to the same results (every write replaces by id).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .._folders import current, remove
from .._parallel import default_workers
from ..analyze import ANALYSIS_KIND, ArticleAnalysis, analyze_texts, text_hash
from ..brief import build_brief
from ..dedup import stream_order
from ..model import Article, Brief, DedupRecord, Story
from ._executor import Executor, LocalExecutor
from ._state import Delta, EngineConfig, EngineStateError, StoryState, doc_id, read_stamp

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Engine", "RunResult", "UpdateResult", "state_dir_for"]

_POLL = 20_000  # stored contents placed per step of a large update (bounds memory)
_ANALYSE_CHUNK = 16  # texts per analysis task: spaCy batches their sentences together


def _brief_one(item: tuple[Story, dict[str, ArticleAnalysis]]) -> Brief:
    return build_brief(*item)


@dataclass(slots=True)
class RunResult:
    """A batch run: every story (largest first) with its brief when asked for."""

    stories: list[Story]
    briefs: list[Brief]
    story_of: dict[str, str]


@dataclass(slots=True)
class UpdateResult:
    """What one :meth:`Engine.update` did."""

    contents: int = 0  # stored contents placed (new articles and new versions)
    stories: list[str] = field(default_factory=list)  # stories saved (changed or new)
    retired: list[str] = field(default_factory=list)  # stories deleted
    briefs: int = 0
    analysed: int = 0  # distinct texts analysed (the rest had a stored analysis)
    seconds: float = 0.0
    # where the time went: placing (dedup, stories, saving them), analysing new texts,
    # briefing, writing the checkpoint
    timings: dict[str, float] = field(default_factory=dict)
    seq: int = 0  # the checkpoint's sequence number after the update

    def to_dict(self) -> dict[str, object]:
        return {"contents": self.contents, "stories": len(self.stories),
                "retired": len(self.retired), "briefs": self.briefs,
                "analysed": self.analysed,
                "timings": {k: round(v, 3) for k, v in self.timings.items()},
                "seconds": round(self.seconds, 3), "seq": self.seq}


def state_dir_for(store: Store) -> Path:
    """Where a store's engine checkpoint lives by default: beside a SQLite file."""
    db = store.url.database
    if store.url.get_backend_name() == "sqlite" and db not in (None, "", ":memory:"):
        return Path(f"{db}.engine")
    raise EngineStateError(
        f"{store!r}: give a folder for the engine's state (--engine-state DIR): only a SQLite "
        "file has a default place beside it")


class Engine:
    """Dedup, stories and briefs, kept current one update at a time.

    >>> engine = Engine()                        # in memory: a batch run
    >>> result = engine.run(storyline.read("feeds/"))  # doctest: +SKIP
    >>> with Engine(Store("news.db")) as engine:  # doctest: +SKIP
    ...     engine.update()                      # what the store holds beyond the last one
    """

    def __init__(self, store: Store | None = None, *, state_dir: str | Path | None = None,
                 config: EngineConfig | None = None, workers: int | None = None,
                 executor: Executor | None = None) -> None:
        self.store = store
        self.config = config or EngineConfig()
        self.workers = workers if workers is not None else default_workers()
        self.executor: Executor = executor or LocalExecutor(self.workers)
        self._own_executor = executor is None
        self.state_dir = Path(state_dir) if state_dir is not None else (
            state_dir_for(store) if store is not None else None)
        self._state: StoryState | None = None
        # analyses by text hash, kept here when there is no store to keep them
        self._analyses: dict[str, ArticleAnalysis] = {}
        self.analysed = 0  # distinct texts this engine has analysed
        self.analyse_seconds = 0.0  # time spent making (not reading) analyses

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._state is not None:
            self._state.close()
            self._state = None
        if self._own_executor:
            self.executor.close()

    # -- state ----------------------------------------------------------------
    @property
    def state(self) -> StoryState:
        """The online state: the checkpoint's when there is one, else a new one."""
        if self._state is None:
            start = getattr(self.executor, "start", None)
            if start is not None:
                start()  # forked before the dedup index's threads exist
            if self.state_dir is not None and self._checkpoint() is not None:
                self._state = StoryState.load(self.state_dir, self.config, workers=self.workers,
                                              store=self.store)
            else:
                self._state = StoryState(self.config, workers=self.workers, store=self.store)
        return self._state

    def checkpoint_seq(self) -> int:
        """The sequence number the checkpoint holds, read without loading the state."""
        if self._state is not None:
            return self._state.seq
        path = self._checkpoint()
        return 0 if path is None else int(read_stamp(path, self.config).get("seq", 0))

    def _checkpoint(self) -> Path | None:
        """The complete checkpoint folder, if there is one."""
        return None if self.state_dir is None else current(self.state_dir, "stamp.json")

    def pending(self) -> int:
        """How many stored contents the engine has not placed yet (0: nothing to do)."""
        store = self._need_store()
        seq = self.checkpoint_seq()
        return 0 if store.last_version() <= seq else store.count_versions_after(seq)

    def reset(self) -> None:
        """Forget the checkpoint and every stored result: the next update rebuilds all."""
        store = self._need_store()
        if self._state is not None:
            self._state.close()
        self._state = StoryState(self.config, workers=self.workers, store=store)
        if self.state_dir is not None:
            remove(self.state_dir)
        store.clear_results()

    def _need_store(self) -> Store:
        if self.store is None:
            raise EngineStateError("this engine has no store: use run(articles)")
        return self.store

    # -- batch ----------------------------------------------------------------
    def stories(self, articles: Iterable[Article]) -> list[Story]:
        """Place a batch in memory (one update, in publication order): the stories it
        changed (on a new engine, every story), largest first, their articles in
        publication order with their dedup records."""
        batch = list(articles)
        by_id = {a.id: a for a in batch}
        delta = self.state.add([(a.id, a) for a in batch])
        records = {r.id: r for r in delta.records}
        stories = [_story(sid, members, by_id, records)
                   for sid, members in delta.stories.items()]
        stories.sort(key=lambda s: -len(s.articles))
        return stories

    def analyses(self, articles: Iterable[Article]) -> dict[str, ArticleAnalysis]:
        """The analysis of each article's text, by text hash: stored ones are read back,
        the rest are made across the executor's processes (and stored), so that no text
        is analysed twice, however often its story is rebriefed."""
        texts = {text_hash(a.text): a.text for a in articles}
        found = {h: self._analyses[h] for h in texts if h in self._analyses}
        if self.store is not None:
            stored = self.store.analyses(ANALYSIS_KIND, [h for h in texts if h not in found])
            found.update((h, ArticleAnalysis.from_dict(d)) for h, d in stored.items())
        missing = [h for h in texts if h not in found]
        started = time.perf_counter()
        chunks = [missing[i:i + _ANALYSE_CHUNK] for i in range(0, len(missing), _ANALYSE_CHUNK)]
        made: dict[str, ArticleAnalysis] = {}
        for keys, done in zip(chunks, self.executor.map(
                analyze_texts, [[texts[h] for h in keys] for keys in chunks]), strict=True):
            made.update(zip(keys, done, strict=True))
        self.analysed += len(made)
        self.analyse_seconds += time.perf_counter() - started
        if self.store is not None:
            if made:
                self.store.save_analyses(ANALYSIS_KIND,
                                         {h: an.to_dict() for h, an in made.items()})
        else:
            self._analyses.update(made)
        found.update(made)
        return found

    def brief(self, stories: Sequence[Story],
              progress: Callable[[int], None] | None = None) -> list[Brief]:
        """One brief per story, in the stories' order, across the executor's processes,
        from the articles' analyses (see :meth:`analyses`)."""
        known = self.analyses(a for s in stories for a in s.articles)
        items = [(s, {h: known[h] for h in (text_hash(a.text) for a in s.articles)})
                 for s in stories]
        out = []
        for b in self.executor.map(_brief_one, items):
            out.append(b)
            if progress is not None:
                progress(1)
        return out

    def run(self, articles: Iterable[Article], *, min_articles: int = 1) -> RunResult:
        """:meth:`stories` and the :meth:`brief` of each of at least ``min_articles``."""
        stories = self.stories(articles)
        briefs = self.brief([s for s in stories if len(s.articles) >= min_articles])
        return RunResult(stories, briefs, {a: s.id for s in stories for a in s.article_ids})

    # -- stream ---------------------------------------------------------------
    def update(self, *, brief: bool = True, now: datetime | None = None,
               progress: Callable[[int], None] | None = None) -> UpdateResult:
        """Place what the store holds beyond the checkpoint; save what changed."""
        store = self._need_store()
        started = time.perf_counter()
        result = UpdateResult()
        if store.last_version() <= self.checkpoint_seq():
            result.seq = self.checkpoint_seq()
            result.seconds = time.perf_counter() - started
            return result
        state = self.state
        changed: dict[str, list[str]] = {}
        retired: set[str] = set()
        while rows := store.versions_after(state.seq, limit=_POLL):
            docs = [(doc_id(a.id, number), a) for _, number, a in rows]
            delta = state.add(docs, seq=rows[-1][0], now=now)
            self._save(store, delta)
            for sid, members in delta.stories.items():
                changed[sid] = members
                retired.discard(sid)
            for sid in delta.retired:
                changed.pop(sid, None)
                retired.add(sid)
            result.contents += len(rows)
            if progress is not None:
                progress(len(rows))
        placed = time.perf_counter()
        result.timings["place"] = placed - started
        if brief and changed:
            before, spent = self.analysed, self.analyse_seconds
            result.briefs = self._rebrief(store, state, changed)
            result.analysed = self.analysed - before
            result.timings["analyse"] = self.analyse_seconds - spent
            result.timings["brief"] = time.perf_counter() - placed - result.timings["analyse"]
        saving = time.perf_counter()
        if self.state_dir is not None:
            state.save(self.state_dir)
        result.timings["checkpoint"] = time.perf_counter() - saving
        result.stories = sorted(changed)
        result.retired = sorted(retired)
        result.seq = state.seq
        result.seconds = time.perf_counter() - started
        return result

    @staticmethod
    def _save(store: Store, delta: Delta) -> None:
        if delta.records:
            store.save_dedup(delta.records)
        if delta.retired:
            store.delete_stories(delta.retired)
        if delta.stories:
            store.save_stories([Story(sid, [Article(id=aid, text="") for aid in members])
                                for sid, members in delta.stories.items()])

    def _rebrief(self, store: Store, state: StoryState, changed: dict[str, list[str]]
                 ) -> int:
        briefs = self.brief([s for s in self.load_stories(changed, store.articles) if s.articles])
        store.save_briefs(briefs)
        return len(briefs)

    def load_stories(self, changed: dict[str, list[str]],
                     fetch: Callable[..., list[Article]]) -> list[Story]:
        """Stories from their members (as a :class:`Delta` gives them), with the articles
        ``fetch(ids=...)`` returns and the dedup records the state holds for them."""
        state = self.state
        ids = [aid for members in changed.values() for aid in members]
        articles = {a.id: a for a in fetch(ids=ids)}
        docs = [state.links.current[aid] for aid in ids if aid in state.links.current]
        records = {r.id: r for r in state.records(docs)}
        return [_story(sid, members, articles, records)
                for sid, members in sorted(changed.items())]


def _story(sid: str, members: Sequence[str], articles: dict[str, Article],
           records: dict[str, DedupRecord]) -> Story:
    found = stream_order([articles[aid] for aid in members if aid in articles])
    return Story(sid, found, {a.id: records[a.id] for a in found if a.id in records})

