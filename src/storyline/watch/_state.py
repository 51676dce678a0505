"""What the watcher remembers between polls, persisted so that a restart neither
refetches unchanged resources nor reports the same article twice."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ._errors import StateError
from ._fetch import Validators

__all__ = ["UrlState", "WatchState"]

_FORMAT = 1


@dataclass(slots=True)
class UrlState:
    """Per-URL memory: HTTP validators and hashes of what was last seen there.

    ``body_hash`` (raw bytes) lets an unchanged page skip extraction;
    ``content_hash`` (normalized title and text) decides whether a page that
    did change changed in substance, i.e. is a new version of the article.
    """

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    content_hash: str | None = None
    version: int = 0

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


@dataclass
class WatchState:
    """All URLs' :class:`UrlState`, loadable from and savable to a JSON file."""

    urls: dict[str, UrlState] = field(default_factory=dict)
    path: Path | None = None

    def get(self, url: str) -> UrlState:
        """The state of ``url``, created empty on first use."""
        entry = self.urls.get(url)
        if entry is None:
            entry = self.urls[url] = UrlState()
        return entry

    def remember(self, url: str, validators: Validators) -> None:
        entry = self.get(url)
        entry.etag, entry.last_modified = validators.etag, validators.last_modified

    def forget(self, url: str) -> None:
        self.urls.pop(url, None)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> WatchState:
        """Read a state file; a missing file is an empty state bound to ``path``."""
        target = Path(path)
        try:
            raw = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path=target)
        except OSError as exc:
            raise StateError(f"{target}: cannot read watch state: {exc}") from exc
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != _FORMAT:
                raise ValueError(f"not a format-{_FORMAT} watch state")
            known = {f.name for f in fields(UrlState)}
            urls = {
                str(url): UrlState(**{k: v for k, v in entry.items() if k in known})
                for url, entry in data.get("urls", {}).items()
            }
        except (ValueError, TypeError, AttributeError) as exc:
            raise StateError(f"{target}: unreadable watch state: {exc}") from exc
        return cls(urls=urls, path=target)

    def to_dict(self) -> dict[str, Any]:
        return {"format": _FORMAT, "urls": {u: asdict(s) for u, s in sorted(self.urls.items())}}

    def save(self, path: str | os.PathLike[str] | None = None) -> None:
        """Write atomically (temporary file, fsync, ``os.replace``): a crash mid-write
        leaves the previous state intact rather than a truncated file."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise StateError("watch state has no path to save to")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.to_dict(), handle, ensure_ascii=False, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if self.path is None:
            self.path = target
