"""Passage alignment between two texts, and the relation it implies.

Sentences are the unit: a version of a wire report rewrites most of its
sentences but keeps some whole (often with a word changed), and moves clauses
around within them. Two sentences align when most word bigrams of the shorter
recur in the longer (robust to clause reordering and to one sentence being
split or merged), and rapidfuzz's Indel ratio says how lightly edited the pair is.

Quotations are discounted: independent outlets quote the same speaker verbatim,
so a shared quote is evidence of a shared *event*, not of a shared *report*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from ..model import Passage, Relation
from ..normalize.sentences import sentence_spans
from ._shingles import tokens

__all__ = ["AlignConfig", "Alignment", "Sentences", "align", "classify"]


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Thresholds of the passage check; see docs/dedup.md for why they sit where they do."""

    sentence_min_tokens: int = 4
    sentence_containment: float = 0.6  # share of the shorter sentence's bigrams in the longer
    near_duplicate_coverage: float = 0.85  # both texts covered this much: near-duplicate
    contained_coverage: float = 0.85  # the shorter text covered this much: contained
    version_coverage: float = 0.2  # the shorter text covered this much by non-quote passages
    version_min_sentences: int = 3  # ... in at least this many aligned non-quote sentences
    version_min_tokens: int = 40  # ... totalling at least this many tokens


# A quotation may run over several sentences, and news style leaves a paragraph's
# quotation unclosed when the quote goes on in the next paragraph: so regions are found
# per paragraph, from an opening mark to the closing one or to the paragraph's end.
_QUOTED = re.compile(r'"[^"\n]{3,}(?:"|(?=\n\n)|$)')


def _quote_regions(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _QUOTED.finditer(text)]


def _quote_shares(spans: list[tuple[int, int]], regions: list[tuple[int, int]]) -> list[float]:
    """Share of each sentence inside quotation regions (both lists sorted, one pass)."""
    out: list[float] = []
    k = 0
    for s, e in spans:
        while k < len(regions) and regions[k][1] <= s:
            k += 1
        inside = 0
        j = k
        while j < len(regions) and regions[j][0] < e:
            inside += max(0, min(e, regions[j][1]) - max(s, regions[j][0]))
            j += 1
        out.append(inside / max(1, e - s))
    return out


@dataclass(slots=True)
class Sentences:
    """A text cut into sentences, with the features alignment needs (computed once)."""

    spans: list[tuple[int, int]]
    folded: list[str]
    bigrams: list[frozenset[tuple[str, str]]]
    ntokens: list[int]
    quote_share: list[float]
    total_tokens: int

    @classmethod
    def of(cls, text: str) -> Sentences:
        spans = sentence_spans(text)
        regions = _quote_regions(text)
        folded: list[str] = []
        bigrams: list[frozenset[tuple[str, str]]] = []
        ntok: list[int] = []
        for s, e in spans:
            toks = tokens(text[s:e])
            folded.append(" ".join(toks))
            bigrams.append(frozenset(zip(toks, toks[1:], strict=False)))
            ntok.append(len(toks))
        return cls(spans, folded, bigrams, ntok, _quote_shares(spans, regions), sum(ntok))


@dataclass(slots=True)
class Alignment:
    """Aligned sentence pairs of texts A and B and the coverage they give each side."""

    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # (i in A, j in B, ratio)
    coverage_a: float = 0.0
    coverage_b: float = 0.0
    plain_coverage_a: float = 0.0  # counting only sentences that are not mostly quotation
    plain_coverage_b: float = 0.0
    plain_sentences: int = 0
    plain_tokens: int = 0
    mean_ratio: float = 0.0

    def passages(self, a: Sentences, b: Sentences) -> list[Passage]:
        out = []
        for i, j, ratio in self.pairs:
            (as_, ae), (bs, be) = a.spans[i], b.spans[j]
            out.append(Passage(as_, ae, bs, be, round(ratio, 3)))
        return out


def align(a: Sentences, b: Sentences, config: AlignConfig = AlignConfig()) -> Alignment:
    """Align sentences of A and B one-to-one, greedily by containment then ratio."""
    index: dict[tuple[str, str], list[int]] = {}
    for j, bg in enumerate(b.bigrams):
        if b.ntokens[j] >= config.sentence_min_tokens:
            for g in bg:
                index.setdefault(g, []).append(j)
    scored: list[tuple[float, int, int]] = []
    for i, bg in enumerate(a.bigrams):
        if a.ntokens[i] < config.sentence_min_tokens or not bg:
            continue
        counts: dict[int, int] = {}
        for g in bg:
            for j in index.get(g, ()):
                counts[j] = counts.get(j, 0) + 1
        for j, shared in counts.items():
            containment = shared / max(1, min(len(bg), len(b.bigrams[j])))
            if containment >= config.sentence_containment:
                scored.append((containment, i, j))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    result = Alignment()
    for _containment, i, j in scored:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        ratio = fuzz.ratio(a.folded[i], b.folded[j]) / 100.0
        result.pairs.append((i, j, ratio))
    result.pairs.sort()
    if not result.pairs:
        return result
    tok_a = sum(a.ntokens[i] for i, _, _ in result.pairs)
    tok_b = sum(b.ntokens[j] for _, j, _ in result.pairs)
    plain = [(i, j) for i, j, _ in result.pairs if max(a.quote_share[i], b.quote_share[j]) < 0.5]
    ptok_a = sum(a.ntokens[i] for i, _ in plain)
    ptok_b = sum(b.ntokens[j] for _, j in plain)
    result.coverage_a = tok_a / max(1, a.total_tokens)
    result.coverage_b = tok_b / max(1, b.total_tokens)
    result.plain_coverage_a = ptok_a / max(1, a.total_tokens)
    result.plain_coverage_b = ptok_b / max(1, b.total_tokens)
    result.plain_sentences = len(plain)
    result.plain_tokens = min(ptok_a, ptok_b)
    result.mean_ratio = sum(r for _, _, r in result.pairs) / len(result.pairs)
    return result


def classify(
    al: Alignment, a: Sentences, b: Sentences, config: AlignConfig = AlignConfig()
) -> tuple[Relation | None, float]:
    """The relation between A and B implied by their alignment, and its score in [0, 1]."""
    if not al.pairs:
        return None, 0.0
    a_shorter = a.total_tokens <= b.total_tokens
    cov_short = al.coverage_a if a_shorter else al.coverage_b
    cov_long = al.coverage_b if a_shorter else al.coverage_a
    if cov_short >= config.near_duplicate_coverage and cov_long >= config.near_duplicate_coverage:
        return "near-duplicate", (cov_short + cov_long) / 2 * al.mean_ratio
    if cov_short >= config.contained_coverage:
        return "contained", cov_short * al.mean_ratio
    plain_short = al.plain_coverage_a if a_shorter else al.plain_coverage_b
    if (
        plain_short >= config.version_coverage
        and al.plain_sentences >= config.version_min_sentences
        and al.plain_tokens >= config.version_min_tokens
    ):
        return "version", plain_short
    return None, cov_short
