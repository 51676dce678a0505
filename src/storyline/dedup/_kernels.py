"""Compiled inner loops of dedup: one pass over a text's code points, and sentence alignment.

Dedup must keep up with a day of a large feed on one core, which Python-level
regexes, token lists and sets cannot: a text is handed over as its UTF-32 code
points (``str.encode`` is a copy in C) and a numba kernel cuts it into tokens,
hashes them, flags quotations and finds sentence ends in one pass. Sentence
alignment runs on those arrays too. Kernels are compiled on first use and cached
on disk by numba, so only the first run after an install pays for compiling.

Tokens are runs of letters and digits of any script, lower-cased; the sentence
rules are those of :mod:`storyline.normalize.sentences` (a test holds the two
to the same spans).
"""

from __future__ import annotations

import math
from functools import cache

import numba as nb
import numpy as np
from numpy.typing import NDArray

from ..normalize import sentences as _rules
from ..normalize._fast import is_space as _space

__all__ = ["Scan", "align_arrays", "content_key", "count_candidates", "fingerprint_joined",
           "fingerprint_many", "sampled", "sentence_features", "shingle_hashes", "word_hash"]

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _tables() -> tuple[NDArray[np.bool_], NDArray[np.uint32]]:
    r"""Python's own answers for every code point of the Basic Multilingual Plane: is it a
    letter or digit (what ``[^\W_]`` matches), and its lower case (where that is one
    character). Kernels look them up, so their tokens are those of the token regex
    (except around the few letters whose lower case is longer, such as "İ")."""
    codes = np.arange(0x10000, dtype=np.uint32)
    word = np.strings.isalnum(codes.view("<U1"))  # str.isalnum, in one call
    lower = codes.copy()
    # str.lower of the letters and digits, a run of them at a time: a run whose lower
    # case is as long as it maps one to one; the few that are not go one by one
    letters = codes[word]
    for start in range(0, len(letters), 256):
        run = letters[start:start + 256]
        low = run.tobytes().decode("utf-32-le").lower()
        if len(low) == len(run):
            lower[run] = np.frombuffer(low.encode("utf-32-le"), dtype=np.uint32)
            continue
        for c in run.tolist():
            one = chr(c).lower()
            if len(one) == 1:
                lower[c] = ord(one)
    return word, lower


_WORD, _LOWER = _tables()


@nb.njit(cache=True, nogil=True, inline="always")
def _is_word(c: int) -> bool:
    """A letter or digit of any script (beyond the BMP: anything but symbols and emoji)."""
    if c < 0x10000:
        return bool(_WORD[c])
    return not (0x1F000 <= c <= 0x1FAFF or c >= 0x10FFFE or 0xE0000 <= c <= 0xE007F)


@nb.njit(cache=True, nogil=True, inline="always")
def _lower(c: int) -> int:
    if c < 0x10000:
        return int(_LOWER[c])
    return int(c)


@nb.njit(cache=True, nogil=True, inline="always")
def _opening(c: int) -> bool:
    return c == 34 or c == 39 or c == 40 or c == 91


@nb.njit(cache=True, nogil=True, inline="always")
def _closing(c: int) -> bool:
    return c == 34 or c == 39 or c == 41 or c == 93


@nb.njit(cache=True, nogil=True, inline="always")
def _terminal(c: int) -> bool:
    return c == 46 or c == 33 or c == 63


@nb.njit(cache=True, nogil=True, inline="always")
def _alpha(c: int) -> bool:
    return (65 <= c <= 90) or (97 <= c <= 122)


@nb.njit(cache=True, nogil=True, inline="always")
def _upper(c: int) -> bool:
    return 65 <= c <= 90


@nb.njit(cache=True, nogil=True, inline="always")
def _mix(h: np.uint64) -> np.uint64:
    h ^= h >> np.uint64(31)
    h *= _MIX1
    h ^= h >> np.uint64(29)
    h *= _MIX2
    h ^= h >> np.uint64(32)
    return h


@nb.njit(cache=True, nogil=True)
def _hash_range(codes: NDArray[np.uint32], s: int, e: int) -> np.uint64:
    h = _FNV_OFFSET
    for p in range(s, e):
        h = (h ^ np.uint64(_lower(codes[p]))) * _FNV_PRIME
    return h


@nb.njit(cache=True, nogil=True)
def _in(sorted_hashes: NDArray[np.uint64], h: np.uint64) -> bool:
    i = np.searchsorted(sorted_hashes, h)
    return bool(i < len(sorted_hashes) and sorted_hashes[i] == h)


@nb.njit(cache=True, nogil=True)
def _is_boundary(codes: NDArray[np.uint32], start: int, end: int, abbrev: NDArray[np.uint64],
                 lower_abbrev: NDArray[np.uint64], final_abbrev: NDArray[np.uint64],
                 openers: NDArray[np.uint64]) -> bool:
    """The splitter's veto rules for the terminal run codes[start:end]; see sentences.py."""
    n = len(codes)
    mark = codes[start]
    if mark == 33 or mark == 63:  # ! ?
        return True
    if end - start >= 2 and codes[start + 1] == 46:  # ellipsis
        return True
    # the word before: a run of letters and dots ending at the period, from its first letter
    lo = max(0, start - 40)
    ws = start
    while ws > lo and (_alpha(codes[ws - 1]) or codes[ws - 1] == 46):
        ws -= 1
    while ws < start and not _alpha(codes[ws]):
        ws += 1
    if ws >= start:
        return True
    has_dot = False
    for p in range(ws, start):
        if codes[p] == 46:
            has_dot = True
    wh = _hash_range(codes, ws, start)
    # the next word: white space, an optional opening mark, then [A-Za-z0-9][\w'-]*
    q = end
    while q < n and _space(codes[q]):
        q += 1
    if q < n and _opening(codes[q]):
        q += 1
    nh = np.uint64(0)
    next_upper = False
    if q < n and (_alpha(codes[q]) or 48 <= codes[q] <= 57):
        next_upper = _upper(codes[q])
        r = q + 1
        while r < n and (_is_word(codes[r]) or codes[r] == 39 or codes[r] == 45
                         or codes[r] == 95):
            r += 1
        nh = _hash_range(codes, q, r)
    if _in(abbrev, wh) and (_upper(codes[ws]) or _in(lower_abbrev, wh)):
        return _in(final_abbrev, wh) and _in(openers, nh)
    if start - ws == 1 and _upper(codes[ws]):
        return False  # an initial
    if has_dot:
        return _in(openers, nh) and next_upper
    return True


@nb.njit(cache=True, nogil=True, inline="always")
def _emit(codes: NDArray[np.uint32], a: int, b: int, sent_span: NDArray[np.int32],
          ns: int) -> int:
    """Record the sentence codes[a:b] without its surrounding white space; the new count."""
    while a < b and _space(codes[a]):
        a += 1
    while b > a and _space(codes[b - 1]):
        b -= 1
    if b > a:
        sent_span[2 * ns] = a
        sent_span[2 * ns + 1] = b
        ns += 1
    return ns


@nb.njit(cache=True, nogil=True)
def _scan(codes: NDArray[np.uint32], abbrev: NDArray[np.uint64],
          lower_abbrev: NDArray[np.uint64], final_abbrev: NDArray[np.uint64],
          openers: NDArray[np.uint64]) -> tuple[NDArray[np.int32], NDArray[np.int32],
                                                NDArray[np.uint64], NDArray[np.bool_],
                                                NDArray[np.int32], NDArray[np.int32]]:
    n = len(codes)
    un = np.uint64(n)
    tok_start = np.empty(n // 2 + 1, np.int32)
    tok_end = np.empty(n // 2 + 1, np.int32)
    tok_hash = np.empty(n // 2 + 1, np.uint64)
    tok_quoted = np.empty(n // 2 + 1, np.bool_)
    tok_sent = np.empty(n // 2 + 1, np.int32)
    sent_span = np.empty((n // 2 + 2) * 2, np.int32)
    nt = 0
    ns = 0
    sent_from = 0  # where the current sentence may start (before trimming white space)
    quoted = False
    p = 0
    # characters are read at unsigned indexes: a signed one costs a check for a
    # negative index each time (a quarter of the scan's time)
    while p < n:
        c = codes[np.uint64(p)]
        if _is_word(c):
            s = p
            h = _FNV_OFFSET
            u = np.uint64(p)
            while u < un:
                cu = codes[u]
                if not _is_word(cu):
                    break
                h = (h ^ np.uint64(_lower(cu))) * _FNV_PRIME
                u += np.uint64(1)
            p = int(np.int64(u))
            tok_start[nt] = s
            tok_end[nt] = p
            tok_hash[nt] = h
            tok_quoted[nt] = quoted
            tok_sent[nt] = ns
            nt += 1
            continue
        if c == 34:  # "
            quoted = not quoted
            p += 1
            continue
        if c == 10:
            quoted = False
            # a paragraph break: newline, spaces or tabs, newline
            q = p + 1
            while q < n and (codes[q] == 32 or codes[q] == 9):
                q += 1
            if q < n and codes[q] == 10:
                ns = _emit(codes, sent_from, p, sent_span, ns)
                sent_from = q + 1
                p = q + 1
                continue
            p += 1
            continue
        if c == 46 or c == 33 or c == 63:  # . ! ?
            q = p
            while q < n and _terminal(codes[q]):
                q += 1
            e = q
            while e < n and _closing(codes[e]):
                e += 1
            # a candidate needs white space, an optional opening mark, then [A-Z0-9]
            r = e
            while r < n and _space(codes[r]):
                r += 1
            cand = r > e and r < n
            if cand:
                t = r
                if _opening(codes[t]):
                    t += 1
                cand = t < n and (_upper(codes[t]) or 48 <= codes[t] <= 57)
            if cand:
                # a paragraph break inside the white space ends the sentence there anyway
                brk = False  # a paragraph break: newline, spaces or tabs, newline
                for k in range(e, r):
                    if codes[k] == 10:
                        k2 = k + 1
                        while k2 < r and (codes[k2] == 32 or codes[k2] == 9):
                            k2 += 1
                        if k2 < r and codes[k2] == 10:
                            brk = True
                if not brk and _is_boundary(codes, p, e, abbrev, lower_abbrev, final_abbrev,
                                            openers):
                    ns = _emit(codes, sent_from, e, sent_span, ns)
                    sent_from = e
            # the closing marks are not words; quotes among them toggle the state
            for k in range(q, e):
                if codes[k] == 34:
                    quoted = not quoted
            p = e
            continue
        p += 1
    ns = _emit(codes, sent_from, n, sent_span, ns)
    return (tok_start[:nt].copy(), tok_end[:nt].copy(), tok_hash[:nt].copy(),
            tok_quoted[:nt].copy(), tok_sent[:nt].copy(), sent_span[: 2 * ns].copy())


def _codes(text: str) -> NDArray[np.uint32]:
    """The text's code points (lone surrogates, which JSON can carry, pass through)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def word_hash(word: str) -> int:
    """The kernel's hash of a word (lower-cased), for building the rule sets."""
    codes = _codes(word)
    return int(_hash_range(codes, 0, len(codes)))


def _hash_set(words: frozenset[str]) -> NDArray[np.uint64]:
    return np.array(sorted({word_hash(w) for w in words}), dtype=np.uint64)


@cache
def _rule_sets() -> tuple[NDArray[np.uint64], ...]:
    """The splitter's word sets as sorted hashes; built on first use, not at import
    (hashing them loads a compiled function, which costs half a second)."""
    return (_hash_set(_rules._ABBREVIATIONS), _hash_set(_rules._LOWERCASE_ABBREVIATIONS),
            _hash_set(_rules._SENTENCE_FINAL_ABBREVIATIONS), _hash_set(_rules._OPENERS))


class Scan:
    """A text's tokens (char spans, hashes, quotation flags, sentence numbers) and sentences."""

    __slots__ = ("tok_start", "tok_end", "tok_hash", "tok_quoted", "tok_sent", "sent_span")

    def __init__(self, text: str) -> None:
        codes = _codes(text)
        (self.tok_start, self.tok_end, self.tok_hash, self.tok_quoted, self.tok_sent,
         spans) = _scan(codes, *_rule_sets())
        self.sent_span = spans.reshape(-1, 2)

    @property
    def ntokens(self) -> int:
        return len(self.tok_hash)


@nb.njit(cache=True, nogil=True)
def shingle_hashes(th: NDArray[np.uint64], k: int) -> NDArray[np.uint64]:
    """Mixed hashes of every run of ``k`` tokens (one hash if the text is shorter)."""
    n = len(th)
    if n == 0:
        return np.zeros(0, np.uint64)
    if n < k:
        k = n
    m = n - k + 1
    out = np.empty(m, np.uint64)
    for i in range(m):
        h = np.uint64(0)
        for j in range(k):
            h = h * _FNV_PRIME + th[i + j]
        out[i] = _mix(h)
    return out


@nb.njit(cache=True, nogil=True)
def sampled(th: NDArray[np.uint64], k: int, rate: int) -> NDArray[np.uint32]:
    """Unique fingerprints: the top 32 bits of the shingle hashes with ``h % rate == 0``.

    A residue class rather than a MinHash: two texts that share a passage keep the
    *same* fingerprints of it, which is what lets the index find rewrites that share
    a few paragraphs but little overall (versions), where a MinHash signature only
    estimates whole-text Jaccard.

    Texts too short to keep any get their smallest shingle hash, so that every
    article has at least one fingerprint to be found by.
    """
    out = np.empty(len(th) + 1, np.uint32)
    return out[:_sample_into(th, k, rate, out, 0)].copy()


@nb.njit(cache=True, nogil=True)
def _sample_into(th: NDArray[np.uint64], k: int, rate: int, out: NDArray[np.uint32],
                 at: int) -> int:
    """:func:`sampled` written to ``out[at:]`` (room for ``len(th) + 1`` values), sorted;
    returns where they end. One pass and no array of its own: per text, the shingle
    hashes, the mask and numpy's unique cost more than the hashing."""
    n = len(th)
    if n == 0:
        return at
    if n < k:
        k = n
    r = np.uint64(rate)
    end = at
    low = ~np.uint64(0)  # the smallest shingle hash, kept if no other is
    for i in range(n - k + 1):
        h = np.uint64(0)
        for j in range(k):
            h = h * _FNV_PRIME + th[i + j]
        h = _mix(h)
        low = min(low, h)
        if h % r == 0:
            out[end] = np.uint32(h >> np.uint64(32))
            end += 1
    if end == at:
        out[at] = np.uint32(low >> np.uint64(32))
        return at + 1
    out[at:end].sort()
    w = at + 1
    for x in range(at + 1, end):
        if out[x] != out[w - 1]:
            out[w] = out[x]
            w += 1
    return w


@nb.njit(cache=True, nogil=True)
def content_key(th: NDArray[np.uint64]) -> tuple[np.uint64, np.uint64]:
    """Two independent 64-bit hashes of the token sequence: equal tokens, equal key."""
    h1 = _FNV_OFFSET
    h2 = np.uint64(0x9E3779B97F4A7C15)
    for t in th:
        h1 = _mix(h1 ^ t)
        h2 = (h2 + t) * _MIX1 + np.uint64(1)
    return h1, _mix(h2 ^ np.uint64(len(th)))


@nb.njit(cache=True, nogil=True)
def _fingerprint_many(codes: NDArray[np.uint32], bounds: NDArray[np.int64], k: int,
                      rate: int) -> tuple[NDArray[np.uint64], NDArray[np.int64],
                                          NDArray[np.uint32], NDArray[np.int64]]:
    """Content keys, token counts and fingerprints of many texts in one call.

    Text ``i`` is ``codes[bounds[i]:bounds[i + 1]]``. Only the token hashes are needed
    here (no sentences, no spans), so most articles, which have no candidate to
    align with, are never scanned in full.
    """
    ndoc = len(bounds) - 1
    keys = np.empty((ndoc, 2), np.uint64)
    ntok = np.empty(ndoc, np.int64)
    fp_off = np.zeros(ndoc + 1, np.int64)
    fps = np.empty(max(16, len(codes) // 16), np.uint32)
    th = np.empty(len(codes) // 2 + 2, np.uint64)
    nfp = 0
    for d in range(ndoc):
        # the tokens' hashes with no branch on where words end (prose's word ends are
        # too irregular to predict): the hash so far is written at every character and
        # kept, by moving on, only where a word ends
        nt = 0
        h = _FNV_OFFSET
        in_word = False
        for p in range(bounds[d], bounds[d + 1]):
            c = codes[np.uint64(p)]  # unsigned: no check for a negative index
            word = _is_word(c)
            longer = (h ^ np.uint64(_lower(c))) * _FNV_PRIME
            th[np.uint64(nt)] = h
            nt += in_word and not word
            h = longer if word else _FNV_OFFSET
            in_word = word
        if in_word:
            th[nt] = h
            nt += 1
        toks = th[:nt]
        k1, k2 = content_key(toks)
        keys[d, 0] = k1
        keys[d, 1] = k2
        ntok[d] = nt
        if nfp + nt + 1 > len(fps):
            fps = np.concatenate((fps[:nfp], np.empty(len(fps) + nt + 1, np.uint32)))
        nfp = _sample_into(toks, k, rate, fps, nfp)
        fp_off[d + 1] = nfp
    return keys, ntok, fps[:nfp].copy(), fp_off


def fingerprint_joined(codes: NDArray[np.uint32], bounds: NDArray[np.int64], k: int,
                       rate: int) -> tuple[NDArray[np.uint64], NDArray[np.int64],
                                           NDArray[np.uint32], NDArray[np.int64],
                                           NDArray[np.uint8], NDArray[np.int64]]:
    """fingerprint_many of texts given as code points one after another (text i is
    ``codes[bounds[i]:bounds[i + 1]]``), and the texts as one UTF-8 blob with their end
    offsets (after a 0): text i is ``blob[ends[i]:ends[i + 1]]``. A reader that cleaned
    the texts in compiled code never makes them strings."""
    keys, ntok, fps, offsets = _fingerprint_many(codes, bounds, k, rate)
    blob, ends = _utf8(codes, bounds[:-1], np.diff(bounds))
    return keys, ntok, fps, offsets, blob, ends


@nb.njit(cache=True, nogil=True)
def _utf8(codes: NDArray[np.uint32], starts: NDArray[np.int64], lengths: NDArray[np.int64]
          ) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """UTF-8 of the texts codes[starts[i]:starts[i] + lengths[i]], surrogates passed
    through (as str.encode("utf-8", "surrogatepass")).

    Each text is read through a slice indexed from zero: an index the compiler cannot
    prove non-negative costs a check per character, and kept the size pass from being
    vectorized (it is twice as fast without); the copy reads and writes at unsigned
    indexes for the same reason. Runs of eight ASCII characters are copied without a
    branch each."""
    ends = np.zeros(len(starts) + 1, np.int64)
    for i in range(len(starts)):
        text = codes[starts[i]:starts[i] + lengths[i]]
        size = 0
        for p in range(len(text)):
            c = text[np.uint64(p)]
            size += 1 + int(c >= 0x80) + int(c >= 0x800) + int(c >= 0x10000)
        ends[i + 1] = ends[i] + size
    out = np.empty(ends[-1], np.uint8)
    for i in range(len(starts)):
        text = codes[starts[i]:starts[i] + lengths[i]]
        n = len(text)
        m = ends[i]
        p = 0
        while p < n:
            if p + 8 <= n and (text[np.uint64(p)] | text[np.uint64(p + 1)]
                               | text[np.uint64(p + 2)] | text[np.uint64(p + 3)]
                               | text[np.uint64(p + 4)] | text[np.uint64(p + 5)]
                               | text[np.uint64(p + 6)] | text[np.uint64(p + 7)]) < 0x80:
                for k in range(8):
                    out[np.uint64(m + k)] = text[np.uint64(p + k)]
                m += 8
                p += 8
                continue
            c = text[np.uint64(p)]
            p += 1
            if c < 0x80:
                out[np.uint64(m)] = c
                m += 1
            elif c < 0x800:
                out[np.uint64(m)] = 0xC0 | (c >> 6)
                out[np.uint64(m + 1)] = 0x80 | (c & 0x3F)
                m += 2
            elif c < 0x10000:
                out[np.uint64(m)] = 0xE0 | (c >> 12)
                out[np.uint64(m + 1)] = 0x80 | ((c >> 6) & 0x3F)
                out[np.uint64(m + 2)] = 0x80 | (c & 0x3F)
                m += 3
            else:
                out[np.uint64(m)] = 0xF0 | (c >> 18)
                out[np.uint64(m + 1)] = 0x80 | ((c >> 12) & 0x3F)
                out[np.uint64(m + 2)] = 0x80 | ((c >> 6) & 0x3F)
                out[np.uint64(m + 3)] = 0x80 | (c & 0x3F)
                m += 4
    return out, ends


def fingerprint_many(texts: list[str], k: int, rate: int) -> tuple[
        NDArray[np.uint64], NDArray[np.int64], NDArray[np.uint32], NDArray[np.int64]]:
    """(content keys (n, 2), token counts, fingerprints, offsets): text i's fingerprints
    are ``fps[offsets[i]:offsets[i + 1]]``. Texts are joined by a newline, which no
    token crosses, and encoded once."""
    edges = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts)),
              out=edges[1:])
    codes = _codes("\n".join(texts))
    edges[-1] = len(codes)
    return _fingerprint_many(codes, edges, k, rate)


# -- alignment ----------------------------------------------------------------------

@nb.njit(cache=True, nogil=True)
def sentence_features(th: NDArray[np.uint64], sent: NDArray[np.int32], quoted: NDArray[np.bool_],
                      nsent: int, min_tokens: int) -> tuple[
                          NDArray[np.uint64], NDArray[np.int32], NDArray[np.int64],
                          NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                          NDArray[np.int32], NDArray[np.int32]]:
    """What alignment needs of one text, computed once per text.

    Unique token bigrams of each sentence with ``min_tokens`` tokens or more, as
    (keys, owner) grouped by sentence; per sentence the number of unique bigrams,
    of tokens and of quoted tokens and its first token; and a hash table over the
    keys (heads, chain) for lookups from the other text.
    """
    ntok = np.zeros(nsent, np.int64)
    nquoted = np.zeros(nsent, np.int64)
    first = np.zeros(nsent, np.int64)
    n = len(th)
    for t in range(n - 1, -1, -1):
        s = sent[t]
        ntok[s] += 1
        first[s] = t
        if quoted[t]:
            nquoted[s] += 1
    keys = np.empty(max(0, n - 1), np.uint64)
    owner = np.empty(max(0, n - 1), np.int32)
    nuniq = np.zeros(nsent, np.int64)
    # a sentence's repeated bigrams are dropped with a small hash set (sorting each
    # sentence cost more than everything else here); the stamp says which sentence
    # a slot belongs to, so the set never needs clearing
    longest = 1
    for x in range(nsent):
        longest = max(longest, ntok[x])
    size = 16
    while size < 2 * longest:
        size *= 2
    slot_key = np.empty(size, np.uint64)
    slot_stamp = np.full(size, -1, np.int64)
    smask = np.uint64(size - 1)
    m = 0
    t = 0
    while t < n:  # tokens come in sentence order: one run per sentence
        s = sent[t]
        e = t
        while e < n and sent[e] == s:
            e += 1
        if e - t >= min_tokens:
            u = 0
            for x in range(t, e - 1):
                g = _mix(th[x] * _FNV_PRIME ^ th[x + 1])
                slot = g & smask
                while slot_stamp[slot] == s and slot_key[slot] != g:
                    slot = (slot + np.uint64(1)) & smask
                if slot_stamp[slot] == s:
                    continue  # seen in this sentence
                slot_stamp[slot] = s
                slot_key[slot] = g
                keys[m + u] = g
                owner[m + u] = s
                u += 1
            nuniq[s] = u
            m += u
        t = e
    keys = keys[:m].copy()
    owner = owner[:m].copy()
    size = 16
    while size < 2 * m:
        size *= 2
    heads = np.full(size, -1, np.int32)
    chain = np.empty(m, np.int32)
    for x in range(m):
        slot = keys[x] & np.uint64(size - 1)
        chain[x] = heads[slot]
        heads[slot] = x
    return keys, owner, nuniq, ntok, nquoted, first, heads, chain


@nb.njit(cache=True, nogil=True)
def _lcs(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> int:
    """Length of the longest common subsequence of two token sequences. Bit-parallel
    (Hyyrö 2004) when the shorter has at most 64 tokens, as a sentence almost always
    does: a word of bits per step of the longer, where the dynamic programme below
    takes a cell per pair of tokens and each cell waits for the one before it."""
    if len(a) > len(b):
        a, b = b, a
    m = len(a)
    if m > 64:
        return _lcs_table(a, b)
    if m == 0:
        return 0
    one = np.uint64(1)
    v = ~np.uint64(0)
    for t in b:
        match = np.uint64(0)
        for i in range(m):
            if a[i] == t:
                match |= one << np.uint64(i)
        u = v & match
        v = (v + u) | (v - u)
    low = v if m == 64 else v & ((one << np.uint64(m)) - one)
    return m - _popcount(low)


@nb.njit(cache=True, nogil=True, inline="always")
def _popcount(x: np.uint64) -> int:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@nb.njit(cache=True, nogil=True)
def _lcs_table(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> int:
    """_lcs by dynamic programming, for any lengths."""
    m = len(b)
    prev = np.zeros(m + 1, np.int32)
    cur = np.zeros(m + 1, np.int32)
    for x in a:
        for j in range(m):
            if x == b[j]:
                cur[j + 1] = prev[j] + 1
            else:
                cur[j + 1] = max(cur[j], prev[j + 1])
        prev, cur = cur, prev
    return int(prev[m])


@nb.njit(cache=True, nogil=True)
def align_arrays(a_hash: NDArray[np.uint64], ka: NDArray[np.uint64], oa: NDArray[np.int32],
                 ua: NDArray[np.int64], na: NDArray[np.int64], qa: NDArray[np.int64],
                 fa: NDArray[np.int64],
                 b_hash: NDArray[np.uint64], kb: NDArray[np.uint64], ob: NDArray[np.int32],
                 heads: NDArray[np.int32], chain: NDArray[np.int32],
                 ub: NDArray[np.int64], nbt: NDArray[np.int64], qb: NDArray[np.int64],
                 fb: NDArray[np.int64], span_a: NDArray[np.int32], span_b: NDArray[np.int32],
                 containment: float, plain_ratio: float) -> tuple[
                     NDArray[np.int64], NDArray[np.int64], NDArray[np.float64],
                     NDArray[np.float64], NDArray[np.float64]]:
    """Align sentences one-to-one, greedily by bigram containment, then by position.

    Both texts as sentence_features gives them; B's bigrams are looked up in its table.
    Returns the aligned pairs (i in A, j in B, token Indel ratio) sorted by i;
    [tokens of A, tokens of B, plain tokens of A, plain tokens of B, plain pairs, sum
    of the ratios (as numpy sums them)] where plain pairs are those whose sentences
    are not mostly quotation and whose ratio reaches ``plain_ratio`` (a sentence that
    recurs, not a paraphrase); and the pairs as rows (a_start, a_end, b_start, b_end,
    ratio rounded as ``np.round(ratio, 3)``) of the sentence spans ``span_a``,
    ``span_b``. Made here, not with numpy in the caller, whose small-array calls
    cost as much as the alignment.
    """
    a_nsent = len(na)
    b_nsent = len(nbt)
    counts = np.zeros(b_nsent, np.int64)
    touched = np.empty(b_nsent, np.int64)
    cap = 16
    sc = np.empty(cap, np.float64)
    si = np.empty(cap, np.int64)
    sj = np.empty(cap, np.int64)
    nsc = 0
    start = 0
    m = len(ka)
    mask = np.uint64(len(heads) - 1)
    while start < m:
        i = oa[start]
        end = start
        while end < m and oa[end] == i:
            end += 1
        nt = 0
        for x in range(start, end):
            g = ka[x]
            y = heads[g & mask]
            while y >= 0:
                if kb[y] == g:
                    j = ob[y]
                    if counts[j] == 0:
                        touched[nt] = j
                        nt += 1
                    counts[j] += 1
                y = chain[y]
        if nt:
            tj = np.sort(touched[:nt])
            for y in range(nt):
                j = tj[y]
                c = counts[j] / max(1, min(ua[i], ub[j]))
                counts[j] = 0
                if c >= containment:
                    if nsc == cap:
                        cap *= 2
                        sc = np.concatenate((sc, np.empty(cap - len(sc), np.float64)))
                        si = np.concatenate((si, np.empty(cap - len(si), np.int64)))
                        sj = np.concatenate((sj, np.empty(cap - len(sj), np.int64)))
                    sc[nsc] = c
                    si[nsc] = i
                    sj[nsc] = j
                    nsc += 1
        start = end
    order = np.argsort(-sc[:nsc], kind="mergesort")  # stable: ties stay in (i, j) order
    used_a = np.zeros(a_nsent, np.bool_)
    used_b = np.zeros(b_nsent, np.bool_)
    pi = np.empty(nsc, np.int64)
    pj = np.empty(nsc, np.int64)
    np_ = 0
    for x in order:
        i = si[x]
        j = sj[x]
        if used_a[i] or used_b[j]:
            continue
        used_a[i] = True
        used_b[j] = True
        pi[np_] = i
        pj[np_] = j
        np_ += 1
    pi = pi[:np_]
    pj = pj[:np_]
    o = np.argsort(pi)
    pi = pi[o]
    pj = pj[o]
    ratios = np.empty(np_, np.float64)
    stats = np.zeros(6, np.float64)
    rows = np.empty((np_, 5), np.float64)
    for x in range(np_):
        i = pi[x]
        j = pj[x]
        sa = a_hash[fa[i]: fa[i] + na[i]]
        sb = b_hash[fb[j]: fb[j] + nbt[j]]
        ratios[x] = 2.0 * _lcs(sa, sb) / max(1, len(sa) + len(sb))
        stats[0] += na[i]
        stats[1] += nbt[j]
        if (ratios[x] >= plain_ratio
                and max(qa[i] / max(1, na[i]), qb[j] / max(1, nbt[j])) < 0.5):
            stats[2] += na[i]
            stats[3] += nbt[j]
            stats[4] += 1
        rows[x, 0] = span_a[i, 0]
        rows[x, 1] = span_a[i, 1]
        rows[x, 2] = span_b[j, 0]
        rows[x, 3] = span_b[j, 1]
        rows[x, 4] = np.rint(ratios[x] * 1000.0) / 1000.0  # np.round(ratio, 3), bit for bit
    stats[5] = _pairwise_sum(ratios, 0, np_)
    return pi, pj, ratios, stats, rows


@nb.njit(cache=True, nogil=True, inline="always")
def _block_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """numpy's sum of at most 128 values: a plain loop below 8, else eight accumulators."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@nb.njit(cache=True, nogil=True)
def _pairwise_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """``a[lo:lo + n].sum()`` bit for bit: numpy's pairwise summation (blocks of at most
    128 values, halves above; a test holds the two equal). numpy recurses; a cached
    numba function cannot, so the halves go on a stack here."""
    if n <= 128:
        return _block_sum(a, lo, n)
    stack = np.empty((64, 3), np.int64)  # (lo, n, 0: to sum, 1: add its two halves)
    vals = np.empty(64, np.float64)
    sp = vp = 0
    stack[0, 0], stack[0, 1], stack[0, 2] = lo, n, 0
    sp = 1
    while sp:
        sp -= 1
        lo_, n_, st = stack[sp, 0], stack[sp, 1], stack[sp, 2]
        if st == 1:
            vp -= 1
            vals[vp - 1] = vals[vp - 1] + vals[vp]  # left + right
        elif n_ <= 128:
            vals[vp] = _block_sum(a, lo_, n_)
            vp += 1
        else:
            half = n_ // 2
            half -= half % 8
            stack[sp, 0], stack[sp, 1], stack[sp, 2] = lo_, n_, 1
            stack[sp + 1, 0], stack[sp + 1, 1], stack[sp + 1, 2] = lo_ + half, n_ - half, 0
            stack[sp + 2, 0], stack[sp + 2, 1], stack[sp + 2, 2] = lo_, half, 0
            sp += 3
    return vals[0]


@nb.njit(cache=True, nogil=True)
def count_candidates(a: NDArray[np.int64], b: NDArray[np.int64], first_doc: int, ndocs: int,
                     nfp: NDArray[np.uint32], min_shared: int, min_fraction: float,
                     max_candidates: int, counter: NDArray[np.int32]
                     ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The candidates of docs ``first_doc`` to ``first_doc + ndocs - 1`` from their raw
    pairs (``a[i]`` shares a fingerprint with ``b[i]``, one pair per shared fingerprint):
    per doc, the docs sharing at least ``max(min(smaller, min_shared),
    ceil(min_fraction * smaller))`` fingerprints (``smaller``: the smaller text's
    count in ``nfp``), most shared first, then oldest, at most ``max_candidates``.

    Counted in ``counter`` (zeros, one per indexed doc; left zeroed), in time linear in
    the pairs: a sort of the pairs cost most of the lookups once common passages gave
    articles hundreds of pairs each.
    """
    n = len(a)
    if max_candidates <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.zeros(ndocs + 1, np.int64)
    for i in range(n):
        starts[a[i] - first_doc + 1] += 1
    for d in range(ndocs):
        starts[d + 1] += starts[d]
    fill = starts[:-1].copy()
    others = np.empty(n, np.int64)
    for i in range(n):
        d = a[i] - first_doc
        others[fill[d]] = b[i]
        fill[d] += 1
    out_a = np.empty(min(n, ndocs * max_candidates), np.int64)
    out_b = np.empty(min(n, ndocs * max_candidates), np.int64)
    m = 0
    touched = np.empty(n, np.int64)
    keys = np.empty(n, np.int64)
    for d in range(ndocs):
        doc = first_doc + d
        nt = 0
        for i in range(starts[d], starts[d + 1]):
            y = others[i]
            if counter[y] == 0:
                touched[nt] = y
                nt += 1
            counter[y] += 1
        nk = 0
        for t in range(nt):
            y = touched[t]
            shared = counter[y]
            counter[y] = 0
            smaller = min(nfp[doc], nfp[y])
            need = max(min(smaller, min_shared), math.ceil(min_fraction * smaller))
            if shared >= need:
                keys[nk] = ((1 << 31) - shared) * (1 << 32) + y  # most shared, then oldest
                nk += 1
        if nk:
            chosen = np.sort(keys[:nk])[:max_candidates]
            for key in chosen:
                out_a[m] = doc
                out_b[m] = key & 0xFFFFFFFF
                m += 1
    return out_a[:m], out_b[:m]
