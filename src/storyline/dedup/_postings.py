"""An append-only inverted index from fingerprints to document numbers, in numpy.

Sorted runs that merge when two neighbours reach the same size (a small LSM
tree): appends are amortised O(log n), a batch's sorted postings are looked up in a
run by one galloping merge (:func:`sorted_lookups`), and the whole index is two uint32
arrays per run, 8 bytes per posting, which is what keeps the per-article memory under
1 KB where a dict of lists costs ~70 bytes per posting.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["Postings", "batch_postings", "earlier_pairs", "merge_runs", "sort_pairs",
           "sorted_lookups", "split_postings"]

_BUFFER = 4096

Run = tuple[NDArray[np.uint32], NDArray[np.uint32]]  # keys (sorted), then docs
PostingsState = tuple[list[Run], list[NDArray[np.uint32]], list[NDArray[np.uint32]], int]


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


@nb.njit(cache=True, nogil=True)
def batch_postings(fps: NDArray[np.uint32], offsets: NDArray[np.int64],
                   indexed: NDArray[np.bool_], first_doc: int) -> NDArray[np.uint64]:
    """The postings of a batch's ``indexed`` docs (doc ``first_doc + i`` has
    ``fps[offsets[i]:offsets[i + 1]]``) as 64-bit words, key above doc: sorted, they
    are in key, then doc order. Made in one pass: the numpy way took five temporary
    arrays, and on this scale fresh memory costs as much as the work."""
    total = 0
    for d in range(len(indexed)):
        if indexed[d]:
            total += offsets[d + 1] - offsets[d]
    out = np.empty(total, np.uint64)
    m = 0
    for d in range(len(indexed)):
        if indexed[d]:
            doc = np.uint64(first_doc + d)
            for i in range(offsets[d], offsets[d + 1]):
                out[m] = (np.uint64(fps[i]) << np.uint64(32)) | doc
                m += 1
    return out


@nb.njit(cache=True, nogil=True)
def split_postings(both: NDArray[np.uint64]) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """Keys and docs of postings packed by :func:`batch_postings`."""
    keys = np.empty(len(both), np.uint32)
    docs = np.empty(len(both), np.uint32)
    for i in range(len(both)):
        keys[i] = both[i] >> np.uint64(32)
        docs[i] = both[i] & np.uint64(0xFFFFFFFF)
    return keys, docs


@nb.njit(cache=True, nogil=True)
def earlier_pairs(keys: NDArray[np.uint32], docs: NDArray[np.uint32],
                  known: NDArray[np.int64], cap: int) -> tuple[
                      NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """The (doc, earlier doc) pairs of a batch's postings sharing a key, one per shared
    key; and which postings are stored.

    ``keys`` and ``docs`` are the batch's postings sorted by key, then doc;
    ``known[i]`` is how many postings of key ``keys[i]`` the index already holds. A
    posting is stored if it is among its key's first ``cap`` (0: no limit), and a doc
    pairs only with the stored postings of earlier docs. Those are the run just
    before a posting in its key, so they are counted, not searched for.
    """
    n = len(keys)
    stored = np.empty(n, np.bool_)
    total = 0
    s = e = 0
    for i in range(n):
        if i == 0 or keys[i] != keys[i - 1]:
            s = e = i
        elif docs[i] != docs[i - 1]:
            e = i  # the first posting of this doc in the key: its partners end before
        room = cap - known[i] if cap > 0 else n
        stored[i] = i - s < room
        total += max(0, min(e - s, room))
    out_a = np.empty(total, np.int64)
    out_b = np.empty(total, np.int64)
    m = 0
    for i in range(n):
        if i == 0 or keys[i] != keys[i - 1]:
            s = e = i
        elif docs[i] != docs[i - 1]:
            e = i
        room = cap - known[i] if cap > 0 else n
        for j in range(s, s + max(0, min(e - s, room))):
            out_a[m] = docs[i]
            out_b[m] = docs[j]
            m += 1
    return out_a, out_b, stored


@nb.njit(cache=True, nogil=True, inline="always")
def _gallop(keys: NDArray[np.uint32], k: np.uint32, j: int) -> tuple[int, int]:
    """Where key ``k``'s postings start in sorted ``keys``, searching from ``j`` on (no
    key before ``j`` is ``k`` or above), and how many there are."""
    n = len(keys)
    if j < n and keys[j] < k:  # the first key not below k is after j
        step = 1
        while j + step < n and keys[j + step] < k:
            step *= 2
        a = j + step // 2 + 1  # keys[j + step // 2] < k
        b = min(j + step, n)  # keys[b] >= k, or the end
        while a < b:
            mid = (a + b) // 2
            if keys[mid] < k:
                a = mid + 1
            else:
                b = mid
        j = a
    c = 0
    while j + c < n and keys[j + c] == k:
        c += 1
    return j, c


@nb.njit(cache=True, nogil=True)
def sorted_lookups(keys_a: NDArray[np.uint32], docs_a: NDArray[np.integer],
                   keys_b: NDArray[np.uint32], docs_b: NDArray[np.uint32],
                   held: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All (doc_a, doc_b) pairs sharing a key, one per shared key, for ``keys_a`` sorted
    (a batch's postings) against a run ``keys_b``: in A's order, then B's. ``held[i]``
    grows by the number of B's postings of key ``keys_a[i]``.

    A merge that gallops through B: the keys are sorted on both sides, so each search
    starts where the last ended, and its reads move forward through memory (a lookup
    per key through a directory of the run's buckets cost four times as much on a
    batch of millions of postings, and the directory had to be built for every run).
    """
    na = len(keys_a)
    total = 0
    j = c = 0
    for i in range(na):
        if i == 0 or keys_a[i] != keys_a[i - 1]:
            j, c = _gallop(keys_b, keys_a[i], j)
        held[i] += c
        total += c
    # the pairs in a second pass that gallops again: cheaper than holding where each
    # key's postings are (two arrays of 16 bytes a posting, all of it fresh memory)
    out_a = np.empty(total, np.int64)
    out_b = np.empty(total, np.int64)
    n = j = c = 0
    for i in range(na):
        if i == 0 or keys_a[i] != keys_a[i - 1]:
            j, c = _gallop(keys_b, keys_a[i], j)
        for x in range(j, j + c):
            out_a[n] = docs_a[i]
            out_b[n] = docs_b[x]
            n += 1
    return out_a, out_b


def sort_pairs(keys: NDArray[np.uint32], docs: NDArray[np.integer]
               ) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """(key, doc) pairs sorted by key, then doc: what a stable argsort of the keys gives
    when the pairs come in doc order (as every caller's do), but as one sort of 64-bit
    words, which numpy does five times faster. Docs must be below 2**32 (postings hold
    them as uint32)."""
    if len(docs) and int(docs.max()) >= 1 << 32:
        raise ValueError("document numbers must be below 2**32")
    both = (keys.astype(np.uint64) << np.uint64(32)) | docs.astype(np.uint64)
    both.sort()
    return split_postings(both)


class Postings:
    def __init__(self) -> None:
        self._runs: list[Run] = []
        self._buf_keys: list[NDArray[np.uint32]] = []
        self._buf_docs: list[NDArray[np.uint32]] = []
        self._buf_len = 0

    def __len__(self) -> int:
        return sum(len(run[0]) for run in self._runs) + self._buf_len

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + d.nbytes for k, d in self._runs) \
            + self._buf_len * 8

    def add_many(self, keys_of: dict[int, NDArray[np.uint32]]) -> None:
        """The postings of several docs at once (a batch's, in doc order: one run, where
        adding them doc by doc made a run, and a cascade of merges, every few
        thousand postings)."""
        if not keys_of:
            return
        lengths = [len(k) for k in keys_of.values()]
        self._buf_keys.append(np.concatenate(list(keys_of.values())).astype(np.uint32,
                                                                            copy=False))
        self._buf_docs.append(np.repeat(np.fromiter(keys_of, dtype=np.uint32,
                                                    count=len(keys_of)), lengths))
        self._buf_len += sum(lengths)
        if self._buf_len >= _BUFFER:
            self._flush()

    def add_sorted(self, keys: NDArray[np.uint32], docs: NDArray[np.uint32]) -> None:
        """Postings already sorted by key, then doc, of docs after every doc indexed so
        far (a batch's, as the index finds them while looking up its candidates): as
        :meth:`add_many`, with no sort when they make a run of their own."""
        if not len(keys):
            return
        self._buf_keys.append(keys.astype(np.uint32, copy=False))
        self._buf_docs.append(docs.astype(np.uint32, copy=False))
        self._buf_len += len(keys)
        if self._buf_len >= _BUFFER:
            self._flush(presorted=len(self._buf_keys) == 1)

    def _flush(self, presorted: bool = False) -> None:
        if not self._buf_len:
            return
        keys, docs = ((self._buf_keys[0], self._buf_docs[0]) if len(self._buf_keys) == 1
                      else (np.concatenate(self._buf_keys), np.concatenate(self._buf_docs)))
        self._buf_keys, self._buf_docs, self._buf_len = [], [], 0
        self._runs.append((keys, docs) if presorted else sort_pairs(keys, docs))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            (k2, d2), (k1, d1) = self._runs.pop(), self._runs.pop()
            self._runs.append(merge_runs(k1, d1, k2, d2))

    def snapshot(self) -> PostingsState:
        """The state to :meth:`restore` to, undoing later adds (runs are never changed
        in place, so this copies only lists)."""
        return (list(self._runs), list(self._buf_keys), list(self._buf_docs), self._buf_len)

    def restore(self, state: PostingsState) -> None:
        runs, keys, docs, length = state
        self._runs, self._buf_keys, self._buf_docs = list(runs), list(keys), list(docs)
        self._buf_len = length

    def runs(self) -> list[Run]:
        """Every posting as sorted (keys, docs) runs: the merged runs, then the buffer
        sorted on the fly (not flushed: adding one article at a time would otherwise
        make a run per article)."""
        if not self._buf_len:
            return list(self._runs)
        keys = np.concatenate(self._buf_keys)
        docs = np.concatenate(self._buf_docs)
        return [*self._runs, sort_pairs(keys, docs)]

    def arrays(self) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
        """Everything as one (keys, docs) pair, for saving."""
        self._flush()
        if not self._runs:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32)
        keys = np.concatenate([run[0] for run in self._runs])
        docs = np.concatenate([run[1] for run in self._runs])
        return keys, docs

    @classmethod
    def from_arrays(cls, keys: NDArray[np.uint32], docs: NDArray[np.uint32]) -> Postings:
        p = cls()
        if len(keys):
            order = np.argsort(keys, kind="stable")
            p._runs.append((keys[order].astype(np.uint32), docs[order].astype(np.uint32)))
        return p
