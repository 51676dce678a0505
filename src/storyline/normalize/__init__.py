"""Normalize stage: the analysed text of each article, originals kept beside it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from ..model import Article
from ._markup import clean_text, clean_title
from .sentences import sentence_spans, split_sentences

__all__ = ["clean_text", "clean_title", "normalize", "normalize_article", "sentence_spans",
           "split_sentences"]


def normalize_article(article: Article, *, keep_original: bool = True) -> Article:
    """Return a copy whose ``text`` and ``title`` are cleaned; originals are kept.

    Idempotent: an article that was normalized before is normalized from its
    original text again, never from its already-cleaned text. With
    ``keep_original=False`` the originals are dropped (a run that only dedups or
    clusters never shows them, and they are half of what it holds in memory).
    """
    original_text = article.original_text or article.text
    original_title = article.original_title or article.title
    return replace(
        article,
        text=clean_text(original_text),
        title=clean_title(original_title),
        original_text=original_text if keep_original else "",
        original_title=original_title if keep_original else "",
    )


def normalize(articles: Iterable[Article]) -> Iterator[Article]:
    """Normalize a stream of articles lazily."""
    for article in articles:
        yield normalize_article(article)
