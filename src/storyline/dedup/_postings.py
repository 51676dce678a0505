"""An append-only inverted index from fingerprints to document numbers, in numpy.

Sorted runs that merge when two neighbours reach the same size (a small LSM
tree): appends are amortised O(log n), a lookup is one ``searchsorted`` per run,
and the whole index is two uint32 arrays per run, 8 bytes per posting, which is
what keeps the per-article memory under 1 KB where a dict of lists costs ~70
bytes per posting.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["Postings", "merge_runs"]

_BUFFER = 4096


@nb.njit(cache=True, nogil=True)
def merge_runs(k1: NDArray[np.uint32], d1: NDArray[np.uint32], k2: NDArray[np.uint32],
               d2: NDArray[np.uint32]) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """Two sorted runs as one, the first run's postings first among equal keys (what a
    stable sort of the two joined gives), in one pass and with no temporary arrays: at
    a million articles a merge of the largest runs sorted ~1 GB of them."""
    n1, n2 = len(k1), len(k2)
    keys = np.empty(n1 + n2, np.uint32)
    docs = np.empty(n1 + n2, np.uint32)
    i = j = m = 0
    while i < n1 and j < n2:
        if k2[j] < k1[i]:
            keys[m] = k2[j]
            docs[m] = d2[j]
            j += 1
        else:
            keys[m] = k1[i]
            docs[m] = d1[i]
            i += 1
        m += 1
    while i < n1:
        keys[m] = k1[i]
        docs[m] = d1[i]
        i += 1
        m += 1
    while j < n2:
        keys[m] = k2[j]
        docs[m] = d2[j]
        j += 1
        m += 1
    return keys, docs


class Postings:
    def __init__(self) -> None:
        self._runs: list[tuple[NDArray[np.uint32], NDArray[np.uint32]]] = []
        self._buf_keys: list[NDArray[np.uint32]] = []
        self._buf_docs: list[NDArray[np.uint32]] = []
        self._buf_len = 0

    def __len__(self) -> int:
        return sum(len(k) for k, _ in self._runs) + self._buf_len

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + d.nbytes for k, d in self._runs) + self._buf_len * 8

    def add(self, doc: int, keys: NDArray[np.uint32]) -> None:
        self._buf_keys.append(keys)
        self._buf_docs.append(np.full(len(keys), doc, dtype=np.uint32))
        self._buf_len += len(keys)
        if self._buf_len >= _BUFFER:
            self._flush()

    def _flush(self) -> None:
        if not self._buf_len:
            return
        keys = np.concatenate(self._buf_keys)
        docs = np.concatenate(self._buf_docs)
        self._buf_keys, self._buf_docs, self._buf_len = [], [], 0
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], docs[order]))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            (k2, d2), (k1, d1) = self._runs.pop(), self._runs.pop()
            self._runs.append(merge_runs(k1, d1, k2, d2))

    def runs(self) -> list[tuple[NDArray[np.uint32], NDArray[np.uint32]]]:
        """Every posting as sorted (keys, docs) runs: the merged runs, then the buffer
        sorted on the fly (not flushed: adding one article at a time would otherwise
        make a run per article)."""
        if not self._buf_len:
            return list(self._runs)
        keys = np.concatenate(self._buf_keys)
        docs = np.concatenate(self._buf_docs)
        order = np.argsort(keys, kind="stable")
        return [*self._runs, (keys[order], docs[order])]

    def arrays(self) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
        """Everything as one (keys, docs) pair, for saving."""
        self._flush()
        if not self._runs:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32)
        keys = np.concatenate([k for k, _ in self._runs])
        docs = np.concatenate([d for _, d in self._runs])
        return keys, docs

    @classmethod
    def from_arrays(cls, keys: NDArray[np.uint32], docs: NDArray[np.uint32]) -> Postings:
        p = cls()
        if len(keys):
            order = np.argsort(keys, kind="stable")
            p._runs.append((keys[order].astype(np.uint32), docs[order].astype(np.uint32)))
        return p
