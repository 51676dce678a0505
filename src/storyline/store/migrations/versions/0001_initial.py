"""Articles and their versions, dedup records, stories and their members, briefs, runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when the models do.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_KEY = sa.String(length=40)
_HASH = sa.String(length=64)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _pk() -> sa.Column[int]:
    return sa.Column("pk", _ID, autoincrement=True, nullable=False)


def _time(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk_article(table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["article_key"], ["articles.key"], ondelete=ondelete,
                                   name=f"fk_{table}_article_key_articles")


def upgrade() -> None:
    op.create_table(
        "runs",
        _pk(),
        _time("started"),
        _time("finished", nullable=True),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_runs"),
    )
    op.create_table(
        "articles",
        _pk(),
        sa.Column("key", _KEY, nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("original_title", sa.Text(), nullable=False),
        _time("published", nullable=True),
        sa.Column("authors", _JSON, nullable=False),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=False),
        sa.Column("content_hash", _HASH, nullable=False),
        _time("first_seen"),
        _time("last_seen"),
        sa.PrimaryKeyConstraint("pk", name="pk_articles"),
        sa.UniqueConstraint("key", name="uq_articles_key"),
    )
    op.create_index("ix_articles_id", "articles", ["id"])
    op.create_table(
        "article_versions",
        _pk(),
        sa.Column("article_key", _KEY, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", _HASH, nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("original_title", sa.Text(), nullable=False),
        _time("published", nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=False),
        _time("first_seen"),
        _time("last_seen"),
        _fk_article("article_versions", "CASCADE"),
        sa.PrimaryKeyConstraint("pk", name="pk_article_versions"),
        sa.UniqueConstraint("article_key", "content_hash",
                            name="uq_article_versions_article_key_content_hash"),
        sa.UniqueConstraint("article_key", "number",
                            name="uq_article_versions_article_key_number"),
    )
    op.create_index("ix_article_versions_id", "article_versions", ["id"])
    op.create_table(
        "dedup_records",
        _pk(),
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("article_key", _KEY, nullable=True),
        sa.Column("group", sa.Text(), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("of", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("passages", _JSON, nullable=False),
        _time("saved"),
        _fk_article("dedup_records", "SET NULL"),
        sa.PrimaryKeyConstraint("pk", name="pk_dedup_records"),
        sa.UniqueConstraint("article_id", name="uq_dedup_records_article_id"),
    )
    op.create_index("ix_dedup_records_article_key", "dedup_records", ["article_key"])
    op.create_table(
        "stories",
        _pk(),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        _time("saved"),
        sa.PrimaryKeyConstraint("pk", name="pk_stories"),
        sa.UniqueConstraint("id", name="uq_stories_id"),
    )
    op.create_table(
        "story_members",
        _pk(),
        sa.Column("story_id", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("article_key", _KEY, nullable=True),
        _fk_article("story_members", "SET NULL"),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE",
                                name="fk_story_members_story_id_stories"),
        sa.PrimaryKeyConstraint("pk", name="pk_story_members"),
        sa.UniqueConstraint("story_id", "article_id",
                            name="uq_story_members_story_id_article_id"),
    )
    op.create_index("ix_story_members_article_key", "story_members", ["article_key"])
    op.create_table(
        "briefs",
        _pk(),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("data", _JSON, nullable=False),
        _time("saved"),
        sa.PrimaryKeyConstraint("pk", name="pk_briefs"),
        sa.UniqueConstraint("story", name="uq_briefs_story"),
    )


def downgrade() -> None:
    for table in ("briefs", "story_members", "stories", "dedup_records", "article_versions",
                  "articles", "runs"):
        op.drop_table(table)
