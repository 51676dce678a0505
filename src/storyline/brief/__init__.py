"""Brief stage: one cited page per story.

Everything in a brief is extractive: each line is a verbatim span of a source
article's normalized text (``Citation.quote == article.text[start:end]``), so a
brief can be wrong about emphasis but cannot invent a detail.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

import numpy as np
from rapidfuzz import fuzz

from ..analyze import ArticleAnalysis, RawQuote, analyze, analyze_texts, text_hash
from ..analyze._analysis import QUANTIFIED
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
from ._sentences import RELATED, SAME_CLAIM, SentenceTable, _terms

__all__ = ["RawQuote", "article_quotes", "brief", "build_brief", "independent_units",
           "story_analyses"]

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


def _entities(table: SentenceTable, units: dict[str, str], analyses: list[ArticleAnalysis],
              limit: int = 20) -> list[Entity]:
    """The story's named entities (as the articles' analyses found them in their lead and
    speech sentences), each cited once per article that mentions it by plain matching."""
    labels: dict[str, str] = {}
    for a, an in zip(table.articles, analyses, strict=True):
        for s, e, label in an.entities:
            if e - s > 1:
                labels.setdefault(a.text[s:e], label)
    if not labels:
        return []
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
    return entities[:limit]


def _quotes(table: SentenceTable, units: dict[str, str],
            analyses: list[ArticleAnalysis]) -> list[Quote]:
    raw: list[tuple[Article, RawQuote]] = []
    for a, an in zip(table.articles, analyses, strict=True):
        raw.extend((a, q) for q in an.quotes)
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
    return analyze(article.text).quotes


def _facts(table: SentenceTable, units: dict[str, str], analyses: list[ArticleAnalysis]
           ) -> tuple[list[Fact], list]:
    refs: list[FigureRef] = []
    by_sentence: dict[int, list[int]] = defaultdict(list)  # sentence -> indices into refs
    for i in range(len(table)):
        a = table.articles[table.article_of[i]]
        s, e = table.spans[i]
        for f in analyses[table.article_of[i]].figures_copy(table.position[i]):
            ts = a.published.timestamp() if a.published else None
            near = frozenset(_terms(a.text[max(s, f.start - 50):f.start])
                             + _terms(a.text[f.end:min(e, f.end + 50)]))
            by_sentence[i].append(len(refs))
            refs.append(FigureRef(f, a.id, units[a.id], a.text, ts, (s, e), near))
    _related_sentences(table, refs, by_sentence)
    names = sorted({r.figure.holder for r in refs if r.figure.holder})
    proper = [n for a in table.articles for n in _long_names(a.text)]
    aliases = Aliases(names + proper)
    groups = group_figures(refs, aliases, _claim_pairs(table, refs, by_sentence))
    return [r.fact() for r in refs], discrepancies(groups)


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
        for kind in QUANTIFIED:
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


def story_analyses(articles: Iterable[Article],
                   known: Mapping[str, ArticleAnalysis] | None = None) -> list[ArticleAnalysis]:
    """Each article's analysis: from ``known`` (by text hash) where it is there, the rest
    made here in one batch."""
    arts = list(articles)
    keys = [text_hash(a.text) for a in arts]
    have = dict(known or {})
    missing = list(dict.fromkeys(k for k in keys if k not in have))
    if missing:
        texts = {k: a.text for k, a in zip(keys, arts, strict=True)}
        have.update(zip(missing, analyze_texts([texts[k] for k in missing]), strict=True))
    return [have[k] for k in keys]


def build_brief(story: Story, analyses: Mapping[str, ArticleAnalysis] | None = None) -> Brief:
    """Build the brief of one story (its articles and their dedup records) from its
    articles' analyses by text hash (those not given are made here)."""
    articles = stream_order(list(story.articles))
    found = story_analyses(articles, analyses)
    records = story.dedup
    units = independent_units(articles, records)
    canon_of_unit: dict[str, str] = {}
    for a in articles:
        canon_of_unit.setdefault(units[a.id], records[a.id].group if a.id in records else a.id)
    table = SentenceTable.build(articles, units, [an.sentences for an in found])
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
    facts, diffs = _facts(table, units, found)
    entities = _entities(table, units, found)
    quotes = _quotes(table, units, found)
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

