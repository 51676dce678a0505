"""Publication times as given: a date alone, or a time with its UTC offset.

``published`` holds the instant (UTC), which is what sorts and compares; ``published_as``
keeps what the source said ("2021-04-22", "2025-03-04T10:15:00+02:00"), so that a
date-only source is not read back as 00:00 nor a local time as UTC.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("articles", "article_versions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("published_as", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in ("articles", "article_versions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("published_as")
