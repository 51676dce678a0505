"""Full-text search over the stored articles, through the database's own index.

SQLite answers from the FTS5 table of migration 0004 (BM25 ranking), PostgreSQL from its
GIN index on ``to_tsvector('simple', title || ' ' || text)`` (``ts_rank``). Both see a
query as words that must all appear, in the title or the body, in any case: the words
are taken out of the query here, so no query syntax (FTS5's ``NEAR``, ``*``, quotes or
``tsquery`` operators) ever reaches the database from a user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from ._schema import ArticleRow, VersionRow

__all__ = ["SEARCH_OBJECTS", "SearchHit", "SearchQuery", "is_search_object", "search",
           "search_words"]

#: What migration 0004 creates beside the models (autogenerate must not drop them).
SEARCH_OBJECTS = ("articles_fts", "ix_articles_search")
_WORD = re.compile(r"\w+", re.UNICODE)
_TSV = "to_tsvector('simple', articles.title || ' ' || articles.text)"
SNIPPET_WORDS = 16
_FTS = table("articles_fts", column("rowid"), column("rank"))


def is_search_object(_obj: Any, name: str | None, _type: str, _reflected: bool,
                     _compare_to: Any) -> bool:
    """An alembic ``include_object`` hook: False for the search index's tables and index."""
    return not (name or "").startswith(SEARCH_OBJECTS)


def search_words(q: str) -> list[str]:
    """The words of a query, as the index tokenizes them (letters and digits)."""
    return _WORD.findall(q.casefold())


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Words that must all appear, and filters on the article's metadata.

    ``since``/``until`` bound the publication instant (inclusive); ``source`` and
    ``language`` match case-insensitively; ``sort`` is ``relevance`` or ``newest``.
    ``new_after`` keeps only articles first stored after that content sequence number
    (a version's pk): what a followed query has not seen yet.
    """

    q: str
    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    language: str | None = None
    sort: Literal["relevance", "newest"] = "relevance"
    limit: int = 20
    offset: int = 0
    new_after: int | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching article: what a result list shows, and a snippet around the words."""

    id: str
    title: str
    source: str | None
    url: str | None
    published: datetime | None
    language: str | None
    snippet: str


def _filters(query: SearchQuery) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if query.since is not None:
        out.append(ArticleRow.published >= query.since)
    if query.until is not None:
        out.append(ArticleRow.published <= query.until)
    if query.source:
        out.append(func.lower(ArticleRow.source) == query.source.casefold())
    if query.language:
        out.append(func.lower(ArticleRow.language) == query.language.casefold())
    if query.new_after is not None:
        out.append(ArticleRow.key.in_(select(VersionRow.article_key).where(
            VersionRow.pk > query.new_after, VersionRow.number == 1)))
    return out


def search(session: Session, query: SearchQuery) -> list[SearchHit]:
    """The articles whose title or body holds every word of ``query.q``, best first."""
    words = search_words(query.q)
    if not words:
        return []
    columns = (ArticleRow.id, ArticleRow.title, ArticleRow.source, ArticleRow.url,
               ArticleRow.published, ArticleRow.language, ArticleRow.published_as)
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        snippet: ColumnElement[Any] = literal_column(
            f"snippet(articles_fts, 1, '', '', '…', {SNIPPET_WORDS})")
        stmt = (select(*columns, snippet)
                .select_from(_FTS.join(ArticleRow, ArticleRow.pk == _FTS.c.rowid))
                .where(literal_column("articles_fts").op("MATCH")(match)))
        rank: ColumnElement[Any] = _FTS.c.rank
    else:
        tsquery = func.plainto_tsquery("simple", " ".join(words))
        tsv: ColumnElement[Any] = literal_column(_TSV)
        snippet = func.ts_headline(
            "simple", ArticleRow.text, tsquery,
            f"StartSel=\"\",StopSel=\"\",MaxWords={SNIPPET_WORDS},MinWords=5")
        stmt = select(*columns, snippet).where(tsv.op("@@")(tsquery))
        rank = -func.ts_rank(tsv, tsquery)
    stmt = stmt.where(*_filters(query))
    if query.sort == "newest":
        stmt = stmt.order_by(ArticleRow.published.desc().nulls_last(), ArticleRow.pk.desc())
    else:
        stmt = stmt.order_by(rank, ArticleRow.pk.desc())
    stmt = stmt.limit(query.limit).offset(query.offset)
    from ..ingest._records import parse_date

    return [SearchHit(id=r[0], title=r[1], source=r[2], url=r[3],
                      published=parse_date(r[6]) if r[6] else r[4], language=r[5],
                      snippet=r[7] or "")
            for r in session.execute(stmt)]
