"""Server-rendered pages: the story list, a story's brief, and a side-by-side diff.

The story page is the page ``storyline brief --format html`` writes (``render/_html.py``), so
the browser shows exactly what the static export shows; this module adds only navigation and
links to diffs. Every string that comes from a source goes through :func:`esc`; the pages load
nothing external, and the only inline style and script are known constants whose hashes the
Content-Security-Policy header allows (:data:`CSP`).
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from ..ingest._records import Day
from ..render import SCHEMA
from ..render._html import _CSS as _BRIEF_CSS
from ..render._html import _JS as _BRIEF_JS
from ..render._html import render_html
from ._diff import DiffResult
from ._index import Page

__all__ = ["CSP", "diff_page", "error_page", "story_list_page", "story_page"]

_CSS = """
:root{--fg:#1d232b;--muted:#5f6b78;--line:#d9dee4;--soft:#f5f7f9;--accent:#1d5fa8}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;font:15px/1.55 system-ui,-apple-system,
"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:1.5rem 1.25rem 4rem}
a{color:var(--accent)}
h1{font-size:1.4rem;margin:0 0 .75rem}
.muted{color:var(--muted)}
form.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:0 0 1rem}
form.search input[type=search]{flex:1 1 18rem;padding:.4rem .6rem;font:inherit;
border:1px solid var(--line);border-radius:4px}
form.search select,form.search button{padding:.35rem .6rem;font:inherit}
ol.stories{list-style:none;padding:0;margin:0}
ol.stories li{border-top:1px solid var(--line);padding:.75rem 0}
ol.stories h2{font-family:Georgia,"Times New Roman",serif;font-size:1.2rem;margin:0 0 .2rem}
.stat{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:999px;
padding:0 .55rem;margin:0 .3rem .2rem 0;font-size:.8rem}
.sum{margin:.25rem 0 0;font-size:.92rem}
.pager{margin:1.25rem 0}
.cols{display:flex;gap:1rem;align-items:flex-start}
.col{flex:1 1 0;min-width:0;border:1px solid var(--line);border-radius:6px}
.col>header{background:var(--soft);border-bottom:1px solid var(--line);padding:.5rem .75rem}
.col>header h2{font-size:1rem;margin:0}
.col .text{padding:.5rem .75rem;font-family:Georgia,"Times New Roman",serif;line-height:1.6;
overflow-wrap:anywhere}
del{background:#fde4e4;color:#8a1616}
ins{background:#e3f5e8;color:#155c2c;text-decoration:none}
"""


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


#: Only the known inline style sheets and the brief page's script may run; nothing external.
CSP = (
    "default-src 'none'; "
    f"style-src {_hash(_CSS)} {_hash(_BRIEF_CSS)}; "
    f"script-src {_hash(_BRIEF_JS)}; "
    "img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def esc(value: Any) -> str:
    """Escape for text and attribute context; None shows as nothing."""
    return "" if value is None else html.escape(str(value), quote=True)


def _path(*parts: str) -> str:
    """A URL path whose segments are percent-encoded ids (then escaped by the caller)."""
    return "/" + "/".join(quote(p, safe="") for p in parts)


def _when(value: datetime | None) -> str:
    if value is None:
        return '<span class="muted">undated</span>'
    shown = value.isoformat() if isinstance(value, Day) else value.strftime("%Y-%m-%d %H:%M")
    return f'<time datetime="{esc(value.isoformat())}">{esc(shown)}</time>'


def _plural(n: int, word: str) -> str:
    """Counts read naturally ("1 story", "5 stories")."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def story_list_page(
    page: Page, *, q: str, sort: str, source: str, sources: Iterable[str], total: int,
    since: str = "", until: str = "", language: str = "",
    hits: Iterable[tuple[Any, str | None]] = (),
) -> str:
    """The home page: newest stories first, with a search box and filters; ``hits`` are
    (article found by the full-text search, its story id), listed above the stories."""
    options = ['<option value="">all sources</option>'] + [
        f'<option value="{esc(s)}"{" selected" if s == source else ""}>{esc(s)}</option>'
        for s in sources
    ]
    sorts = "".join(
        f'<option value="{v}"{" selected" if v == sort else ""}>{label}</option>'
        for v, label in (("newest", "newest first"), ("largest", "largest first"))
    )
    form = (
        '<form class="search" method="get" action="/" role="search">'
        f'<input type="search" name="q" value="{esc(q)}" placeholder="Search headlines, '
        'titles and article texts" aria-label="Search stories">'
        f'<select name="source" aria-label="Source">{"".join(options)}</select>'
        f'<select name="sort" aria-label="Sort">{sorts}</select>'
        f'<label>from <input type="date" name="since" value="{esc(since)}"></label>'
        f'<label>to <input type="date" name="until" value="{esc(until)}"></label>'
        f'<input type="text" name="language" value="{esc(language)}" size="4" '
        'placeholder="lang" aria-label="Language">'
        '<button type="submit">Search</button></form>'
    )
    found = []
    for hit, story_id in hits:
        title = esc(hit.title) or esc(hit.id)
        link = (f'<a href="{esc(_path("stories", story_id))}">{title}</a>' if story_id
                else title)
        found.append(f'<li class="hit">{link} <span class="muted">{esc(hit.source)} '
                     f'{_when(hit.published) if hit.published else ""}</span>'
                     f'<p class="sum">{esc(hit.snippet)}</p></li>')
    articles = (f'<section class="hits"><h2>Articles that mention {esc(q)}</h2>'
                f'<ul>{"".join(found)}</ul></section>') if found else ""
    items = []
    for row in page.items:
        stats = [_plural(row.articles, "article"),
                 _plural(row.independent_sources, "independent source")]
        badges = "".join(f'<span class="stat">{esc(s)}</span>' for s in stats)
        items.append(
            f'<li><h2><a href="{esc(_path("stories", row.id))}">'
            f"{esc(row.headline) or 'Untitled story'}</a></h2>"
            f"<div>{badges} {_when(row.newest)} &middot; "
            f'<span class="muted">{esc(", ".join(row.sources)) or "unknown sources"}</span></div>'
            + (f'<p class="sum">{esc(row.summary)}</p>' if row.summary else "")
            + "</li>"
        )
    listing = (f'<ol class="stories">{"".join(items)}</ol>' if items
               else '<p class="muted">No stories match.</p>')
    pager = ""
    if page.next_cursor:
        params = {k: v for k, v in (("q", q), ("source", source), ("sort", sort),
                                    ("since", since), ("until", until),
                                    ("language", language)) if v}
        params["cursor"] = page.next_cursor
        href = esc("/?" + urlencode(params))
        pager = f'<p class="pager"><a rel="next" href="{href}">More stories</a></p>'
    head = (f'<h1>Stories</h1><p class="muted">{esc(_plural(total, "story"))} stored; each brief '
            "cites the source text of every line.</p>")
    return _document("Stories", head + form + articles + listing + pager)


def story_page(brief: dict[str, Any], diffs: list[tuple[str, str, str]]) -> str:
    """A story's brief as the static HTML export renders it, plus navigation and diff links.

    ``diffs`` holds (label, left ref, right ref) for every copy or version worth comparing.
    """
    page = render_html({"schema": SCHEMA, "stories": [brief]})
    story_id = str(brief.get("story") or "")
    nav = (f'<p class="hint"><a href="/">&larr; All stories</a> &middot; '
           f'<a href="{esc(_path("api", "stories", story_id))}">JSON</a></p>')
    links = "".join(
        f'<li><a href="{esc(_path("diff", left, right))}">{esc(label)}</a></li>'
        for label, left, right in diffs
    )
    extra = (f'<section class="versions"><h3>Compare copies and versions</h3>'
             f'<ul class="claims">{links}</ul></section>') if links else ""
    page = page.replace('<main class="page">', f'<main class="page">{nav}', 1)
    return page.replace("</main>", f"{extra}</main>", 1)


def diff_page(
    left: dict[str, Any], right: dict[str, Any], result: DiffResult
) -> str:
    """Two texts side by side, removed words marked on the left and added ones on the right."""
    def column(side: dict[str, Any], body: str) -> str:
        return (
            f'<section class="col"><header><h2>{esc(side.get("title")) or "Untitled"}</h2>'
            f'<div class="muted">{esc(side.get("source")) or esc(side.get("id"))} &middot; '
            f'{esc(side.get("label"))}</div></header><div class="text">{body}</div></section>'
        )

    note = " (compared on the beginning of the texts only)" if result.truncated else ""
    head = (
        '<p><a href="/">&larr; All stories</a></p><h1>Differences</h1>'
        f'<p class="muted">{esc(result.changes)} changed passages, similarity '
        f"{result.ratio:.0%}{esc(note)}.</p>"
    )
    body = (f'<div class="cols">{column(left, result.left)}'
            f"{column(right, result.right)}</div>")
    return _document("Differences", head + body)


def error_page(status: int, message: str) -> str:
    return _document(f"{status}", f'<p><a href="/">&larr; All stories</a></p>'
                                  f"<h1>{esc(status)}</h1><p>{esc(message)}</p>")
