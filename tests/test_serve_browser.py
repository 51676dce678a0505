"""The real server in a real browser: list → GM–PSA story → citation → highlighted span.

Starts ``storyline serve`` in a subprocess on a free loopback port over a temporary SQLite
store holding ../shared/samples/gm-psa and sample/articles, and drives Debian's Chromium
through Playwright (never a downloaded browser). A screenshot of the story page with the
highlighted span is saved to test-artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loaded database and ``storyline serve`` on it; yields the base URL."""
    gm_psa = shared_path("samples", "gm-psa")
    _require(CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium")
    import storyline
    from storyline.serve import open_repository, rebuild

    db = tmp_path_factory.mktemp("serve") / "stories.db"
    repo = open_repository(db)
    try:
        rebuild(repo, storyline.read([gm_psa, SAMPLE]))
    finally:
        repo.close()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, STORYLINE_TOKEN="browser-test-token")
    proc = subprocess.Popen(
        [sys.executable, "-m", "storyline", "serve", "--db", str(db), "--port", str(port),
         "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {proc.stderr.read().decode()[-2000:]}"
                                     if proc.stderr else "server exited")
            try:
                if httpx.get(f"{base}/api/stories", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not start within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
