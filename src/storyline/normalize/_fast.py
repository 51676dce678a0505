"""Compiled character passes of clean_text.

Folding quotes and spaces, collapsing white space, dropping the space before
punctuation and restoring the space in glued sentences are each a regex over the
whole text, and together they were most of the cost of reading an article. Here
they are two single passes over the UTF-32 code points in numba. The regexes in
:mod:`._markup` remain the definition: a test holds these passes to the same
output on thousands of real articles.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["FoldTable", "fold_and_collapse", "fold_table", "tidy_punctuation"]


@nb.njit(cache=True, nogil=True)
def _deleted(c: np.uint32, keys: NDArray[np.uint32], values: NDArray[np.int64]) -> bool:
    k = np.searchsorted(keys, c)
    return bool(k < len(keys) and keys[k] == c and values[k] < 0)


@nb.njit(cache=True, nogil=True)
def _fold_ws(codes: NDArray[np.uint32], keys: NDArray[np.uint32],
             values: NDArray[np.int64]) -> NDArray[np.uint32]:
    n = len(codes)
    out = np.empty(n, np.uint32)
    m = 0
    in_space = False
    for p in range(n):
        c = int(codes[p])
        if c >= 128:
            k = np.searchsorted(keys, codes[p])
            if k < len(keys) and keys[k] == codes[p]:
                c = values[k]
                if c < 0:
                    continue  # deleted: soft hyphen, zero-width characters, BOM
        elif c == 13:  # \r\n and \r become \n (characters deleted in between do not count)
            q = p + 1
            while q < n and codes[q] >= 128 and _deleted(codes[q], keys, values):
                q += 1
            if q < n and codes[q] == 10:
                continue
            c = 10
        if c == 32 or c == 9 or c == 11 or c == 12:
            if in_space:
                continue
            in_space = True
            out[m] = 32
        else:
            in_space = False
            out[m] = c
        m += 1
    return out[:m]


@nb.njit(cache=True, nogil=True, inline="always")
def _lower_ascii(c: int) -> bool:
    return 97 <= c <= 122


@nb.njit(cache=True, nogil=True, inline="always")
def _upper_ascii(c: int) -> bool:
    return 65 <= c <= 90


@nb.njit(cache=True, nogil=True)
def _tidy(codes: NDArray[np.uint32]) -> NDArray[np.uint32]:
    n = len(codes)
    out = np.empty(n + n // 2 + 1, np.uint32)
    m = 0
    p = 0
    while p < n:
        c = codes[p]
        if c == 32:
            q = p
            while q < n and codes[q] == 32:
                q += 1
            if q < n and (codes[q] == 44 or codes[q] == 46 or codes[q] == 59 or codes[q] == 58
                          or codes[q] == 33 or codes[q] == 63 or codes[q] == 41):
                p = q  # spaces before , . ; : ! ? ) go
                continue
            for _ in range(p, q):
                out[m] = 32
                m += 1
            p = q
            continue
        out[m] = c
        m += 1
        p += 1
        if (c == 46 or c == 33 or c == 63) and m >= 3 and _lower_ascii(out[m - 2]) \
                and _lower_ascii(out[m - 3]):
            q = p
            if q < n and (codes[q] == 34 or codes[q] == 39):
                q += 1
            if q + 1 < n and _upper_ascii(codes[q]) and _lower_ascii(codes[q + 1]):
                out[m] = 32  # "a statement.Mr. Sestak": the space a scraper lost
                m += 1
    return out[:m]


def _codes(text: str) -> NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _text(codes: NDArray[np.uint32]) -> str:
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


FoldTable = tuple[NDArray[np.uint32], NDArray[np.int64]]


def fold_table(mapping: dict[int, str | None]) -> FoldTable:
    """A str.translate mapping (one character or None each) as the kernel's sorted table."""
    items = sorted((k, ord(v) if v else -1) for k, v in mapping.items() if k >= 128)
    return (np.array([k for k, _ in items], dtype=np.uint32),
            np.array([v for _, v in items], dtype=np.int64))


def fold_and_collapse(text: str, table: FoldTable) -> str:
    """Fold characters by ``table`` (see fold_table), newlines to \\n, runs of spaces to one."""
    return _text(_fold_ws(_codes(text), *table))


def tidy_punctuation(text: str) -> str:
    """Drop spaces before , . ; : ! ? ) and put back the space in glued sentences."""
    return _text(_tidy(_codes(text)))

