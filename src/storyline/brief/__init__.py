"""Brief stage: one cited page per story.

Everything in a brief is extractive: each line is a verbatim span of a source
article's normalized text (``Citation.quote == article.text[start:end]``), so a
brief can be wrong about emphasis but cannot invent a detail.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from .._nlp import load_nlp
from ..dedup import stream_order
from ..dedup._shingles import tokens
from ..model import (
    Article,
    Brief,
    Citation,
    Claim,
    DedupRecord,
    Entity,
    Fact,
    Quote,
    Story,
    SummarySentence,
    TimelineEntry,
)
from ._differences import Aliases, FigureRef, discrepancies, group_figures
from ._figures import extract_figures, holder_of, quantity_of
from ._quotes import RawQuote, find_quotes, sentences_to_parse
from ._sentences import RELATED, SAME_CLAIM, SentenceTable, _terms

__all__ = ["RawQuote", "article_quotes", "brief", "build_brief", "independent_units"]

_ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "LAW"}


def independent_units(articles: list[Article], records: dict[str, DedupRecord]) -> dict[str, str]:
    """Article id -> independent source unit.

    Copies and versions fold into their dedup group; groups from one outlet fold
    together too (an outlet's second report is not a second, independent source).
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    by_source: dict[str, str] = {}
    for a in stream_order(articles):
        rec = records.get(a.id)
        group = rec.group if rec else a.id
        root = find(group)
        if a.source:
            key = a.source.strip().lower()
            if key in by_source:
                other = find(by_source[key])
                if other != root:
                    parent[root] = other
            else:
                by_source[key] = root
    return {a.id: find(records[a.id].group if a.id in records else a.id) for a in articles}


def _summary(table: SentenceTable, supports: list[list[int]], n_units: int
             ) -> list[SummarySentence]:
    n = len(table)
    if n == 0:
        return []
    cross = np.array([table.units(supports[i]) for i in range(n)], dtype=float)
    centrality = table.sim.sum(axis=1) - 1.0
    centrality = centrality / (centrality.max() or 1.0)
    position = np.array([1.0 / (1.0 + p) for p in table.position])
    score = centrality + 0.6 * position + 0.5 * np.log1p(cross - 1)
    eligible = [i for i in range(n) if table.substantive(i) and table.ntokens[i] <= 70]
    want = max(3, min(7, 2 + n_units))
    chosen: list[int] = []
    while eligible and len(chosen) < want:
        def mmr(i: int) -> float:
            redundancy = max((table.sim[i, j] for j in chosen), default=0.0)
            return float(score[i]) - 1.2 * redundancy

        best = max(eligible, key=mmr)
        if chosen and max(table.sim[best, j] for j in chosen) >= 0.5:
            eligible.remove(best)
            continue
        chosen.append(best)
        eligible.remove(best)
    out = []
    for i in chosen:
        support = supports[i]
        out.append(SummarySentence(table.text(i), [table.citation(j) for j in support],
                                   table.units(support)))
    return out


def _agreements_and_exclusives(
    table: SentenceTable, supports: list[list[int]], other_max: np.ndarray,
    unit_key: dict[str, str],
) -> tuple[list[Claim], dict[str, list[Claim]]]:
    used: set[int] = set()
    agreements: list[Claim] = []
    order = sorted(range(len(table)), key=lambda i: (table.article_of[i], table.position[i]))
    candidates = []
    for i in order:
        if not table.substantive(i):
            continue
        support = supports[i]
        units = table.units(support)
        if units >= 2:
            candidates.append((-units, -float(table.sim[i].sum()), i, support))
    for _, _, i, support in sorted(candidates):
        if i in used:
            continue
        used.update(support)
        agreements.append(Claim(table.text(i), [table.citation(j) for j in support],
                                table.units(support)))
    exclusives: dict[str, list[Claim]] = defaultdict(list)
    seen: set[int] = set()
    for i in order:
        if i in seen or not table.substantive(i) or other_max[i] >= RELATED:
            continue
        # fold the same sentence in other versions of the same report
        same = [j for j in supports[i] if table.unit_of[j] == table.unit_of[i]]
        seen.update(same)
        unit = unit_key[table.unit_of[i]]
        exclusives[unit].append(Claim(table.text(i), [table.citation(j) for j in same], 1))
    return agreements, dict(exclusives)


_SALIENT = re.compile(r'"|\b(?:said|says|told|according to|added)\b')
_LEAD_SENTENCES = 2
_MAX_NER_SENTENCES = 8


def _salient(table: SentenceTable) -> list[int]:
    """Sentences worth a parse: the lead, and those with quotes or speech verbs.

    spaCy's NER costs ~0.1 s per article; running it on these (a quarter of a story's
    text) keeps a 100-article brief within seconds, and the entity names it finds are
    then counted in every sentence by plain matching.
    """
    picked: list[int] = []
    per_article: dict[int, int] = defaultdict(int)
    for i in range(len(table)):
        a = table.article_of[i]
        if per_article[a] >= _MAX_NER_SENTENCES:
            continue
        if table.position[i] < _LEAD_SENTENCES or _SALIENT.search(table.text(i)):
            picked.append(i)
            per_article[a] += 1
    return picked


def _quote_sentences(table: SentenceTable) -> list[int]:
    """Sentences the quote attribution needs parsed (see ``sentences_to_parse``)."""
    first: dict[int, int] = {}
    by_article: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i in range(len(table)):
        first.setdefault(table.article_of[i], i)
        by_article[table.article_of[i]].append(table.spans[i])
    return [first[n] + k for n, a in enumerate(table.articles)
            for k in sentences_to_parse(a.text, by_article[n])]


# article -> sentence position -> (start, end, label) of PERSON and ORG names in it
_Names = dict[int, dict[int, list[tuple[int, int, str]]]]


def _ner(table: SentenceTable, units: dict[str, str], limit: int = 20
         ) -> tuple[list[Entity], _Names, dict[int, Any]]:
    """The story's named entities with the sources that mention them, PERSON/ORG spans per
    (article, sentence position), relative to the sentence, and the parses of the
    sentences quote attribution reads, by sentence index (one pass of spaCy for both)."""
    nlp = load_nlp()
    quoted = set(_quote_sentences(table))
    salient = set(_salient(table))
    wanted = sorted(salient | quoted)
    labels: dict[str, str] = {}
    persons: _Names = defaultdict(lambda: defaultdict(list))
    parsed: dict[int, Any] = {}
    with nlp.select_pipes(enable=["tok2vec", "tagger", "parser", "attribute_ruler", "ner"]):
        docs = nlp.pipe([table.text(i) for i in wanted], batch_size=64)
        for i, doc in zip(wanted, docs, strict=True):
            if i in quoted:
                parsed[i] = doc
            if i not in salient:
                continue  # parsed for quotes only: entity counts stay as they were
            for ent in doc.ents:
                if ent.label_ in ("PERSON", "ORG"):
                    persons[table.article_of[i]][table.position[i]].append(
                        (ent.start_char, ent.end_char, ent.label_))
                if ent.label_ in _ENTITY_LABELS and len(ent.text) > 1:
                    labels.setdefault(ent.text, ent.label_)
    if not labels:
        return [], persons, parsed
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(
        re.escape(n) for n in sorted(labels, key=len, reverse=True)) + r")(?!\w)")
    found: dict[str, dict[str, Citation]] = defaultdict(dict)
    for a in table.articles:
        for m in pattern.finditer(a.text):
            if a.id not in found[m.group(0)]:
                found[m.group(0)][a.id] = Citation(a.id, m.start(), m.end(), m.group(0))
    entities = [Entity(name, labels[name], len({units[c.article] for c in cites.values()}),
                       list(cites.values()))
                for name, cites in found.items()]
    entities.sort(key=lambda e: (-e.sources, -len(e.citations), e.name))
    return entities[:limit], persons, parsed


def _article_quotes(table: SentenceTable, persons: _Names,
                    parsed: dict[int, Any]) -> list[list[RawQuote]]:
    """Each article's quotations, from the sentence parses ``_ner`` made."""
    by_article: dict[int, list[tuple[int, int]]] = defaultdict(list)
    docs: dict[int, dict[int, Any]] = defaultdict(dict)
    for i in range(len(table)):
        n = table.article_of[i]
        if i in parsed:
            docs[n][len(by_article[n])] = parsed[i]
        by_article[n].append(table.spans[i])
    return [find_quotes(a.text, by_article[n], docs[n], persons.get(n, {}))
            for n, a in enumerate(table.articles)]


def _quotes(table: SentenceTable, units: dict[str, str],
            persons: _Names, parsed: dict[int, Any]) -> list[Quote]:
    raw: list[tuple[Article, RawQuote]] = []
    for a, found in zip(table.articles, _article_quotes(table, persons, parsed), strict=True):
        raw.extend((a, q) for q in found)
    groups: list[list[tuple[Article, RawQuote]]] = []
    folded = [" ".join(tokens(a.text[q.start:q.end])) for a, q in raw]
    index_of: list[int] = []
    by_trigram: dict[tuple[str, ...], list[int]] = defaultdict(list)  # trigram -> groups
    for k, (a, q) in enumerate(raw):
        words = folded[k].split()
        grams = {tuple(words[i:i + 3]) for i in range(max(1, len(words) - 2))}
        # only groups sharing a word trigram can hold the same quotation
        candidates = sorted({g for t in grams for g in by_trigram.get(t, ())})
        for g in candidates:
            rep = index_of[g]
            if fuzz.partial_ratio(folded[k], folded[rep]) >= 90 and min(
                len(folded[k]), len(folded[rep])) >= 20:
                groups[g].append((a, q))
                break
        else:
            groups.append([(a, q)])
            index_of.append(k)
            for t in grams:
                by_trigram[t].append(len(groups) - 1)
    out = []
    for group in groups:
        speaker = next((q.speaker for _, q in group if q.speaker), None)
        role = next((q.role for _, q in group if q.role), None)
        a0, q0 = group[0]
        cites = [Citation(a.id, q.start, q.end, a.text[q.start:q.end]) for a, q in group]
        out.append(Quote(a0.text[q0.start:q0.end], speaker, role, cites,
                         len({units[c.article] for c in cites})))
    out.sort(key=lambda q: (-q.independent_sources, -len(q.citations)))
    return out


def article_quotes(article: Article) -> list[RawQuote]:
    """The quotations of one article with their speakers, as the brief finds them
    (offsets into ``article.text``); what ``storyline eval quotes`` scores."""
    table = SentenceTable.build([article], {article.id: article.id})
    _, persons, parsed = _ner(table, {article.id: article.id})
    return _article_quotes(table, persons, parsed)[0]


def _facts(table: SentenceTable, units: dict[str, str]) -> tuple[list[Fact], list]:
    refs: list[FigureRef] = []
    by_sentence: dict[int, list[int]] = defaultdict(list)  # sentence -> indices into refs
    for i in range(len(table)):
        a = table.articles[table.article_of[i]]
        s, e = table.spans[i]
        prev = table.text(i - 1) if i and table.article_of[i - 1] == table.article_of[i] else ""
        for f in extract_figures(a.text, s, e, prev):
            ts = a.published.timestamp() if a.published else None
            near = frozenset(_terms(a.text[max(s, f.start - 50):f.start])
                             + _terms(a.text[f.end:min(e, f.end + 50)]))
            by_sentence[i].append(len(refs))
            refs.append(FigureRef(f, a.id, units[a.id], a.text, ts, (s, e), near))
    _parse_quantities(table, refs, by_sentence)
    _related_sentences(table, refs, by_sentence)
    names = sorted({r.figure.holder for r in refs if r.figure.holder})
    proper = [n for a in table.articles for n in _long_names(a.text)]
    aliases = Aliases(names + proper)
    groups = group_figures(refs, aliases, _claim_pairs(table, refs, by_sentence))
    return [r.fact() for r in refs], discrepancies(groups)


_QUANTIFIED = ("count", "money", "percent")


def _parse_quantities(table: SentenceTable, refs: list[FigureRef],
                      by_sentence: dict[int, list[int]]) -> None:
    """Set each figure's quantity from the dependency parse of its sentence; only sentences
    with figures are parsed (tagger and parser, no NER)."""
    wanted = [i for i in sorted(by_sentence)
              if any(refs[k].figure.kind in _QUANTIFIED for k in by_sentence[i])]
    if not wanted:
        return
    nlp = load_nlp()
    with nlp.select_pipes(enable=["tok2vec", "tagger", "parser", "attribute_ruler"]):
        docs = nlp.pipe([table.text(i) for i in wanted], batch_size=64)
        for i, doc in zip(wanted, docs, strict=True):
            s = table.spans[i][0]
            for k in by_sentence[i]:
                f = refs[k].figure
                if f.kind in _QUANTIFIED and not f.conversion:
                    f.quantity = quantity_of(doc, f.start - s, f.end - s, f.kind)
                    f.holder = holder_of(doc, f.start - s, f.end - s)


def _related_sentences(table: SentenceTable, refs: list[FigureRef],
                       by_sentence: dict[int, list[int]]) -> None:
    """Give each figure the sentences of other articles about the same thing as its own."""
    with_figures = sorted(by_sentence)
    if not with_figures:
        return
    idx = np.array(with_figures)
    sub = table.sim[np.ix_(idx, idx)]
    for r, i in enumerate(with_figures):
        related = frozenset(
            (table.articles[table.article_of[j]].id, table.spans[j][0])
            for j in (with_figures[c] for c in np.nonzero(sub[r] >= RELATED)[0].tolist())
            if table.article_of[j] != table.article_of[i])
        for k in by_sentence[i]:
            refs[k].related = related


def _claim_pairs(table: SentenceTable, refs: list[FigureRef],
                 by_sentence: dict[int, list[int]]) -> list[tuple[int, int]]:
    """Figures that differ between two sentences of two sources that otherwise make one
    claim: where each sentence has exactly one figure of a kind the other lacks, the two
    are one quantity given two values (unless their parsed quantities differ)."""
    pairs: list[tuple[int, int]] = []
    with_figures = sorted(by_sentence)
    if not with_figures:
        return pairs
    idx = np.array(with_figures)
    rows, cols = np.nonzero(table.sim[np.ix_(idx, idx)] >= SAME_CLAIM)
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        i, j = with_figures[r], with_figures[c]
        if i >= j or table.unit_of[i] == table.unit_of[j]:
            continue
        for kind in _QUANTIFIED:
            a = [k for k in by_sentence[i] if refs[k].figure.kind == kind
                 and not refs[k].figure.conversion and refs[k].figure.value is not None]
            b = [k for k in by_sentence[j] if refs[k].figure.kind == kind
                 and not refs[k].figure.conversion and refs[k].figure.value is not None]
            va = {refs[k].figure.value for k in a}
            vb = {refs[k].figure.value for k in b}
            only_a = [k for k in a if refs[k].figure.value not in vb]
            only_b = [k for k in b if refs[k].figure.value not in va]
            if len(only_a) != 1 or len(only_b) != 1:
                continue
            fa, fb = refs[only_a[0]].figure, refs[only_b[0]].figure
            if kind == "money" and fa.unit != fb.unit:
                continue
            if fa.quantity and fb.quantity and fa.quantity != fb.quantity:
                continue
            if fa.value and fb.value and not 0.1 <= fa.value / fb.value <= 10:
                continue
            pairs.append((only_a[0], only_b[0]))
    return pairs


def _long_names(text: str) -> list[str]:
    return re.findall(r"\b[A-Z][\w.&-]+(?:\s+[A-Z][\w.&-]+){1,4}", text)


def _headline(articles: list[Article], summary: list[SummarySentence]) -> str:
    for a in articles:
        if a.title:
            return a.title
    if summary:
        text = summary[0].text
        return text if len(text) <= 110 else text[:110].rsplit(" ", 1)[0] + "..."
    return "(untitled story)"


def build_brief(story: Story) -> Brief:
    """Build the brief of one story (its articles and their dedup records)."""
    articles = stream_order(list(story.articles))
    records = story.dedup
    units = independent_units(articles, records)
    canon_of_unit: dict[str, str] = {}
    for a in articles:
        canon_of_unit.setdefault(units[a.id], records[a.id].group if a.id in records else a.id)
    table = SentenceTable.build(articles, units)
    if len(table):
        codes = {u: k for k, u in enumerate(sorted(set(table.unit_of)))}
        arr = np.array([codes[u] for u in table.unit_of])
        other = arr[:, None] != arr[None, :]
        other_max = np.where(other, table.sim, 0.0).max(axis=1)
    else:
        other_max = np.zeros(0)
    n_units = len(set(units.values()))
    # each sentence's counterparts in the other articles, computed once for every section
    supports = [table.support(i) for i in range(len(table))]
    summary = _summary(table, supports, n_units)
    agreements, exclusives = _agreements_and_exclusives(table, supports, other_max,
                                                        canon_of_unit)
    if n_units < 2:
        exclusives = {}  # with one source, "only one source reports" is everything
    facts, diffs = _facts(table, units)
    entities, persons, parsed = _ner(table, units) if articles else ([], {}, {})
    quotes = _quotes(table, units, persons, parsed) if articles else []
    timeline = [
        TimelineEntry(a.id, a.source, a.published, a.title,
                      records[a.id].relation if a.id in records else "original",
                      records[a.id].of if a.id in records else None)
        for a in articles
    ]
    return Brief(
        story=story.id,
        headline=_headline([a for a in articles if records.get(a.id) is None
                            or records[a.id].of is None] or articles, summary),
        articles=articles,
        dedup=[records[a.id] for a in articles if a.id in records],
        independent_sources=n_units,
        summary=summary,
        facts=facts,
        quotes=quotes,
        entities=entities,
        agreements=agreements,
        discrepancies=diffs,
        exclusives=exclusives,
        timeline=timeline,
    )


def brief(
    stories: Iterable[Story],
    *,
    progress: Callable[[int], None] | None = None,
) -> list[Brief]:
    """Build one brief per story."""
    out = []
    for story in stories:
        out.append(build_brief(story))
        if progress is not None:
            progress(1)
    return out

