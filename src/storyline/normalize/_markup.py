"""Text cleaning: Unicode, quotes, whitespace, agency markup and boilerplate.

Wire copies differ from the report they carry mostly in markup (ticker tags,
credits, footnotes, bylines) and in the sharing and newsletter lines that sites
wrap around them. Removing those from the analysed text is what lets dedup see
a syndicated copy as the report it is; the original text is kept elsewhere.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from ._fast import (
    clean_codes,
    clean_codes_many,
    codes_of,
    fold_table,
    prefix_table,
    text_of,
    tidy_punctuation,
)

__all__ = ["clean_text", "clean_text_codes", "clean_texts_codes", "clean_title"]

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\t": " ",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)

# Ticker and index tags: "(>> General Motors Company)", "<7211.T>", "<.SXAP>", "<GM.N>", "<EUR=>".
_TICKER_PAREN = re.compile(r"\s*\(>>[^)\n]{0,80}\)")
_TICKER_ANGLE = re.compile(r"\s*<[.^]?[A-Z0-9][A-Za-z0-9.=^_-]{0,15}>")
# A space left before punctuation once a tag is gone: "Ford , Toyota" -> "Ford, Toyota".
_SPACE_BEFORE_PUNCT = re.compile(r"[ ]+([,.;:!?)])")

# Whole lines that are markup or boilerplate, not reporting.
_LINE_PATTERNS = [
    # currency footnotes: "($1 = 0.7539 euros)", "(1 euro = $1.32)"
    re.compile(r"^\(\s*(?:[$€£¥]|US\$|\d)[^()]{0,40}=\s*[^()]{1,40}\)$"),
    # credits: "(Additional reporting by ...; Editing by ...)", "(Reporting by ...)"
    re.compile(
        r"^\(?\s*(?:additional\s+)?(?:reporting|writing|editing|compiled|research|"
        r"graphics|translation)\s+by\b.*\)?$",
        re.I,
    ),
    # bylines: "By Christiaan Hetzner and Laurence Frost", "By JANE DOE, Associated Press"
    re.compile(
        r"^[Bb][Yy]\s+[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*){0,3}"
        r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*){0,3}){0,4}"
        r"(?:\s*[,|-]\s*[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,5})?$"
    ),
    # sharing, newsletter and site furniture
    re.compile(
        r"^(?:share (?:this|on)\b|follow us\b|sign up\b|subscribe\b|click here\b|"
        r"read more\b|related(?: stories| articles)?:?$|advertisement$|"
        r"(?:copyright|\(c\))\s*(?:©\s*)?\d{4}\b|©|all rights reserved|get our .{0,40}newsletter|"
        r"this (?:article|story) (?:was|has been) (?:updated|corrected)\b.{0,40}$|"
        r"(?:email|print|tweet|facebook|twitter|linkedin|whatsapp)(?:\s*[|/·]\s*\w+)*$)",
        re.I,
    ),
]
_MAX_BOILERPLATE_LINE = 400

# Scraped text often loses the space between sentences: "a statement.Mr. Sestak said",
# 'to reporters."The party'. A word of two or more lower-case letters, a terminal mark,
# then a capitalised word (or a quote opening one) is a sentence break missing its space.
_GLUED = re.compile(r"""(?<=[a-z]{2}[.!?])(?=["']?[A-Z][a-z])""")
_WS = re.compile(r"[ \t\f\v]{2,}|[\t\f\v]")


_FOLD_PAIRS = [(chr(c), v or "") for c, v in _QUOTES.items()]
_FOLD_TABLE = fold_table(_QUOTES)


def _fold(text: str) -> str:
    if not text.isascii():  # ASCII is already NFKC and has no curly quotes: skip two passes
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        # a chain of str.replace (each a C scan) beats str.translate with a dict, which
        # looks up every character, and a regex with a callback, by 10 to 20 times
        for char, folded in _FOLD_PAIRS:
            if char in text:
                text = text.replace(char, folded)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


# One alternation, each pattern keeping its own case rule (bylines need capitalised names).
_BOILERPLATE = re.compile("|".join(
    f"(?i:{p.pattern})" if p.flags & re.I else f"(?:{p.pattern})" for p in _LINE_PATTERNS))


def _is_boilerplate(line: str) -> bool:
    return len(line) <= _MAX_BOILERPLATE_LINE and _BOILERPLATE.match(line) is not None


def _join_broken_paragraphs(paragraphs: list[str]) -> list[str]:
    """Re-join a paragraph split mid-sentence ("... Citroen" / "are discussing ...")."""
    out: list[str] = []
    for para in paragraphs:
        if (
            out
            and para[:1].islower()
            and not re.search(r"""[.!?:;"')\]]$""", out[-1])
        ):
            out[-1] = f"{out[-1]} {para}"
        else:
            out.append(para)
    return out


def clean_text(text: str) -> str:
    """Return the analysed form of an article body.

    Paragraphs come out separated by one blank line; lines inside a paragraph
    are joined with a space. Agency markup, credits, footnotes, bylines and
    sharing boilerplate are removed.
    """
    return text_of(clean_text_codes(text))


def clean_text_codes(text: str) -> np.ndarray:
    """clean_text as code points (UTF-32), for callers that go on in compiled code."""
    # NFKC where a character may need it; _fold and _WS in one compiled pass (tickers
    # swallow the white space before them, so collapsing it first changes nothing); then
    # lines to paragraphs, the regexes judging only lines that may be boilerplate
    # (see _LINE_STARTS)
    folded, out = clean_codes(text, _FOLD_TABLE, _LINE_STARTS, _MAX_BOILERPLATE_LINE,
                              _is_boilerplate)
    return out if out is not None else codes_of(_clean_lines(text_of(folded)))


def clean_texts_codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """clean_text_codes of many texts at once, as one array of code points: text ``i``
    is ``codes[bounds[i]:bounds[i + 1]]`` (see _fast.clean_codes_many)."""
    return clean_codes_many(texts, _FOLD_TABLE, _LINE_STARTS, _MAX_BOILERPLATE_LINE,
                            _is_boilerplate, clean_text_codes)


# How every boilerplate line can start, in ASCII lower case: the first words of the
# patterns of _LINE_PATTERNS (and "(", which the compiled pass checks itself). A line
# starting otherwise is never matched against them, which is most of the cost saved.
_LINE_STARTS = prefix_table([
    "additional", "reporting", "writing", "editing", "compiled", "research", "graphics",
    "translation", "by", "share ", "follow us", "sign up", "subscribe", "click here",
    "read more", "related", "advertisement", "copyright", "all rights reserved", "get our ",
    "this article", "this story", "email", "print", "tweet", "facebook", "twitter",
    "linkedin", "whatsapp",
])


def _clean_lines(text: str) -> str:
    """clean_text after folding, in Python: the definition the compiled pass follows,
    and what runs where it does not apply (texts with ticker markup)."""
    if "(>>" in text:
        text = _TICKER_PAREN.sub("", text)
    if "<" in text:
        text = _TICKER_ANGLE.sub("", text)
    if "\n\n" not in text.strip():
        # No blank lines at all: one paragraph per line (common in extracted text).
        text = text.replace("\n", "\n\n")
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if _is_boilerplate(line):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    body = tidy_punctuation("\n\n".join(paragraphs))  # _SPACE_BEFORE_PUNCT, then _GLUED
    return "\n\n".join(_join_broken_paragraphs(body.split("\n\n")))


def clean_title(title: str) -> str:
    """Fold a title the same way as the text, on one line."""
    return _WS.sub(" ", _fold(title).replace("\n", " ")).strip()
