"""Passage alignment between two texts, and the relation it implies.

Sentences are the unit: a version of a wire report rewrites most of its
sentences but keeps some whole (often with a word changed), and moves clauses
around within them. Two sentences align when most word bigrams of the shorter
recur in the longer (robust to clause reordering and to one sentence being
split or merged), and the Indel ratio of their tokens says how lightly edited the
pair is. The loops run compiled (:mod:`._kernels`).

Quotations are discounted: independent outlets quote the same speaker verbatim,
so a shared quote is evidence of a shared *event*, not of a shared *report*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Passage, Relation
from ._kernels import Scan, align_arrays, sentence_features

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
    version_min_ratio: float = 0.75  # ... each pair this similar (recurring, not paraphrased)


@dataclass(slots=True)
class Sentences:
    """A text cut into sentences and tokens (computed once, by the compiled scan)."""

    scan: Scan
    _features: tuple[np.ndarray, ...] | None = None

    @classmethod
    def of(cls, text: str) -> Sentences:
        return cls(Scan(text))

    def features(self, min_tokens: int) -> tuple[np.ndarray, ...]:
        """Per-sentence bigrams and counts for alignment, computed on first use."""
        if self._features is None:
            x = self.scan
            self._features = sentence_features(x.tok_hash, x.tok_sent, x.tok_quoted,
                                               len(x.sent_span), min_tokens)
        return self._features

    @property
    def spans(self) -> list[tuple[int, int]]:
        return [(int(s), int(e)) for s, e in self.scan.sent_span]

    @property
    def total_tokens(self) -> int:
        return self.scan.ntokens


@dataclass(slots=True)
class Alignment:
    """Aligned sentence pairs of texts A and B and the coverage they give each side."""

    coverage_a: float = 0.0
    coverage_b: float = 0.0
    plain_coverage_a: float = 0.0  # counting only sentences that are not mostly quotation
    plain_coverage_b: float = 0.0
    plain_sentences: int = 0
    plain_tokens: int = 0
    mean_ratio: float = 0.0
    _arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    _rows: np.ndarray | None = None  # see span_rows

    @property
    def pairs(self) -> list[tuple[int, int, float]]:
        """The aligned sentences as (i in A, j in B, ratio), made when asked for."""
        if self._arrays is None:
            return []
        pi, pj, ratios = self._arrays
        return list(zip(pi.tolist(), pj.tolist(), ratios.tolist(), strict=True))

    def span_rows(self, a: Sentences, b: Sentences) -> np.ndarray:
        """The aligned sentences as rows (a_start, a_end, b_start, b_end, similarity)
        of A and B's sentences (made by the alignment kernel)."""
        if self._rows is None:
            return np.zeros((0, 5), dtype=np.float64)
        return self._rows

    def spans(self, a: Sentences, b: Sentences) -> list[tuple[int, int, int, int, float]]:
        """The aligned sentences as (a_start, a_end, b_start, b_end, similarity)."""
        return span_tuples(self.span_rows(a, b))

    def passages(self, a: Sentences, b: Sentences) -> list[Passage]:
        return [Passage(*s) for s in self.spans(a, b)]


def span_tuples(rows: np.ndarray) -> list[tuple[int, int, int, int, float]]:
    """Rows of :meth:`Alignment.span_rows` as tuples of four ints and a float."""
    return [(int(r[0]), int(r[1]), int(r[2]), int(r[3]), r[4]) for r in rows.tolist()]


def align(a: Sentences, b: Sentences, config: AlignConfig = AlignConfig()) -> Alignment:
    """Align sentences of A and B one-to-one, greedily by containment, then by position.

    The pair's ratio is the Indel similarity of the two sentences' token sequences.
    """
    x, y = a.scan, b.scan
    ka, oa, ua, na, qa, fa, _, _ = a.features(config.sentence_min_tokens)
    kb, ob, ub, nb, qb, fb, heads, chain = b.features(config.sentence_min_tokens)
    pi, pj, ratios, stats, rows = align_arrays(
        x.tok_hash, ka, oa, ua, na, qa, fa, y.tok_hash, kb, ob, heads, chain, ub, nb, qb, fb,
        x.sent_span, y.sent_span, config.sentence_containment, config.version_min_ratio)
    npairs = len(pi)
    if not npairs:
        return Alignment()
    tok_a, tok_b, ptok_a, ptok_b, plain, ratio_sum = stats.tolist()
    ntok_a, ntok_b = max(1, len(x.tok_hash)), max(1, len(y.tok_hash))
    return Alignment(tok_a / ntok_a, tok_b / ntok_b, ptok_a / ntok_a, ptok_b / ntok_b,
                     int(plain), int(min(ptok_a, ptok_b)),
                     ratio_sum / npairs,  # ratios.mean(), bit for bit
                     (pi, pj, ratios), rows)


def classify(
    al: Alignment, a: Sentences, b: Sentences, config: AlignConfig = AlignConfig()
) -> tuple[Relation | None, float]:
    """The relation between A and B implied by their alignment, and its score in [0, 1]."""
    if al._arrays is None:
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
