"""Stable word-shingle hashes and the sampled fingerprints that the index keeps.

Hashes must be stable across processes (the index persists), so tokens are
hashed with CRC-32 rather than Python's salted ``hash``; shingles are combined
and mixed with 64-bit arithmetic in numpy. A fingerprint is kept when its mixed
hash falls in a fixed residue class (``h % rate == 0``): two texts that share a
passage therefore keep the *same* fingerprints of it, which is what lets the
index find rewrites that share a few paragraphs but little overall (versions),
where a MinHash signature only estimates whole-text Jaccard.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
from numpy.typing import NDArray

__all__ = ["content_key", "fingerprints", "tokens"]

TOKEN_PATTERN = re.compile(r"[^\W_]+")  # words: letters and digits of any script
_P = np.uint64(0x100000001B3)  # FNV prime, odd
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits of any script)."""
    return TOKEN_PATTERN.findall(text.lower())


def content_key(toks: list[str]) -> bytes:
    """A key equal for texts whose tokens are equal (case, spacing, punctuation folded)."""
    import hashlib

    return hashlib.blake2b(" ".join(toks).encode(), digest_size=16).digest()


_CACHE: dict[str, int] = {}
_CACHE_LIMIT = 2_000_000  # distinct tokens; news vocabularies stay well below


def _token_hash(token: str) -> int:
    h = zlib.crc32(token.encode())
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[token] = h
    return h


def _token_hashes(toks: list[str]) -> NDArray[np.uint64]:
    get = _CACHE.get
    return np.array([get(t) or _token_hash(t) for t in toks], dtype=np.uint64)


def shingle_hashes(toks: list[str], k: int) -> NDArray[np.uint64]:
    """Mixed 64-bit hashes of every run of ``k`` tokens (one hash if the text is shorter)."""
    th = _token_hashes(toks)
    if len(th) == 0:
        return np.zeros(0, dtype=np.uint64)
    if len(th) < k:
        k = len(th)
    n = len(th) - k + 1
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for i in range(k):
            h = h * _P + th[i : i + n]
        h ^= h >> np.uint64(31)
        h *= _MIX1
        h ^= h >> np.uint64(29)
        h *= _MIX2
        h ^= h >> np.uint64(32)
    return h


def fingerprints(toks: list[str], k: int = 5, rate: int = 8) -> NDArray[np.uint32]:
    """Unique sampled shingle fingerprints (uint32), about one per ``rate`` shingles.

    Texts too short to keep any get their smallest shingle hash, so that every
    article has at least one fingerprint to be found by.
    """
    h = shingle_hashes(toks, k)
    if len(h) == 0:
        return np.zeros(0, dtype=np.uint32)
    keep = h[(h % np.uint64(rate)) == 0]
    if len(keep) == 0:
        keep = h[np.argmin(h) : np.argmin(h) + 1]
    return np.unique((keep >> np.uint64(32)).astype(np.uint32))
