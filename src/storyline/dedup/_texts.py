"""Text stores that keep a large run's texts out of memory.

Dedup reads a text back only when an article is aligned with a candidate, so a run
over a million articles need not hold a million strings: :class:`PackedTexts`
appends them as UTF-8 to an unnamed temporary file (a few bytes of memory per text,
the page cache doing the rest), and :class:`Reordered` shows it to the index under
the numbers the index gives the articles, which follow publication order, not the
order they were read in.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterator, MutableMapping

import numpy as np
from numpy.typing import NDArray

__all__ = ["PackedTexts", "Reordered"]

_FLUSH = 1 << 20  # bytes buffered before a write


class PackedTexts(MutableMapping[int, str]):
    """An append-only store of texts numbered 0, 1, 2...: text ``n`` is set once, after
    text ``n - 1``; only the last texts can be removed (to undo an append)."""

    def __init__(self) -> None:
        # closed by close() or when the store is collected; never named on disk
        self._file = tempfile.TemporaryFile(prefix="storyline-texts-")  # noqa: SIM115
        self._fd = self._file.fileno()
        self._ends = array("q", [0])  # text n is bytes _ends[n]:_ends[n + 1]
        self._written = 0  # bytes in the file; the rest of the texts are in _buffer
        self._buffer = bytearray()

    def __len__(self) -> int:
        return len(self._ends) - 1

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self)))

    def __getitem__(self, n: int) -> str:
        if not 0 <= n < len(self):
            raise KeyError(n)
        start, end = self._ends[n], self._ends[n + 1]
        if start >= self._written:
            data = bytes(self._buffer[start - self._written:end - self._written])
        elif end <= self._written:
            data = os.pread(self._fd, end - start, start)
        else:
            self._flush()
            data = os.pread(self._fd, end - start, start)
        return data.decode("utf-8", "surrogatepass")

    def __setitem__(self, n: int, text: str) -> None:
        if n != len(self):
            raise KeyError(f"texts are appended in order: expected {len(self)}, got {n}")
        data = text.encode("utf-8", "surrogatepass")
        self._ends.append(self._ends[-1] + len(data))
        self._buffer += data
        if len(self._buffer) >= _FLUSH:
            self._flush()

    def extend(self, blob: bytes, ends: NDArray[np.int64]) -> None:
        """Append texts given as one UTF-8 blob: text ``i`` is ``blob[ends[i]:ends[i + 1]]``
        (``ends`` starts with 0)."""
        base = self._ends[-1]
        self._ends.extend((ends[1:] + base).tolist())
        self._buffer += blob
        if len(self._buffer) >= _FLUSH:
            self._flush()

    def __delitem__(self, n: int) -> None:
        if n != len(self) - 1:
            raise KeyError(f"only the last text ({len(self) - 1}) can be removed, not {n}")
        self.truncate(n)

    def truncate(self, count: int) -> None:
        """Keep only the first ``count`` texts."""
        end = self._ends[count]
        if end < self._written:
            self._flush()
            os.ftruncate(self._fd, end)
            self._written = end
        else:
            del self._buffer[end - self._written:]
        del self._ends[count + 1:]

    def _flush(self) -> None:
        if self._buffer:
            os.pwrite(self._fd, self._buffer, self._written)
            self._written += len(self._buffer)
            self._buffer.clear()

    def close(self) -> None:
        self._file.close()


class Reordered(MutableMapping[int, str]):
    """A view of ``store`` in which key ``k`` reads ``store[where[k]]``; read-only (the
    texts are in ``store`` already)."""

    def __init__(self, store: MutableMapping[int, str], where: NDArray[np.int64]) -> None:
        self._store = store
        self._where = where

    def __len__(self) -> int:
        return len(self._where)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._where)))

    def __getitem__(self, k: int) -> str:
        if not 0 <= k < len(self._where):
            raise KeyError(k)
        return self._store[int(self._where[k])]

    def __setitem__(self, k: int, text: str) -> None:
        raise TypeError("a reordered view of a text store is read-only")

    def __delitem__(self, k: int) -> None:
        raise TypeError("a reordered view of a text store is read-only")
