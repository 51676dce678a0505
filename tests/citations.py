"""Check that every citation of a brief is a verbatim span of its article."""

from __future__ import annotations

from storyline.model import Brief
from storyline.render import brief_to_dict


def iter_citations(obj):
    if isinstance(obj, dict):
        if set(obj) == {"article", "start", "end", "quote"}:
            yield obj
        for v in obj.values():
            yield from iter_citations(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from iter_citations(v)


def assert_citations_verbatim(brief: Brief) -> int:
    texts = {a.id: a.text for a in brief.articles}
    n = 0
    for c in iter_citations(brief_to_dict(brief)):
        assert c["quote"] == texts[c["article"]][c["start"]:c["end"]], c
        assert c["quote"].strip(), c
        n += 1
    return n
