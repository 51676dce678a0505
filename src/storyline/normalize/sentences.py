"""A sentence splitter for news text that returns character spans.

News is full of periods that end nothing: "U.S.", "No.2", "Feb. 15", "9.5",
"Mr. Varin", initials. spaCy's parser splits well but costs ~0.1 s per article,
which the dedup and cluster stages cannot pay on a day's feed, so this splitter is
rule-based: a boundary is a terminal mark (optionally followed by closing quotes
or brackets), then white space, then something that can open a sentence; known
abbreviations veto the boundary. Paragraph breaks always end a sentence. Spans,
not strings, are returned so that citations can point back into the text.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences", "sentence_spans"]

# Abbreviations after which a period does not end a sentence (compared lower-case,
# without the final period).
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "capt", "cmdr", "sgt", "maj", "adm", "st", "ste", "mt", "ft", "jr", "sr", "rev", "hon", "pres", "supt", "det", "insp", "messrs", "mmes", "fr", "inc", "corp", "co", "ltd", "plc", "llc", "bros", "dept", "univ", "assn", "est", "approx", "no", "nos", "vol", "fig", "op", "art", "sec", "ch", "para", "pp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "vs", "etc", "al", "cf", "ca", "e.g", "i.e", "ala", "ariz", "ark", "calif", "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan", "ky", "la", "md", "mass", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "okla", "ore", "pa", "tenn", "tex", "va", "vt", "wash", "wis", "wyo"]
)
# Abbreviations that may also end a sentence: split only before a typical opener.
_SENTENCE_FINAL_ABBREVIATIONS = frozenset({"etc", "inc", "corp", "co", "ltd", "plc", "llc"})
_OPENERS = frozenset(
    ["the", "a", "an", "he", "she", "it", "they", "we", "i", "you", "his", "her", "its", "their", "our", "this", "that", "these", "those", "there", "but", "and", "or", "so", "yet", "in", "on", "at", "for", "with", "after", "before", "when", "while", "if", "as", "although", "though", "mr", "mrs", "ms", "dr", "some", "many", "most", "all", "no", "one", "two", "three", "several", "officials", "police"]
)

# Written lower-case in running text; every other abbreviation is capitalised ("No. 2",
# "Ill.", "Sun."), so "he said no." and "fell ill." still end their sentences.
_LOWERCASE_ABBREVIATIONS = frozenset({"etc", "vs", "e.g", "i.e", "al", "approx", "ca", "cf", "pp"})
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_CANDIDATE = re.compile(r"""[.!?]+["')\]]*(?=\s+["'(\[]?[A-Z0-9])""")
_WORD_BEFORE = re.compile(r"""([A-Za-z][A-Za-z.]*)\.$""")
_NEXT_WORD = re.compile(r"""\s+["'(\[]?([A-Za-z0-9][\w'-]*)""")


def _is_boundary(text: str, start: int, end: int) -> bool:
    """Decide whether the terminal run text[start:end] ends a sentence."""
    mark = text[start]
    if mark in "!?":
        return True
    if text[start:end].startswith(".."):  # ellipsis: a pause unless a capital follows
        return True
    m = _WORD_BEFORE.search(text, max(0, start - 40), start + 1)
    if not m:
        return True
    word = m.group(1)
    lower = word.lower()
    nxt = _NEXT_WORD.match(text, end)
    next_word = nxt.group(1) if nxt else ""
    if lower in _ABBREVIATIONS and (word[0].isupper() or lower in _LOWERCASE_ABBREVIATIONS):
        return lower in _SENTENCE_FINAL_ABBREVIATIONS and next_word.lower() in _OPENERS
    if len(word) == 1 and word.isupper():
        return False  # an initial: "John F. Kennedy"
    if "." in word:
        # dotted acronyms and a.m./p.m.: "U.S.", "a.m." end a sentence only before an opener
        return next_word.lower() in _OPENERS and next_word[:1].isupper()
    return True


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of the sentences of ``text[start:end]``.

    Spans exclude surrounding white space; paragraph breaks (a blank line) end a
    sentence whatever precedes them.
    """
    if end is None:
        end = len(text)
    spans: list[tuple[int, int]] = []
    para_start = start
    while para_start < end:
        brk = _PARAGRAPH_BREAK.search(text, para_start, end)
        para_end = end if brk is None else brk.start()
        _split_paragraph(text, para_start, para_end, spans)
        para_start = brk.end() if brk is not None else end
    return spans


def _split_paragraph(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    pos = start
    for m in _CANDIDATE.finditer(text, start, end):
        if _is_boundary(text, m.start(), m.end()):
            _emit(text, pos, m.end(), out)
            pos = m.end()
    _emit(text, pos, end, out)


def _emit(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))


def split_sentences(text: str) -> list[str]:
    """Return the sentences of ``text`` as strings."""
    return [text[s:e] for s, e in sentence_spans(text)]
