"""Side-by-side differences between two texts, as escaped HTML.

Texts are compared word by word (whitespace kept with the word before it) with difflib, so a
changed figure inside an unchanged sentence shows as one marked word rather than a whole line.
Everything is escaped: the texts come from third-party sources.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

__all__ = ["DiffResult", "diff_texts"]

_TOKEN = re.compile(r"\S+\s*|\s+")
MAX_TOKENS = 8_000  # longer texts are compared on their beginning, so a request stays cheap


@dataclass(frozen=True, slots=True)
class DiffResult:
    """Both sides as HTML, and how similar the texts are (difflib's ratio)."""

    left: str
    right: str
    ratio: float
    changes: int
    truncated: bool


def _paragraphs(fragment: str) -> str:
    """Keep the source's paragraph breaks visible in the escaped output."""
    return fragment.replace("\n\n", "<br><br>").replace("\n", "<br>")


def diff_texts(a: str, b: str) -> DiffResult:
    """Mark deleted words on the left and inserted words on the right."""
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    truncated = len(ta) > MAX_TOKENS or len(tb) > MAX_TOKENS
    ta, tb = ta[:MAX_TOKENS], tb[:MAX_TOKENS]
    matcher = difflib.SequenceMatcher(None, [t.strip() for t in ta], [t.strip() for t in tb],
                                      autojunk=False)
    left: list[str] = []
    right: list[str] = []
    changes = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old = _paragraphs(html.escape("".join(ta[i1:i2]), quote=True))
        new = _paragraphs(html.escape("".join(tb[j1:j2]), quote=True))
        if op == "equal":
            left.append(old)
            right.append(new)
            continue
        changes += 1
        if i2 > i1:
            left.append(f'<del class="d-{op}">{old}</del>')
        if j2 > j1:
            right.append(f'<ins class="d-{op}">{new}</ins>')
    return DiffResult("".join(left), "".join(right), matcher.ratio(), changes, truncated)
