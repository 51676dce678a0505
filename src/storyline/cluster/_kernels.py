"""Compiled inner loop of the split check: 2-means over a story's sparse report vectors.

The check runs each time an article joins a young story, so it must cost microseconds:
numpy's dense products call BLAS, whose thread start-up alone outweighs these tiny
products, and scipy's sparse matrices add tens of microseconds per operation. A numba
kernel over the reports' term ids and weights does the whole check in one call; it is
compiled on first use and cached on disk.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["two_means"]


@nb.njit(cache=True, nogil=True)
def _centres(terms: NDArray[np.int64], weights: NDArray[np.float64],
             offsets: NDArray[np.int64], labels: NDArray[np.bool_],
             ncols: int) -> NDArray[np.float64]:
    centres = np.zeros((2, ncols))
    for i in range(offsets.size - 1):
        g = 1 if labels[i] else 0
        for k in range(offsets[i], offsets[i + 1]):
            centres[g, terms[k]] += weights[k]
    return centres


@nb.njit(cache=True, nogil=True)
def two_means(terms: NDArray[np.int64], weights: NDArray[np.float64],
              offsets: NDArray[np.int64], ncols: int, copy_cosine: float,
              min_part: int, threshold: float) -> NDArray[np.bool_]:
    """The reports (row ``i`` is ``terms/weights[offsets[i]:offsets[i+1]]``, terms in
    ``0..ncols-1``) divided in two by 2-means seeded with the two least alike reports.

    Returns the half of each report (``True``: the second half) when the split holds:
    each half has at least ``min_part`` reports that are not copies of each other (cosine
    under ``copy_cosine``) and the halves' centroids have a cosine under ``threshold``.
    Returns an empty array otherwise.
    """
    n = offsets.size - 1
    none = np.zeros(0, dtype=np.bool_)
    gram = np.zeros((n, n))
    buf = np.zeros(ncols)
    for i in range(n):
        for k in range(offsets[i], offsets[i + 1]):
            buf[terms[k]] = weights[k]
        for j in range(n):
            s = 0.0
            for k in range(offsets[j], offsets[j + 1]):
                s += buf[terms[k]] * weights[k]
            gram[i, j] = s
        for k in range(offsets[i], offsets[i + 1]):
            buf[terms[k]] = 0.0
    seed0, seed1, least = 0, 1, np.inf
    for i in range(n):
        for j in range(n):
            if i != j and gram[i, j] < least:
                seed0, seed1, least = i, j, gram[i, j]
    labels = np.zeros(n, dtype=np.bool_)
    centres = np.zeros((2, ncols))
    for k in range(offsets[seed0], offsets[seed0 + 1]):
        centres[0, terms[k]] += weights[k]
    for k in range(offsets[seed1], offsets[seed1 + 1]):
        centres[1, terms[k]] += weights[k]
    for it in range(4):
        norm0 = np.sqrt(np.sum(centres[0] ** 2)) or 1.0
        norm1 = np.sqrt(np.sum(centres[1] ** 2)) or 1.0
        new = np.zeros(n, dtype=np.bool_)
        ones = 0
        for i in range(n):
            s0 = 0.0
            s1 = 0.0
            for k in range(offsets[i], offsets[i + 1]):
                s0 += centres[0, terms[k]] * weights[k]
                s1 += centres[1, terms[k]] * weights[k]
            if s0 / norm0 < s1 / norm1:
                new[i] = True
                ones += 1
        if ones == 0 or ones == n:
            return none
        if it > 0 and np.array_equal(new, labels):
            break
        labels = new
        centres = _centres(terms, weights, offsets, labels, ncols)
    # copies of one report count once in each half
    diag = np.sqrt(np.diag(gram).copy())
    for half in (False, True):
        kept = np.zeros(n, dtype=np.int64)
        nkept = 0
        for i in range(n):
            if labels[i] != half:
                continue
            copy = False
            for m in range(nkept):
                j = kept[m]
                d = diag[i] * diag[j]
                if d > 0 and gram[i, j] / d >= copy_cosine:
                    copy = True
                    break
            if not copy:
                kept[nkept] = i
                nkept += 1
        if nkept < min_part:
            return none
    a = centres[0]
    b = centres[1]
    na = np.sqrt(np.sum(a * a))
    nb_ = np.sqrt(np.sum(b * b))
    if np.sum(a * b) >= threshold * na * nb_:
        return none
    return labels
