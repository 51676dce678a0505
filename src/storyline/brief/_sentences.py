"""The sentence table of a story and the similarity that says two sentences make one claim.

Two sentences make the same claim when most word bigrams of the shorter recur
in the longer (copies, lightly edited versions) or when their TF-IDF cosine over
content words is high (paraphrase across outlets). The table is built once per
story; summary, agreements and exclusives all read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from numpy.typing import NDArray

from .._stopwords import english_stop_words
from ..analyze._figures import Signature, compatible, signature
from ..dedup._shingles import tokens
from ..model import Article, Citation
from ..normalize.sentences import sentence_spans

__all__ = ["SentenceTable", "SAME_CLAIM", "RELATED"]

_SPEECH = frozenset({"said", "says", "say", "told", "according"})


@cache
def _stop() -> frozenset[str]:
    return english_stop_words() | _SPEECH


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _terms(sentence: str) -> list[str]:
    """Content-word stems: paraphrases across outlets share these more than their bigrams."""
    stop = _stop()
    return [_stem(t) for t in tokens(sentence) if t not in stop and len(t) > 1]

SAME_CLAIM = 0.35  # cosine at or above which two sentences state the same claim
RELATED = 0.2  # cosine below which a sentence has no counterpart in another report
_MIN_TOKENS = 6


_PROPER = re.compile(r"(?<=[a-z,;:] )[A-Z][a-zA-Z]+")


def _veto_other_subjects(cos: NDArray[np.float64], texts: list[str]) -> None:
    """Two sentences about different named parties do not make one claim, however alike
    ("Ostmark declined to comment" / "Halvorsen declined to comment"); nor do two that
    share fewer than three content words."""
    terms = [set(_terms(t)) for t in texts]
    propers = [{m.group(0) for m in _PROPER.finditer(" " + t)} | _first_name(t) for t in texts]
    rows, cols = np.nonzero(cos >= RELATED)
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if i >= j:
            continue
        shared = len(terms[i] & terms[j])
        if shared < 3 or (propers[i] and propers[j] and not propers[i] & propers[j]):
            cos[i, j] = cos[j, i] = min(cos[i, j], RELATED * 0.95)


def _first_name(text: str) -> set[str]:
    m = re.match(r"\W*([A-Z][a-zA-Z]+)", text)
    return {m.group(1)} if m and m.group(1).lower() not in _stop() else set()


@dataclass(slots=True)
class SentenceTable:
    articles: list[Article]
    article_of: list[int]  # sentence -> article index
    unit_of: list[str]  # sentence -> independent unit
    spans: list[tuple[int, int]]
    position: list[int]  # rank of the sentence within its article
    ntokens: list[int]
    sim: NDArray[np.float64]  # dense sentence x sentence similarity
    # figures and negation of each sentence: two sentences back one claim only when these
    # are compatible (see _figures.compatible)
    signatures: list[tuple[Signature, bool]] = field(default_factory=list)

    @classmethod
    def build(cls, articles: list[Article], unit_of_article: dict[str, str],
              sentences: list[list[tuple[int, int]]] | None = None) -> SentenceTable:
        """The table of ``articles``, with each article's sentence spans when known
        (its analysis has them), else split here."""
        article_of: list[int] = []
        spans: list[tuple[int, int]] = []
        position: list[int] = []
        texts: list[str] = []
        ntok: list[int] = []
        for n, a in enumerate(articles):
            found = sentences[n] if sentences is not None else sentence_spans(a.text)
            for p, (s, e) in enumerate(found):
                article_of.append(n)
                spans.append((s, e))
                position.append(p)
                texts.append(a.text[s:e])
                ntok.append(len(tokens(a.text[s:e])))
        units = [unit_of_article[articles[i].id] for i in article_of]
        sigs = [signature(t) for t in texts]
        if not texts:
            return cls(articles, article_of, units, spans, position, ntok, np.zeros((0, 0)))
        from scipy import sparse  # loaded here: importing scikit-learn costs a second
        from sklearn.feature_extraction.text import TfidfVectorizer

        try:
            x = TfidfVectorizer(analyzer=_terms, sublinear_tf=True).fit_transform(texts)
            cos = (x @ x.T).toarray() if sparse.issparse(x) else np.asarray(x @ x.T)
        except ValueError:  # nothing but stop words
            cos = np.eye(len(texts))
        _veto_other_subjects(cos, texts)
        bigrams = [set(zip(t, t[1:], strict=False)) for t in (tokens(s) for s in texts)]
        # bigram containment, only where cosine already suggests a relation (cheap)
        rows, cols = np.nonzero(cos >= 0.25)
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            if i < j and bigrams[i] and bigrams[j]:
                c = len(bigrams[i] & bigrams[j]) / min(len(bigrams[i]), len(bigrams[j]))
                if c >= 0.6 and min(ntok[i], ntok[j]) >= _MIN_TOKENS:
                    cos[i, j] = cos[j, i] = max(cos[i, j], 0.5 + c / 2)
        return cls(articles, article_of, units, spans, position, ntok, cos, sigs)

    def __len__(self) -> int:
        return len(self.spans)

    def text(self, i: int) -> str:
        s, e = self.spans[i]
        return self.articles[self.article_of[i]].text[s:e]

    def citation(self, i: int) -> Citation:
        s, e = self.spans[i]
        a = self.articles[self.article_of[i]]
        return Citation(a.id, s, e, a.text[s:e])

    def substantive(self, i: int) -> bool:
        return self.ntokens[i] >= _MIN_TOKENS

    def support(self, i: int, threshold: float = SAME_CLAIM) -> list[int]:
        """``i`` and, in every other article, its best counterpart at or above ``threshold``
        whose figures and negation are compatible with ``i`` and every counterpart taken."""
        out = [i]
        row = self.sim[i]
        best: dict[int, int] = {}
        near = [j for j in np.nonzero(row >= threshold)[0].tolist()
                if self.article_of[j] != self.article_of[i]]
        near.sort(key=lambda j: (-row[j], j))
        sigs = self.signatures
        for j in near:
            a = self.article_of[j]
            if a in best:
                continue
            if sigs and not all(compatible(sigs[j], sigs[k]) for k in [i, *best.values()]):
                continue
            best[a] = j
        out.extend(sorted(best.values()))
        return out

    def units(self, sentences: list[int]) -> int:
        return len({self.unit_of[j] for j in sentences})
