"""A polite, bounded HTTP client for feeds and article pages.

Why not plain ``httpx.get``: a watcher runs unattended against third-party
servers, so it must not hammer a host (politeness delay, conditional GET),
must not hang or fill memory (timeouts, size limit), must ride out transient
failures (retries with backoff) and must not be steered into the local
network by a feed entry or a redirect (address check on every hop).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx

from ._address import Resolver, check_host, system_resolver
from ._errors import (
    FetchError,
    HTTPStatusError,
    ResponseTooLargeError,
    TooManyRedirectsError,
    UnsupportedSchemeError,
)

__all__ = ["USER_AGENT", "FetchResult", "Fetcher", "Validators"]

USER_AGENT = "storyline-watch/0.1 (+https://github.com/storyline; feed reader)"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Validators:
    """What a server said about a resource's version, for the next conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One fetched resource. ``not_modified`` means a 304: ``content`` is empty."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    content: bytes
    headers: httpx.Headers
    not_modified: bool = False

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("etag"), self.headers.get("last-modified"))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class Fetcher:
    """An :class:`httpx.Client` wrapper with politeness, limits, retries and an address check.

    ``transport``, ``resolver``, ``clock`` and ``sleep`` are injectable so that
    tests run without a network and without real waiting.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        delay: float = 1.0,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_bytes: int = 5 * 1024 * 1024,
        max_tries: int = 3,
        backoff: float = 1.0,
        max_retry_after: float = 60.0,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        transport: httpx.BaseTransport | None = None,
        resolver: Resolver = system_resolver,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        trust_env: bool = False,
    ) -> None:
        self.allow_private = allow_private
        self.delay = delay
        self.max_bytes = max_bytes
        self.max_tries = max(1, max_tries)
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_redirects = max_redirects
        self._resolver = resolver
        self._clock = clock
        self._sleep = sleep
        self._last_request: dict[str, float] = {}
        self.validators: dict[str, Validators] = {}
        # Proxies from the environment are ignored by default: through a proxy the
        # address check would vet the target while the proxy connects wherever it likes.
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={"User-Agent": user_agent},
            trust_env=trust_env,
        )

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- public --------------------------------------------------------------------------

    def fetch(
        self, url: str, *, validators: Validators | None = None, conditional: bool = True
    ) -> FetchResult:
        """GET ``url``; raise a :class:`FetchError` subclass on any failure.

        With ``conditional`` the request carries If-None-Match / If-Modified-Since
        from ``validators`` (or from what this fetcher remembers of ``url``), and
        a 304 answer comes back as ``not_modified=True``.
        """
        remember = validators is None  # the caller keeps no validators: this fetcher does
        if conditional and validators is None:
            validators = self.validators.get(url)
        headers: dict[str, str] = {}
        if conditional and validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        current = url
        for _hop in range(self.max_redirects + 1):
            self._check_url(current)
            status, resp_headers, content = self._request_with_retries(current, headers)
            if status in _REDIRECTS and "location" in resp_headers:
                current = urljoin(current, resp_headers["location"])
                continue
            if status == 304:
                return FetchResult(url, current, status, b"", resp_headers, not_modified=True)
            if not 200 <= status < 300:
                raise HTTPStatusError(url, status, _status_reason(url, current, status))
            result = FetchResult(url, current, status, content, resp_headers)
            if remember and (result.validators.etag or result.validators.last_modified):
                self.validators[url] = result.validators
            return result
        raise TooManyRedirectsError(url, f"more than {self.max_redirects} redirects")

    # -- internals -----------------------------------------------------------------------

    def _check_url(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchError(url, f"malformed URL: {exc}") from exc
        if parts.scheme.lower() not in ("http", "https"):
            raise UnsupportedSchemeError(
                url, f"scheme {parts.scheme or '(none)'!r} refused; only http and https"
            )
        host = parts.hostname
        if not host:
            raise FetchError(url, "URL has no host")
        if not self.allow_private:
            default_port = 443 if parts.scheme.lower() == "https" else 80
            check_host(url, host, port or default_port, self._resolver)

    def _wait_for_host(self, host: str) -> None:
        """Sleep until ``delay`` seconds have passed since the last request to ``host``."""
        last = self._last_request.get(host)
        if last is not None:
            wait = self.delay - (self._clock() - last)
            if wait > 0:
                self._sleep(wait)

    def _request_with_retries(
        self, url: str, headers: Mapping[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        host = (urlsplit(url).hostname or "").lower()
        for attempt in range(1, self.max_tries + 1):
            self._wait_for_host(host)
            try:
                status, resp_headers, content = self._request_once(url, headers)
            except httpx.TimeoutException as exc:
                if attempt == self.max_tries:
                    raise FetchError(
                        url, f"timed out ({type(exc).__name__}) after {attempt} tries"
                    ) from exc
                self._sleep(self._backoff(attempt))
                continue
            except httpx.TransportError as exc:
                if attempt == self.max_tries:
                    raise FetchError(
                        url, f"connection failed after {attempt} tries: {exc or type(exc).__name__}"
                    ) from exc
                self._sleep(self._backoff(attempt))
                continue
            finally:
                self._last_request[host] = self._clock()
            if status in _RETRY_STATUSES and attempt < self.max_tries:
                self._sleep(self._retry_wait(attempt, resp_headers.get("retry-after")))
                continue
            return status, resp_headers, content
        raise AssertionError("unreachable")  # pragma: no cover

    def _request_once(
        self, url: str, headers: Mapping[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        """One request; the body is streamed and abandoned as soon as it is too large."""
        with self._client.stream("GET", url, headers=dict(headers)) as response:
            status = response.status_code
            if status in _REDIRECTS or status == 304 or not 200 <= status < 300:
                return status, response.headers, b""
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise ResponseTooLargeError(
                    url, f"response of {declared} bytes exceeds the {self.max_bytes}-byte limit"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise ResponseTooLargeError(
                        url, f"response exceeds the {self.max_bytes}-byte limit; download aborted"
                    )
                chunks.append(chunk)
            return status, response.headers, b"".join(chunks)

    def _backoff(self, attempt: int) -> float:
        return float(self.backoff * (2 ** (attempt - 1)))

    def _retry_wait(self, attempt: int, retry_after: str | None) -> float:
        """Retry-After when the server gives one (capped), else exponential backoff."""
        seconds = _parse_retry_after(retry_after)
        if seconds is None:
            return self._backoff(attempt)
        return min(max(seconds, 0.0), self.max_retry_after)


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


def _status_reason(url: str, final_url: str, status: int) -> str:
    phrase = httpx.codes.get_reason_phrase(status)
    text = f"HTTP {status} {phrase}".rstrip()
    return text if final_url == url else f"{text} (at {final_url})"
