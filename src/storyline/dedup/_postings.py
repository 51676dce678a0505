"""An append-only inverted index from fingerprints to document numbers, in numpy.

Sorted runs that merge when two neighbours reach the same size (a small LSM
tree): appends are amortised O(log n), a lookup is one ``searchsorted`` per run,
and the whole index is two uint32 arrays per run, 8 bytes per posting, which is
what keeps the per-article memory under 1 KB where a dict of lists costs ~70
bytes per posting.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["Postings"]

_BUFFER = 4096


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
            keys = np.concatenate([k1, k2])
            docs = np.concatenate([d1, d2])
            order = np.argsort(keys, kind="stable")
            self._runs.append((keys[order], docs[order]))

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
