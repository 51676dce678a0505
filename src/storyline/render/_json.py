"""The JSON form of a brief: the documented, versioned schema (docs/brief-schema.json).

Every other renderer reads this dict, so all formats show the same content.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Brief

__all__ = ["SCHEMA", "brief_to_dict", "render_json"]

SCHEMA = "https://storyline.example/schema/brief/1"


def brief_to_dict(brief: Brief) -> dict[str, Any]:
    dedup = {r.id: r for r in brief.dedup}
    sources = {a.id: a.source for a in brief.articles}
    return {
        "story": brief.story,
        "headline": brief.headline,
        "independent_sources": brief.independent_sources,
        "articles": [
            {
                "id": a.id,
                "source": a.source,
                "title": a.title,
                "url": a.url,
                "published": a.published.isoformat() if a.published else None,
                "group": dedup[a.id].group if a.id in dedup else a.id,
                "relation": dedup[a.id].relation if a.id in dedup else "original",
                "of": dedup[a.id].of if a.id in dedup else None,
                "text": a.text,
            }
            for a in brief.articles
        ],
        "summary": [s.to_dict() for s in brief.summary],
        "facts": [f.to_dict() for f in brief.facts],
        "quotes": [q.to_dict() for q in brief.quotes],
        "entities": [e.to_dict() for e in brief.entities],
        "agreements": [c.to_dict() for c in brief.agreements],
        "discrepancies": [d.to_dict() for d in brief.discrepancies],
        "exclusives": [
            {"report": report, "source": sources.get(report),
             "claims": [c.to_dict() for c in claims]}
            for report, claims in brief.exclusives.items()
        ],
        "timeline": [t.to_dict() for t in brief.timeline],
    }


def render_json(briefs: list[Brief], *, indent: int | None = 2) -> str:
    doc = {"schema": SCHEMA, "stories": [brief_to_dict(b) for b in briefs]}
    return json.dumps(doc, ensure_ascii=False, indent=indent)
