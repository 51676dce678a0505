"""The persistent store (:class:`storyline.store.Store`) as a server :class:`Repository`.

The store's public API covers writing and whole-table reads; the lookups a server needs (one
article by id, one brief, dedup records of a few ids, version counts) are read-only queries on
its SQLAlchemy models here, so the store package stays the only writer of its tables.

Re-clustering can retire a story id (two stories merge, an article moves). The engine deletes
a story that no longer exists, but a store written by an older storyline may still hold some;
they are hidden here: saving a story re-inserts it, so among the stories that list an article
the one with the highest primary key is the article's current story, and a story that is
current for none of its members is retired.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..engine import Engine
from ..model import Article, DedupRecord, Passage
from ..store import Store
from ..store._schema import ArticleRow, BriefRow, DedupRow, StoryMemberRow, StoryRow, VersionRow
from ..store._search import SearchHit, SearchQuery
from ..store._store import published_of
from ._repo import WriteCounts

__all__ = ["StoreRepository", "open_repository"]


def open_repository(url: str | Path, *, state_dir: str | Path | None = None
                    ) -> StoreRepository:
    """Open (creating and migrating when needed) the store at a path or database URL;
    ``state_dir``: the engine's checkpoint (default: beside a SQLite file)."""
    return StoreRepository(Store(url), state_dir=state_dir)


class StoreRepository:
    """Read-only queries over the store's tables; writes through its public methods."""

    def __init__(self, store: Store, *, state_dir: str | Path | None = None) -> None:
        self.store = store
        self._state_dir = state_dir
        self._engine: Engine | None = None  # opened at the first update, kept open
        self._update_lock = threading.Lock()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        self.store.close()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        # The store's read-only transaction (plain BEGIN on SQLite, so readers never
        # queue behind a writer's lock).
        with self.store._reading() as session:
            yield session

    # ------------------------------------------------------------------ reads

    def revision(self) -> str:
        with self._session() as s:
            row = s.execute(select(func.max(BriefRow.pk), func.count(BriefRow.pk))).one()
            story_pk = s.scalar(select(func.max(StoryRow.pk)))
        return f"{row[0]}:{row[1]}:{story_pk}"

    @staticmethod
    def _retired(s: Session) -> set[str]:
        """Stories that are no longer the current story of any of their articles."""
        other = aliased(StoryMemberRow)
        other_story = aliased(StoryRow)
        owner_pk = (
            select(func.max(other_story.pk))
            .join(other, other.story_id == other_story.id)
            .where(other.article_id == StoryMemberRow.article_id)
            .scalar_subquery()
        )
        listed = set(s.scalars(select(StoryRow.id).join(StoryRow.members).distinct()))
        current = set(s.scalars(
            select(StoryRow.id).join(StoryRow.members).where(StoryRow.pk == owner_pk).distinct()
        ))
        return listed - current

    def briefs(self) -> list[dict[str, Any]]:
        with self._session() as s:
            retired = self._retired(s)
            rows = s.execute(select(BriefRow.story, BriefRow.data).order_by(BriefRow.pk))
            return [dict(data) for story, data in rows if story not in retired]

    def brief(self, story_id: str) -> dict[str, Any] | None:
        with self._session() as s:
            data = s.scalar(select(BriefRow.data).where(BriefRow.story == story_id))
            if data is None or story_id in self._retired(s):
                return None
            return dict(data)

    def articles(self, ids: Sequence[str] | None = None) -> list[Article]:
        if ids is None:
            return self.store.articles()
        wanted = list(dict.fromkeys(ids))
        with self._session() as s:
            latest: dict[str, ArticleRow] = {}
            for row in s.scalars(select(ArticleRow).where(ArticleRow.id.in_(wanted))
                                 .order_by(ArticleRow.pk)):
                latest[row.id] = row  # ids can repeat across keys: the latest stored wins
            return [_article(latest[i]) for i in wanted if i in latest]

    def dedup(self, ids: Iterable[str]) -> dict[str, DedupRecord]:
        wanted = list(dict.fromkeys(ids))
        with self._session() as s:
            rows = s.scalars(select(DedupRow).where(DedupRow.article_id.in_(wanted)))
            return {r.article_id: _record(r) for r in rows}

    def story_of(self, article_id: str) -> str | None:
        with self._session() as s:
            return s.scalar(
                select(StoryRow.id).join(StoryRow.members)
                .where(StoryMemberRow.article_id == article_id)
                .order_by(StoryRow.pk.desc()).limit(1)
            )

    def _key(self, s: Session, article_id: str) -> str | None:
        return s.scalar(select(ArticleRow.key).where(ArticleRow.id == article_id)
                        .order_by(ArticleRow.pk.desc()).limit(1))

    def versions(self, article_id: str) -> list[Article]:
        with self._session() as s:
            key = self._key(s, article_id)
        return self.store.versions(key) if key is not None else []

    def version_counts(self, ids: Iterable[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(ids))
        with self._session() as s:
            rows = s.execute(
                select(ArticleRow.id, func.count(VersionRow.pk))
                .join(VersionRow, VersionRow.article_key == ArticleRow.key)
                .where(ArticleRow.id.in_(wanted)).group_by(ArticleRow.key, ArticleRow.id)
            )
            return {aid: n for aid, n in rows}

    def search(self, query: SearchQuery) -> list[SearchHit]:
        return self.store.search(query)

    # ------------------------------------------------------------------ writes

    def add_articles(self, articles: Sequence[Article]) -> WriteCounts:
        added = self.store.add_articles(articles)
        return WriteCounts(added.new, added.updated, added.unchanged)

    def update(self) -> list[str]:
        with self._update_lock:
            if self._engine is None:
                self._engine = Engine(self.store, state_dir=self._state_dir)
            return self._engine.update().stories


def _article(row: ArticleRow) -> Article:
    return Article(id=row.id, text=row.text, title=row.title, url=row.url, source=row.source,
                   published=published_of(row), authors=list(row.authors or []),
                   language=row.language, original_text=row.original_text,
                   original_title=row.original_title)


def _record(row: DedupRow) -> DedupRecord:
    passages = [Passage(**p) for p in row.passages or [] if isinstance(p, dict)]
    return DedupRecord(id=row.article_id, group=row.group, relation=row.relation,  # type: ignore[arg-type]
                       of=row.of, score=row.score, passages=passages)
