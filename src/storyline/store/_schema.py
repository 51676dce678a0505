"""The tables, as typed SQLAlchemy models. The migrations create exactly these
(``tests/test_store.py`` checks that the two never drift apart)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ._keys import KEY_LENGTH
from ._types import JSONType, UTCDateTime

__all__ = [
    "AlertRow",
    "AnalysisRow",
    "ArticleRow",
    "Base",
    "BriefRow",
    "DedupRow",
    "FollowRow",
    "RunRow",
    "StoryMemberRow",
    "StoryRow",
    "UserRow",
    "VersionRow",
]

# Named constraints, so that later migrations can alter them on every backend.
_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
_Id = BigInteger().with_variant(Integer(), "sqlite")
_Key = String(KEY_LENGTH)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType,
                           list[str]: JSONType}


class RunRow(Base):
    """One ``add_articles`` call; its counts are written with every batch, so an
    interrupted run shows how far it got (``finished`` stays empty)."""

    __tablename__ = "runs"

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    started: Mapped[datetime]
    finished: Mapped[datetime | None]
    batches: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)


class ArticleRow(Base):
    """The current version of one article (one row per URL, or per content without one)."""

    __tablename__ = "articles"

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(_Key, unique=True)
    id: Mapped[str] = mapped_column(Text, index=True)
    url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    original_title: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime | None]
    published_as: Mapped[str | None] = mapped_column(String(64))  # as given (migration 0003)
    authors: Mapped[list[str]]
    language: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    original_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]

    versions: Mapped[list[VersionRow]] = relationship(
        back_populates="article", order_by="VersionRow.number", passive_deletes=True)


class VersionRow(Base):
    """Every distinct content an article has had, numbered from 1 in the order seen."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_key", "content_hash"),
                      UniqueConstraint("article_key", "number"))

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    article_key: Mapped[str] = mapped_column(
        _Key, ForeignKey("articles.key", ondelete="CASCADE"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    id: Mapped[str] = mapped_column(Text, index=True)
    title: Mapped[str] = mapped_column(Text)
    original_title: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime | None]
    published_as: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    original_text: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]

    article: Mapped[ArticleRow] = relationship(back_populates="versions")


class DedupRow(Base):
    """The latest dedup verdict on one article id (saving again replaces it)."""

    __tablename__ = "dedup_records"

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(Text, unique=True)
    article_key: Mapped[str | None] = mapped_column(
        _Key, ForeignKey("articles.key", ondelete="SET NULL"), index=True)
    group: Mapped[str] = mapped_column(Text)
    relation: Mapped[str] = mapped_column(String(32))
    of: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    passages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    saved: Mapped[datetime]


class StoryRow(Base):
    """A story; saving a story with the same id again replaces its members."""

    __tablename__ = "stories"

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Text, unique=True)
    size: Mapped[int]
    saved: Mapped[datetime]

    members: Mapped[list[StoryMemberRow]] = relationship(
        back_populates="story", order_by="StoryMemberRow.position",
        cascade="all, delete-orphan", passive_deletes=True)


class StoryMemberRow(Base):
    """One article of a story, by its id and (when stored) its article key."""

    __tablename__ = "story_members"
    __table_args__ = (UniqueConstraint("story_id", "article_id"),)

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    story_id: Mapped[str] = mapped_column(Text, ForeignKey("stories.id", ondelete="CASCADE"))
    position: Mapped[int]
    article_id: Mapped[str] = mapped_column(Text)
    article_key: Mapped[str | None] = mapped_column(
        _Key, ForeignKey("articles.key", ondelete="SET NULL"), index=True)

    story: Mapped[StoryRow] = relationship(back_populates="members")


class BriefRow(Base):
    """A brief in its documented JSON form (``storyline.render.brief_to_dict``)."""

    __tablename__ = "briefs"

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    story: Mapped[str] = mapped_column(Text, unique=True)
    headline: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]
    saved: Mapped[datetime]


class AnalysisRow(Base):
    """What a stage computed once for one text (``kind`` says which analysis and its
    version), so that no later run computes it again: keyed by the text's digest."""

    __tablename__ = "analyses"
    __table_args__ = (UniqueConstraint("text_hash", "kind"),)

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    text_hash: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]


class UserRow(Base):
    """Someone who follows things: known only by the SHA-256 of their token, so that a
    copy of the database gives no one a usable token."""

    __tablename__ = "users"

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime]


class FollowRow(Base):
    """One thing a user follows (a story, a query or an outlet) and what it looked like at
    the last scan (``state``), which the next scan compares with what is stored then."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_pk", "kind", "target"),)

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(_Id, ForeignKey("users.pk", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime]
    state: Mapped[dict[str, Any]]
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_secret: Mapped[str | None] = mapped_column(String(64))


class AlertRow(Base):
    """One change a follow saw: unseen until the user marks it seen; ``delivered`` and
    ``attempts`` track its webhook, when the follow has one."""

    __tablename__ = "alerts"

    pk: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    follow_pk: Mapped[int] = mapped_column(_Id, ForeignKey("follows.pk", ondelete="CASCADE"),
                                           index=True)
    user_pk: Mapped[int] = mapped_column(_Id, ForeignKey("users.pk", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    story: Mapped[str | None] = mapped_column(Text)
    article: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]
    created: Mapped[datetime]
    seen: Mapped[datetime | None]
    delivered: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
