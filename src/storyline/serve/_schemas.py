"""Pydantic models of everything the HTTP API reads and writes.

They mirror the documented brief JSON (``docs/brief-schema.json``) so that ``/openapi.json``
describes real responses, and so that malformed input is refused before it reaches the store.
Enumerated fields of the brief are typed ``str`` on output: a new kind added by the brief stage
must not turn a stored brief into a server error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ArticleHit",
    "ArticleHits",
    "ArticleIn",
    "ArticleOut",
    "BriefArticle",
    "BriefOut",
    "CitationOut",
    "ClaimOut",
    "DiscrepancyOut",
    "EntityOut",
    "ErrorOut",
    "ExclusiveOut",
    "FactOut",
    "GroupMember",
    "GroupOut",
    "IngestResult",
    "QuoteOut",
    "StoryDetail",
    "StoryList",
    "StorySummary",
    "TimelineOut",
]

MAX_ID = 200
MAX_TEXT = 2_000_000


class CitationOut(BaseModel):
    """A verbatim span: ``quote == text[start:end]`` of the cited article."""

    article: str
    start: int
    end: int
    quote: str


class ClaimOut(BaseModel):
    text: str
    citations: list[CitationOut]
    independent_sources: int


class FactOut(BaseModel):
    kind: str = Field(description="percent | money | count | time | date")
    value: float | None
    unit: str
    text: str
    subject: str
    qualifiers: list[str]
    citation: CitationOut
    group: str = ""


class QuoteOut(BaseModel):
    text: str
    speaker: str | None
    role: str | None
    citations: list[CitationOut]
    independent_sources: int


class EntityOut(BaseModel):
    name: str
    label: str
    sources: int
    citations: list[CitationOut]


class DiscrepancyOut(BaseModel):
    kind: str = Field(description="time-update | different-scope | approximation | conflict")
    subject: str
    explanation: str
    claims: list[FactOut]


class ExclusiveOut(BaseModel):
    report: str = Field(description="canonical article id of the report")
    source: str | None
    claims: list[ClaimOut]


class TimelineOut(BaseModel):
    article: str
    source: str | None
    published: datetime | None
    title: str
    relation: str
    of: str | None


class BriefArticle(BaseModel):
    id: str
    source: str | None
    title: str
    url: str | None
    published: datetime | None
    group: str
    relation: str = Field(description="original | exact | near-duplicate | contained | version")
    of: str | None
    text: str


class BriefOut(BaseModel):
    """One story's brief in its documented JSON form (``storyline brief --format json``)."""

    story: str
    headline: str
    independent_sources: int
    articles: list[BriefArticle]
    summary: list[ClaimOut]
    facts: list[FactOut]
    quotes: list[QuoteOut]
    entities: list[EntityOut]
    agreements: list[ClaimOut]
    discrepancies: list[DiscrepancyOut]
    exclusives: list[ExclusiveOut]
    timeline: list[TimelineOut]


class StorySummary(BaseModel):
    """One row of the story list: enough to choose a story without loading its brief."""

    id: str
    headline: str
    articles: int = Field(description="articles in the story, copies and versions included")
    independent_sources: int
    sources: list[str] = Field(description="outlet names, in order of first appearance")
    newest: datetime | None = Field(description="publication time of the latest article")
    oldest: datetime | None
    summary: str = Field(description="the brief's first summary sentence")
    url: str = Field(description="path of the story's web page")


class ArticleHit(BaseModel):
    """One article a full-text search found, with a snippet of its text around the words."""

    id: str
    title: str
    source: str | None
    url: str | None
    published: datetime | None
    language: str | None
    snippet: str = Field(description="a passage of the article's text around the words")
    story: str | None = Field(description="id of the story the article belongs to")


class ArticleHits(BaseModel):
    items: list[ArticleHit]
    next_offset: int | None = Field(
        description="pass as `offset` to get the next page; null on the last page")


class StoryList(BaseModel):
    items: list[StorySummary]
    next_cursor: str | None = Field(
        description="pass as `cursor` to get the next page; null on the last page")


class GroupMember(BaseModel):
    id: str
    relation: str
    of: str | None
    score: float
    source: str | None
    title: str


class GroupOut(BaseModel):
    """One report and its copies and versions, canonical article first."""

    group: str
    canonical: str
    members: list[GroupMember]


class ArticleOut(BaseModel):
    id: str
    url: str | None
    source: str | None
    title: str
    published: datetime | None
    authors: list[str]
    language: str | None
    text: str = Field(description="normalized text; citation offsets point into it")
    story: str | None = Field(description="id of the story the article belongs to")
    group: str | None
    relation: str | None
    of: str | None


class StoryDetail(BaseModel):
    id: str
    brief: BriefOut
    articles: list[ArticleOut]
    groups: list[GroupOut]


class ArticleIn(BaseModel):
    """An article to store, in storyline's own field names (as ``storyline ingest`` writes)."""

    model_config = ConfigDict(extra="forbid", str_max_length=MAX_TEXT)

    id: str = Field(min_length=1, max_length=MAX_ID, pattern=r"^[^\x00-\x1f/\\?#%]+$")
    text: str = Field(min_length=1, max_length=MAX_TEXT, pattern=r"\S")
    title: str = Field(default="", max_length=2000)
    url: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=500)
    published: datetime | None = None
    authors: list[str] = Field(default_factory=list, max_length=100)
    language: str | None = Field(default=None, max_length=32)


class IngestResult(BaseModel):
    received: int
    new: int = Field(description="articles not stored before")
    updated: int = Field(description="stored articles whose content changed")
    unchanged: int
    accepted: list[str] = Field(description="ids of the articles stored (new or changed); "
                                "their stories and briefs follow in a background update")
    queued: bool = Field(description="an update was queued (GET /api/status tells when it ran)")


class StatusOut(BaseModel):
    pending: bool = Field(description="stored articles wait for an update")
    running: bool = Field(description="an update is running")
    updates: int = Field(description="updates run since the server started")
    last_seconds: float | None = Field(description="how long the last update took")
    last_error: str | None = Field(description="why the last update failed, if it did")


class ErrorOut(BaseModel):
    detail: str


Sort = Literal["newest", "largest"]
SearchSort = Literal["relevance", "newest"]
