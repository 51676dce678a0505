"""Stable article keys and content hashes.

An article is identified by its URL when it has one (a changed page is the same
article in a new version) and otherwise by its content (text without an address
has nothing else stable to go by). Article ids are not used: they come from file
names and line numbers and are not unique across runs.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

from ..model import Article

__all__ = ["KEY_LENGTH", "article_key", "canonical_url", "content_hash"]

KEY_LENGTH = 40


def canonical_url(url: str | None) -> str | None:
    """The URL with scheme and host lower-cased and the fragment dropped; None if empty."""
    if url is None or not url.strip():
        return None
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))


def content_hash(article: Article) -> str:
    """SHA-256 of the title and text *as received*, so a change in normalization
    code never makes an unchanged page look like a new version."""
    title = article.original_title or article.title
    text = article.original_text or article.text
    return hashlib.sha256(f"{title}\x00{text}".encode()).hexdigest()


def article_key(article: Article, chash: str | None = None) -> str:
    """``u`` + hash of the canonical URL, else ``c`` + the content hash (40 characters)."""
    url = canonical_url(article.url)
    if url is not None:
        return "u" + hashlib.sha256(url.encode()).hexdigest()[: KEY_LENGTH - 1]
    return "c" + (chash or content_hash(article))[: KEY_LENGTH - 1]
