"""Shared fixtures. Tests that need ../shared skip without it, and fail when
STORYLINE_REQUIRE_SHARED=1 (as CI sets)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLE = ROOT / "sample"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"{path} is absent: put the shared data beside the checkout (../shared)"
        if os.environ.get("STORYLINE_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def gm_psa() -> Path:
    return shared_path("samples", "gm-psa")


@pytest.fixture(scope="session")
def gm_psa_articles(gm_psa: Path) -> list:
    import storyline

    return storyline.read(gm_psa)


@pytest.fixture(scope="session")
def gm_psa_brief(gm_psa_articles: list):
    import storyline

    stories = storyline.cluster(gm_psa_articles, storyline.dedup(gm_psa_articles))
    assert len(stories) == 1
    return storyline.brief(stories)[0]


@pytest.fixture(scope="session")
def sample_articles() -> list:
    import storyline

    return storyline.read(SAMPLE)
