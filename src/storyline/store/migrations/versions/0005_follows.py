"""Follows and alerts: users (by token hash), what they follow, and what changed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("pk", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_users"),
        sa.UniqueConstraint("token_hash", name="uq_users_token_hash"),
    )
    op.create_table(
        "follows",
        sa.Column("pk", _ID, autoincrement=True, nullable=False),
        sa.Column("user_pk", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", _JSON, nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_secret", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], ondelete="CASCADE",
                                name="fk_follows_user_pk_users"),
        sa.PrimaryKeyConstraint("pk", name="pk_follows"),
        sa.UniqueConstraint("user_pk", "kind", "target", name="uq_follows_user_pk_kind_target"),
    )
    op.create_index("ix_follows_user_pk", "follows", ["user_pk"])
    op.create_table(
        "alerts",
        sa.Column("pk", _ID, autoincrement=True, nullable=False),
        sa.Column("follow_pk", _ID, nullable=False),
        sa.Column("user_pk", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("story", sa.Text(), nullable=True),
        sa.Column("article", sa.Text(), nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["follow_pk"], ["follows.pk"], ondelete="CASCADE",
                                name="fk_alerts_follow_pk_follows"),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], ondelete="CASCADE",
                                name="fk_alerts_user_pk_users"),
        sa.PrimaryKeyConstraint("pk", name="pk_alerts"),
    )
    op.create_index("ix_alerts_follow_pk", "alerts", ["follow_pk"])
    op.create_index("ix_alerts_user_pk", "alerts", ["user_pk"])


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("follows")
    op.drop_table("users")
