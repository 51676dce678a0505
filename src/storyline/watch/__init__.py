"""Watch stage: poll RSS/Atom feeds and yield new and changed articles ("Always on").

A library for the CLI and the store: :func:`load_sources` reads the feed list,
a :class:`Fetcher` does polite and safe HTTP, :func:`poll` makes one pass and
:func:`watch` repeats it. :class:`WatchState` remembers, across restarts, what
was already fetched and seen, so nothing is refetched needlessly or reported twice.
"""

from __future__ import annotations

from ._address import Resolver, is_public, system_resolver
from ._errors import (
    BlockedAddressError,
    FetchError,
    HTTPStatusError,
    ResponseTooLargeError,
    StateError,
    TooManyRedirectsError,
    UnsupportedSchemeError,
    WatchError,
)
from ._fetch import USER_AGENT, Fetcher, FetchResult, Validators
from ._loop import watch
from ._poll import PollResult, WatchedArticle, article_id, poll
from ._sources import Sources, load_sources, parse_opml, parse_url_list
from ._state import UrlState, WatchState

__all__ = [
    "USER_AGENT",
    "BlockedAddressError",
    "FetchError",
    "FetchResult",
    "Fetcher",
    "HTTPStatusError",
    "PollResult",
    "Resolver",
    "ResponseTooLargeError",
    "Sources",
    "StateError",
    "TooManyRedirectsError",
    "UnsupportedSchemeError",
    "UrlState",
    "Validators",
    "WatchError",
    "WatchState",
    "WatchedArticle",
    "article_id",
    "is_public",
    "load_sources",
    "parse_opml",
    "parse_url_list",
    "poll",
    "system_resolver",
    "watch",
]
