"""English stop words (scikit-learn's list), loaded on first use.

Importing scikit-learn costs 2-3 s of a cold start (it imports scipy.stats), though the
list is one frozenset literal in a module of its own: that module is loaded alone, from
the installed scikit-learn, without running the package's ``__init__``. Should its place
ever change, the list comes through the public import instead.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

__all__ = ["english_stop_words"]


@cache
def english_stop_words() -> frozenset[str]:
    spec = importlib.util.find_spec("sklearn")
    origin = spec.origin if spec is not None else None
    if origin is not None:
        path = Path(origin).parent / "feature_extraction" / "_stop_words.py"
        alone = importlib.util.spec_from_file_location("_storyline_sklearn_stop_words", path)
        if alone is not None and alone.loader is not None and path.exists():
            module = importlib.util.module_from_spec(alone)
            alone.loader.exec_module(module)
            words = getattr(module, "ENGLISH_STOP_WORDS", None)
            if isinstance(words, frozenset) and words:
                return frozenset(words)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)
