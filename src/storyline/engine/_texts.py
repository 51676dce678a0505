"""The dedup index's texts, read from the store instead of kept in the checkpoint.

Dedup reads a text back only to check a candidate pair, mostly a recent one; the
store already holds every text, so a store-backed engine keeps none in its checkpoint
(which would otherwise rewrite every text at every update) and few in memory: the
texts added since the last checkpoint, and an LRU of those read back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["StoreTexts"]

_CACHE = 4096  # texts read back from the store kept in memory


class StoreTexts(MutableMapping[int, str]):
    """Text of doc ``n``: set ones until :meth:`flush`, else from the store (cached).

    ``key_of(n)`` gives the ``(article id, version number)`` the doc was read from."""

    def __init__(self, store: Store, key_of: Callable[[int], tuple[str, int]]) -> None:
        self.store = store
        self.key_of = key_of
        self._recent: dict[int, str] = {}
        self._cache: OrderedDict[int, str] = OrderedDict()
        self._known = 0  # docs numbered so far (texts set or flushed)

    def __getitem__(self, doc: int) -> str:
        text = self._recent.get(doc)
        if text is not None:
            return text
        text = self._cache.get(doc)
        if text is not None:
            self._cache.move_to_end(doc)
            return text
        key = self.key_of(doc)
        found = self.store.version_texts([key]).get(key)
        if found is None:
            raise KeyError(doc)
        self._cache[doc] = found
        if len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
        return found

    def __setitem__(self, doc: int, text: str) -> None:
        self._recent[doc] = text
        self._known = max(self._known, doc + 1)

    def __delitem__(self, doc: int) -> None:
        self._recent.pop(doc, None)
        self._cache.pop(doc, None)

    def __len__(self) -> int:
        return self._known

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._known))

    def flush(self) -> None:
        """The checkpoint was written: the store holds these texts, memory need not."""
        self._recent.clear()

    def restore(self, docs: int) -> None:
        """After loading a checkpoint of ``docs`` docs."""
        self._known = docs
