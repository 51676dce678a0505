"""Tests of the watch stage: the fetcher's safety and politeness with mock transports and a
fake clock, and one end-to-end poll against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from storyline.errors import InputError, StorylineError
from storyline.watch import (
    USER_AGENT,
    BlockedAddressError,
    Fetcher,
    FetchError,
    HTTPStatusError,
    ResponseTooLargeError,
    TooManyRedirectsError,
    UnsupportedSchemeError,
    WatchState,
    article_id,
    load_sources,
    poll,
    watch,
)

Handler = Callable[[httpx.Request], httpx.Response]

PUBLIC = {
    "news.example": ["93.184.216.34"],
    "other.example": ["93.184.216.35"],
    "internal.example": ["10.0.0.5"],
    "sneaky.example": ["93.184.216.36", "127.0.0.1"],
    "v6loop.example": ["::1"],
    "mapped.example": ["::ffff:127.0.0.1"],
}


class FakeClock:
    """Monotonic time that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def fake_resolver(calls: list[str] | None = None) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in PUBLIC:
            raise OSError(f"unknown host {host}")
        return PUBLIC[host]

    return resolve


def make_fetcher(handler: Handler, clock: FakeClock | None = None, **kwargs: object) -> Fetcher:
    clock = clock or FakeClock()
    options: dict[str, object] = {
        "transport": httpx.MockTransport(handler),
        "resolver": fake_resolver(),
        "clock": clock,
        "sleep": clock.sleep,
    }
    options.update(kwargs)
    return Fetcher(**options)  # type: ignore[arg-type]


# -- errors -------------------------------------------------------------------------------


def test_errors_derive_from_storyline_error() -> None:
    for cls in (FetchError, BlockedAddressError, UnsupportedSchemeError, HTTPStatusError,
                ResponseTooLargeError, TooManyRedirectsError):
        assert issubclass(cls, StorylineError)
    assert issubclass(BlockedAddressError, FetchError)


# -- conditional GET ----------------------------------------------------------------------


def test_conditional_get_sends_validators_and_reports_304() -> None:
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200, content=b"<rss/>",
            headers={"ETag": '"v1"', "Last-Modified": "Mon, 02 Mar 2026 08:00:00 GMT"},
        )

    with make_fetcher(handler, delay=0) as fetcher:
        first = fetcher.fetch("https://news.example/feed")
        second = fetcher.fetch("https://news.example/feed")
        unconditional = fetcher.fetch("https://news.example/feed", conditional=False)
    assert first.content == b"<rss/>" and not first.not_modified
    assert first.validators.etag == '"v1"'
    assert second.not_modified and second.content == b""
    assert seen[1]["if-none-match"] == '"v1"'
    assert seen[1]["if-modified-since"] == "Mon, 02 Mar 2026 08:00:00 GMT"
    assert "if-none-match" not in seen[2] and not unconditional.not_modified
    assert "storyline" in seen[0]["user-agent"] and seen[0]["user-agent"] == USER_AGENT


# -- politeness ---------------------------------------------------------------------------


def test_politeness_delay_per_host() -> None:
    clock = FakeClock()
    with make_fetcher(lambda r: httpx.Response(200, content=b"ok"), clock) as fetcher:
        fetcher.fetch("https://news.example/a")
        assert clock.sleeps == []
        fetcher.fetch("https://other.example/a")  # another host: no wait
        assert clock.sleeps == []
        clock.now += 0.25
        fetcher.fetch("https://news.example/b")  # same host 0.25 s later: wait the rest
        assert clock.sleeps == [0.75]
        clock.now += 5
        fetcher.fetch("https://news.example/c")  # long ago enough: no wait
        assert clock.sleeps == [0.75]


# -- retries and backoff ------------------------------------------------------------------


def test_retries_5xx_with_exponential_backoff() -> None:
    answers = iter([503, 502, 200])
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), content=b"fine")

    with make_fetcher(handler, clock, delay=0, backoff=0.5) as fetcher:
        assert fetcher.fetch("https://news.example/feed").content == b"fine"
    assert clock.sleeps == [0.5, 1.0]


def test_retry_after_is_honoured_up_to_a_cap() -> None:
    answers = iter([
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503, headers={"Retry-After": "86400"}),
        httpx.Response(200, content=b"done"),
    ])
    clock = FakeClock()
    with make_fetcher(lambda r: next(answers), clock, delay=0, max_retry_after=30) as fetcher:
        assert fetcher.fetch("https://news.example/feed").content == b"done"
    assert clock.sleeps == [7.0, 30.0]


def test_gives_up_after_three_tries() -> None:
    calls: list[str] = []
    clock = FakeClock()

    def failing(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        raise httpx.ConnectError("connection refused", request=request)

    with make_fetcher(failing, clock, delay=0, backoff=1.0) as fetcher, \
            pytest.raises(FetchError, match="after 3 tries"):
        fetcher.fetch("https://news.example/feed")
    assert len(calls) == 3 and clock.sleeps == [1.0, 2.0]

    def timing_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    with make_fetcher(timing_out, delay=0) as fetcher, pytest.raises(FetchError, match="timed"):
        fetcher.fetch("https://news.example/feed")

    with make_fetcher(lambda r: httpx.Response(500), delay=0) as fetcher, \
            pytest.raises(HTTPStatusError) as info:
        fetcher.fetch("https://news.example/feed")
    assert info.value.status == 500


def test_404_is_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404)

    with make_fetcher(handler, delay=0) as fetcher, pytest.raises(HTTPStatusError) as info:
        fetcher.fetch("https://news.example/gone")
    assert info.value.status == 404 and calls == [1]
    assert "https://news.example/gone" in str(info.value) and "404" in str(info.value)


# -- size limit ---------------------------------------------------------------------------


def test_size_limit_aborts_the_download() -> None:
    produced: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(1000):  # 64 MB if read to the end
            produced.append(i)
            yield b"x" * 65536

    with make_fetcher(lambda r: httpx.Response(200, content=chunks()), max_bytes=200_000) as f, \
            pytest.raises(ResponseTooLargeError, match="200000-byte limit"):
        f.fetch("https://news.example/huge")
    assert len(produced) < 10

    declared = httpx.Response(200, headers={"Content-Length": "999999999"}, content=b"")
    with make_fetcher(lambda r: declared, max_bytes=1000) as f, \
            pytest.raises(ResponseTooLargeError, match="999999999"):
        f.fetch("https://news.example/huge")


# -- address and scheme checks ------------------------------------------------------------


def test_redirect_to_private_address_is_blocked() -> None:
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.host)
        return httpx.Response(302, headers={"Location": "http://internal.example/admin"})

    with make_fetcher(handler, delay=0) as fetcher, pytest.raises(BlockedAddressError) as info:
        fetcher.fetch("https://news.example/feed")
    assert "10.0.0.5" in str(info.value)
    assert requested == ["news.example"]  # the private host was never contacted

    def to_metadata(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "http://169.254.169.254/latest/"})

    with make_fetcher(to_metadata, delay=0) as fetcher, pytest.raises(BlockedAddressError):
        fetcher.fetch("https://news.example/feed")


def test_public_redirects_are_followed_up_to_the_limit() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        hop = int(request.url.path.strip("/") or 0)
        if hop < 3:
            return httpx.Response(302, headers={"Location": f"/{hop + 1}"})
        return httpx.Response(200, content=b"arrived")

    with make_fetcher(handler, delay=0) as fetcher:
        result = fetcher.fetch("https://news.example/0")
    assert result.content == b"arrived" and result.final_url == "https://news.example/3"

    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://other.example/again"})

    with make_fetcher(loop, delay=0) as fetcher, pytest.raises(TooManyRedirectsError):
        fetcher.fetch("https://news.example/start")


def test_a_host_with_any_private_address_is_blocked() -> None:
    with make_fetcher(lambda r: httpx.Response(200), delay=0) as fetcher, \
            pytest.raises(BlockedAddressError, match="127.0.0.1"):
        fetcher.fetch("https://sneaky.example/")


@pytest.mark.parametrize("url", ["ftp://news.example/feed", "file:///etc/passwd",
                                 "gopher://news.example/", "javascript:alert(1)"])
def test_non_http_schemes_are_refused(url: str) -> None:
    with make_fetcher(lambda r: httpx.Response(200), delay=0) as fetcher, \
            pytest.raises(UnsupportedSchemeError):
        fetcher.fetch(url)


def test_redirect_to_file_scheme_is_refused() -> None:
    redirect = httpx.Response(302, headers={"Location": "file:///etc/passwd"})
    with make_fetcher(lambda r: redirect, delay=0) as fetcher, \
            pytest.raises(UnsupportedSchemeError):
        fetcher.fetch("https://news.example/feed")


@pytest.mark.parametrize("url", ["http://[::1]:8080/feed", "http://v6loop.example/feed",
                                 "http://mapped.example/", "http://[::ffff:7f00:1]/",
                                 "http://[fe80::1]/", "http://[::]/", "http://[ff02::1]/",
                                 "http://[fc00::5]/", "http://0.0.0.0/", "http://224.0.0.1/",
                                 "http://127.0.0.1/", "http://192.168.1.1/", "http://240.0.0.1/"])
def test_non_public_addresses_are_blocked(url: str) -> None:
    calls: list[str] = []
    with make_fetcher(lambda r: httpx.Response(200), delay=0, resolver=fake_resolver(calls)) as f, \
            pytest.raises(BlockedAddressError):
        f.fetch(url)
    assert all(host.endswith(".example") for host in calls)  # IP literals are not resolved


def test_allow_private_lets_loopback_through() -> None:
    with make_fetcher(lambda r: httpx.Response(200, content=b"local"), delay=0,
                      allow_private=True) as fetcher:
        assert fetcher.fetch("http://[::1]:8080/feed").content == b"local"


# -- sources ------------------------------------------------------------------------------


def test_load_sources_from_a_url_list(tmp_path: Path) -> None:
    path = tmp_path / "feeds.txt"
    path.write_text(
        "# morning feeds\n"
        "https://news.example/rss\n"
        "\n"
        "https://other.example/atom.xml   # the other one\n"
        "ftp://news.example/feed\n"
        "not a url\n"
        "https://news.example/rss\n"
        "https://news.example/page#section\n",
        encoding="utf-8",
    )
    sources = load_sources(path)
    assert sources.urls == ["https://news.example/rss", "https://other.example/atom.xml",
                            "https://news.example/page#section"]
    problems = {(p.line, p.severity) for p in sources.problems}
    assert problems == {(5, "error"), (6, "error"), (7, "warning")}
    assert all(p.path == str(path) for p in sources.problems)
    assert "line" not in str(sources.problems[0]) and f"{path}:5" in str(sources.problems[0])


def test_load_sources_from_opml(tmp_path: Path) -> None:
    path = tmp_path / "subscriptions.opml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<opml version="2.0">\n'
        "  <head><title>Subscriptions</title></head>\n"
        "  <body>\n"
        '    <outline text="Local">\n'
        '      <outline text="Harbour Gazette" type="rss" xmlUrl="https://news.example/rss"/>\n'
        '      <outline text="Broken" type="rss" xmlUrl="file:///etc/passwd"/>\n'
        "    </outline>\n"
        '    <outline text="Valley" type="rss" xmlUrl="https://other.example/feed"/>\n'
        "  </body>\n"
        "</opml>\n",
        encoding="utf-8",
    )
    sources = load_sources(path)
    assert sources.urls == ["https://news.example/rss", "https://other.example/feed"]
    assert [(p.path, p.line) for p in sources.problems] == [(str(path), 7)]

    broken = tmp_path / "broken.opml"
    broken.write_text('<opml><body><outline xmlUrl="https://news.example/rss"/>\n<oops',
                      encoding="utf-8")
    result = load_sources(broken)
    assert result.urls == ["https://news.example/rss"]
    assert result.problems[0].line == 2 and "broken OPML" in result.problems[0].reason

    with pytest.raises(InputError, match="missing.txt"):
        load_sources(tmp_path / "missing.txt")


# -- state ---------------------------------------------------------------------------------


def test_state_round_trips_atomically(tmp_path: Path) -> None:
    path = tmp_path / "state" / "watch.json"
    state = WatchState.load(path)
    assert state.urls == {} and state.path == path
    entry = state.get("https://news.example/a")
    entry.etag, entry.content_hash, entry.version = '"x"', "abc", 2
    state.save()
    assert [p.name for p in path.parent.iterdir()] == ["watch.json"]  # no temp file left
    again = WatchState.load(path)
    assert again.urls["https://news.example/a"].etag == '"x"'
    assert again.urls["https://news.example/a"].version == 2

    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StorylineError, match="unreadable watch state"):
        WatchState.load(path)


def test_feed_body_is_never_taken_for_a_file_name(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text(RSS_TEMPLATE.format(title="Secret", items=""), encoding="utf-8")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=str(secret).encode())

    with make_fetcher(handler, delay=0) as fetcher:
        result = poll(["https://news.example/rss"], fetcher, WatchState())
    assert [p.path for p in result.problems] == ["https://news.example/rss"]
    assert "malformed feed" in result.problems[0].reason


def test_watch_stops_after_max_polls_and_on_event(tmp_path: Path) -> None:
    feed = RSS_TEMPLATE.format(title="Empty", items="").encode()
    results: list[object] = []
    state = WatchState(path=tmp_path / "state.json")
    with make_fetcher(lambda r: httpx.Response(200, content=feed), delay=0) as fetcher:
        polls = watch(["https://news.example/rss"], results.append, interval=0.0, max_polls=3,
                      fetcher=fetcher, state=state)
        assert polls == 3 and len(results) == 3 and state.path is not None
        assert state.path.exists()
        stop = threading.Event()
        stop.set()
        assert watch(["https://news.example/rss"], results.append, interval=60,
                     stop_event=stop, fetcher=fetcher) == 0


# -- integration: a local HTTP server -----------------------------------------------------

RSS_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>{title}</title><link>http://example.invalid/</link>
<description>Invented news for tests.</description>
{items}
</channel></rss>
"""

ITEM = """<item><title>{title}</title><link>{link}</link>
<pubDate>{date}</pubDate><description>{title}</description></item>"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>{meta}</head>
<body><nav><a href="/">Home</a> | <a href="/local">Local</a></nav>
<article><h1>{title}</h1>
{paragraphs}
</article>
<footer>Copyright the Velmora Tide Courier, an invented newspaper.</footer>
</body></html>
"""

STORIES = {
    "/tidal-library.html": (
        "Velmora opens a library that floods twice a day",
        "2026-03-02T08:30:00+00:00",
        [
            "The harbour town of Velmora opened its tidal library on Monday, a reading room "
            "built below the high-water mark so that the sea covers its lower shelves twice "
            "a day. The books on those shelves are sealed in glass jars.",
            "Mayor Ilse Brandvik said the building cost 4.2 million crowns and took three "
            "years to finish. Engineers pumped the chamber dry forty times during tests "
            "before the council agreed to open it to the public.",
            "Librarian Tomas Erlund said readers would be warned by a bell fifteen minutes "
            "before each tide. About 300 people visited on the first morning, many of them "
            "children from the two schools on the quay.",
        ],
    ),
    "/glass-bridge.html": (
        "Inspectors find hairline cracks in the Ostrick glass bridge",
        None,  # no date on the page: the feed's pubDate must be used
        [
            "Inspectors in Ostrick found hairline cracks in three panels of the glass "
            "footbridge over the Merrow gorge on Tuesday and closed it to walkers until "
            "the panels are replaced.",
            "The regional works office said the cracks were between two and five "
            "centimetres long and posed no immediate danger, but that it would not take "
            "chances with a bridge that carries 2,000 people on a busy weekend.",
            "Replacement panels are being cut in a workshop in Halvard and should arrive "
            "within six weeks, according to chief inspector Mara Quell, who led the survey.",
        ],
    ),
}

LANTERN = "/lantern-festival.html"
LANTERN_TITLE = "Drumhallow moves its lantern festival indoors"
LANTERN_VERSIONS = [
    [
        "Organisers of the Drumhallow lantern festival moved this year's parade into the "
        "old rope works on Wednesday after forecasters warned of gales along the coast.",
        "Festival director Oona Brask said 1,200 lanterns had already been made by "
        "volunteers and that none of them would be wasted. The parade will wind between "
        "the drying racks of the rope works instead of along the sea wall.",
        "Tickets remain free, but the hall holds only 800 people at a time, so visitors "
        "will be let in in groups every half hour from six in the evening.",
    ],
    [
        "Organisers of the Drumhallow lantern festival moved this year's parade into the "
        "old rope works on Wednesday after forecasters warned of gales along the coast.",
        "Festival director Oona Brask said 1,500 lanterns had now been made by volunteers, "
        "300 more than last week, and that none of them would be wasted. The parade will "
        "wind between the drying racks of the rope works instead of along the sea wall.",
        "Tickets remain free, but the hall holds only 800 people at a time, so visitors "
        "will be let in in groups every twenty minutes from six in the evening.",
    ],
]


def page_html(title: str, date: str | None, paragraphs: list[str]) -> str:
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return PAGE.format(title=title, meta=meta, paragraphs=body)


class Site:
    """The invented news site the test server serves; ``lantern_version`` changes a page."""

    def __init__(self) -> None:
        self.base = ""
        self.lantern_version = 0
        self.requests: list[str] = []
        self.lock = threading.Lock()

    def feed_main(self) -> str:
        items = [ITEM.format(title=STORIES[path][0], link=self.base + path,
                             date="Mon, 02 Mar 2026 09:00:00 GMT") for path in STORIES]
        return RSS_TEMPLATE.format(title="Velmora Tide Courier", items="\n".join(items))

    def feed_regional(self) -> str:
        updated = ["Wed, 04 Mar 2026 10:00:00 GMT", "Thu, 05 Mar 2026 12:00:00 GMT"]
        items = [
            ITEM.format(title=LANTERN_TITLE, link=self.base + LANTERN,
                        date=updated[self.lantern_version]),
            # listed by both feeds: must still come out once
            ITEM.format(title=STORIES["/tidal-library.html"][0],
                        link=self.base + "/tidal-library.html",
                        date="Mon, 02 Mar 2026 09:00:00 GMT"),
            ITEM.format(title="A story that was taken down", link=self.base + "/gone.html",
                        date="Tue, 03 Mar 2026 09:00:00 GMT"),
        ]
        return RSS_TEMPLATE.format(title="Regional Wire", items="\n".join(items))

    def respond(self, path: str) -> tuple[int, str, str | None]:
        """(status, body, content type); ``None`` type means 'send no ETag'."""
        if path == "/feed.xml":
            return 200, self.feed_main(), "application/rss+xml"
        if path == "/regional.xml":
            return 200, self.feed_regional(), "application/rss+xml"
        if path == "/broken.xml":
            return 200, "<?xml version='1.0'?><rss><channel><title>Half a feed</ti", "text/xml"
        if path in STORIES:
            title, date, paragraphs = STORIES[path]
            return 200, page_html(title, date, paragraphs), "text/html; charset=utf-8"
        if path == LANTERN:
            html = page_html(LANTERN_TITLE, "2026-03-04T09:45:00+00:00",
                             LANTERN_VERSIONS[self.lantern_version])
            return 200, html, "text/html; charset=utf-8"
        return 404, "<h1>Not found</h1>", "text/html"


def make_handler(site: Site) -> type[http.server.BaseHTTPRequestHandler]:
    class SiteHandler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            with site.lock:
                site.requests.append(self.path)
            if self.path == "/slow.xml":
                time.sleep(1.0)  # far beyond the client's read timeout
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"<rss/>")
                except OSError:
                    pass
                return
            status, body, ctype = site.respond(self.path)
            data = body.encode("utf-8")
            # Pages with a "charset" get an ETag; feeds too. That exercises both 304s and
            # the content-hash path (the tidal page with no ETag is re-downloaded each poll).
            etag = '"' + hashlib.sha1(data).hexdigest() + '"'
            use_etag = status == 200 and self.path != "/tidal-library.html"
            if use_etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", ctype or "text/html")
            self.send_header("Content-Length", str(len(data)))
            if use_etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(data)

    return SiteHandler


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def local_fetcher() -> Fetcher:
    return Fetcher(allow_private=True, delay=0.0, connect_timeout=1.0, read_timeout=0.25,
                   backoff=0.01)


def test_poll_against_a_local_site(site: Site, tmp_path: Path) -> None:
    base = site.base
    listing = tmp_path / "feeds.txt"
    listing.write_text("# invented feeds\n" + "\n".join(
        f"{base}/{name}" for name in ("feed.xml", "missing.xml", "slow.xml", "broken.xml",
                                      "regional.xml")
    ) + "\n", encoding="utf-8")
    feeds = load_sources(listing)
    assert len(feeds) == 5 and feeds.problems == []
    state_path = tmp_path / "watch-state.json"

    started = time.monotonic()
    with local_fetcher() as fetcher:
        state = WatchState.load(state_path)
        first = poll(feeds, fetcher, state)
        state.save()

    by_url = {str(a.url): a for a in first.articles}
    assert sorted(by_url) == sorted([f"{base}/tidal-library.html", f"{base}/glass-bridge.html",
                                     f"{base}{LANTERN}"])
    assert len(first.articles) == 3  # the tidal story, listed by two feeds, comes once
    assert not any(w.changed for w in first.found)
    tidal = by_url[f"{base}/tidal-library.html"]
    assert tidal.id == article_id(f"{base}/tidal-library.html")
    assert tidal.title == "Velmora opens a library that floods twice a day"
    assert "4.2 million crowns" in tidal.text and tidal.published is not None
    bridge = by_url[f"{base}/glass-bridge.html"]
    assert bridge.published is not None and bridge.published.isoformat().startswith("2026-03-02")
    assert bridge.source  # the page's site name or the feed's title

    problems = {p.path: p.reason for p in first.problems}
    assert set(problems) == {f"{base}/missing.xml", f"{base}/slow.xml", f"{base}/broken.xml",
                             f"{base}/gone.html"}
    assert "404" in problems[f"{base}/missing.xml"]
    assert "timed out" in problems[f"{base}/slow.xml"]
    assert "malformed feed" in problems[f"{base}/broken.xml"]
    assert "404" in problems[f"{base}/gone.html"]
    assert f"{base}/regional.xml" in problems[f"{base}/gone.html"]
    assert site.requests.count("/slow.xml") == 3  # retried, then given up

    # A restarted watcher: fresh fetcher, state read back from disk. The lantern page changes.
    site.lantern_version = 1
    with local_fetcher() as fetcher:
        state = WatchState.load(state_path)
        second = poll(feeds, fetcher, state)
        state.save()
    assert [w.article.url for w in second.found] == [f"{base}{LANTERN}"]
    changed = second.found[0]
    assert changed.changed and changed.version == 2
    assert changed.article.id == by_url[f"{base}{LANTERN}"].id
    assert "1,500 lanterns" in changed.article.text
    assert second.feeds_not_modified == 1  # feed.xml answered 304

    # Nothing changed: nothing comes back.
    with local_fetcher() as fetcher:
        state = WatchState.load(state_path)
        third = poll(feeds, fetcher, state)
    assert third.found == []
    # Both good feeds answer 304, so their pages are not even re-checked; the bad feeds
    # are reported again.
    assert third.feeds_not_modified == 2
    assert {p.path for p in third.problems} == set(problems) - {f"{base}/gone.html"}
    assert time.monotonic() - started < 30


def test_system_resolver_blocks_localhost() -> None:
    # Resolved through getaddrinfo (the hosts file); nothing is sent anywhere.
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200)

    with Fetcher(transport=httpx.MockTransport(handler), delay=0) as fetcher, \
            pytest.raises(BlockedAddressError):
        fetcher.fetch("http://localhost:9/feed")
    assert sent == []


def test_a_page_that_failed_for_a_passing_reason_is_retried_next_poll() -> None:
    title, date, paragraphs = STORIES["/tidal-library.html"]
    feed = RSS_TEMPLATE.format(title="Courier", items=ITEM.format(
        title=title, link="https://news.example/tidal.html", date="Mon, 02 Mar 2026 09:00:00 GMT"
    )).encode()
    page_up = False

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rss":
            if request.headers.get("if-none-match") == '"f1"':
                return httpx.Response(304)
            return httpx.Response(200, content=feed, headers={"ETag": '"f1"'})
        if not page_up:
            return httpx.Response(503)
        return httpx.Response(200, content=page_html(title, date, paragraphs).encode())

    state = WatchState()
    with make_fetcher(handler, delay=0, backoff=0) as fetcher:
        first = poll(["https://news.example/rss"], fetcher, state)
        assert first.found == [] and "503" in first.problems[0].reason
        page_up = True
        second = poll(["https://news.example/rss"], fetcher, state)  # feed not taken as 304
        assert [a.url for a in second.articles] == ["https://news.example/tidal.html"]
        third = poll(["https://news.example/rss"], fetcher, state)
        assert third.found == [] and third.feeds_not_modified == 1


def test_watch_command_stores_articles_stories_and_versions(site: Site, tmp_path: Path) -> None:
    """`storyline watch --once` twice against the local site: every good article stored
    once, the changed page as a second version, stories and briefs refreshed."""
    from click.testing import CliRunner

    from storyline.cli import cli
    from storyline.store import Store

    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{site.base}/feed.xml\n{site.base}/regional.xml\n"
                     f"{site.base}/broken.xml\n{site.base}/missing.xml\n{site.base}/slow.xml\n")
    db = f"sqlite:///{tmp_path / 'watch.db'}"
    args = ["watch", str(feeds), "--db", db, "--once", "--allow-private", "--delay", "0",
            "--state", str(tmp_path / "state.json"), "--timeout", "0.3"]
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    for bad in ("missing.xml", "broken.xml", "slow.xml"):
        assert bad in first.stderr
    with Store(db) as store:
        articles = store.articles()
        ids = [a.id for a in articles]
        assert len(ids) == len(set(ids)) == len(STORIES) + 1  # + the lantern page
        assert store.counts()["stories"] >= 1 and store.briefs()
    site.lantern_version = 1
    second = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert second.exit_code == 0, second.output
    with Store(db) as store:
        assert len(store.articles()) == len(ids)  # nothing doubled
        lantern = next(a for a in store.articles() if a.title == LANTERN_TITLE)
        assert len(store.versions(store.key_of(lantern))) == 2
