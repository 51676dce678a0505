"""The FastAPI application: a JSON API under ``/api`` and server-rendered pages.

``create_app(repo, token=...)`` builds an app over any :class:`~storyline.serve.Repository`.
Reads are open; every write needs ``Authorization: Bearer <token>``, and with no token
configured writes are refused outright (403) rather than left open.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..ingest._records import Day, parse_date
from ..model import Article, DedupRecord
from ..normalize import normalize_article
from ..store._search import SearchQuery
from . import _pages
from ._diff import diff_texts
from ._index import BadCursor, PageCache, RevisionClock, StoryIndex
from ._repo import Repository
from ._schemas import (
    ArticleHit,
    ArticleHits,
    ArticleIn,
    ArticleOut,
    ErrorOut,
    GroupMember,
    GroupOut,
    IngestResult,
    SearchSort,
    Sort,
    StatusOut,
    StoryDetail,
    StoryList,
    StorySummary,
)
from ._worker import UpdateWorker

__all__ = ["MAX_BATCH", "create_app"]

MAX_BATCH = 1000  # articles per POST; larger loads belong in `storyline` batch commands
_BODY_HITS = 1000  # articles a story-list search takes from the full-text index

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_API_CSP = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware): CSP and friends on every reply."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        is_api = path.startswith(("/api", "/openapi"))
        csp = _API_CSP if is_api else _DOCS_CSP if path.startswith("/docs") else _pages.CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                headers += [(k, v) for k, v in extra if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _docs_page() -> str:
    """FastAPI's Swagger UI page, its scripts and styles served from this server."""
    return bytes(get_swagger_ui_html(
        openapi_url="/openapi.json", title="storyline API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png").body).decode()


_DOCS_HTML = _docs_page()
# The one inline script of the page (it starts Swagger UI) is allowed by its hash.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' "
    + " ".join(_pages._hash(m) for m in re.findall(r"<script>(.*?)</script>", _DOCS_HTML,
                                                    flags=re.S))
    + "; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _time_bound(value: date | datetime | None, *, end: bool) -> datetime | None:
    """A date or time filter as an instant; a date alone as ``until`` means the end of
    that day, as ``since`` its start (UTC). Naive times are UTC, as in ingest."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    start = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return start + timedelta(days=1, microseconds=-1) if end else start


def _page_bound(value: str, *, end: bool) -> datetime | None:
    """What a page's date field holds (a browser sends 2025-03-04); anything else is no
    filter (a page stays lenient where the API says 422)."""
    parsed = parse_date(value) if value else None
    if parsed is None:
        return None
    return _time_bound(parsed.date() if isinstance(parsed, Day) else parsed, end=end)


def _query_names(dependant: Dependant) -> list[str]:
    """The query parameters a route and its dependencies declare."""
    names = [p.alias for p in dependant.query_params]
    for sub in dependant.dependencies:
        names += _query_names(sub)
    return names


async def _known_query_parameters(request: Request) -> None:
    """A parameter the API does not take is an error, not silently ignored: a client that
    sends ``since=`` to a route without it would otherwise trust a filter never applied."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.url.path.startswith("/api"):
        return
    known = set(_query_names(route.dependant))
    unknown = [k for k in request.query_params if k not in known]
    if unknown:
        expected = ", ".join(sorted(known)) or "none"
        raise RequestValidationError([
            {"type": "extra_forbidden", "loc": ("query", k), "input": request.query_params[k],
             "msg": f"unknown query parameter {k!r} (this route takes: {expected})"}
            for k in unknown])


@dataclass
class _State:
    repo: Repository
    clock: RevisionClock
    index: StoryIndex
    pages: PageCache
    token: str | None
    worker: UpdateWorker


_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such item"},
}
_bearer = HTTPBearer(auto_error=False, description="The token given to `storyline serve`.")


def _article_in(item: ArticleIn) -> Article:
    """Validated input to a normalized article, as `storyline ingest` would produce it."""
    published = item.published
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)  # naive times are UTC, as in ingest
    article = Article(
        id=item.id, text=item.text, title=item.title, url=item.url, source=item.source,
        published=published, authors=list(item.authors), language=item.language,
        original_text=item.text, original_title=item.title, path="<api>",
    )
    return normalize_article(article)


def _article_out(a: Article, story: str | None, rec: DedupRecord | None) -> ArticleOut:
    return ArticleOut(
        id=a.id, url=a.url, source=a.source, title=a.title, published=a.published,
        authors=list(a.authors), language=a.language, text=a.text, story=story,
        group=rec.group if rec else None, relation=rec.relation if rec else None,
        of=rec.of if rec else None,
    )


def _groups(brief: dict[str, Any], records: dict[str, DedupRecord]) -> list[GroupOut]:
    """A story's reports with their copies and versions, canonical article first."""
    groups: dict[str, list[GroupMember]] = {}
    for a in brief.get("articles") or []:
        rec = records.get(a["id"])
        group = rec.group if rec else a.get("group") or a["id"]
        groups.setdefault(group, []).append(GroupMember(
            id=a["id"], relation=rec.relation if rec else a.get("relation") or "original",
            of=rec.of if rec else a.get("of"), score=round(rec.score, 4) if rec else 1.0,
            source=a.get("source"), title=a.get("title") or "",
        ))
    out = []
    for group, members in groups.items():
        members.sort(key=lambda m: m.of is not None)
        out.append(GroupOut(group=group, canonical=members[0].id, members=members))
    return out


def create_app(
    repo: Repository, *, token: str | None = None, revision_ttl: float = 1.0
) -> FastAPI:
    """Build the app; ``token`` None (or empty) means every write is refused.

    ``revision_ttl`` bounds how long a write made by another process (say a batch run on the
    same database) may take to show; writes through this app show at once.
    """
    app = FastAPI(
        title="storyline",
        version="1",
        summary="Stories, cited briefs and their source articles.",
        docs_url=None,  # served below from the bundled Swagger UI, not from a CDN
        redoc_url=None,
        dependencies=[Depends(_known_query_parameters)],
    )
    import swagger_ui_bundle
    from starlette.staticfiles import StaticFiles

    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
              name="docs-assets")
    app.add_middleware(SecurityHeaders)
    clock = RevisionClock(repo, ttl=revision_ttl)
    state = _State(repo, clock, StoryIndex(repo, clock), PageCache(), token or None,
                   UpdateWorker(repo, on_done=lambda _changed: clock.invalidate()))
    app.state.storyline = state

    def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        """Writes need the configured bearer token; compared in constant time."""
        if state.token is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "writes are disabled: no token configured")
        given = credentials.credentials if credentials else ""
        if not (credentials and credentials.scheme.lower() == "bearer"
                and hmac.compare_digest(given.encode(), state.token.encode())):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})

    async def refresh_index() -> None:
        """Reading the repository blocks, so it happens in a worker thread, and only when
        the cached list may be out of date; otherwise listing never leaves the event loop."""
        if not state.index.ready():
            await run_in_threadpool(state.index.rows)

    async def body_matches(q: str | None) -> set[str] | None:
        """Ids of the articles whose bodies hold every word of ``q`` (the index's best)."""
        if not q or not q.strip():
            return None
        hits = await run_in_threadpool(state.repo.search, SearchQuery(q, limit=_BODY_HITS))
        return {h.id for h in hits}

    def load_brief(story_id: str) -> dict[str, Any]:
        brief = state.repo.brief(story_id)
        if brief is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such story")
        return brief

    # ------------------------------------------------------------------ JSON API

    @app.get("/api/stories", response_model=StoryList, tags=["stories"],
             responses={400: {"model": ErrorOut, "description": "Bad cursor"}})
    async def list_stories(
        sort: Sort = "newest",
        source: Annotated[str | None, Query(max_length=500,
                                            description="only stories with this outlet")] = None,
        q: Annotated[str | None, Query(max_length=500, description=(
            "words that must all appear in the headline, summary or titles, or in the "
            "title or body of one of the story's articles (full-text index)"))] = None,
        since: Annotated[date | datetime | None, Query(description=(
            "only stories with an article published at or after this date or time"))] = None,
        until: Annotated[date | datetime | None, Query(description=(
            "only stories with an article published at or before this date (the whole "
            "day) or time"))] = None,
        min_articles: Annotated[int, Query(ge=1, le=100_000, description=(
            "only stories of at least this many articles"))] = 1,
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> StoryList:
        """Stories, newest or largest first, filtered and paged with an opaque cursor."""
        await refresh_index()
        bounds = _time_bound(since, end=False), _time_bound(until, end=True)
        matched = await body_matches(q)
        try:
            page = state.index.page(sort=sort, source=source, q=q, cursor=cursor, limit=limit,
                                    matched=matched, since=bounds[0], until=bounds[1],
                                    min_articles=min_articles)
        except BadCursor as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
        return StoryList(items=[StorySummary.model_validate(r.to_dict()) for r in page.items],
                         next_cursor=page.next_cursor)

    @app.get("/api/stories/{story_id}", response_model=StoryDetail, tags=["stories"],
             responses=_ERRORS)
    def get_story(story_id: str) -> StoryDetail:
        """A story's brief, its articles in full, and its groups of copies and versions."""
        brief = load_brief(story_id)
        ids = [a["id"] for a in brief.get("articles") or []]
        records = state.repo.dedup(ids)
        articles = [_article_out(a, story_id, records.get(a.id))
                    for a in state.repo.articles(ids)]
        return StoryDetail.model_validate({
            "id": story_id, "brief": brief, "articles": articles,
            "groups": _groups(brief, records),
        })

    @app.get("/api/stories/{story_id}/groups", response_model=list[GroupOut], tags=["stories"],
             responses=_ERRORS)
    def get_groups(story_id: str) -> list[GroupOut]:
        """A story's reports, each with its exact copies, near-duplicates and versions."""
        brief = load_brief(story_id)
        return _groups(brief, state.repo.dedup(a["id"] for a in brief.get("articles") or []))

    @app.get("/api/articles", response_model=ArticleHits, tags=["articles"])
    def search_articles(
        q: Annotated[str, Query(min_length=1, max_length=500, description=(
            "words that must all appear in the article's title or body"))],
        since: Annotated[date | datetime | None, Query(description=(
            "published at or after this date or time"))] = None,
        until: Annotated[date | datetime | None, Query(description=(
            "published at or before this date (the whole day) or time"))] = None,
        source: Annotated[str | None, Query(max_length=500, description="this outlet only")
                          ] = None,
        language: Annotated[str | None, Query(max_length=32, description=(
            "this language only (as stored, e.g. en)"))] = None,
        sort: SearchSort = "relevance",
        offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> ArticleHits:
        """Full-text search of the stored articles (titles and bodies, through the
        database's own index), filtered by date, outlet and language."""
        query = SearchQuery(q, since=_time_bound(since, end=False),
                            until=_time_bound(until, end=True), source=source,
                            language=language, sort=sort, limit=limit + 1, offset=offset)
        hits = state.repo.search(query)
        items = [ArticleHit(id=h.id, title=h.title, source=h.source, url=h.url,
                            published=h.published, language=h.language, snippet=h.snippet,
                            story=state.repo.story_of(h.id)) for h in hits[:limit]]
        return ArticleHits(items=items,
                           next_offset=offset + limit if len(hits) > limit else None)

    @app.get("/api/articles/{article_id}", response_model=ArticleOut, tags=["articles"],
             responses=_ERRORS)
    def get_article(article_id: str) -> ArticleOut:
        """One stored article with its normalized text (citation offsets point into it)."""
        found = state.repo.articles([article_id])
        if not found:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such article")
        rec = state.repo.dedup([article_id]).get(article_id)
        return _article_out(found[0], state.repo.story_of(article_id), rec)

    @app.get("/api/status", response_model=StatusOut, tags=["articles"])
    def get_status() -> StatusOut:
        """Whether written articles still wait for their stories and briefs."""
        return StatusOut.model_validate(asdict(state.worker.status()))

    @app.post(
        "/api/articles", response_model=IngestResult, status_code=status.HTTP_202_ACCEPTED,
        tags=["articles"], dependencies=[Depends(require_token)],
        responses={
            401: {"model": ErrorOut, "description": "Missing or wrong bearer token"},
            403: {"model": ErrorOut, "description": "Writes are disabled (no token configured)"},
        },
    )
    def post_articles(
        items: Annotated[list[ArticleIn], Body(min_length=1, max_length=MAX_BATCH)],
    ) -> IngestResult:
        """Store articles and queue an update: their stories and briefs follow in the
        background (only what is new is placed, only the stories it changes rebriefed)."""
        incoming = list({a.id: a for a in map(_article_in, items)}.values())
        counts = state.repo.add_articles(incoming)
        changed = counts.new + counts.updated > 0
        if changed:
            state.worker.kick()
        return IngestResult(
            received=len(items), new=counts.new, updated=counts.updated,
            unchanged=counts.unchanged, accepted=[a.id for a in incoming], queued=changed,
        )

    # ------------------------------------------------------------------ pages

    def html(body: str, code: int = 200) -> HTMLResponse:
        return HTMLResponse(body, status_code=code)

    @app.get("/docs", response_class=HTMLResponse, tags=["pages"])
    def docs() -> HTMLResponse:
        """The API described by /openapi.json, browsable (Swagger UI, served locally)."""
        return html(_DOCS_HTML)

    @app.get("/", response_class=HTMLResponse, tags=["pages"],
             responses={400: {"description": "Bad cursor", "content": {"text/html": {}}}})
    async def home(
        sort: Sort = "newest",
        source: Annotated[str, Query(max_length=500)] = "",
        q: Annotated[str, Query(max_length=500)] = "",
        since: Annotated[str, Query(max_length=40)] = "",
        until: Annotated[str, Query(max_length=40)] = "",
        language: Annotated[str, Query(max_length=32)] = "",
        cursor: Annotated[str, Query(max_length=1000)] = "",
    ) -> HTMLResponse:
        """The story list with a search box (bodies included) and date, outlet and
        language filters; a search also lists the matching articles."""
        await refresh_index()
        bounds = _page_bound(since, end=False), _page_bound(until, end=True)
        hits = []
        if q.strip():
            query = SearchQuery(q, since=bounds[0], until=bounds[1], source=source or None,
                                language=language or None, limit=_BODY_HITS)
            hits = await run_in_threadpool(state.repo.search, query)
        try:
            page = state.index.page(sort=sort, source=source or None, q=q or None,
                                    cursor=cursor or None, limit=25,
                                    matched={h.id for h in hits}, since=bounds[0],
                                    until=bounds[1])
        except BadCursor as exc:
            return html(_pages.error_page(400, str(exc)), 400)
        shown = [(h, state.repo.story_of(h.id)) for h in hits[:10]]
        return html(_pages.story_list_page(
            page, q=q, sort=sort, source=source, sources=state.index.sources(),
            total=len(state.index.rows()), since=since, until=until, language=language,
            hits=shown,
        ))

    @app.get("/stories/{story_id}", response_class=HTMLResponse, tags=["pages"],
             responses={404: {"description": "No such story", "content": {"text/html": {}}}})
    async def story(story_id: str) -> HTMLResponse:
        """A story's brief: citations link to highlighted spans of the sources beside it."""
        if state.clock.fresh():  # the hot path stays on the event loop: no thread hop
            cached = state.pages.get(story_id, state.clock.current())
            if cached is not None:
                return html(cached)
        page = await run_in_threadpool(render_story, story_id)
        if page is None:
            return html(_pages.error_page(404, "No such story."), 404)
        return html(page)

    def render_story(story_id: str) -> str | None:
        revision = state.clock.current()
        cached = state.pages.get(story_id, revision)
        if cached is not None:
            return cached
        brief = state.repo.brief(story_id)
        if brief is None:
            return None
        page = _pages.story_page(brief, _diff_links(state.repo, brief))
        state.pages.put(story_id, revision, page)
        return page

    @app.get("/diff/{a}/{b}", response_class=HTMLResponse, tags=["pages"],
             responses={404: {"description": "No such article", "content": {"text/html": {}}}})
    def diff(
        a: Annotated[str, Path(description="article id, or id@N for its N-th stored version")],
        b: Annotated[str, Path(description="article id, or id@N for its N-th stored version")],
    ) -> HTMLResponse:
        """Two articles, or two versions of one, side by side with changed words marked."""
        left, right = _resolve(state.repo, a), _resolve(state.repo, b)
        if left is None or right is None:
            return html(_pages.error_page(404, "No such article or version."), 404)
        result = diff_texts(left["text"], right["text"])
        return html(_pages.diff_page(left, right, result))

    return app


def _resolve(repo: Repository, ref: str) -> dict[str, Any] | None:
    """``id`` is an article's current text; ``id@N`` its N-th stored version (from 1)."""
    found = repo.articles([ref])
    if found:
        art = found[0]
        versions = repo.versions(ref)
        label = f"version {len(versions)} (current)" if len(versions) > 1 else "current"
        return {"id": art.id, "title": art.title, "source": art.source, "text": art.text,
                "label": label}
    art_id, sep, number = ref.rpartition("@")
    if not sep or not number.isdigit():
        return None
    versions = repo.versions(art_id)
    n = int(number)
    if not 1 <= n <= len(versions):
        return None
    v = versions[n - 1]
    return {"id": v.id, "title": v.title, "source": v.source, "text": v.text,
            "label": f"version {n} of {len(versions)}"}


def _diff_links(repo: Repository, brief: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Copies against their canonical article, and each changed article's first and last text."""
    articles = [a for a in brief.get("articles") or [] if isinstance(a, dict)]
    names = {a["id"]: a.get("source") or a["id"] for a in articles}
    links = []
    for a in articles:
        if a.get("of") and a["of"] in names:
            links.append((f"{names[a['id']]} ({a.get('relation')}) against {names[a['of']]}",
                          a["of"], a["id"]))
    for art_id, n in repo.version_counts([a["id"] for a in articles]).items():
        if n > 1:
            links.append((f"{names.get(art_id, art_id)}: first against latest of {n} versions",
                          f"{art_id}@1", f"{art_id}@{n}"))
    return links
