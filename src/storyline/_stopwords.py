"""English stop words (scikit-learn's list), loaded on first use.

Importing scikit-learn takes about a second; stages that never look at stop
words (ingest, dedup) should not pay for it, so the list is fetched lazily.
"""

from __future__ import annotations

from functools import cache

__all__ = ["english_stop_words"]


@cache
def english_stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)
