"""Normalize stage: the analysed text of each article, originals kept beside it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from ..model import Article
from ._markup import clean_text, clean_title
from .sentences import sentence_spans, split_sentences

__all__ = ["clean_text", "clean_title", "normalize", "normalize_article", "sentence_spans",
           "split_sentences"]


def normalize_article(article: Article) -> Article:
    """Return a copy whose ``text`` and ``title`` are cleaned; originals are kept.

    Idempotent: an article that was normalized before is normalized from its
    original text again, never from its already-cleaned text.
    """
    original_text = article.original_text or article.text
    original_title = article.original_title or article.title
    return replace(
        article,
        text=clean_text(original_text),
        title=clean_title(original_title),
        original_text=original_text,
        original_title=original_title,
    )


def normalize(articles: Iterable[Article]) -> Iterator[Article]:
    """Normalize a stream of articles lazily."""
    for article in articles:
        yield normalize_article(article)
