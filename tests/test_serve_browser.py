"""The real server in a real browser: list → GM–PSA story → citation → highlighted span.

Starts ``storyline serve`` in a subprocess on a free loopback port over a temporary SQLite
store holding ../shared/samples/gm-psa and sample/articles, and drives Debian's Chromium
through Playwright (never a downloaded browser). A screenshot of the story page with the
highlighted span is saved to test-artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT, SAMPLE, shared_path

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _require(condition: bool, message: str) -> None:
    """Skip when a prerequisite is missing, but fail when CI says everything must run."""
    if condition:
        return
    if os.environ.get("STORYLINE_REQUIRE_SHARED") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loaded database and ``storyline serve`` on it; yields the base URL."""
    gm_psa = shared_path("samples", "gm-psa")
    _require(CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium")
    import storyline
    from storyline.serve import open_repository, rebuild, serving

    db = tmp_path_factory.mktemp("serve") / "stories.db"
    repo = open_repository(db)
    try:
        rebuild(repo, storyline.read([gm_psa, SAMPLE]))
    finally:
        repo.close()
    with serving(db, token="browser-test-token") as base:
        yield base


def test_citation_jumps_to_highlighted_span(server: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            page.goto(server + "/")
            stories = page.locator("ol.stories li")
            expect(stories).to_have_count(5)
            link = page.locator("ol.stories h2 a", has_text="General Motors")
            expect(link).to_have_count(1)
            link.click()
            page.wait_for_url("**/stories/*")
            expect(page.locator("h2").first).to_contain_text("General Motors")
            expect(page.locator("article.src")).to_have_count(3)

            cite = page.locator("ol.summary a.cite").first
            target = cite.get_attribute("href")
            assert target and target.startswith("#c-")
            cite.click()
            mark = page.locator(f"mark[id='{target[1:]}']")
            expect(mark).to_have_class("hl active")
            assert mark.evaluate("el => el.matches(':target')")
            expect(mark).to_be_visible()
            expect(mark).to_be_in_viewport()
            assert page.url.endswith(target)
            page.wait_for_timeout(600)  # let the smooth scroll settle before the screenshot
            page.screenshot(path=str(ARTIFACTS / "serve-story-citation.png"))
            assert not errors, errors  # a CSP violation would show up here

            page.goto(server + "/?q=peugeot")
            expect(page.locator("ol.stories li")).to_have_count(1)
        finally:
            browser.close()
