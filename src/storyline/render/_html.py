"""The HTML form of a briefs document: one self-contained page a reader can check claims in.

It reads the JSON form (``{"schema": ..., "stories": [brief, ...]}`` as built by
``storyline.render._json``) so that it shows exactly what the other formats show.  Every claim
links to the span of source text it came from, and the sources are shown in full beside each
other so a reader can judge them without leaving the page.

Safety rules, because article text comes from third parties:

* every string from a document is escaped with ``html.escape(..., quote=True)``;
* element ids are built only from ``[A-Za-z0-9_-]`` (article ids are slugified and hashed);
* no external resource is loaded (inline CSS and a few lines of inline JS, plus a CSP that
  forbids everything else); article URLs become links only when they are http(s).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["render_html", "render_index"]

_DISCREPANCY_KINDS = ("time-update", "different-scope", "approximation", "conflict")
_SECTION_NAMES = {
    "summary": "summary",
    "facts": "key figures",
    "quotes": "quotes",
    "entities": "entities",
    "agreements": "agreements",
    "discrepancies": "differences",
    "exclusives": "exclusives",
}
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")


# --------------------------------------------------------------------------- small helpers


def _esc(value: Any) -> str:
    """Escape anything for text or attribute context; None shows as nothing."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True)


def _str(value: Any) -> str:
    """Documents are untrusted: coerce a field to text without failing on odd types."""
    return "" if value is None else str(value)


def _list(value: Any) -> list[Any]:
    """A missing or malformed list field renders as empty rather than crashing the page."""
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    """Only dict items of a list field are renderable entries."""
    return [v for v in _list(value) if isinstance(v, dict)]


def _int(value: Any) -> int | None:
    """Offsets must be real ints (bool is an int subclass but never a valid offset)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _slug(article_id: str) -> str:
    """A safe, unique id fragment: readable prefix plus a hash so distinct ids never collide."""
    safe = _UNSAFE_ID_CHARS.sub("-", article_id)[:48] or "a"
    digest = hashlib.sha1(article_id.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{safe}-{digest}"


def _plural(n: int, word: str) -> str:
    """Counts read naturally ("1 source", "3 sources")."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def _time(value: Any) -> str:
    """Show timestamps compactly but keep the exact value machine-readable."""
    raw = _str(value)
    if not raw:
        return '<span class="muted">undated</span>'
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return _esc(raw)
    if len(raw) == 10:  # a date alone: no time of day to show
        return f'<time datetime="{_esc(raw)}">{_esc(raw)}</time>'
    shown = when.strftime("%Y-%m-%d %H:%M")
    if when.utcoffset() is not None:
        offset = when.strftime("%z")
        shown += " UTC" if offset == "+0000" else f" {offset[:3]}:{offset[3:]}"
    return f'<time datetime="{_esc(raw)}">{_esc(shown)}</time>'


def _safe_url(value: Any) -> str | None:
    """Only http(s) URLs may become links; anything else (javascript:, data:) stays text."""
    url = _str(value).strip()
    if re.match(r"(?i)https?://", url) and not re.search(r"[\x00-\x20]", url):
        return url
    return None


# --------------------------------------------------------------------------- citations


@dataclass
class _Span:
    """A merged highlight range of one article; citations inside it link to its id."""

    start: int
    end: int
    sections: set[str] = field(default_factory=set)
    mark_id: str = ""


@dataclass
class _Article:
    """One source of a story, with the merged spans that are highlighted in its text."""

    id: str
    slug: str
    anchor: str
    data: dict[str, Any]
    text: str
    raw: list[tuple[int, int, str]] = field(default_factory=list)
    spans: list[_Span] = field(default_factory=list)


def _iter_citations(value: Any, section: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Find every citation dict in a section, however deeply the schema nests it."""
    if isinstance(value, dict):
        if "article" in value and "start" in value and "end" in value:
            yield value, section
            return
        for child in value.values():
            yield from _iter_citations(child, section)
    elif isinstance(value, list):
        for child in value:
            yield from _iter_citations(child, section)


class _Story:
    """Resolves a story's citations to highlight ids before anything is rendered."""

    def __init__(self, index: int, story: dict[str, Any]) -> None:
        self.index = index
        self.story = story
        self.articles: dict[str, _Article] = {}
        for data in _dicts(story.get("articles")):
            aid = _str(data.get("id"))
            if aid in self.articles:  # duplicate ids would duplicate element ids
                continue
            slug = _slug(aid)
            self.articles[aid] = _Article(
                id=aid,
                slug=slug,
                anchor=f"a-{index}-{slug}",
                data=data,
                text=_str(data.get("text")),
            )
        for key in _SECTION_NAMES:
            for cit, section in _iter_citations(story.get(key), key):
                resolved = self._resolve(cit)
                if resolved is not None:
                    art, start, end = resolved
                    art.raw.append((start, end, section))
        for art in self.articles.values():
            art.spans = self._merge(art)

    def _resolve(self, cit: dict[str, Any]) -> tuple[_Article, int, int] | None:
        """Trust the offsets when they are valid; fall back to finding the quote verbatim."""
        art = self.articles.get(_str(cit.get("article")))
        if art is None:
            return None
        start, end = _int(cit.get("start")), _int(cit.get("end"))
        if start is None or end is None or not 0 <= start < end <= len(art.text):
            quote = _str(cit.get("quote"))
            found = art.text.find(quote) if quote else -1
            if found < 0:
                return None
            start, end = found, found + len(quote)
        if not art.text[start:end].strip():  # nothing visible to highlight or link to
            return None
        return art, start, end

    def _merge(self, art: _Article) -> list[_Span]:
        """Overlapping citations share one highlight so marks never nest or cross."""
        spans: list[_Span] = []
        for start, end, section in sorted(art.raw):
            if spans and start < spans[-1].end:
                spans[-1].end = max(spans[-1].end, end)
                spans[-1].sections.add(section)
            else:
                spans.append(_Span(start, end, {section}))
        for span in spans:
            span.mark_id = f"c-{self.index}-{art.slug}-{span.start}-{span.end}"
        return spans

    def target(self, cit: dict[str, Any]) -> tuple[_Article, str] | None:
        """The article and the id of the merged span containing this citation, if any."""
        resolved = self._resolve(cit)
        if resolved is None:
            return None
        art, start, end = resolved
        for span in art.spans:
            if span.start <= start and end <= span.end:
                return art, span.mark_id
        return None

    def source_name(self, article_id: Any) -> str:
        """Readers know outlets, not article ids; fall back to the id when unknown."""
        art = self.articles.get(_str(article_id))
        name = _str(art.data.get("source")) if art else ""
        return name or _str(article_id)


# --------------------------------------------------------------------------- fragments


def _cite(st: _Story, cit: Any, label: str) -> str:
    """One citation link; a citation that cannot be located is shown, but not linked."""
    text = _esc(label)
    if not isinstance(cit, dict):
        return f'<span class="cite missing" title="malformed citation">{text}</span>'
    found = st.target(cit)
    quote = _str(cit.get("quote"))
    short = quote if len(quote) <= 160 else quote[:157] + "..."
    title = f"{st.source_name(cit.get('article'))}: \u201c{short}\u201d"
    if found is None:
        return (
            f'<span class="cite missing" title="{_esc("not found in source - " + title)}">'
            f"{text}</span>"
        )
    art, mark_id = found
    return (
        f'<a href="#{mark_id}" class="cite" data-article="{_esc(art.id)}" '
        f'data-start="{_esc(cit.get("start"))}" data-end="{_esc(cit.get("end"))}" '
        f'title="{_esc(title)}">{text}</a>'
    )


def _cites(st: _Story, citations: Any) -> str:
    """Numbered links [1][2]... one per citation, in the document's order."""
    links = [_cite(st, c, f"[{n}]") for n, c in enumerate(_list(citations), 1)]
    return f'<span class="cites">{"".join(links)}</span>' if links else ""


def _n_sources(value: Any) -> str:
    """Independent-source count: the main signal of how well a claim is corroborated."""
    n = _int(value)
    if n is None:
        return ""
    cls = "nsrc solo" if n <= 1 else "nsrc"
    return f'<span class="{cls}">{_esc(_plural(n, "independent source"))}</span>'


def _claim_items(st: _Story, claims: Any) -> str:
    """Sentence-like claims (summary, agreements, exclusives) with citations and counts."""
    items = [
        f'<li><span class="claim">{_esc(c.get("text"))}</span> {_cites(st, c.get("citations"))} '
        f"{_n_sources(c.get('independent_sources'))}</li>"
        for c in _dicts(claims)
    ]
    return "".join(items)


def _section(title: str, body: str, cls: str) -> str:
    """Sections with nothing to show are left out instead of printing empty headings."""
    if not body:
        return ""
    return f'<section class="{cls}"><h3>{_esc(title)}</h3>{body}</section>'


def _qualifiers(fact: dict[str, Any]) -> str:
    """Qualifiers ("at 1000 GMT", "as much as") often explain why figures differ."""
    quals = [_str(q) for q in _list(fact.get("qualifiers")) if _str(q)]
    if not quals:
        return '<span class="qual none">no qualifier</span>'
    return "".join(f'<span class="qual">{_esc(q)}</span>' for q in quals)


def _figure(fact: dict[str, Any]) -> str:
    """The figure as the source wrote it, else the normalised value and unit."""
    text = _str(fact.get("text"))
    if text:
        return text
    return f"{_str(fact.get('value'))} {_str(fact.get('unit'))}".strip() or "?"


def _fact_source(st: _Story, fact: dict[str, Any]) -> str:
    """The outlet a figure comes from: what a reader needs to weigh differing figures."""
    cit = fact.get("citation")
    return st.source_name(cit.get("article")) if isinstance(cit, dict) else ""


def _article_ref(st: _Story, article_id: Any) -> str:
    """A link to an article's column, labelled by its outlet."""
    art = st.articles.get(_str(article_id))
    if art is None:
        return _esc(article_id)
    return f'<a href="#{art.anchor}">{_esc(st.source_name(art.id))}</a>'


def _relation(st: _Story, relation: Any, of: Any) -> str:
    """How a copy relates to its canonical version, linking to that version's column."""
    rel = _str(relation) or "original"
    out = f'<span class="rel rel-{"original" if rel == "original" else "copy"}">{_esc(rel)}</span>'
    if of:
        out += f" {'in' if rel == 'contained' else 'of'} {_article_ref(st, of)}"
    return out


# --------------------------------------------------------------------------- sections


def _header(st: _Story) -> str:
    """Headline and the two counts a reader checks first."""
    s = st.story
    n_articles = len(_dicts(s.get("articles")))
    n_outlets = len({_str(a.data.get("source")) for a in st.articles.values()})
    indep = _int(s.get("independent_sources"))
    stats = [_plural(n_articles, "article"), _plural(n_outlets, "outlet")]
    if indep is not None:
        stats.append(_plural(indep, "independent source"))
    badges = "".join(f'<span class="stat">{_esc(x)}</span>' for x in stats)
    return (
        f'<header class="story-head"><p class="story-id">Story {_esc(s.get("story"))}</p>'
        f"<h2>{_esc(s.get('headline')) or 'Untitled story'}</h2>"
        f'<p class="stats">{badges}</p></header>'
    )


def _timeline(st: _Story) -> str:
    """When each outlet published and which reports are copies of others."""
    rows = []
    for t in _dicts(st.story.get("timeline")):
        art = st.articles.get(_str(t.get("article")))
        # a text file has no title, outlet or date: its id (the file name) names it, once
        title = _esc(t.get("title")) or _esc(t.get("source") and t.get("article"))
        if art is not None and title:
            title = f'<a href="#{art.anchor}">{title}</a>'
        source = _esc(t.get("source"))
        if not source and art is not None:
            source = f'<a href="#{art.anchor}">{_esc(art.id)}</a>'
        when = _time(t.get("published")) if t.get("published") else ""
        rows.append(
            f'<tr><td class="nowrap">{when}</td>'
            f"<td>{source}</td><td>{title}</td>"
            f"<td>{_relation(st, t.get('relation'), t.get('of'))}</td></tr>"
        )
    if not rows:
        return ""
    return _section(
        "Coverage timeline",
        '<div class="table-wrap"><table><thead><tr><th>Published</th><th>Source</th>'
        "<th>Title</th><th>Relation</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>",
        "timeline",
    )


def _discrepancies(st: _Story) -> str:
    """Where sources disagree, and why the difference may (or may not) be innocent."""
    rows = []
    for d in _dicts(st.story.get("discrepancies")):
        kind = _str(d.get("kind"))
        kind_cls = kind if kind in _DISCREPANCY_KINDS else "other"
        figures = "".join(
            f'<li><span class="who">{_esc(_fact_source(st, f))}</span> '
            f"{_cite(st, f.get('citation'), _figure(f))} {_qualifiers(f)}</li>"
            for f in _dicts(d.get("claims"))
        )
        explanation = _str(d.get("explanation"))
        rows.append(
            f'<tr><td><span class="badge k-{kind_cls}">{_esc(kind or "unknown")}</span></td>'
            f"<td><strong>{_esc(d.get('subject'))}</strong>"
            + (f'<div class="explain">{_esc(explanation)}</div>' if explanation else "")
            + f'</td><td><ul class="figures">{figures}</ul></td></tr>'
        )
    if not rows:
        return ""
    return _section(
        "Differences between sources",
        '<div class="table-wrap"><table class="diffs"><thead><tr><th>Kind</th><th>Subject</th>'
        "<th>Each source's figure</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>",
        "differences",
    )


def _quotes(st: _Story) -> str:
    """Who said what, with every outlet that carried the quote."""
    items = []
    for q in _dicts(st.story.get("quotes")):
        speaker = _esc(q.get("speaker")) or '<span class="muted">unattributed</span>'
        role = _str(q.get("role"))
        who = speaker + (f', <span class="role">{_esc(role)}</span>' if role else "")
        items.append(
            f"<li><blockquote>{_esc(q.get('text'))}</blockquote>"
            f'<p class="attrib">&mdash; {who} {_cites(st, q.get("citations"))} '
            f"{_n_sources(q.get('independent_sources'))}</p></li>"
        )
    return _section(
        "Quotes", f'<ul class="quotes">{"".join(items)}</ul>' if items else "", "quotes"
    )


def _exclusives(st: _Story) -> str:
    """Claims only one report makes: the first thing to verify, grouped by that report."""
    groups: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for ex in _dicts(st.story.get("exclusives")):
        report = _str(ex.get("report"))
        name = _str(ex.get("source")) or report or "unknown report"
        groups.setdefault(report, (name, []))[1].extend(_dicts(ex.get("claims")))
    body = ""
    for report, (name, claims) in groups.items():
        if not claims:
            continue
        art = st.articles.get(report)
        heading = _esc(name)
        if art is not None:
            heading = f'<a href="#{art.anchor}">{heading}</a>'
        body += f'<h4>{heading}</h4><ul class="claims">{_claim_items(st, claims)}</ul>'
    return _section("Only in one report", body, "exclusives")


def _facts(st: _Story) -> str:
    """Every extracted figure, so readers can scan numbers without reading all sources."""
    rows = []
    for f in _dicts(st.story.get("facts")):
        cit = f.get("citation")
        rows.append(
            f"<tr><td>{_esc(f.get('subject'))}</td>"
            f'<td class="fig">{_cite(st, cit, _figure(f))}</td>'
            f"<td>{_qualifiers(f)}</td><td>{_esc(_fact_source(st, f))}</td></tr>"
        )
    if not rows:
        return ""
    return _section(
        "Key figures",
        f"<details open><summary>{_esc(_plural(len(rows), 'figure'))}</summary>"
        '<div class="table-wrap"><table class="facts"><thead><tr><th>Subject</th><th>Figure</th>'
        "<th>Qualifiers</th><th>Source</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></details>",
        "figures",
    )


def _entities(st: _Story) -> str:
    """The people, places and organisations involved, and how widely each is reported."""
    items = []
    for e in _dicts(st.story.get("entities")):
        cits = _list(e.get("citations"))
        name = _cite(st, cits[0], _str(e.get("name"))) if cits else _esc(e.get("name"))
        n = _int(e.get("sources"))
        count = f'<span class="n">{_esc(_plural(n, "source"))}</span>' if n is not None else ""
        items.append(
            f'<li class="entity">{name} <span class="label">{_esc(e.get("label"))}</span>'
            f"{count}</li>"
        )
    return _section(
        "Entities", f'<ul class="entities">{"".join(items)}</ul>' if items else "", "entities-sec"
    )


def _render_text(art: _Article) -> str:
    """Paragraphs with highlights; offsets index the full text, so paragraphs are slices.

    A highlight that crosses a paragraph break is split into pieces; only the first piece
    carries the id, the others share ``data-span`` so the JS can light them all up.
    """
    text = art.text
    paragraphs: list[tuple[int, int]] = []
    pos = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        paragraphs.append((pos, brk.start()))
        pos = brk.end()
    paragraphs.append((pos, len(text)))
    given_id: set[str] = set()
    out: list[str] = []
    for p_start, p_end in paragraphs:
        seg = text[p_start:p_end]
        p_start += len(seg) - len(seg.lstrip())
        p_end -= len(seg) - len(seg.rstrip())
        if p_start >= p_end:
            continue
        parts: list[str] = []
        cursor = p_start
        for span in art.spans:
            lo, hi = max(span.start, p_start), min(span.end, p_end)
            if lo >= hi:
                continue
            parts.append(_esc(text[cursor:lo]))
            attrs = f'data-span="{span.mark_id}"'
            if span.mark_id not in given_id:
                given_id.add(span.mark_id)
                attrs = f'id="{span.mark_id}" ' + attrs
            cls = "hl ent" if span.sections == {"entities"} else "hl"
            cited_in = ", ".join(_SECTION_NAMES[s] for s in sorted(span.sections))
            parts.append(
                f'<mark {attrs} class="{cls}" title="cited in: {_esc(cited_in)}">'
                f"{_esc(text[lo:hi])}</mark>"
            )
            cursor = hi
        parts.append(_esc(text[cursor:p_end]))
        out.append(f"<p>{''.join(parts)}</p>")
    return "".join(out) or '<p class="muted">No text.</p>'


def _sources(st: _Story) -> str:
    """All articles side by side, so a cited span can be read in its context."""
    cols = []
    for art in st.articles.values():
        d = art.data
        url = _safe_url(d.get("url"))
        if url:
            link = (
                f'<a class="url" href="{_esc(url)}" rel="noopener noreferrer nofollow" '
                f'target="_blank">{_esc(url)}</a>'
            )
        else:
            link = f'<span class="url">{_esc(d.get("url"))}</span>' if d.get("url") else ""
        cols.append(
            f'<article class="src" id="{art.anchor}"><header>'
            f'<p class="src-name">{_esc(d.get("source")) or _esc(art.id)}</p>'
            + (f"<h4>{_esc(d.get('title'))}</h4>" if d.get("title") else "")
            + '<p class="meta">'
            + (f"{_time(d.get('published'))} &middot; " if d.get("published") else "")
            + f"{_relation(st, d.get('relation'), d.get('of'))}</p>"
            f'<p class="meta">{link}</p></header>'
            f'<div class="text">{_render_text(art)}</div></article>'
        )
    if not cols:
        return ""
    return _section(
        "Sources side by side",
        '<p class="hint">Highlighted passages are cited above; click a citation to jump here. '
        "Scroll sideways for more sources.</p>"
        f'<div class="sources">{"".join(cols)}</div>',
        "sources-sec",
    )


def _story(index: int, story: dict[str, Any]) -> str:
    """One story's full brief, in the order a reader needs it: gist, differences, evidence."""
    st = _Story(index, story)
    summary = _claim_items(st, story.get("summary"))
    agreements = _claim_items(st, story.get("agreements"))
    body = "".join(
        [
            _header(st),
            _section(
                "Summary", f'<ol class="summary">{summary}</ol>' if summary else "", "summary"
            ),
            _discrepancies(st),
            _section(
                "Sources agree",
                f'<ul class="claims">{agreements}</ul>' if agreements else "",
                "agreements",
            ),
            _quotes(st),
            _exclusives(st),
            _facts(st),
            _entities(st),
            _timeline(st),
            _sources(st),
        ]
    )
    return f'<section class="story" id="story-{index}">{body}</section>'


# --------------------------------------------------------------------------- page

_CSS = """
:root{--fg:#1d232b;--muted:#5f6b78;--line:#d9dee4;--bg:#fff;--soft:#f5f7f9;--accent:#1d5fa8;
--mark:#fff1a8;--mark-ent:#e8f0fb;--hit:#ffc94d}
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;color:var(--fg);background:var(--bg);font:15px/1.55 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.page{max-width:1200px;margin:0 auto;padding:1.5rem 1.25rem 4rem}
.page-head h1{font-size:1.35rem;margin:0 0 .25rem}
.toc{margin:.5rem 0 1rem;padding-left:1.2rem}
a{color:var(--accent)}
.muted{color:var(--muted)}
.story{border-top:3px solid var(--fg);margin-top:2rem;padding-top:.75rem}
.story-id{margin:0;color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.05em}
.story h2{font-family:Georgia,"Times New Roman",serif;font-size:1.75rem;line-height:1.2;
margin:.2rem 0 .5rem}
.stats{margin:0 0 .5rem}
.stat{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:999px;
padding:.05rem .6rem;margin:0 .35rem .25rem 0;font-size:.85rem}
section>h3{font-size:1.05rem;margin:1.5rem 0 .5rem;padding-bottom:.2rem;
border-bottom:1px solid var(--line)}
h4{margin:.75rem 0 .3rem;font-size:.95rem}
ol.summary li,ul.claims li{margin:.35rem 0}
ol.summary{font-size:1.05rem}
ul.claims,ul.quotes,ul.figures,ul.entities{padding-left:1.1rem}
ul.quotes,ul.entities,ul.figures{list-style:none;padding-left:0}
.cites{white-space:nowrap}
a.cite{text-decoration:none;font-size:.78em;vertical-align:super;padding:0 .05em}
a.cite:hover,a.cite:focus{text-decoration:underline}
.fig a.cite,.figures a.cite,.entity a.cite{font-size:1em;vertical-align:baseline;font-weight:600}
.cite.missing{color:var(--muted);font-size:.78em;vertical-align:super;text-decoration:line-through}
.nsrc{font-size:.78rem;color:#1f6b3a;background:#e7f5ec;border-radius:4px;padding:0 .35rem;
white-space:nowrap}
.nsrc.solo{color:#8a5a00;background:#fff4dc}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--line)}
th{background:var(--soft);font-weight:600}
.table-wrap{overflow-x:auto}
.nowrap{white-space:nowrap}
.badge{display:inline-block;border-radius:4px;padding:.05rem .45rem;font-size:.78rem;
font-weight:600;white-space:nowrap;border:1px solid transparent}
.k-time-update{background:#e3efff;color:#174a8b;border-color:#b9d3f5}
.k-different-scope{background:#efe6fb;color:#5a2d91;border-color:#d5c2f0}
.k-approximation{background:#fff3d6;color:#7a5200;border-color:#f0d699}
.k-conflict{background:#fde4e4;color:#a11d1d;border-color:#f2b8b8}
.k-other{background:var(--soft);color:var(--muted);border-color:var(--line)}
.explain{color:var(--muted);font-size:.8rem;margin-top:.2rem}
ul.figures li{margin:.1rem 0}
.who{display:inline-block;min-width:10em;color:var(--muted)}
.qual{display:inline-block;font-size:.78rem;background:var(--soft);border:1px solid var(--line);
border-radius:3px;padding:0 .3rem;margin-left:.25rem}
.qual.none{color:var(--muted);border-style:dashed}
ul.quotes li{margin:.6rem 0}
blockquote{margin:0;padding:.1rem 0 .1rem .8rem;border-left:3px solid var(--line);
font-family:Georgia,"Times New Roman",serif;font-size:1.02rem}
.attrib{margin:.15rem 0 0 .8rem;font-size:.88rem}
.role{color:var(--muted)}
details>summary{cursor:pointer;color:var(--muted);margin-bottom:.3rem}
ul.entities{display:flex;flex-wrap:wrap;gap:.35rem}
.entity{border:1px solid var(--line);border-radius:6px;padding:.1rem .5rem;font-size:.88rem}
.entity .label{font-size:.7rem;color:var(--muted);letter-spacing:.04em}
.entity .n{font-size:.75rem;color:var(--muted);margin-left:.35rem}
.rel{font-size:.8rem;border-radius:3px;padding:0 .3rem;background:var(--soft)}
.rel-copy{background:#fff4dc;color:#7a5200}
.hint{color:var(--muted);font-size:.85rem;margin:.2rem 0 .5rem}
.sources{display:flex;gap:1rem;overflow-x:auto;padding-bottom:.75rem;scroll-snap-type:x proximity}
.src{flex:0 0 24rem;max-width:85vw;max-height:85vh;overflow-y:auto;border:1px solid var(--line);
border-radius:6px;background:#fff;scroll-snap-align:start}
.src>header{position:sticky;top:0;background:var(--soft);border-bottom:1px solid var(--line);
padding:.5rem .75rem;z-index:1}
.src>header h4{margin:.1rem 0;font-family:Georgia,"Times New Roman",serif;font-size:1rem}
.src-name{margin:0;font-weight:700;font-size:.85rem}
.meta{margin:.1rem 0;font-size:.78rem;color:var(--muted)}
.url{word-break:break-all}
.src .text{padding:.25rem .75rem .75rem;font-family:Georgia,"Times New Roman",serif;
font-size:.95rem;line-height:1.6}
.src .text p{white-space:pre-line;margin:.6rem 0}
.src:target{outline:2px solid var(--accent)}
mark.hl{background:var(--mark);color:inherit;border-radius:2px;scroll-margin:5rem 1rem}
mark.hl.ent{background:var(--mark-ent)}
mark.hl:target,mark.hl.active{background:var(--hit);outline:2px solid #d98c00;outline-offset:1px}
@media print{
html{scroll-behavior:auto}
body{font-size:10.5pt}
.page{max-width:none;padding:0}
a{color:inherit;text-decoration:none}
a.cite{color:#444}
.story{break-before:page;border-top:none}
.story:first-of-type{break-before:auto}
.sources{display:block;overflow:visible}
.src{max-height:none;max-width:none;overflow:visible;border:none;border-top:1px solid #999;
border-radius:0;break-inside:auto;margin-bottom:1rem}
.src>header{position:static;background:none}
.hint,.toc,details>summary{display:none}
tr,li,blockquote{break-inside:avoid}
mark.hl,mark.hl.ent{background:none;text-decoration:underline;text-decoration-color:#999}
mark.hl.active,mark.hl:target{outline:none}
}
"""

_JS = """
(function () {
  "use strict";
  function activate(id) {
    if (!id) { return; }
    var old = document.querySelectorAll("mark.active");
    for (var i = 0; i < old.length; i++) { old[i].classList.remove("active"); }
    var first = document.getElementById(id);
    if (!first || !first.hasAttribute("data-span")) { return; }
    var marks = document.querySelectorAll('mark[data-span="' + id + '"]');
    for (var j = 0; j < marks.length; j++) { marks[j].classList.add("active"); }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.cite") : null;
    if (link) { activate(link.getAttribute("href").slice(1)); }
  });
  window.addEventListener("hashchange", function () { activate(location.hash.slice(1)); });
  if (location.hash) { activate(location.hash.slice(1)); }
})();
"""

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def render_html(doc: dict[str, Any]) -> str:
    """Render a briefs document (the JSON form) as one self-contained, offline HTML page.

    A page of several stories opens with a heading and their list; a page of one story
    opens with the story itself (a "Story briefs / 1 story" heading says nothing).
    """
    stories = [s for s in _list(doc.get("stories")) if isinstance(s, dict)]
    if len(stories) == 1:
        title = _str(stories[0].get("headline")) or "Story brief"
    else:
        title = f"Storyline: {_plural(len(stories), 'story')}"
    toc = ""
    if len(stories) > 1:
        toc = (
            '<ol class="toc">'
            + "".join(
                f'<li><a href="#story-{i}">{_esc(s.get("headline")) or "Untitled story"}</a></li>'
                for i, s in enumerate(stories, 1)
            )
            + "</ol>"
        )
    body = "".join(_story(i, s) for i, s in enumerate(stories, 1))
    if not stories:
        body = '<p class="muted">No stories.</p>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_esc(_CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head>"
        '<body><main class="page">'
        + (_page_head(len(stories)) if len(stories) != 1 else "")
        + f"{toc}{body}</main><script>{_JS}</script></body></html>\n"
    )


def _page_head(n: int) -> str:
    return ('<header class="page-head"><h1>Story briefs</h1>'
            f'<p class="muted">{_esc(_plural(n, "story"))}, each claim linked to '
            "the source text it comes from.</p></header>")


def render_index(entries: list[tuple[str, dict[str, Any]]]) -> str:
    """The ``index.html`` of a folder of brief pages: every story, linked to its page.

    ``entries`` holds (relative file name, brief in its JSON form), in the order to list.
    """
    items = []
    for href, s in entries:
        articles = _dicts(s.get("articles"))
        sources = list(dict.fromkeys(_str(a.get("source")) for a in articles if a.get("source")))
        dates = sorted(_str(a.get("published")) for a in articles if a.get("published"))
        stats = [_plural(len(articles), "article")]
        indep = _int(s.get("independent_sources"))
        if indep is not None:
            stats.append(_plural(indep, "independent source"))
        badges = "".join(f'<span class="stat">{_esc(x)}</span>' for x in stats)
        when = f" {_time(dates[-1])}" if dates else ""
        outlets = f' &middot; <span class="muted">{_esc(", ".join(sources))}</span>' \
            if sources else ""
        items.append(f'<li><a href="{_esc(href)}">{_esc(s.get("headline")) or _esc(href)}'
                     f'</a><p class="stats">{badges}{when}{outlets}</p></li>')
    listing = f'<ol class="toc">{"".join(items)}</ol>' if items \
        else '<p class="muted">No stories.</p>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_esc(_CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>Story briefs</title><style>{_CSS}</style></head>"
        f'<body><main class="page">{_page_head(len(entries))}{listing}</main></body></html>\n'
    )
