"""The plain data types that the stages pass to one another.

Stages never reach into each other's internals: ingest yields :class:`Article`,
dedup yields :class:`DedupRecord`, cluster yields :class:`Story`, and the brief
stage yields :class:`Brief`. Everything here is a dataclass with JSON-ready
``to_dict`` methods so that every stage's output can be piped as JSONL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "Article",
    "Brief",
    "Citation",
    "Claim",
    "DedupRecord",
    "Discrepancy",
    "Entity",
    "Fact",
    "Passage",
    "Quote",
    "Relation",
    "Story",
    "SummarySentence",
    "TimelineEntry",
]

Relation = Literal["original", "exact", "near-duplicate", "contained", "version"]


@dataclass(slots=True)
class Article:
    """One news article, with news-please-compatible field names.

    ``text`` is the normalized text that every later stage analyses and that
    every citation's offsets point into; ``original_text`` is the text exactly
    as received, kept so that nothing is lost by normalization.
    """

    id: str
    text: str
    title: str = ""
    url: str | None = None
    source: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    original_text: str = ""
    original_title: str = ""
    path: str | None = None
    line: int | None = None

    def to_dict(self, *, original: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "source": self.source,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "authors": list(self.authors),
            "language": self.language,
            "text": self.text,
            "path": self.path,
            "line": self.line,
        }
        if original:
            d["original_text"] = self.original_text
            d["original_title"] = self.original_title
        return d


@dataclass(slots=True, frozen=True)
class Passage:
    """A passage shared by two articles: character spans in each text."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    similarity: float


@dataclass(slots=True)
class DedupRecord:
    """What dedup says of one article: its group and its relation to the canonical one."""

    id: str
    group: str
    relation: Relation
    of: str | None
    score: float
    passages: list[Passage] = field(default_factory=list)

    def to_dict(self, *, explain: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "group": self.group,
            "relation": self.relation,
            "of": self.of,
            "score": round(self.score, 4),
        }
        if explain:
            d["passages"] = [asdict(p) for p in self.passages]
        return d


@dataclass(slots=True)
class Story:
    """A set of articles reporting one event."""

    id: str
    articles: list[Article]
    dedup: dict[str, DedupRecord] = field(default_factory=dict)

    @property
    def article_ids(self) -> list[str]:
        return [a.id for a in self.articles]


@dataclass(slots=True, frozen=True)
class Citation:
    """A verbatim span of an article: ``quote == article.text[start:end]``."""

    article: str
    start: int
    end: int
    quote: str

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article, "start": self.start, "end": self.end, "quote": self.quote}


@dataclass(slots=True)
class Fact:
    """A figure with the subject it measures and its qualifiers (time, scope, hedges)."""

    kind: str  # percent | money | count | date | time
    value: float | None
    unit: str
    text: str
    subject: str
    qualifiers: list[str]
    citation: Citation  # the figure itself
    group: str = ""
    sentence: Citation | None = None  # the sentence it stands in: the source's own words

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "unit": self.unit,
            "text": self.text,
            "subject": self.subject,
            "qualifiers": list(self.qualifiers),
            "citation": self.citation.to_dict(),
            "sentence": self.sentence.to_dict() if self.sentence else None,
            "group": self.group,
        }


@dataclass(slots=True)
class Quote:
    text: str
    speaker: str | None
    role: str | None
    citations: list[Citation]
    independent_sources: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "speaker": self.speaker,
            "role": self.role,
            "citations": [c.to_dict() for c in self.citations],
            "independent_sources": self.independent_sources,
        }


@dataclass(slots=True)
class Entity:
    name: str
    label: str
    sources: int
    citations: list[Citation]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "sources": self.sources,
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(slots=True)
class Claim:
    """A sentence-level claim and every source that makes it."""

    text: str
    citations: list[Citation]
    independent_sources: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "independent_sources": self.independent_sources,
        }


# A summary sentence is a claim: its text, every source saying it, how many are independent.
SummarySentence = Claim


@dataclass(slots=True)
class Discrepancy:
    """One quantity about one subject on which sources give different values."""

    kind: str  # time-update | different-scope | approximation | conflict
    subject: str
    explanation: str
    facts: list[Fact]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "explanation": self.explanation,
            "claims": [f.to_dict() for f in self.facts],
        }


@dataclass(slots=True)
class TimelineEntry:
    article: str
    source: str | None
    published: datetime | None
    title: str
    relation: str
    of: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "title": self.title,
            "relation": self.relation,
            "of": self.of,
        }


@dataclass(slots=True)
class Brief:
    """One cited page per story. Every line of it points at verbatim source spans."""

    story: str
    headline: str
    articles: list[Article]
    dedup: list[DedupRecord]
    independent_sources: int
    summary: list[SummarySentence]
    facts: list[Fact]
    quotes: list[Quote]
    entities: list[Entity]
    agreements: list[Claim]
    discrepancies: list[Discrepancy]
    exclusives: dict[str, list[Claim]]
    timeline: list[TimelineEntry]
