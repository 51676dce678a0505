"""Compiled character passes of clean_text.

Folding quotes and spaces, collapsing white space, dropping the space before
punctuation and restoring the space in glued sentences are each a regex over the
whole text, and together they were most of the cost of reading an article. Here
they are two single passes over the UTF-32 code points in numba. The regexes in
:mod:`._markup` remain the definition: a test holds these passes to the same
output on thousands of real articles.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["FoldTable", "clean_codes", "clean_codes_many", "codes_of", "expand_nfkc",
           "fold_and_collapse", "fold_table", "is_space", "prefix_table", "text_of",
           "tidy_punctuation"]


@nb.njit(cache=True, nogil=True)
def _deleted(c: np.uint32, keys: NDArray[np.uint32], values: NDArray[np.int64]) -> bool:
    k = np.searchsorted(keys, c)
    return bool(k < len(keys) and keys[k] == c and values[k] < 0)


@nb.njit(cache=True, nogil=True)
def _fold_into(codes: NDArray[np.uint32], keys: NDArray[np.uint32], values: NDArray[np.int64],
               stable: NDArray[np.bool_], check: bool, out: NDArray[np.uint32], at: int
               ) -> tuple[int, int, bool, bool]:
    """Fold ``codes`` by the table, newlines to \\n, runs of spaces to one, into
    ``out[at:]`` (room for ``len(codes)``), and note on the way what the line pass
    and the NFKC check need: (end, newlines, ticker markup, unsure). Markup is "<" or
    "(>>" in the folded text. With ``check``, a character NFKC may change (not
    ``stable``) stops it: unsure, nothing kept. One pass where there were three."""
    n = len(codes)
    m = at
    in_space = False
    newlines = 0
    markup = False
    for p in range(n):
        c = int(codes[p])
        if c >= 128:
            if check and (c >= 0x10000 or not stable[c]):
                return at, 0, False, True
            k = np.searchsorted(keys, codes[p])
            if k < len(keys) and keys[k] == codes[p]:
                c = values[k]
                if c < 0:
                    continue  # deleted: soft hyphen, zero-width characters, BOM
        elif c == 13:  # \r\n and \r become \n (characters deleted in between do not count)
            q = p + 1
            while q < n and codes[q] >= 128 and _deleted(codes[q], keys, values):
                q += 1
            if q < n and codes[q] == 10:
                continue
            c = 10
        if c == 32 or c == 9 or c == 11 or c == 12:
            if in_space:
                continue
            in_space = True
            out[np.uint64(m)] = 32  # unsigned: no check for a negative index
        else:
            in_space = False
            out[np.uint64(m)] = c
            if c == 10:
                newlines += 1
            elif c == 60 or (c == 62 and m - at >= 2 and out[m - 1] == 62
                             and out[m - 2] == 40):
                markup = True
        m += 1
    return m, newlines, markup, False


@nb.njit(cache=True, nogil=True)
def _fold_ws(codes: NDArray[np.uint32], keys: NDArray[np.uint32],
             values: NDArray[np.int64]) -> NDArray[np.uint32]:
    out = np.empty(len(codes), np.uint32)
    end = _fold_into(codes, keys, values, out[:0].astype(np.bool_), False, out, 0)[0]
    return out[:end]


@nb.njit(cache=True, nogil=True)
def _tidy_core(codes: NDArray[np.uint32], lower: NDArray[np.bool_], join: bool
               ) -> tuple[NDArray[np.uint32], bool]:
    out = np.empty(len(codes) + len(codes) // 2 + 1, np.uint32)
    end, ok = _tidy_into(codes, lower, join, out, 0)
    return out[:end], ok


@nb.njit(cache=True, nogil=True)
def _tidy_into(codes: NDArray[np.uint32], lower: NDArray[np.bool_], join: bool,
               out: NDArray[np.uint32], at: int) -> tuple[int, bool]:
    """Drop spaces before , . ; : ! ? ) and put back the space of glued sentences; with
    ``join``, ``codes`` are paragraphs joined by "\\n\\n" (paragraphs hold no newline) and
    a paragraph that starts in lower case after one that does not end a sentence is
    joined again (_join_broken_paragraphs), in the same pass. Written to ``out[at:]``
    (room for ``len(codes) * 3 // 2 + 1``); returns the end, and False if such a
    paragraph starts beyond the Basic Multilingual Plane (``lower`` stops there).

    One loop with no helper call per character: a helper returning (p, m) made this
    four times slower. The common paths read and write at unsigned indexes: a signed
    one costs a check for a negative index each time (a quarter of the time)."""
    n = len(codes)
    m = at
    p = 0
    while p < n:
        c = codes[np.uint64(p)]
        if join and c == 10:  # a paragraph break
            nxt = codes[p + 2]
            if nxt >= 0x10000:
                return at, False
            prev = out[m - 1]
            if lower[nxt] and not (prev == 46 or prev == 33 or prev == 63 or prev == 58
                                   or prev == 59 or prev == 34 or prev == 39 or prev == 41
                                   or prev == 93):
                out[m] = 32
                m += 1
            else:
                out[m] = 10
                out[m + 1] = 10
                m += 2
            p += 2
            continue
        if c == 32:
            q = p + 1
            while q < n and codes[np.uint64(q)] == 32:
                q += 1
            if q < n:
                d = codes[np.uint64(q)]
                if d == 44 or d == 46 or d == 59 or d == 58 or d == 33 or d == 63 or d == 41:
                    p = q  # spaces before , . ; : ! ? ) go
                    continue
            while p < q:
                out[np.uint64(m)] = 32
                m += 1
                p += 1
            continue
        out[np.uint64(m)] = c
        m += 1
        p += 1
        if (c == 46 or c == 33 or c == 63) and m - at >= 3 and 97 <= out[m - 2] <= 122 \
                and 97 <= out[m - 3] <= 122:
            q = p
            if q < n and (codes[q] == 34 or codes[q] == 39):
                q += 1
            if q + 1 < n and 65 <= codes[q] <= 90 and 97 <= codes[q + 1] <= 122:
                out[m] = 32  # "a statement.Mr. Sestak": the space a scraper lost
                m += 1
    return m, True


def _tidy(codes: NDArray[np.uint32]) -> NDArray[np.uint32]:
    return _tidy_core(codes, _NO_LOWER, False)[0]


_NO_LOWER = np.zeros(1, dtype=np.bool_)


def _codes(text: str) -> NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _text(codes: NDArray[np.uint32]) -> str:
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


FoldTable = tuple[NDArray[np.uint32], NDArray[np.int64]]


def fold_table(mapping: dict[int, str | None]) -> FoldTable:
    """A str.translate mapping (one character or None each) as the kernel's sorted table."""
    items = sorted((k, ord(v) if v else -1) for k, v in mapping.items() if k >= 128)
    return (np.array([k for k, _ in items], dtype=np.uint32),
            np.array([v for _, v in items], dtype=np.int64))


def fold_and_collapse(text: str, table: FoldTable) -> str:
    """Fold characters by ``table`` (see fold_table), newlines to \\n, runs of spaces to one."""
    return _text(_fold_ws(_codes(text), *table))


def tidy_punctuation(text: str) -> str:
    """Drop spaces before , . ; : ! ? ) and put back the space in glued sentences."""
    return _text(_tidy(_codes(text)))



# -- the line structure of clean_text ---------------------------------------------------

@nb.njit(cache=True, nogil=True, inline="always")
def is_space(c: int) -> bool:
    """str.isspace(), which is what str.strip() strips."""
    if c < 128:
        return c == 32 or 9 <= c <= 13 or 28 <= c <= 31
    return (c == 0x85 or c == 0xA0 or c == 0x1680 or 0x2000 <= c <= 0x200A or c == 0x2028
            or c == 0x2029 or c == 0x202F or c == 0x205F or c == 0x3000)


@nb.njit(cache=True, nogil=True)
def _may_be_boilerplate(codes: NDArray[np.uint32], s: int, e: int,
                        prefixes: NDArray[np.uint32], lengths: NDArray[np.int64],
                        max_len: int) -> bool:
    """False only for a line that no boilerplate pattern can match: too long, or starting
    (in ASCII, any case) with none of the patterns' first words. A non-ASCII character
    near the start may match a letter under the regex's case folding ("ſ" is an "s"):
    such a line is left to the regex."""
    if e - s > max_len:
        return False
    c0 = codes[s]
    if c0 == 40:  # (
        return True
    for p in range(s, min(e, s + prefixes.shape[1] + 1)):
        if codes[p] >= 128:
            return True
    for k in range(len(lengths)):
        n = lengths[k]
        if e - s < n:
            continue
        same = True
        for j in range(n):
            c = codes[s + j]
            if 65 <= c <= 90:
                c += 32
            if c != prefixes[k, j]:
                same = False
                break
        if same:
            return True
    return False


@nb.njit(cache=True, nogil=True)
def _line_spans(codes: NDArray[np.uint32], prefixes: NDArray[np.uint32],
                lengths: NDArray[np.int64], max_len: int, spans: NDArray[np.int64],
                starts: NDArray[np.bool_], maybe: NDArray[np.bool_], k: int) -> int:
    """The non-empty lines of a folded text, stripped, as spans, written from line ``k``
    on (room for one more than its newlines); per line whether it starts a paragraph
    (after a blank line, or always when the text has no blank line) and whether it
    may be boilerplate. Returns the new count of lines."""
    n = len(codes)
    first = k
    after_gap = True
    # "\\n\\n" in text.strip(): an empty line (two newlines in a row) with a non-empty
    # line somewhere before it and somewhere after it
    blank = False
    pending = False
    start = 0
    while start <= n:
        end = start
        while end < n and codes[np.uint64(end)] != 10:  # unsigned: no negative check
            end += 1
        s, e = start, end
        while s < e and is_space(codes[s]):
            s += 1
        while e > s and is_space(codes[e - 1]):
            e -= 1
        if s == e:
            after_gap = True
            if end == start and k > first:
                pending = True
        else:
            if pending:
                blank = True
            spans[2 * k] = s
            spans[2 * k + 1] = e
            starts[k] = after_gap
            maybe[k] = _may_be_boilerplate(codes, s, e, prefixes, lengths, max_len)
            after_gap = False
            k += 1
        start = end + 1
    if not blank:
        starts[first:k] = True
    return k


@nb.njit(cache=True, nogil=True)
def _assemble_into(codes: NDArray[np.uint32], spans: NDArray[np.int64],
                   starts: NDArray[np.bool_], dropped: NDArray[np.bool_],
                   lower: NDArray[np.bool_], buf: NDArray[np.uint32], out: NDArray[np.uint32],
                   at: int) -> tuple[int, bool]:
    """Paragraphs of the kept lines (lines joined by a space, paragraphs by a blank
    line), tidied, with paragraphs broken mid-sentence joined again, written to
    ``out[at:]`` through the scratch ``buf`` (each with room for the lines, their
    separators and, in ``out``, half as much again); returns the end, and False if a
    paragraph starts beyond the Basic Multilingual Plane (``lower`` stops there)."""
    m = 0
    open_para = False
    for k in range(len(starts)):
        if dropped[k]:
            open_para = False
            continue
        if starts[k] or not open_para:
            if m:
                buf[m] = 10
                buf[m + 1] = 10
                m += 2
        else:
            buf[m] = 32
            m += 1
        length = spans[2 * k + 1] - spans[2 * k]
        buf[m:m + length] = codes[spans[2 * k]:spans[2 * k + 1]]
        m += length
        open_para = True
    return _tidy_into(buf[:m], lower, True, out, at)


@nb.njit(cache=True, nogil=True, inline="always")
def _assembled_size(spans: NDArray[np.int64]) -> int:
    """Room _assemble_into needs in ``buf`` for lines ``spans``."""
    size = 0
    for k in range(len(spans) // 2):
        size += spans[2 * k + 1] - spans[2 * k] + 2
    return size


@nb.njit(cache=True, nogil=True)
def _fold_lines(codes: NDArray[np.uint32], keys: NDArray[np.uint32], values: NDArray[np.int64],
                prefixes: NDArray[np.uint32], lengths: NDArray[np.int64], max_len: int,
                stable: NDArray[np.bool_], check: bool
                ) -> tuple[NDArray[np.uint32], NDArray[np.int64], NDArray[np.bool_],
                           NDArray[np.bool_], bool, bool]:
    """The folded text, its lines (spans, paragraph starts, may be boilerplate), whether
    it has ticker markup (no lines are then found: the regexes remove it first) and,
    with ``check``, whether it holds a character NFKC may change (nothing else is then
    done: the caller normalizes, if it must)."""
    out = np.empty(len(codes), np.uint32)
    end, newlines, markup, unsure = _fold_into(codes, keys, values, stable, check, out, 0)
    if unsure or markup:
        return (out[:end], np.zeros(0, np.int64), np.zeros(0, np.bool_),
                np.zeros(0, np.bool_), markup, unsure)
    spans = np.empty(2 * (newlines + 1), np.int64)
    starts = np.empty(newlines + 1, np.bool_)
    maybe = np.empty(newlines + 1, np.bool_)
    k = _line_spans(out[:end], prefixes, lengths, max_len, spans, starts, maybe, 0)
    return out[:end], spans[:2 * k], starts[:k], maybe[:k], False, False


@nb.njit(cache=True, nogil=True)
def _assemble(codes: NDArray[np.uint32], spans: NDArray[np.int64], starts: NDArray[np.bool_],
              dropped: NDArray[np.bool_], lower: NDArray[np.bool_]
              ) -> tuple[NDArray[np.uint32], bool]:
    """_assemble_into a new array."""
    size = _assembled_size(spans)
    out = np.empty(size + size // 2 + 1, np.uint32)
    end, ok = _assemble_into(codes, spans, starts, dropped, lower,
                             np.empty(size, np.uint32), out, 0)
    return out[:end], ok


@nb.njit(cache=True, nogil=True)
def _fold_lines_many(codes: NDArray[np.uint32], bounds: NDArray[np.int64],
                     keys: NDArray[np.uint32], values: NDArray[np.int64],
                     prefixes: NDArray[np.uint32], lengths: NDArray[np.int64], max_len: int,
                     stable: NDArray[np.bool_]
                     ) -> tuple[NDArray[np.uint32], NDArray[np.int64], NDArray[np.int64],
                                NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_],
                                NDArray[np.int8]]:
    """_fold_lines (with the NFKC check) of texts ``codes[bounds[i]:bounds[i + 1]]``, in
    one call: the folded texts one after another (``folded_bounds``), their lines'
    spans (relative to each folded text) and flags one text after another
    (``line_bounds``), and per text 0, 1 (markup) or 2 (a character NFKC may change)."""
    ntext = len(bounds) - 1
    folded = np.empty(len(codes), np.uint32)  # folding never lengthens a text
    folded_bounds = np.zeros(ntext + 1, np.int64)
    line_bounds = np.zeros(ntext + 1, np.int64)
    status = np.zeros(ntext, np.int8)
    cap = 16 * ntext + 16
    spans = np.empty(2 * cap, np.int64)
    starts = np.empty(cap, np.bool_)
    maybe = np.empty(cap, np.bool_)
    m = 0
    k = 0
    for i in range(ntext):
        end, newlines, markup, unsure = _fold_into(codes[bounds[i]:bounds[i + 1]], keys,
                                                   values, stable, True, folded, m)
        if unsure:
            status[i] = 2
        elif markup:
            status[i] = 1
        else:
            if k + newlines + 1 > cap:
                cap = 2 * (k + newlines + 1)
                spans = np.concatenate((spans[:2 * k], np.empty(2 * cap - 2 * k, np.int64)))
                starts = np.concatenate((starts[:k], np.empty(cap - k, np.bool_)))
                maybe = np.concatenate((maybe[:k], np.empty(cap - k, np.bool_)))
            k = _line_spans(folded[m:end], prefixes, lengths, max_len, spans, starts, maybe, k)
        m = end
        folded_bounds[i + 1] = m
        line_bounds[i + 1] = k
    return (folded[:m], folded_bounds, spans[:2 * k], line_bounds, starts[:k], maybe[:k],
            status)


@nb.njit(cache=True, nogil=True)
def _assemble_many(folded: NDArray[np.uint32], folded_bounds: NDArray[np.int64],
                   spans: NDArray[np.int64], line_bounds: NDArray[np.int64],
                   starts: NDArray[np.bool_], dropped: NDArray[np.bool_],
                   lower: NDArray[np.bool_], given: NDArray[np.uint32],
                   given_bounds: NDArray[np.int64], use_given: NDArray[np.bool_]
                   ) -> tuple[NDArray[np.uint32], NDArray[np.int64], NDArray[np.bool_]]:
    """_assemble of each text of _fold_lines_many, one after another (``bounds``), or,
    where ``use_given``, that text of ``given`` (cleaned elsewhere); and which texts
    came out (False: a paragraph starts beyond the Basic Multilingual Plane)."""
    ntext = len(folded_bounds) - 1
    out = np.empty(len(folded) + len(folded) // 2 + len(given) + ntext, np.uint32)
    bounds = np.zeros(ntext + 1, np.int64)
    ok = np.ones(ntext, np.bool_)
    buf = np.empty(0, np.uint32)  # scratch of _assemble_into, grown as texts need
    m = 0
    for i in range(ntext):
        if use_given[i]:
            need = given_bounds[i + 1] - given_bounds[i]
        else:
            lo, hi = line_bounds[i], line_bounds[i + 1]
            size = _assembled_size(spans[2 * lo:2 * hi])
            need = size + size // 2 + 1
            if len(buf) < size:
                buf = np.empty(2 * size, np.uint32)
        if len(out) < m + need:
            out = np.concatenate((out[:m], np.empty(2 * (m + need), np.uint32)))
        if use_given[i]:
            out[m:m + need] = given[given_bounds[i]:given_bounds[i + 1]]
            m += need
        else:
            m, ok[i] = _assemble_into(folded[folded_bounds[i]:folded_bounds[i + 1]],
                                      spans[2 * lo:2 * hi], starts[lo:hi], dropped[lo:hi],
                                      lower, buf, out, m)
        bounds[i + 1] = m
    return out[:m], bounds, ok


@cache
def _nfkc_stable() -> NDArray[np.bool_]:
    """Characters that leave any text they are in NFKC-normalized if it was so without
    them (NFKC quick check "yes", combining class 0): those of Latin-1 and Latin
    Extended-A/B that NFKC keeps, and likewise General Punctuation. Neither block holds a
    character that composes with the one before it (the quick check's "maybe")."""
    table = np.zeros(0x10000, dtype=np.bool_)
    for c in [*range(0x300), *range(0x2000, 0x2070)]:
        ch = chr(c)
        table[c] = unicodedata.is_normalized("NFKC", ch) and unicodedata.combining(ch) == 0
    return table


@cache
def _lower_table() -> NDArray[np.bool_]:
    """str.islower() of every character of the Basic Multilingual Plane (numpy's
    islower is str.islower, in one call: a loop over them cost a tenth of a second
    of every run's start)."""
    return np.strings.islower(np.arange(0x10000, dtype=np.uint32).view("<U1"))


def prefix_table(words: list[str]) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
    """Lower-case ASCII words as the rows of a zero-padded code point array, and lengths."""
    width = max(len(w) for w in words)
    table = np.zeros((len(words), width), dtype=np.uint32)
    for k, w in enumerate(words):
        assert w.isascii() and w == w.lower()
        table[k, :len(w)] = [ord(c) for c in w]
    return table, np.array([len(w) for w in words], dtype=np.int64)


LineCheck = Callable[[str], bool]


# Characters that NFKC replaces by the same characters wherever they are, all of them
# ones it keeps (_nfkc_stable): replacing them beforehand is part of what NFKC does,
# and spares the texts that have no other such character its slow path. "…" alone
# sent one news text in twelve there (a test checks the table).
_NFKC_EXPANSIONS = (("\u2026", "..."),)


def expand_nfkc(text: str) -> str:
    """``text`` with the characters of _NFKC_EXPANSIONS replaced as NFKC would."""
    for char, expansion in _NFKC_EXPANSIONS:
        if char in text:
            text = text.replace(char, expansion)
    return text


def clean_codes(text: str, table: FoldTable, prefixes: tuple[NDArray[np.uint32],
                NDArray[np.int64]], max_len: int, is_boilerplate: LineCheck
                ) -> tuple[NDArray[np.uint32], NDArray[np.uint32] | None]:
    """clean_text as code points: NFKC, folding and white space, lines, boilerplate,
    paragraphs, tidying, broken paragraphs. ``is_boilerplate`` judges the lines that the
    prefixes do not rule out. Returns the folded text and the cleaned one, None where
    the compiled pass does not apply (ticker markup, a paragraph starting beyond the
    BMP): the caller runs the regexes on the folded text."""
    args = (table[0], table[1], prefixes[0], prefixes[1], max_len, _nfkc_stable())
    text = expand_nfkc(text)
    codes, spans, starts, maybe, markup, unsure = _fold_lines(_codes(text), *args,
                                                              not text.isascii())
    if unsure:  # a character NFKC may change: Python's own check decides
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        codes, spans, starts, maybe, markup, _ = _fold_lines(_codes(text), *args, False)
    if markup:
        return codes, None
    dropped = np.zeros(len(starts), dtype=np.bool_)
    for k in np.flatnonzero(maybe).tolist():
        dropped[k] = is_boilerplate(_text(codes[spans[2 * k]:spans[2 * k + 1]]))
    out, ok = _assemble(codes, spans, starts, dropped, _lower_table())
    return codes, (out if ok else None)


def clean_codes_many(texts: list[str], table: FoldTable, prefixes: tuple[NDArray[np.uint32],
                     NDArray[np.int64]], max_len: int, is_boilerplate: LineCheck,
                     clean_one: Callable[[str], NDArray[np.uint32]]
                     ) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
    """:func:`clean_codes` of many texts, in two compiled calls for all of them rather
    than two per text (whose dispatch and glue cost about as much as the cleaning):
    text ``i`` comes out as ``codes[bounds[i]:bounds[i + 1]]``. A text the compiled pass
    does not take as it is (a character NFKC may change, ticker markup, a paragraph
    starting beyond the BMP) is cleaned alone by ``clean_one`` (clean_text_codes)."""
    texts = [expand_nfkc(text) for text in texts]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=bounds[1:])
    args = (table[0], table[1], prefixes[0], prefixes[1], max_len, _nfkc_stable())
    folded, folded_bounds, spans, line_bounds, starts, maybe, status = _fold_lines_many(
        _codes("".join(texts)), bounds, *args)
    dropped = np.zeros(len(starts), dtype=np.bool_)
    for k in np.flatnonzero(maybe).tolist():
        text = int(np.searchsorted(line_bounds, k, "right")) - 1
        base = folded_bounds[text]
        dropped[k] = is_boilerplate(_text(folded[base + spans[2 * k]:base + spans[2 * k + 1]]))
    given = {i: clean_one(texts[i]) for i in np.flatnonzero(status).tolist()}
    while True:  # twice at most: a text given always comes out
        use_given = np.zeros(len(texts), dtype=np.bool_)
        use_given[list(given)] = True
        sizes = np.zeros(len(texts), dtype=np.int64)
        sizes[list(given)] = [len(g) for g in given.values()]
        given_bounds = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(sizes, out=given_bounds[1:])
        flat = np.concatenate([given[i] for i in sorted(given)]) if given \
            else np.zeros(0, dtype=np.uint32)
        out, out_bounds, ok = _assemble_many(folded, folded_bounds, spans, line_bounds, starts,
                                             dropped, _lower_table(), flat, given_bounds,
                                             use_given)
        if ok.all():
            return out, out_bounds
        given.update({i: clean_one(texts[i]) for i in np.flatnonzero(~ok).tolist()})


def codes_of(text: str) -> NDArray[np.uint32]:
    """A text's code points (lone surrogates pass through)."""
    return _codes(text)


def text_of(codes: NDArray[np.uint32]) -> str:
    """The text of code points."""
    return _text(codes)
