"""The watch stage's exceptions, all :class:`~storyline.errors.StorylineError` subclasses.

Callers that only care "did this feed or page fail?" catch :class:`FetchError`;
the subclasses exist so that a caller (or a test) can tell a refused address
from a network failure without parsing messages.
"""

from __future__ import annotations

from ..errors import StorylineError

__all__ = [
    "BlockedAddressError",
    "FetchError",
    "HTTPStatusError",
    "ResponseTooLargeError",
    "StateError",
    "TooManyRedirectsError",
    "UnsupportedSchemeError",
    "WatchError",
]


class WatchError(StorylineError):
    """Base class of every error the watch stage raises on purpose."""


class FetchError(WatchError):
    """A URL could not be fetched; the message names the URL and the reason."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class UnsupportedSchemeError(FetchError):
    """The URL is not http(s): file:, ftp:, gopher: and the like are never fetched."""


class BlockedAddressError(FetchError):
    """The host resolves to a private, loopback, link-local or otherwise non-public address."""


class TooManyRedirectsError(FetchError):
    """The redirect chain was longer than the fetcher allows."""


class ResponseTooLargeError(FetchError):
    """The body exceeded the size limit; the download was aborted."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, url: str, status: int, reason: str | None = None) -> None:
        super().__init__(url, reason or f"HTTP status {status}")
        self.status = status


class StateError(WatchError):
    """The watch state file exists but cannot be read as a watch state."""
