"""The HTTP server over an in-memory repository: API contract, auth, escaping, CSP, fuzzing."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from typing import Any

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what the project pins
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import storyline  # noqa: E402
from storyline.model import Article  # noqa: E402
from storyline.normalize import normalize  # noqa: E402
from storyline.serve import MemoryRepository, create_app, rebuild  # noqa: E402

from .conftest import SAMPLE  # noqa: E402

TOKEN = "correct horse battery staple"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
EVIL_TEXT = (
    f"Lakeside council votes {SCRIPT} on the harbour budget of 12 million euros. "
    f"The vote came late on Monday {IMG} after a long debate.\n\n"
    "Council leader Ada Brun said the harbour would reopen in May."
)


def _evil() -> list[Article]:
    """Two reports of one invented event whose fields all carry markup."""
    common = {"published": datetime(2025, 4, 1, 9, 0, tzinfo=UTC), "authors": [SCRIPT]}
    a = Article(id="evil-1", text=EVIL_TEXT, title=f"Harbour vote {SCRIPT}", source=IMG,
                url="javascript:alert(1)", **common)  # type: ignore[arg-type]
    b = Article(id="evil-2", text=EVIL_TEXT.replace("12 million", "13 million") + f" {IMG}",
                title=f"Harbour budget {IMG}", source=f"Gazette {SCRIPT}",
                url="https://gazette.example/harbour", **common)  # type: ignore[arg-type]
    return list(normalize([a, b]))


@pytest.fixture(scope="module")
def repo() -> MemoryRepository:
    repo = MemoryRepository()
    rebuild(repo, storyline.read(SAMPLE) + _evil())
    return repo


@pytest.fixture(scope="module")
def client(repo: MemoryRepository) -> TestClient:
    return TestClient(create_app(repo, token=TOKEN))


def _all(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every story, following cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = client.get("/api/stories", params=query).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination does not end")


def _evil_story(client: TestClient) -> str:
    return client.get("/api/articles/evil-1").json()["story"]


# ---------------------------------------------------------------------------- list


def test_list_newest_first(client: TestClient) -> None:
    items = client.get("/api/stories").json()["items"]
    assert len(items) == 5  # the four sample events and the invented harbour vote
    newest = [i["newest"] for i in items]
    assert newest == sorted(newest, reverse=True)
    assert all(i["url"] == f"/stories/{i['id']}" for i in items)
    assert {"headline", "articles", "independent_sources", "sources"} <= set(items[0])


def test_list_largest_first(client: TestClient) -> None:
    sizes = [i["articles"] for i in client.get("/api/stories?sort=largest").json()["items"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]


def test_filter_by_source(client: TestClient) -> None:
    items = client.get("/api/stories", params={"source": "meridian wire"}).json()["items"]
    assert items and all("Meridian Wire" in i["sources"] for i in items)
    assert len(items) < 5


def test_search(client: TestClient) -> None:
    items = client.get("/api/stories", params={"q": "Skarvbanken"}).json()["items"]
    assert len(items) == 1 and "Skarvbanken" in items[0]["headline"]
    assert client.get("/api/stories", params={"q": "zzzunknownzzz"}).json()["items"] == []


@pytest.mark.parametrize("sort", ["newest", "largest"])
def test_pagination_covers_everything_once(client: TestClient, sort: str) -> None:
    full = client.get("/api/stories", params={"sort": sort, "limit": 100}).json()["items"]
    paged = _all(client, sort=sort, limit=2)
    assert [i["id"] for i in paged] == [i["id"] for i in full]


def test_bad_cursor_and_limit(client: TestClient) -> None:
    assert client.get("/api/stories?cursor=nonsense").status_code == 400
    other = client.get("/api/stories?limit=1&sort=largest").json()["next_cursor"]
    assert client.get("/api/stories", params={"cursor": other}).status_code == 400
    assert client.get("/api/stories?limit=101").status_code == 422
    assert client.get("/api/stories?limit=0").status_code == 422


# ---------------------------------------------------------------------------- detail


def test_story_detail(client: TestClient) -> None:
    sid = client.get("/api/articles/halvorsen-wire-am").json()["story"]
    body = client.get(f"/api/stories/{sid}").json()
    assert body["id"] == sid == body["brief"]["story"]
    texts = {a["id"]: a["text"] for a in body["articles"]}
    for claim in body["brief"]["summary"]:
        for c in claim["citations"]:
            assert texts[c["article"]][c["start"]:c["end"]] == c["quote"]
    groups = client.get(f"/api/stories/{sid}/groups").json()
    assert groups == body["groups"]
    copies = [m for g in groups for m in g["members"] if m["of"]]
    assert copies and all(g["members"][0]["id"] == g["canonical"] for g in groups)


def test_article_and_404s(client: TestClient) -> None:
    art = client.get("/api/articles/halvorsen-wire-am").json()
    assert art["source"] == "Meridian Wire" and art["story"] and art["group"]
    assert client.get("/api/articles/nope").status_code == 404
    assert client.get("/api/stories/nope").status_code == 404
    assert client.get("/api/stories/nope/groups").status_code == 404
    assert client.get("/stories/nope").status_code == 404
    assert client.get("/diff/nope/halvorsen-wire-am").status_code == 404


# ---------------------------------------------------------------------------- writes

NEW = [{"id": "post-1", "source": "Test Wire", "title": "Pier reopens",
        "published": "2025-05-02T10:00:00Z",
        "text": "The old pier in Saltmere reopened on Friday after two years of repairs "
                "costing 4 million euros, the town said."}]


def test_post_requires_the_token(client: TestClient) -> None:
    assert client.post("/api/articles", json=NEW).status_code == 401
    wrong = {"Authorization": "Bearer wrong-token"}
    response = client.post("/api/articles", json=NEW, headers=wrong)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    basic = {"Authorization": f"Basic {TOKEN}"}
    assert client.post("/api/articles", json=NEW, headers=basic).status_code == 401
    assert client.get("/api/articles/post-1").status_code == 404


def _settled(app) -> None:
    assert app.state.storyline.worker.wait_idle(timeout=60)


def test_post_with_the_token_stores_and_queues_an_update() -> None:
    repo = MemoryRepository()
    app = create_app(repo, token=TOKEN)
    client = TestClient(app)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = client.post("/api/articles", json=NEW, headers=auth)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["received"] == 1 and body["new"] == 1 and body["accepted"] == ["post-1"]
    assert body["queued"] is True
    _settled(app)
    status = client.get("/api/status").json()
    assert status["pending"] is False and status["updates"] >= 1 and not status["last_error"]
    story = client.get("/api/articles/post-1").json()["story"]
    assert story and client.get(f"/api/stories/{story}").status_code == 200
    again = client.post("/api/articles", json=NEW, headers=auth).json()
    assert again["unchanged"] == 1 and again["new"] == 0 and again["queued"] is False
    changed = [dict(NEW[0], text=NEW[0]["text"].replace("4 million", "5 million"))]
    assert client.post("/api/articles", json=changed, headers=auth).json()["updated"] == 1
    _settled(app)
    brief = client.get(f"/api/stories/{story}").json()["brief"]
    assert [a["id"] for a in brief["articles"]] == ["post-1"]
    assert "5 million" in client.get("/api/articles/post-1").json()["text"]
    page = client.get("/diff/post-1@1/post-1@2")
    assert page.status_code == 200 and "<del" in page.text and "<ins" in page.text


def test_post_validation(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for bad in ([], [{"id": "x"}], [{"id": "x", "text": "t", "extra": 1}],
                [{"id": "a/b", "text": "t"}], [{"id": "x", "text": "   "}], {"id": "x"}):
        assert client.post("/api/articles", json=bad, headers=auth).status_code == 422, bad


def test_writes_refused_without_a_configured_token(repo: MemoryRepository) -> None:
    client = TestClient(create_app(repo, token=None))
    assert client.post("/api/articles", json=NEW).status_code == 403
    auth = {"Authorization": "Bearer "}
    assert client.post("/api/articles", json=NEW, headers=auth).status_code == 403


# ---------------------------------------------------------------------------- pages


def _pages(client: TestClient) -> dict[str, str]:
    sid = _evil_story(client)
    return {
        "/": client.get("/").text,
        "/?q=harbour": client.get("/", params={"q": f"harbour {SCRIPT}"}).text,
        "/?source": client.get("/", params={"source": IMG}).text,
        f"/stories/{sid}": client.get(f"/stories/{sid}").text,
        "/diff": client.get("/diff/evil-1/evil-2").text,
        "/404": client.get(f"/stories/{SCRIPT}").text,
    }


def test_markup_from_sources_is_escaped_everywhere(client: TestClient) -> None:
    pages = _pages(client)
    assert "harbour" in pages["/"].lower() and "5 stories stored" in pages["/"]
    for name, page in pages.items():
        assert SCRIPT not in page and IMG not in page, name
        assert re.search(r"<img[^>]*onerror", page) is None, name
        assert 'href="javascript:' not in page, name
    story = pages[f"/stories/{_evil_story(client)}"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in story
    assert "&lt;img src=x onerror=alert(1)&gt;" in story
    assert "&lt;script&gt;" in pages["/"] and "&lt;img" in pages["/diff"]
    # the only scripts are the brief page's own
    for page in pages.values():
        assert len(re.findall(r"<script[\s>]", page)) <= 1


def test_security_headers(client: TestClient) -> None:
    sid = _evil_story(client)
    for path in ("/", f"/stories/{sid}", "/diff/evil-1/evil-2", "/api/stories", "/openapi.json"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp, path
        assert response.headers["x-content-type-options"] == "nosniff"
    page = client.get(f"/stories/{sid}")
    assert "script-src 'sha256-" in page.headers["content-security-policy"]
    assert re.search(r"<(link|img|iframe)[^>]+(src|href)=\"https?:", page.text) is None


def test_story_page_links_citations_to_spans(client: TestClient) -> None:
    sid = client.get("/api/articles/halvorsen-wire-am").json()["story"]
    page = client.get(f"/stories/{sid}").text
    targets = re.findall(r'<a href="#(c-[^"]+)" class="cite"', page)
    assert targets and all(f'id="{t}"' in page for t in targets)
    assert "Coverage timeline" in page and "Differences between sources" in page
    assert 'href="/diff/' in page


def test_story_page_has_no_briefs_heading(client: TestClient) -> None:
    """A served story page opens with the story, not "Story briefs / 1 story"."""
    sid = _evil_story(client)
    page = client.get(f"/stories/{sid}").text
    assert "Story briefs" not in page and "1 story" not in page
    assert "All stories" in page


def test_diff_page(client: TestClient) -> None:
    page = client.get("/diff/evil-1/evil-2").text
    assert "<del" in page and "12" in page and "<ins" in page and "13" in page


def test_openapi_has_response_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"/api/stories", "/api/stories/{story_id}", "/api/stories/{story_id}/groups",
            "/api/articles/{article_id}", "/api/articles"} <= set(paths)
    ok = paths["/api/stories"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"]["$ref"].endswith("/StoryList")
    assert "401" in paths["/api/articles"]["post"]["responses"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]



# ---------------------------------------------------------------------------- fuzzing


def test_schemathesis(repo: MemoryRepository) -> None:
    """Property-based requests against the published schema: no 5xx, responses conform."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import positive_data_acceptance

    app = create_app(repo, token=TOKEN)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            # Any string is a schema-valid cursor, but only cursors the server issued are
            # accepted (400 otherwise), so "valid data is accepted" cannot hold for them.
            excluded = [positive_data_acceptance] if (case.query or {}).get("cursor") else []
            case.call_and_validate(excluded_checks=excluded)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


# ---------------------------------------------------------------------------- the store


def test_store_repository(tmp_path: Any) -> None:
    """The SQLite store behind the app: reads, versions, and retired stories hidden."""
    from storyline.model import Story
    from storyline.serve import open_repository

    repo = open_repository(tmp_path / "serve.db")
    try:
        first = list(normalize([Article(id=i["id"], text=i["text"], title=i["title"],
                                        source=i["source"], url=f"https://t.example/{i['id']}")
                                for i in NEW + [dict(NEW[0], id="post-2", title="Pier",
                                                     source="Other")]]))
        repo.add_articles(first)
        old = Story("s-retired", first)
        repo.store.save_stories([old])
        repo.store.save_briefs(storyline.brief([old]))
        assert [b["story"] for b in repo.briefs()] == ["s-retired"]
        before = repo.revision()
        rebuild(repo, [])  # re-clustering gives the articles a story under another id
        assert repo.revision() != before
        app = create_app(repo, token=TOKEN)
        client = TestClient(app)
        items = client.get("/api/stories").json()["items"]
        assert items and "s-retired" not in {i["id"] for i in items}
        assert client.get("/api/stories/s-retired").status_code == 404
        sid = items[0]["id"]
        detail = client.get(f"/api/stories/{sid}").json()
        assert {a["id"] for a in detail["articles"]} == {"post-1", "post-2"}
        assert client.get("/api/articles/post-2").json()["story"] == sid
        changed = [dict(NEW[0], url="https://t.example/post-1",
                        text=NEW[0]["text"].replace("Friday", "Saturday"))]
        auth = {"Authorization": f"Bearer {TOKEN}"}
        posted = client.post("/api/articles", json=changed, headers=auth).json()
        assert posted["updated"] == 1 and posted["accepted"] == ["post-1"]
        _settled(app)
        page = client.get(f"/stories/{client.get('/api/articles/post-1').json()['story']}").text
        assert 'href="/diff/post-1%401/post-1%402"' in page
        diff = client.get("/diff/post-1@1/post-1@2").text
        assert "<del" in diff and "Friday" in diff and "Saturday" in diff
    finally:
        repo.close()


# ---------------------------------------------------------------------------- search and docs

_BODY_WORD = "Vasquez-Thornbury"
_REPORTS = [
    Article(id="pier-a", source="Saltmere Post", title="Pier reopens after repairs",
            language="en", published=datetime(2025, 5, 2, 10, 0, tzinfo=UTC),
            text="The old pier in Saltmere reopened on Friday after two years of repairs "
                 "costing 4 million euros, the town said. The repairs were long.\n\n"
                 "The repairs were paid for by the town and the region together. "
                 f"The engineer in charge, Imelda {_BODY_WORD}, left the project in March."),
    Article(id="pier-b", source="Coast Herald", title="Saltmere pier open again",
            language="de", published=datetime(2025, 5, 3, 8, 0, tzinfo=UTC),
            text="Saltmere's old pier opened again on Friday after two years of repairs that "
                 "cost 4 million euros, the town said. The repairs were long."),
]


@pytest.fixture(params=["memory", "sqlite"])
def search_client(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """The app over both repositories: the in-memory scan and the store's FTS5 index."""
    from storyline.serve import open_repository

    repo: Any = MemoryRepository() if request.param == "memory" else \
        open_repository(tmp_path / "search.db")
    rebuild(repo, list(normalize(_REPORTS)))
    yield TestClient(create_app(repo, token=TOKEN))
    if request.param == "sqlite":
        repo.close()


def test_search_finds_a_word_only_in_a_body(search_client: TestClient) -> None:
    client = search_client
    word = _BODY_WORD.split("-")[0].lower()
    stories = client.get("/api/stories").json()["items"]
    assert len(stories) == 1
    listing = " ".join(f"{s['headline']} {s['summary']}" for s in stories).lower()
    assert word not in listing  # the word is in no headline, summary or title
    hits = client.get("/api/articles", params={"q": f"imelda {word}"}).json()
    assert [h["id"] for h in hits["items"]] == ["pier-a"]
    assert word in hits["items"][0]["snippet"].lower()
    assert hits["items"][0]["story"] == stories[0]["id"]
    found = client.get("/api/stories", params={"q": word}).json()["items"]
    assert [s["id"] for s in found] == [stories[0]["id"]]
    assert client.get("/api/stories", params={"q": "nowhere-zzz"}).json()["items"] == []
    # filters: date range (a date alone as `until` is the whole day), outlet, language
    ids = lambda **p: [h["id"] for h in client.get(  # noqa: E731
        "/api/articles", params={"q": "pier", **p}).json()["items"]]
    assert sorted(ids()) == ["pier-a", "pier-b"]
    assert ids(since="2025-05-03") == ["pier-b"] and ids(until="2025-05-02") == ["pier-a"]
    assert ids(source="coast herald") == ["pier-b"] and ids(language="EN") == ["pier-a"]
    assert ids(sort="newest") == ["pier-b", "pier-a"]
    assert len(ids(limit=1)) == 1
    assert client.get("/api/articles", params={"q": "pier", "since": "soon"}).status_code == 422
    assert client.get("/api/stories", params={"since": "2025-06-01"}).json()["items"] == []
    assert client.get("/api/stories", params={"min_articles": 3}).json()["items"] == []
    # the page: the story is listed, the article shown with its snippet
    page = client.get("/", params={"q": word}).text
    assert "Articles that mention" in page and f"/stories/{stories[0]['id']}" in page
    assert _BODY_WORD in page


def test_unknown_query_parameters_are_a_422_naming_them(client: TestClient) -> None:
    for path in ("/api/stories", "/api/articles/evil-1", "/api/status"):
        response = client.get(path, params={"sinse": "2025-01-01"})
        assert response.status_code == 422, path
        detail = response.json()["detail"]
        assert detail[0]["loc"] == ["query", "sinse"] and "sinse" in detail[0]["msg"]
    assert client.get("/api/stories", params={"q": "harbour", "limit": 5}).status_code == 200
    assert client.get("/", params={"utm_source": "x"}).status_code == 200  # pages: lenient


def test_docs_are_served_locally(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert "/openapi.json" in page.text and "cdn" not in page.text.lower()
    csp = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp.split(";")[1]
    assets = client.get("/docs/assets/swagger-ui-bundle.js")
    assert assets.status_code == 200 and len(assets.content) > 100_000
