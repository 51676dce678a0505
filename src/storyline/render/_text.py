"""Plain text and Markdown briefs, rendered from the JSON form.

Sources are numbered per story ([1], [2]...) and every line carries the
numbers of the sources it is cited to; the source list at the end says which
article each number is, with its dedup relation (so two versions of one report
are visibly one source).
"""

from __future__ import annotations

import textwrap
from typing import Any

__all__ = ["render_markdown", "render_text"]

_KIND_LABEL = {
    "time-update": "time update",
    "different-scope": "different scope",
    "approximation": "approximation",
    "conflict": "CONFLICT",
}


def _numbers(story: dict[str, Any]) -> dict[str, int]:
    return {a["id"]: n for n, a in enumerate(story["articles"], start=1)}


def _cites(citations: list[dict[str, Any]], numbers: dict[str, int]) -> str:
    nums = sorted({numbers[c["article"]] for c in citations})
    return "[" + ",".join(str(n) for n in nums) + "]"


def _source_name(a: dict[str, Any]) -> str:
    return a.get("source") or a["id"]


def _when(published: str) -> str:
    """A publication time as given; a date alone stays a date (no invented 00:00)."""
    return published[:16].replace("T", " ") if "T" in published else published[:10]


def _lines(story: dict[str, Any], md: bool) -> list[str]:
    numbers = _numbers(story)
    h2 = "## " if md else ""
    bullet = "- "
    sub = "  - " if md else "    "
    out: list[str] = []
    title = story["headline"]
    out.append(f"# {title}" if md else title)
    if not md:
        out.append("=" * min(len(title), 100))
    out.append(
        f"{len(story['articles'])} articles, {story['independent_sources']} independent "
        f"source{'s' if story['independent_sources'] != 1 else ''}  (story {story['story']})"
    )
    out.append("")

    def section(name: str) -> None:
        out.append(f"{h2}{name}" if md else name.upper())
        if not md:
            out.append("-" * len(name))

    def claim(c: dict[str, Any]) -> str:
        n = c["independent_sources"]
        return (f"{bullet}{c['text']} {_cites(c['citations'], numbers)}"
                f" ({n} source{'s' if n != 1 else ''})")

    section("Summary")
    out.extend(claim(s) for s in story["summary"])
    out.append("")
    if story["discrepancies"]:
        section("Where the sources differ")
        for d in story["discrepancies"]:
            label = _KIND_LABEL.get(d["kind"], d["kind"])
            out.append(f"{bullet}{d['subject'] or 'figure'}: {label}")
            shown: set[tuple[str, int]] = set()
            for f in d["claims"]:
                quals = ", ".join(f["qualifiers"]) or "no time or scope given"
                src = numbers[f["citation"]["article"]]
                out.append(f"{sub}{f['text']} ({quals}) [{src}]")
                sentence = f.get("sentence")
                if sentence and (sentence["article"], sentence["start"]) not in shown:
                    shown.add((sentence["article"], sentence["start"]))
                    out.append(f"{sub if md else '      '}  “{sentence['quote']}”")
        out.append("")
    if story["agreements"]:
        section("What the sources agree on")
        out.extend(claim(c) for c in story["agreements"])
        out.append("")
    if story["quotes"]:
        section("Quotes")
        for q in story["quotes"]:
            who = q["speaker"] or "unattributed"
            if q["role"]:
                who += f", {q['role']}"
            cites = _cites(q["citations"], numbers)
            out.append(f'{bullet}"{q["text"].strip(" ,")}" — {who} {cites}'
                       f" ({q['independent_sources']} source"
                       f"{'s' if q['independent_sources'] != 1 else ''})")
        out.append("")
    if story["exclusives"]:
        section("Only one source reports")
        by_id = {a["id"]: a for a in story["articles"]}
        for ex in story["exclusives"]:
            name = _source_name(by_id[ex["report"]]) if ex["report"] in by_id else ex["report"]
            out.append(f"{bullet}{name}:")
            for c in ex["claims"][:8]:
                out.append(f"{sub}{c['text']} {_cites(c['citations'], numbers)}")
            if len(ex["claims"]) > 8:
                out.append(f"{sub}... and {len(ex['claims']) - 8} more (see --format json)")
        out.append("")
    if story["entities"]:
        section("Who and what")
        out.append(", ".join(f"{e['name']} ({e['sources']})" for e in story["entities"][:15]))
        out.append("")
    section("Coverage, in order of publication")
    for a in story["articles"]:
        n = numbers[a["id"]]
        rel = ("" if a["relation"] == "original"
               else f"  — {a['relation']} of [{numbers.get(a['of'], '?')}]")
        # what a text file lacks (title, date, outlet) is left out, and its id (the
        # file name) stands for the outlet once rather than twice
        line = f"[{n}] {_source_name(a)}"
        if a["title"]:
            line += f" \"{a['title']}\""
        if a["published"]:
            line += ", " + _when(a["published"])
        if a.get("source"):
            line += f" ({a['id']})"
        out.append(f"{bullet if md else ''}{line}{rel}")
    out.append("")
    return out


def _wrap(lines: list[str], width: int) -> str:
    wrapped: list[str] = []
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        sub = " " * (indent + 2) if line.lstrip().startswith("- ") or indent else " " * indent
        wrapped.extend(textwrap.wrap(line, width, subsequent_indent=sub) or [""])
    return "\n".join(wrapped)


def render_text(doc: dict[str, Any], width: int = 100) -> str:
    return "\n".join(_wrap(_lines(story, md=False), width) for story in doc["stories"])


def render_markdown(doc: dict[str, Any]) -> str:
    return "\n\n---\n\n".join("\n".join(_lines(story, md=True)) for story in doc["stories"])
