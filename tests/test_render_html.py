"""The HTML page must be safe with hostile source text and every citation must land on its span."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from storyline.render._html import render_html

SAMPLE = Path("/tmp/sample-briefs.json")
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
HOSTILE = "<script>alert(1)</script> and \"onerror=alert(2) x='y' & more"


class PageParser(HTMLParser):
    """Checks nesting, collects ids, hrefs, attributes and the text inside each element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: dict[str, int] = {}
        self.hrefs: list[str] = []
        self.attr_names: set[str] = set()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.script_text: list[str] = []
        self.text_by_id: dict[str, list[str]] = {}
        self.text_by_span: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None, str | None]] = []  # (tag, id, data-span)
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        self.tags.append((tag, a))
        self.attr_names.update(a)
        if "id" in a:
            self.ids[a["id"]] = self.ids.get(a["id"], 0) + 1
            self.text_by_id.setdefault(a["id"], [])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag in VOID:
            return
        self.stack.append(tag)
        self._open.append((tag, a.get("id"), a.get("data-span")))
        if a.get("data-span"):
            self.text_by_span.setdefault(a["data-span"], [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
            return
        self.stack.pop()
        self._open.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "script":
            self.script_text.append(data)
        for _, eid, span in self._open:
            if eid is not None:
                self.text_by_id[eid].append(data)
            if span is not None:
                self.text_by_span[span].append(data)


def parse(page: str) -> PageParser:
    p = PageParser()
    p.feed(page)
    p.close()
    return p


def check_page(page: str) -> PageParser:
    """Properties every rendered page must have, whatever the input."""
    p = parse(page)
    assert p.doctype
    assert not p.errors, p.errors[:5]
    assert not p.stack, f"unclosed: {p.stack}"
    dup = [i for i, n in p.ids.items() if n > 1]
    assert not dup, dup
    for href in p.hrefs:
        if href.startswith("#"):
            assert href[1:] in p.ids, f"dangling link {href}"
    for eid in p.ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", eid), eid
    assert not [n for n in p.attr_names if n.startswith("on")]
    assert [t for t, _ in p.tags].count("script") == 1
    # nothing is fetched from anywhere: no src/srcset, no stylesheet links, no @import/url()
    assert not [n for n in p.attr_names if n in {"src", "srcset", "background", "poster"}]
    assert "<link" not in page
    assert "@import" not in page and "url(" not in page
    return p


def cit(text: str, article: str, quote: str, nth: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(quote, start + 1)
    return {"article": article, "start": start, "end": start + len(quote), "quote": quote}


def make_doc(texts: dict[str, str], *, source: str = "Daily Test") -> dict[str, Any]:
    """A minimal but complete story whose citations point into ``texts``."""
    ids = list(texts)
    a, b = ids[0], ids[-1]
    ta, tb = texts[a], texts[b]
    c_first = cit(ta, a, "Tram line approved")
    c_votes_a = cit(ta, a, "31 votes")
    c_votes_b = cit(tb, b, "24 votes")
    fact_a = {
        "kind": "count",
        "value": 31.0,
        "unit": "",
        "text": "31 votes",
        "subject": "Line votes",
        "qualifiers": ["final"],
        "citation": c_votes_a,
        "group": "q",
    }
    fact_b = {
        "kind": "count",
        "value": 24.0,
        "unit": "",
        "text": "24 votes",
        "subject": "Line votes",
        "qualifiers": [],
        "citation": c_votes_b,
        "group": "q",
    }
    articles = [
        {
            "id": aid,
            "source": source if i == 0 else f"Other {i}",
            "title": f"Title {i}",
            "url": f"https://news{i}.example/{aid}",
            "published": f"2025-03-0{i + 1}T08:00:00+00:00",
            "group": aid,
            "relation": "original" if i == 0 else "version",
            "of": None if i == 0 else a,
            "text": t,
        }
        for i, (aid, t) in enumerate(texts.items())
    ]
    return {
        "schema": "x",
        "stories": [
            {
                "story": "s-1",
                "headline": "Tram line approved",
                "independent_sources": 2,
                "articles": articles,
                "summary": [
                    {
                        "text": "Tram line approved.",
                        "citations": [c_first, c_votes_b],
                        "independent_sources": 2,
                    }
                ],
                "facts": [fact_a, fact_b],
                "quotes": [
                    {
                        "text": "It is done",
                        "speaker": "Ann Lee",
                        "role": "mayor",
                        "citations": [cit(ta, a, "It is done")],
                        "independent_sources": 1,
                    }
                ],
                "entities": [
                    {
                        "name": "Ann Lee",
                        "label": "PERSON",
                        "sources": 1,
                        "citations": [cit(ta, a, "Ann Lee")],
                    }
                ],
                "agreements": [
                    {"text": "Approved", "citations": [c_first], "independent_sources": 1}
                ],
                "discrepancies": [
                    {
                        "kind": "conflict",
                        "subject": "Line votes",
                        "explanation": "no reason",
                        "claims": [fact_a, fact_b],
                    }
                ],
                "exclusives": [
                    {
                        "report": a,
                        "source": None,
                        "claims": [
                            {"text": "Only here", "citations": [c_first], "independent_sources": 1}
                        ],
                    }
                ],
                "timeline": [
                    {
                        "article": x["id"],
                        "source": x["source"],
                        "published": x["published"],
                        "title": x["title"],
                        "relation": x["relation"],
                        "of": x["of"],
                    }
                    for x in articles
                ],
            }
        ],
    }


TEXT_A = (
    "Tram line approved after a long fight.\n\nThe council voted with 31 votes in favour. "
    '"It is done," said Ann Lee.\n\n\nA third paragraph.'
)
TEXT_B = "Council backs tram.\n\nOnly 24 votes were counted by our reporter."


def test_page_is_well_formed_and_links_resolve() -> None:
    page = render_html(make_doc({"art-1": TEXT_A, "art/2 x": TEXT_B}))
    p = check_page(page)
    cites = [a for t, a in p.tags if t == "a" and "cite" in (a.get("class") or "").split()]
    assert len(cites) >= 8
    for a in cites:
        assert a["href"] and a["href"].startswith("#c-1-")
        assert a.get("data-article") in {"art-1", "art/2 x"}
        assert a.get("data-start") and a.get("data-end")
    for kind in ("conflict",):
        assert f"k-{kind}" in page
    assert "Title 1" in page and "Daily Test" in page
    # exclusives fall back to the report id when the source is missing
    assert ">art-1<" in page


def test_marks_contain_exactly_the_quote() -> None:
    doc = make_doc({"art-1": TEXT_A, "art/2 x": TEXT_B})
    page = render_html(doc)
    p = check_page(page)
    story = doc["stories"][0]
    cits = [c for s in story["summary"] for c in s["citations"]]
    cits += [f["citation"] for f in story["facts"]]
    cits += [c for q in story["quotes"] for c in q["citations"]]
    for c in cits:
        targets = {
            a["href"]
            for t, a in p.tags
            if t == "a"
            and a.get("data-article") == c["article"]
            and a.get("data-start") == str(c["start"])
        }
        assert len(targets) == 1
        target = targets.pop()[1:]
        assert "".join(p.text_by_id[target]) == c["quote"]
        assert target.endswith(f"-{c['start']}-{c['end']}")


def test_article_ids_are_slugified_and_unique() -> None:
    # two ids that slugify to the same prefix must still get distinct element ids
    page = render_html(make_doc({"a/b": TEXT_A, "a?b": TEXT_B}))
    p = check_page(page)
    cols = [a["id"] for t, a in p.tags if t == "article" and a.get("id")]
    assert len(cols) == 2 and len(set(cols)) == 2
    assert all(c.startswith("a-1-a-b-") for c in cols)


def test_hostile_source_text_is_escaped() -> None:
    text_a = TEXT_A + "\n\n" + HOSTILE
    doc = make_doc({'x"><script>alert(3)</script>': text_a, "b": TEXT_B}, source=HOSTILE)
    story = doc["stories"][0]
    story["headline"] = HOSTILE
    story["articles"][0]["title"] = HOSTILE
    story["articles"][1]["url"] = "javascript:alert(4)"
    story["quotes"][0]["speaker"] = HOSTILE
    story["discrepancies"][0]["kind"] = '"><script>alert(5)</script>'
    story["facts"][0]["qualifiers"] = [HOSTILE]
    story["entities"][0]["label"] = HOSTILE
    story["summary"].append(
        {
            "text": "hostile",
            "independent_sources": 1,
            "citations": [cit(text_a, story["articles"][0]["id"], HOSTILE)],
        }
    )
    page = render_html(doc)
    p = check_page(page)
    assert "<script>alert" not in page
    assert "alert(" not in "".join(p.script_text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;onerror=" in page
    assert '"onerror' not in page
    assert 'href="javascript' not in page.lower()
    # the escaped hostile span is still highlighted with its exact text
    target = next(
        a["href"]
        for t, a in p.tags
        if t == "a" and a.get("data-start") == str(text_a.index(HOSTILE))
    )
    assert "".join(p.text_by_id[target[1:]]) == HOSTILE


def test_overlapping_citations_share_a_valid_target() -> None:
    text = "Alpha beta gamma delta epsilon.\n\nZeta eta theta."
    doc = make_doc({"a": TEXT_A, "b": TEXT_B})
    story = doc["stories"][0]
    story["articles"][0]["text"] = text
    spans = [(0, 16), (6, 22), (11, 16), (17, 30), (40, 48)]  # chained overlaps and a lone one
    story["agreements"] = [
        {
            "text": "overlap",
            "independent_sources": 1,
            "citations": [
                {"article": "a", "start": s, "end": e, "quote": text[s:e]} for s, e in spans
            ],
        }
    ]
    for key in ("summary", "facts", "quotes", "entities", "exclusives", "discrepancies"):
        story[key] = []
    page = render_html(doc)
    p = check_page(page)
    marks = [
        a
        for t, a in p.tags
        if t == "mark" and a.get("id", "").startswith("c-1-") and "-a-" in a["id"][:6]
    ]
    ids = sorted(m["id"] for m in marks)
    assert len(ids) == 2
    assert any(i.endswith("-0-30") for i in ids) and any(i.endswith("-40-48") for i in ids)
    merged = next(i for i in ids if i.endswith("-0-30"))
    assert "".join(p.text_by_id[merged]) == text[0:30]
    hrefs = [a["href"] for t, a in p.tags if t == "a" and a.get("data-article") == "a"]
    assert hrefs.count("#" + merged) == 4
    # marks never nest
    assert "<mark" not in page.split(f'id="{merged}"', 1)[1].split("</mark>", 1)[0]


def test_span_across_paragraphs_keeps_offsets() -> None:
    doc = make_doc({"a": TEXT_A, "b": TEXT_B})
    story = doc["stories"][0]
    quote = "long fight.\n\nThe council"
    story["agreements"].append(
        {"text": "x", "independent_sources": 1, "citations": [cit(TEXT_A, "a", quote)]}
    )
    page = render_html(doc)
    p = check_page(page)
    span_id = next(
        a["href"][1:]
        for t, a in p.tags
        if t == "a" and a.get("data-start") == str(TEXT_A.index(quote))
    )
    # the highlight is split at the paragraph break; only its first piece has the id
    assert "".join(p.text_by_id[span_id]) == "long fight."
    assert "".join(p.text_by_span[span_id]) == "long fight.The council"
    # text after the break is intact and in order
    paras = re.findall(r"<p>(.*?)</p>", page)
    plain = [re.sub(r"<[^>]+>", "", x) for x in paras]
    assert "Tram line approved after a long fight." in plain
    assert any(x.startswith("The council voted with 31 votes in favour.") for x in plain)
    assert "A third paragraph." in plain


def test_bad_citations_do_not_produce_dangling_links() -> None:
    doc = make_doc({"a": TEXT_A, "b": TEXT_B})
    story = doc["stories"][0]
    story["agreements"].append(
        {
            "text": "bad",
            "independent_sources": 1,
            "citations": [
                {"article": "missing", "start": 0, "end": 4, "quote": "Tram"},
                {"article": "a", "start": 5, "end": 999, "quote": "not in the text"},
                {"article": "a", "start": 3, "end": 3, "quote": ""},
                "garbage",
            ],
        }
    )
    page = render_html(doc)
    check_page(page)
    assert page.count('class="cite missing"') == 4


def test_no_external_urls_except_article_urls() -> None:
    doc = make_doc({"a": TEXT_A, "b": TEXT_B})
    page = render_html(doc)
    check_page(page)
    allowed = {a["url"] for a in doc["stories"][0]["articles"]}
    found = re.findall(r"https?://[^\s\"'<>]+", page, flags=re.I)
    assert found
    assert set(found) <= allowed


def test_empty_document() -> None:
    check_page(render_html({"schema": "x", "stories": []}))
    check_page(render_html({}))


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample briefs not available")
def test_sample_document(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    page = render_html(doc)
    p = check_page(page)
    (tmp_path / "sample.html").write_text(page, encoding="utf-8")
    allowed = {a["url"] for s in doc["stories"] for a in s["articles"]}
    assert set(re.findall(r"https?://[^\s\"'<>]+", page, flags=re.I)) <= allowed
    for i, story in enumerate(doc["stories"], 1):
        assert f'id="story-{i}"' in page
        n_cites = sum(
            len(x.get("citations", []))
            for key in ("summary", "quotes", "agreements")
            for x in story[key]
        )
        assert n_cites > 0
        for disc in story["discrepancies"]:
            assert f"k-{disc['kind']}" in page
    # every citation link lands on a mark that contains its quote
    texts = {
        (i, a["id"]): a["text"] for i, s in enumerate(doc["stories"], 1) for a in s["articles"]
    }
    links = [a for t, a in p.tags if t == "a" and "cite" in (a.get("class") or "").split()]
    assert len(links) > 100
    for a in links:
        target = a["href"][1:]
        story_i = int(target.split("-")[1])
        start, end = int(a["data-start"]), int(a["data-end"])
        m_start, m_end = (int(x) for x in target.rsplit("-", 2)[1:])
        assert m_start <= start < end <= m_end
        assert texts[(story_i, a["data-article"])][start:end]


def test_counts_read_naturally() -> None:
    doc = make_doc({"a": TEXT_A, "b": TEXT_B})
    doc["stories"].append(json.loads(json.dumps(doc["stories"][0])))
    page = render_html(doc)
    p = check_page(page)
    assert "2 stories" in page and "storys" not in page
    assert 'href="#story-1"' in page and 'href="#story-2"' in page
    # the same article ids in two stories still get distinct element ids
    assert any(i.startswith("c-2-") for i in p.ids)
    assert "version</span> of" in page
