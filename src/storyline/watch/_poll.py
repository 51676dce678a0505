"""One pass over the feeds: new and changed articles, and what went wrong where."""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser

from ..errors import InputProblem
from ..ingest._decode import DecodeError, decode
from ..ingest._formats import read_html
from ..ingest._records import parse_date
from ..model import Article
from ..normalize import normalize_article
from ._errors import FetchError, HTTPStatusError
from ._fetch import Fetcher, FetchResult, Validators
from ._state import WatchState

__all__ = ["PollResult", "WatchedArticle", "article_id", "poll"]


@dataclass(frozen=True, slots=True)
class WatchedArticle:
    """An article found by a poll. ``changed``: its page was seen before with other content,
    so this is a new version (``version`` counts them, 1 for the first sighting)."""

    article: Article
    feed: str
    changed: bool = False
    version: int = 1


@dataclass
class PollResult:
    """New and changed articles, in feed order, and the problems met on the way."""

    found: list[WatchedArticle] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    feeds_fetched: int = 0
    feeds_not_modified: int = 0
    pages_fetched: int = 0

    @property
    def articles(self) -> list[Article]:
        return [w.article for w in self.found]

    @property
    def changed(self) -> list[Article]:
        return [w.article for w in self.found if w.changed]


def article_id(url: str) -> str:
    """A stable id from the URL (same scheme as ingest's ``url-`` ids), fragment ignored."""
    return "url-" + hashlib.sha1(urldefrag(url)[0].encode()).hexdigest()[:16]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            name = value.strip().strip("\"'")
            try:
                return codecs.lookup(name).name
            except LookupError:
                return None
    return None


def _page_text(result: FetchResult) -> str:
    """Decode with the declared charset when it works, else as ingest does (BOM/UTF-8/cp1252)."""
    declared = _charset(result.content_type)
    if declared:
        try:
            return result.content.decode(declared)
        except UnicodeDecodeError:
            pass
    text, _encoding = decode(result.content)
    return text


def _parse_feed(result: FetchResult) -> Any:
    # A file object, not bytes: given bytes, feedparser first tries them as a local
    # file name, so a hostile server could make it read a file from this machine.
    return feedparser.parse(
        io.BytesIO(result.content),
        response_headers={
            "content-type": result.content_type or "application/xml",
            "content-location": result.final_url,
        },
    )


def _entry_date(entry: Any) -> Any:
    for key in ("published", "updated", "created"):
        value = entry.get(key)
        if value:
            parsed = parse_date(value)
            if parsed is not None:
                return parsed
    return None


def _complete(article: Article, link: str, entry: Any, feed: Any) -> Article:
    """Fill what the page lacks from the feed entry; the id is always the link's."""
    host = urlsplit(link).hostname
    author = entry.get("author")
    return replace(
        article,
        id=article_id(link),
        url=article.url or link,
        source=article.source or (feed.get("title") or None) or host,
        published=article.published or _entry_date(entry),
        title=article.title or entry.get("title", ""),
        original_title=article.original_title or entry.get("title", ""),
        authors=article.authors or ([author] if author else []),
        path=link,
    )


def _is_transient(exc: FetchError) -> bool:
    """A timeout, a dropped connection, 429 or 5xx: likely to work on a later poll."""
    if isinstance(exc, HTTPStatusError):
        return exc.status == 429 or exc.status >= 500
    return type(exc) is FetchError


def _poll_page(
    link: str, entry: Any, feed: Any, feed_url: str, fetcher: Fetcher, state: WatchState,
    result: PollResult,
) -> bool:
    """Handle one linked page; False when it failed in a way worth retrying soon."""
    known = state.urls.get(link)
    try:
        page = fetcher.fetch(link, validators=known.validators if known else Validators())
    except FetchError as exc:
        result.problems.append(InputProblem(link, f"{exc.reason} (linked from {feed_url})"))
        return not _is_transient(exc)
    if page.not_modified:
        return True
    result.pages_fetched += 1
    body_hash = _sha256(page.content)
    entry_state = state.get(link)

    def seen() -> None:
        # Only once the page is dealt with: were extraction to crash, the next poll
        # must fetch it in full again rather than get a 304 and lose the article.
        state.remember(link, page.validators)
        entry_state.body_hash = body_hash

    if entry_state.body_hash == body_hash:
        seen()
        return True  # byte-identical to last time: nothing to extract
    try:
        text = _page_text(page)
    except DecodeError as exc:
        seen()
        result.problems.append(InputProblem(link, f"{exc} (linked from {feed_url})"))
        return True
    items = list(read_html(text, link, article_id(link)))
    seen()
    articles = [item for item in items if isinstance(item, Article)]
    for item in items:
        if isinstance(item, InputProblem):
            result.problems.append(replace(item, reason=f"{item.reason} (linked from {feed_url})"))
    if not articles:
        return True
    article = normalize_article(_complete(articles[0], link, entry, feed))
    content_hash = _sha256(f"{article.title}\n{article.text}".encode())
    if entry_state.content_hash == content_hash:
        return True  # markup changed, the article did not
    changed = entry_state.content_hash is not None
    entry_state.content_hash = content_hash
    entry_state.version += 1
    result.found.append(WatchedArticle(article, feed_url, changed, entry_state.version))
    return True


def _poll_feed(url: str, fetcher: Fetcher, state: WatchState, result: PollResult,
               polled_links: set[str]) -> None:
    known = state.urls.get(url)
    try:
        fetched = fetcher.fetch(url, validators=known.validators if known else Validators())
    except FetchError as exc:
        result.problems.append(InputProblem(url, exc.reason))
        return
    if fetched.not_modified:
        result.feeds_not_modified += 1
        return
    result.feeds_fetched += 1
    parsed = _parse_feed(fetched)
    if not parsed.entries and parsed.get("bozo"):
        reason = f"malformed feed: {parsed.get('bozo_exception') or 'not RSS or Atom'}"
        result.problems.append(InputProblem(url, reason))
        state.forget(url)  # no validators kept: fetch it in full next time
        return
    complete = True
    for entry in parsed.entries:
        raw = entry.get("link")
        if not raw:
            result.problems.append(InputProblem(
                url, f"entry {entry.get('title', '')!r} has no link; skipped", severity="warning"
            ))
            continue
        link = urldefrag(urljoin(fetched.final_url, raw.strip()))[0]
        if link in polled_links:
            continue  # listed by another feed (or twice in this one) in this poll
        polled_links.add(link)
        complete &= _poll_page(link, entry, parsed.feed, url, fetcher, state, result)
    if complete:
        # Kept only now, and only when no page failed for a passing reason: otherwise the
        # next poll would get a 304 for the feed and never retry the pages it lists.
        state.remember(url, fetched.validators)


def poll(sources: Iterable[str], fetcher: Fetcher, state: WatchState) -> PollResult:
    """Fetch every feed and every page it links to; return new and changed articles.

    Never raises for a bad feed or page: each becomes a problem naming the URL,
    and the poll goes on. ``state`` is updated in memory; saving it is the
    caller's choice (``watch`` saves after each poll).
    """
    result = PollResult()
    polled_links: set[str] = set()
    for url in sources:
        _poll_feed(url, fetcher, state, result, polled_links)
    return result
