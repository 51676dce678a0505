"""The :class:`Store`: every stage's output kept in one database, safe to kill at any point.

Writes go in batches, one transaction each, and are idempotent (articles are
matched by key and content hash, dedup records by article id, stories and briefs
by story id), so a run killed half-way and started again converges to exactly the
state of an uninterrupted run: nothing lost, nothing doubled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..model import Article, Brief, DedupRecord, Story
from ._engine import READ_ONLY, make_engine
from ._errors import StoreError
from ._export import FORMATS, write_export
from ._keys import article_key, content_hash
from ._migrate import upgrade
from ._schema import (
    AnalysisRow,
    ArticleRow,
    BriefRow,
    DedupRow,
    RunRow,
    StoryMemberRow,
    StoryRow,
    VersionRow,
)
from ._search import SearchHit, SearchQuery, search
from ._url import database_url, display_url

__all__ = ["AddResult", "Store"]

T = TypeVar("T")
BATCH_SIZE = 500
_RETRIES = 3
_TABLES = {"analyses": AnalysisRow, "articles": ArticleRow, "article_versions": VersionRow,
           "dedup_records": DedupRow, "stories": StoryRow, "story_members": StoryMemberRow,
           "briefs": BriefRow, "runs": RunRow}


@dataclass(frozen=True, slots=True)
class AddResult:
    """What adding articles did: ``new`` articles, ``updated`` ones (a new version of
    an article already stored) and ``unchanged`` ones (content already stored)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: AddResult) -> AddResult:
        return AddResult(self.new + other.new, self.updated + other.updated,
                         self.unchanged + other.unchanged)

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged


def _now() -> datetime:
    return datetime.now(UTC)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def published_as(value: datetime | None) -> str | None:
    """A publication time as the source gave it: a date alone, or with its UTC offset."""
    return value.isoformat() if value is not None else None


def published_of(row: ArticleRow | VersionRow) -> datetime | None:
    """The publication time read back as it was given (see migration 0003), else the
    stored instant."""
    if row.published_as:
        from ..ingest._records import parse_date

        parsed = parse_date(row.published_as)
        if parsed is not None:
            return parsed
    return row.published


def _current(a: Article, chash: str) -> dict[str, Any]:
    """The columns of ``articles`` that follow the latest version."""
    return {"id": a.id, "url": a.url, "source": a.source, "title": a.title,
            "original_title": a.original_title or a.title, "published": a.published,
            "published_as": published_as(a.published),
            "authors": list(a.authors), "language": a.language, "text": a.text,
            "original_text": a.original_text or a.text, "content_hash": chash}


def _to_article(row: ArticleRow | VersionRow, base: ArticleRow | None = None) -> Article:
    meta = base if base is not None else row
    assert isinstance(meta, ArticleRow)
    return Article(id=row.id, text=row.text, title=row.title, url=meta.url, source=meta.source,
                   published=published_of(row), authors=list(meta.authors), language=meta.language,
                   original_text=row.original_text, original_title=row.original_title)


class Store:
    """A storyline database: SQLite by file path or ``sqlite:///``, PostgreSQL by
    ``postgresql://`` URL. Opening it brings its schema up to date (alembic).

    >>> with Store("news.db") as store:          # doctest: +SKIP
    ...     store.add_articles(storyline.read("feeds/"))
    AddResult(new=120, updated=3, unchanged=0)
    """

    def __init__(self, url: str | Path | URL, *, create: bool = True,
                 batch_size: int = BATCH_SIZE) -> None:
        self.url = database_url(url)
        self.batch_size = batch_size
        db = self.url.database
        if self.url.get_backend_name() == "sqlite" and db not in (None, "", ":memory:"):
            path = Path(db)
            if not create and not path.exists():
                raise StoreError(f"no such database: {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
        self._engine = make_engine(self.url)
        try:
            upgrade(self._engine)
        except DBAPIError as exc:
            self._engine.dispose()
            raise StoreError(f"cannot open {display_url(self.url)}: {exc.orig}") from exc
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Store({display_url(self.url)!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    # -- transactions -------------------------------------------------------------------

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction; retry it whole when a concurrent writer got
        in first (a key inserted meanwhile, a lock timeout)."""
        for attempt in range(_RETRIES):
            try:
                with self._sessions.begin() as session:
                    return work(session)
            except (IntegrityError, OperationalError) as exc:
                if attempt == _RETRIES - 1:
                    raise StoreError(f"cannot write to {display_url(self.url)}: {exc.orig}"
                                     ) from exc
        raise AssertionError("unreachable")

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self._engine.connect() as conn:
            conn = conn.execution_options(**{READ_ONLY: True})
            with Session(bind=conn) as session, conn.begin():
                yield session

    # -- articles -----------------------------------------------------------------------

    @staticmethod
    def key_of(article: Article) -> str:
        """The key an article is stored under (from its URL, else its content)."""
        return article_key(article)

    def add_articles(self, articles: Iterable[Article], *, batch_size: int | None = None,
                     progress: Callable[[int], None] | None = None) -> AddResult:
        """Store articles, one transaction per batch; see :class:`AddResult`.

        A known URL with new content becomes a new version of its article (and the
        article's current content); content already stored changes nothing but
        ``last_seen``.
        """
        def start(session: Session) -> int:
            run = RunRow(started=_now(), batches=0, new=0, updated=0, unchanged=0)
            session.add(run)
            session.flush()
            return run.pk

        run_pk = self._write(start)
        total = AddResult()
        for batch in _batches(articles, batch_size or self.batch_size):
            total += self._write(partial(self._add_batch, batch=batch, run_pk=run_pk))
            if progress is not None:
                progress(len(batch))
        self._write(lambda s: s.execute(
            update(RunRow).where(RunRow.pk == run_pk).values(finished=_now())))
        return total

    @staticmethod
    def _add_batch(session: Session, batch: list[Article], run_pk: int) -> AddResult:
        now = _now()
        items = [(article_key(a, h), h, a) for a in batch for h in (content_hash(a),)]
        keys = {key for key, _, _ in items}
        rows = {r.key: r for r in session.scalars(
            select(ArticleRow).where(ArticleRow.key.in_(keys)))}
        known: dict[tuple[str, str], int | None] = {}  # (key, hash) -> version pk
        numbers: dict[str, int] = {}
        for vkey, vhash, vnumber, vpk in session.execute(
                select(VersionRow.article_key, VersionRow.content_hash, VersionRow.number,
                       VersionRow.pk).where(VersionRow.article_key.in_(keys))):
            known[(vkey, vhash)] = vpk
            numbers[vkey] = max(numbers.get(vkey, 0), vnumber)
        new = updated = unchanged = 0
        seen: list[int] = []
        for key, chash, a in items:
            row = rows.get(key)
            if row is None:
                row = ArticleRow(key=key, first_seen=now, last_seen=now, **_current(a, chash))
                session.add(row)
                rows[key] = row
                new += 1
            elif (key, chash) in known:
                # Content already stored (the current version or an older one): a
                # re-read never reverts an article to older content.
                row.last_seen = now
                version_pk = known[(key, chash)]
                if version_pk is not None:
                    seen.append(version_pk)
                unchanged += 1
                continue
            else:
                for name, value in _current(a, chash).items():
                    setattr(row, name, value)
                row.last_seen = now
                updated += 1
            numbers[key] = numbers.get(key, 0) + 1
            session.add(VersionRow(
                article_key=key, number=numbers[key], content_hash=chash, id=a.id,
                title=a.title, original_title=a.original_title or a.title,
                published=a.published, published_as=published_as(a.published), text=a.text,
                original_text=a.original_text or a.text, first_seen=now, last_seen=now))
            known[(key, chash)] = None
        if seen:
            session.execute(update(VersionRow).where(VersionRow.pk.in_(seen))
                            .values(last_seen=now))
        session.execute(update(RunRow).where(RunRow.pk == run_pk).values(
            batches=RunRow.batches + 1, new=RunRow.new + new,
            updated=RunRow.updated + updated, unchanged=RunRow.unchanged + unchanged))
        return AddResult(new, updated, unchanged)

    def articles(self, *, since: datetime | None = None,
                 ids: Iterable[str] | None = None) -> list[Article]:
        """The current version of stored articles, in the order first stored.

        ``since`` keeps those published at or after it (and the undated ones); ``ids``
        keeps those with these ids. Both bound the work of an incremental refresh.
        """
        query = select(ArticleRow).order_by(ArticleRow.pk)
        if since is not None:
            query = query.where(or_(ArticleRow.published >= since,
                                    ArticleRow.published.is_(None)))
        if ids is not None:
            query = query.where(ArticleRow.id.in_(list(ids)))
        with self._reading() as session:
            return [_to_article(r) for r in session.scalars(query)]

    def last_version(self) -> int:
        """The sequence number of the newest stored content (0 for an empty store): an
        engine that holds everything up to it has nothing to do."""
        with self._reading() as session:
            return int(session.scalar(select(func.max(VersionRow.pk))) or 0)

    def count_versions_after(self, seq: int) -> int:
        """How many contents were stored after sequence number ``seq``."""
        with self._reading() as session:
            return int(session.scalar(select(func.count()).select_from(VersionRow)
                                      .where(VersionRow.pk > seq)) or 0)

    def versions_after(self, seq: int, *, limit: int | None = None
                       ) -> list[tuple[int, int, Article]]:
        """Contents stored after sequence number ``seq``, oldest first, as
        ``(seq, version number, article)``: what an engine has not seen yet. The article
        carries the version's text, title and date and the article's other fields."""
        query = (select(VersionRow, ArticleRow).join(ArticleRow,
                                                     ArticleRow.key == VersionRow.article_key)
                 .where(VersionRow.pk > seq).order_by(VersionRow.pk))
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as session:
            return [(v.pk, v.number, _to_article(v, a)) for v, a in session.execute(query)]

    def clear_results(self) -> None:
        """Remove every dedup record, story and brief (before a rebuild from scratch)."""
        def work(session: Session) -> None:
            for model in (StoryMemberRow, BriefRow, StoryRow, DedupRow):
                session.execute(delete(model))

        self._write(work)

    def version_texts(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The normalized text of each ``(article id, version number)`` stored."""
        wanted = set(keys)
        out: dict[tuple[str, int], str] = {}
        for batch in _batches(sorted({aid for aid, _ in wanted}), self.batch_size):
            with self._reading() as session:
                for aid, number, text in session.execute(
                        select(VersionRow.id, VersionRow.number, VersionRow.text)
                        .where(VersionRow.id.in_(batch))):
                    if (aid, number) in wanted:
                        out[(aid, number)] = text
        return out

    def analyses(self, kind: str, hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored analyses of ``kind`` for these text digests (those that have one)."""
        out: dict[str, dict[str, Any]] = {}
        for batch in _batches(sorted(set(hashes)), self.batch_size):
            with self._reading() as session:
                for h, data in session.execute(
                        select(AnalysisRow.text_hash, AnalysisRow.data).where(
                            AnalysisRow.kind == kind, AnalysisRow.text_hash.in_(batch))):
                    out[h] = data
        return out

    def save_analyses(self, kind: str, items: dict[str, dict[str, Any]]) -> int:
        """Store analyses of ``kind`` by text digest; one already stored is kept."""
        def work(session: Session, batch: list[tuple[str, dict[str, Any]]]) -> None:
            have = set(session.scalars(select(AnalysisRow.text_hash).where(
                AnalysisRow.kind == kind, AnalysisRow.text_hash.in_([h for h, _ in batch]))))
            rows = [{"text_hash": h, "kind": kind, "data": d} for h, d in batch if h not in have]
            if rows:
                session.execute(insert(AnalysisRow), rows)

        for batch in _batches(items.items(), self.batch_size):
            self._write(partial(work, batch=batch))
        return len(items)

    def delete_stories(self, ids: Iterable[str]) -> int:
        """Remove stories (and their members and briefs) that no longer exist."""
        wanted = list(dict.fromkeys(ids))

        def work(session: Session, batch: list[str]) -> None:
            session.execute(delete(StoryMemberRow).where(StoryMemberRow.story_id.in_(batch)))
            session.execute(delete(BriefRow).where(BriefRow.story.in_(batch)))
            session.execute(delete(StoryRow).where(StoryRow.id.in_(batch)))

        for batch in _batches(wanted, self.batch_size):
            self._write(partial(work, batch=batch))
        return len(wanted)

    def story_peers(self, ids: Iterable[str]) -> set[str]:
        """Ids of every article that shares a stored story with one of ``ids``."""
        wanted = list(ids)
        if not wanted:
            return set()
        with self._reading() as session:
            stories = select(StoryMemberRow.story_id).where(
                StoryMemberRow.article_id.in_(wanted)).scalar_subquery()
            return set(session.scalars(select(StoryMemberRow.article_id)
                                       .where(StoryMemberRow.story_id.in_(stories))))

    def versions(self, key: str) -> list[Article]:
        """Every version of the article stored under ``key``, oldest first."""
        with self._reading() as session:
            row = session.scalar(select(ArticleRow).where(ArticleRow.key == key))
            if row is None:
                return []
            return [_to_article(v, row) for v in row.versions]

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        with self._reading() as session:
            return {name: session.scalar(select(func.count()).select_from(model)) or 0
                    for name, model in _TABLES.items()}

    # -- later stages -------------------------------------------------------------------

    @staticmethod
    def _resolve_keys(session: Session, ids: Iterable[str],
                      given: dict[str, str]) -> dict[str, str | None]:
        """Article id -> stored article key: from the articles given when they are, else
        by id (current ids before older versions' ids; ids are not unique across runs,
        so the latest stored wins)."""
        ids = list(ids)
        out: dict[str, str | None] = dict.fromkeys(ids)
        wanted = {given[i] for i in ids if i in given}
        stored = set(session.scalars(select(ArticleRow.key).where(ArticleRow.key.in_(wanted))))
        for i in ids:
            if given.get(i) in stored:
                out[i] = given[i]
        missing = [i for i in ids if out[i] is None]
        if missing:
            for vid, vkey in session.execute(
                    select(VersionRow.id, VersionRow.article_key)
                    .where(VersionRow.id.in_(missing)).order_by(VersionRow.pk)):
                out[vid] = vkey
            for aid, akey in session.execute(
                    select(ArticleRow.id, ArticleRow.key)
                    .where(ArticleRow.id.in_(missing)).order_by(ArticleRow.pk)):
                out[aid] = akey
        return out

    def save_dedup(self, records: Iterable[DedupRecord],
                   articles: Iterable[Article] | None = None) -> int:
        """Store dedup records, replacing earlier ones for the same article ids.

        Pass the articles the records are about to link them to their stored
        articles exactly; without them, records are linked by article id.
        """
        given = {a.id: article_key(a) for a in articles or ()}
        latest = {r.id: r for r in records}  # one record per id: the last given

        def work(session: Session, batch: list[DedupRecord]) -> None:
            keys = self._resolve_keys(session, (r.id for r in batch), given)
            session.execute(delete(DedupRow).where(DedupRow.article_id.in_(keys)))
            now = _now()
            session.execute(insert(DedupRow), [
                {"article_id": r.id, "article_key": keys[r.id], "group": r.group,
                 "relation": r.relation, "of": r.of, "score": float(r.score),
                 "passages": r.to_dict(explain=True)["passages"], "saved": now}
                for r in batch])

        for batch in _batches(latest.values(), self.batch_size):
            self._write(partial(work, batch=batch))
        return len(latest)

    def save_stories(self, stories: Iterable[Story]) -> int:
        """Store stories and their members, replacing stories saved before under the same id."""
        latest = {s.id: s for s in stories}

        def work(session: Session, batch: list[Story]) -> None:
            given = {a.id: article_key(a) for s in batch for a in s.articles}
            keys = self._resolve_keys(session, given, given)
            ids = [s.id for s in batch]
            session.execute(delete(StoryMemberRow).where(StoryMemberRow.story_id.in_(ids)))
            session.execute(delete(StoryRow).where(StoryRow.id.in_(ids)))
            now = _now()
            session.execute(insert(StoryRow), [
                {"id": s.id, "size": len(s.articles), "saved": now} for s in batch])
            members = [{"story_id": s.id, "position": i, "article_id": aid,
                        "article_key": keys.get(aid)}
                       for s in batch for i, aid in enumerate(dict.fromkeys(s.article_ids))]
            if members:
                session.execute(insert(StoryMemberRow), members)

        for batch in _batches(latest.values(), max(1, self.batch_size // 5)):
            self._write(partial(work, batch=batch))
        return len(latest)

    def save_briefs(self, briefs: Iterable[Brief]) -> int:
        """Store briefs in their JSON form, replacing earlier briefs of the same story."""
        from ..render import brief_to_dict

        docs: dict[str, dict[str, Any]] = {}
        for b in briefs:
            docs[b.story] = json.loads(json.dumps(brief_to_dict(b), default=str))

        def work(session: Session, batch: list[tuple[str, dict[str, Any]]]) -> None:
            stories = [story for story, _ in batch]
            session.execute(delete(BriefRow).where(BriefRow.story.in_(stories)))
            now = _now()
            session.execute(insert(BriefRow), [
                {"story": story, "headline": str(doc.get("headline", "")), "data": doc,
                 "saved": now} for story, doc in batch])

        for batch in _batches(docs.items(), max(1, self.batch_size // 5)):
            self._write(partial(work, batch=batch))
        return len(docs)

    def briefs(self) -> list[dict[str, Any]]:
        """Every stored brief, in its JSON form."""
        with self._reading() as session:
            return [dict(d) for d in session.scalars(select(BriefRow.data).order_by(BriefRow.pk))]

    # -- search -------------------------------------------------------------------------

    def search(self, query: SearchQuery | str, **filters: Any) -> list[SearchHit]:
        """Articles whose title or body holds every word of the query, through the
        database's full-text index (SQLite FTS5, PostgreSQL tsvector); ``filters`` are
        :class:`SearchQuery` fields (since, until, source, language, sort, limit, offset)."""
        if isinstance(query, str):
            query = SearchQuery(query, **filters)
        with self._reading() as session:
            return search(session, query)

    # -- export -------------------------------------------------------------------------

    def export(self, fmt: str, out: str | Path | IO[Any]) -> int:
        """Write every article (current version, number of versions, latest dedup
        group and story) as jsonl, json, csv or parquet to a path or an open file; returns
        the number of articles. A file path is written whole or not at all."""
        if fmt not in FORMATS:
            raise StoreError(f"unknown export format {fmt!r}; expected one of "
                             + ", ".join(FORMATS))
        with self._reading() as session:
            return write_export(session, fmt, out)
