"""Storage stage: articles, their versions, dedup records, stories and briefs in a database.

SQLite (a file path or ``sqlite:///FILE``) is the embedded default; PostgreSQL
(``postgresql://...``, psycopg 3) serves several machines. The schema is managed
by alembic migrations shipped in this package and applied when a store opens.
Writes are batched transactions and idempotent, so a run can be killed at any
point and simply started again.
"""

from __future__ import annotations

from ._errors import StoreError
from ._export import COLUMNS as EXPORT_COLUMNS
from ._export import FORMATS as EXPORT_FORMATS
from ._follows import FOLLOW_KINDS, Alert, Follow, FollowError, Follows, User
from ._keys import article_key, canonical_url, content_hash
from ._search import SearchHit, SearchQuery
from ._store import AddResult, Store
from ._url import database_url, display_url

__all__ = [
    "EXPORT_COLUMNS",
    "EXPORT_FORMATS",
    "FOLLOW_KINDS",
    "AddResult",
    "Alert",
    "Follow",
    "FollowError",
    "Follows",
    "SearchHit",
    "SearchQuery",
    "Store",
    "StoreError",
    "User",
    "article_key",
    "canonical_url",
    "content_hash",
    "database_url",
    "display_url",
]
