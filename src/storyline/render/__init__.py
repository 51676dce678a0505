"""Render stage: briefs as terminal text, Markdown, a self-contained HTML page or JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model import Brief
from ._json import SCHEMA, brief_to_dict, render_json
from ._text import render_markdown, render_text

__all__ = ["FORMATS", "SCHEMA", "brief_to_dict", "render", "render_json"]

FORMATS = ("text", "markdown", "html", "json")
SUFFIX = {"text": ".txt", "markdown": ".md", "html": ".html", "json": ".json"}


def _render_html_doc(doc: dict[str, Any]) -> str:
    from ._html import render_html

    return render_html(doc)


_DOC_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": _render_html_doc,
}


def render(briefs: list[Brief], fmt: str = "text") -> str:
    """Render briefs in one of :data:`FORMATS`."""
    if fmt == "json":
        return render_json(briefs)
    if fmt not in _DOC_RENDERERS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    doc = {"schema": SCHEMA, "stories": [brief_to_dict(b) for b in briefs]}
    return _DOC_RENDERERS[fmt](doc)
