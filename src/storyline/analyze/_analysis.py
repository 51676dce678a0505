"""One article's analysis: sentences, named entities, quotations and figures, made once.

Everything the brief reads from spaCy depends on one article's text alone, so it is
computed once per distinct text and kept (in memory, or in the store's ``analyses``
table keyed by :func:`text_hash`). A story that grows is then rebriefed from stored
analyses: no sentence is split or parsed twice.

What is parsed, and why only that: spaCy's tagger, parser and NER cost about 0.1 s per
whole article, so only the sentences something reads are parsed: the lead and the
sentences with quotation marks or speech verbs (their entities name the story's people
and resolve "he said"), the sentences quote attribution needs (see
``sentences_to_parse``) and those holding a count, sum or percentage (whose quantity and
holder come from the parse; NER is not run on these).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .._nlp import load_nlp
from ..normalize.sentences import sentence_spans
from ._figures import Figure, extract_figures, holder_of, quantity_of
from ._quotes import RawQuote, find_quotes, sentences_to_parse

__all__ = ["ANALYSIS_KIND", "ArticleAnalysis", "analyze", "analyze_texts", "text_hash"]

# The name analyses are stored under: change the suffix whenever what an analysis holds or
# how it is computed changes, so that stored analyses of the old kind are not read.
ANALYSIS_KIND = "article/2"

ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "LAW"})
_SALIENT = re.compile(r'"|\b(?:said|says|told|according to|added)\b')
_LEAD_SENTENCES = 2
_MAX_NER_SENTENCES = 8
QUANTIFIED = ("count", "money", "percent")
_BATCH = 64


def text_hash(text: str) -> str:
    """The key of a text's analysis (40 hex digits)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class ArticleAnalysis:
    """What one article's text says, with offsets into that text."""

    sentences: list[tuple[int, int]]
    # named entities of the lead and speech sentences: (start, end, label)
    entities: list[tuple[int, int, str]] = field(default_factory=list)
    quotes: list[RawQuote] = field(default_factory=list)
    figures: list[list[Figure]] = field(default_factory=list)  # per sentence

    def figures_copy(self, n: int) -> list[Figure]:
        """Sentence ``n``'s figures as fresh objects (the brief may set fields on them)."""
        return [Figure(**asdict(f)) for f in self.figures[n]]  # asdict copies deeply

    def names_by_sentence(self) -> dict[int, list[tuple[int, int, str]]]:
        """PERSON and ORG spans per sentence index, relative to the sentence."""
        out: dict[int, list[tuple[int, int, str]]] = {}
        starts = [s for s, _ in self.sentences]
        k = 0
        for s, e, label in self.entities:
            while k + 1 < len(starts) and starts[k + 1] <= s:
                k += 1
            if label in ("PERSON", "ORG"):
                out.setdefault(k, []).append((s - starts[k], e - starts[k], label))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, as stored."""
        return {"sentences": [list(s) for s in self.sentences],
                "entities": [list(e) for e in self.entities],
                "quotes": [asdict(q) for q in self.quotes],
                "figures": [[asdict(f) for f in fs] for fs in self.figures]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArticleAnalysis:
        return cls([(s, e) for s, e in d["sentences"]],
                   [(s, e, label) for s, e, label in d["entities"]],
                   [RawQuote(**q) for q in d["quotes"]],
                   [[Figure(**f) for f in fs] for fs in d["figures"]])


def salient_sentences(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """The lead and the sentences with quotes or speech verbs, at most 8 per article."""
    picked: list[int] = []
    for n, (s, e) in enumerate(spans):
        if len(picked) >= _MAX_NER_SENTENCES:
            break
        if n < _LEAD_SENTENCES or _SALIENT.search(text[s:e]):
            picked.append(n)
    return picked


def _figures(text: str, spans: Sequence[tuple[int, int]]) -> list[list[Figure]]:
    out = []
    for n, (s, e) in enumerate(spans):
        prev = text[spans[n - 1][0]:spans[n - 1][1]] if n else ""
        out.append(extract_figures(text, s, e, prev))
    return out


def analyze(text: str) -> ArticleAnalysis:
    """The analysis of one article's (normalized) text."""
    return analyze_texts([text])[0]


def analyze_texts(texts: Sequence[str]) -> list[ArticleAnalysis]:
    """Analyses of many texts, with spaCy run over all their sentences in batches."""
    spans = [sentence_spans(t) for t in texts]
    figures = [_figures(t, sp) for t, sp in zip(texts, spans, strict=True)]
    salient = [set(salient_sentences(t, sp)) for t, sp in zip(texts, spans, strict=True)]
    quoted = [set(sentences_to_parse(t, sp)) for t, sp in zip(texts, spans, strict=True)]
    with_ner = [(a, n) for a in range(len(texts)) for n in sorted(salient[a] | quoted[a])]
    needs_parse = [(a, n) for a in range(len(texts)) for n, fs in enumerate(figures[a])
                   if n not in salient[a] and n not in quoted[a]
                   and any(f.kind in QUANTIFIED for f in fs)]
    entities: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    docs: list[dict[int, Any]] = [{} for _ in texts]
    if with_ner or needs_parse:
        nlp = load_nlp()

        def sentence(a: int, n: int) -> str:
            s, e = spans[a][n]
            return texts[a][s:e]

        with nlp.select_pipes(enable=["tok2vec", "tagger", "parser", "attribute_ruler", "ner"]):
            for (a, n), doc in zip(with_ner, nlp.pipe(
                    [sentence(a, n) for a, n in with_ner], batch_size=_BATCH), strict=True):
                docs[a][n] = doc
                if n in salient[a]:
                    s = spans[a][n][0]
                    entities[a].extend((s + ent.start_char, s + ent.end_char, ent.label_)
                                       for ent in doc.ents if ent.label_ in ENTITY_LABELS)
        # the parser does not read NER's output: these parses equal the ones above
        with nlp.select_pipes(enable=["tok2vec", "tagger", "parser", "attribute_ruler"]):
            for (a, n), doc in zip(needs_parse, nlp.pipe(
                    [sentence(a, n) for a, n in needs_parse], batch_size=_BATCH), strict=True):
                docs[a][n] = doc
    out = []
    for a, text in enumerate(texts):
        for n, fs in enumerate(figures[a]):
            doc = docs[a].get(n)
            if doc is None:
                continue
            s = spans[a][n][0]
            for f in fs:
                if f.kind in QUANTIFIED and not f.conversion:
                    f.quantity = quantity_of(doc, f.start - s, f.end - s, f.kind)
                    f.holder = holder_of(doc, f.start - s, f.end - s)
        analysis = ArticleAnalysis(spans[a], entities[a], [], figures[a])
        quote_docs = {n: docs[a][n] for n in quoted[a]}
        analysis.quotes = find_quotes(text, spans[a], quote_docs, analysis.names_by_sentence())
        out.append(analysis)
    return out
