"""Labelled evaluation of the brief's figures and agreements, by perturbation.

No corpus labels which figures agree, so the labels are made. Each gold story of a
corpus is briefed as it is; then, wherever two independent outlets of the story give
*the same figure*, that figure is changed in one outlet's text by a seeded factor of
±10–30% and the story is briefed again. A brief that reads figures correctly must
then report a difference holding both values with both sources, and must never show
an agreement line that cites the changed sentence together with the other outlet's
sentence that still says the old value.

*The same figure* is decided here, independently of the brief's figure model (so the
model can change without changing the test set): two figures found by
:func:`storyline.analyze.extract_figures`, in sentences of two different
independent sources, with the same kind, unit and value, where the value is not a
small bare count (counts below 10 without a scale word are everywhere) and the two
sentences share the counted word (the first content word after the number) or at
least two content words within six words of the figure.

On the unchanged briefs it also counts ``conflict`` differences between equal values
(every source of the difference gives one common value: the "conflict" comes from
mixing another quantity in) and lists every ``conflict`` for hand-checking.

``gold.tsv`` is read here only to form the stories; the brief never sees it.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from time import perf_counter
from typing import Any

from ..analyze._figures import _SCALE, extract_figures
from ..brief import build_brief
from ..dedup import dedup as _dedup
from ..dedup._shingles import tokens
from ..errors import EvaluationError
from ..model import Article, Brief, Citation, Story
from ..normalize import sentence_spans
from . import load_gold

__all__ = [
    "ConflictLine",
    "CorpusScores",
    "FigureCase",
    "eval_figures",
    "find_cases",
    "perturb_number",
]

_WINDOW = 6  # words each side of a figure that describe it
_STOP_WORDS = (
    "a an the of in on at to for by from with and or as is was were be been are its it "
    "their his her this that than about some more less over up down per percent pct "
    "cent said says say told according also had has have would will could which who")
_STOP = frozenset(_STOP_WORDS.split())


# -- surface forms --------------------------------------------------------------------------

_NUMBER = re.compile(r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                     rf"(?P<rest>\s?{_SCALE})?", re.I)


def _format(value: float, decimals: int, commas: bool) -> str:
    return f"{value:,.{decimals}f}" if commas else f"{value:.{decimals}f}"


def perturb_number(surface: str, factor: float) -> str | None:
    """``surface`` with its (first) number multiplied by ``factor``, in the same style.

    "12 million" x 1.2 -> "14.4 million"; "2,600" x 1.2 -> "3,120"; "5.9%" x 0.8 ->
    "4.7%"; integers stay integers unless a scale word follows ("12 million" may take
    one decimal). ``None`` when the rounded result would equal the original.
    """
    m = _NUMBER.search(surface)
    if m is None:
        return None
    num = m.group("num")
    old = float(num.replace(",", ""))
    commas = "," in num
    decimals = len(num.split(".")[1]) if "." in num else 0
    new = old * factor
    if m.group("rest") and decimals == 0 and new < 100 and float(round(new)) != round(new, 1):
        decimals = 1  # "12 million" -> "14.4 million"
    if decimals == 0:
        new = float(round(new))
    text = _format(new, decimals, commas)
    if float(text.replace(",", "")) == old or float(text.replace(",", "")) <= 0:
        return None
    return surface[:m.start("num")] + text + surface[m.end("num"):]


# -- the same figure in two outlets ---------------------------------------------------------


@dataclass(slots=True)
class _Fig:
    article: int  # index in the story's articles
    unit: str  # independent source
    kind: str
    value: float
    funit: str
    start: int
    end: int
    sentence: tuple[int, int]
    counted: str | None
    near: frozenset[str]


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w not in _STOP and not w.isdigit() and len(w) > 2]


def _figures_of(articles: list[Article], units: dict[str, str]) -> list[_Fig]:
    out: list[_Fig] = []
    for n, a in enumerate(articles):
        prev = ""
        for s, e in sentence_spans(a.text):
            for f in extract_figures(a.text, s, e, prev):
                if f.value is None or f.kind not in ("count", "money", "percent"):
                    continue
                if not re.search(r"\d", f.text) or f.conversion:
                    continue  # "half" is a word, not a number to rewrite
                if f.kind == "count" and f.value < 10 and not re.search(r"[a-z]", f.text, re.I):
                    continue
                after = _content(tokens(a.text[f.end:e])[:3])
                before = tokens(a.text[s:f.start])[-_WINDOW:]
                near = frozenset(_content(before + tokens(a.text[f.end:e])[:_WINDOW]))
                out.append(_Fig(n, units[a.id], f.kind, round(f.value, 6), f.unit, f.start,
                                f.end, (s, e), after[0] if after else None, near))
            prev = a.text[s:e]
    return out


@dataclass(slots=True)
class FigureCase:
    """One figure given by two independent outlets, and the change made to one of them."""

    story: str
    changed: str  # article id whose text is changed
    other: str  # article id of the other outlet, which keeps the old value
    old_text: str
    new_text: str
    old_value: float
    new_value: float
    kind: str
    changed_span: tuple[int, int]  # the figure in the changed article (original offsets)
    other_span: tuple[int, int]
    reported: bool = False  # a difference holds both values with both sources
    false_agreements: int = 0  # agreement lines citing both sentences
    kinds: list[str] = field(default_factory=list)  # kinds of the differences found

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_cases(story: Story, units: dict[str, str], rng: random.Random) -> list[FigureCase]:
    """Every figure two independent outlets of ``story`` share, with its change drawn."""
    articles = story.articles
    figs = _figures_of(articles, units)
    by_key: dict[tuple[str, str, float], list[_Fig]] = defaultdict(list)
    for f in figs:
        by_key[(f.kind, f.funit, f.value)].append(f)
    cases: list[FigureCase] = []
    for key in sorted(by_key, key=lambda k: (k[0], k[1], k[2])):
        group = by_key[key]
        pair: tuple[_Fig, _Fig] | None = None
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if a.unit == b.unit:
                    continue
                if (a.counted and a.counted == b.counted) or len(a.near & b.near) >= 2:
                    pair = (a, b)
                    break
            if pair:
                break
        if pair is None:
            continue
        a, b = pair if rng.random() < 0.5 else (pair[1], pair[0])
        art = articles[a.article]
        surface = art.text[a.start:a.end]
        for _ in range(20):
            factor = 1 + rng.choice((-1, 1)) * rng.uniform(0.10, 0.30)
            new = perturb_number(surface, factor)
            if new is not None:
                break
        else:
            continue
        new_value = _value_of(new, key[2], surface)
        cases.append(FigureCase(
            story.id, art.id, articles[b.article].id, surface, new, key[2], new_value, key[0],
            (a.start, a.end), (b.start, b.end)))
    return cases


def _value_of(new: str, old_value: float, old: str) -> float:
    """The value of the rewritten surface form, on the scale of the old value."""
    n_old = float(_NUMBER.search(old).group("num").replace(",", ""))  # type: ignore[union-attr]
    n_new = float(_NUMBER.search(new).group("num").replace(",", ""))  # type: ignore[union-attr]
    return round(old_value * n_new / n_old, 6)


# -- scoring one case -----------------------------------------------------------------------


def _covers(c: Citation, article: str, start: int, end: int) -> bool:
    return c.article == article and c.start <= start and end <= c.end


def _apply(story: Story, case: FigureCase) -> tuple[Story, int]:
    """The story with the change applied; the shift of offsets after the figure."""
    out = []
    s, e = case.changed_span
    for a in story.articles:
        if a.id == case.changed:
            a = replace(a, text=a.text[:s] + case.new_text + a.text[e:])
        out.append(a)
    return Story(story.id, out, story.dedup), len(case.new_text) - (e - s)


def _old_sentences(brief: Brief, case: FigureCase, units: dict[str, str]) -> list[Citation]:
    """Sentences of other sources than the changed one that still state the old value."""
    out = []
    changed_unit = units[case.changed]
    for a in brief.articles:
        if units[a.id] == changed_unit:
            continue
        for s, e in sentence_spans(a.text):
            for f in extract_figures(a.text, s, e):
                if f.kind == case.kind and f.value is not None and round(
                        f.value, 6) == case.old_value:
                    out.append(Citation(a.id, s, e, a.text[s:e]))
                    break
    return out


def score_case(story: Story, case: FigureCase, units: dict[str, str]) -> Brief:
    changed, _shift = _apply(story, case)
    brief = build_brief(changed)
    s = case.changed_span[0]
    new_span = (s, s + len(case.new_text))
    other_unit = units[case.other]
    for d in brief.discrepancies:
        new_here = any(f.citation.article == case.changed and f.citation.start == new_span[0]
                       and f.value is not None and round(f.value, 6) == case.new_value
                       for f in d.facts)
        old_there = any(units.get(f.citation.article) == other_unit and f.value is not None
                        and round(f.value, 6) == case.old_value for f in d.facts)
        if new_here and old_there:
            case.reported = True
            case.kinds.append(d.kind)
    old = _old_sentences(brief, case, units)
    lines = list(brief.agreements) + [c for c in brief.summary if c.independent_sources >= 2]
    for line in lines:
        if any(_covers(c, case.changed, *new_span) for c in line.citations) and any(
                c.article == o.article and c.start <= o.start < c.end
                for c in line.citations for o in old):
            case.false_agreements += 1
    return brief


# -- conflicts on the unchanged corpus ------------------------------------------------------


@dataclass(slots=True)
class ConflictLine:
    story: str
    subject: str
    facts: list[dict[str, Any]]  # text, value, article, sentence span, sentence
    equal_values: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _conflicts(brief: Brief, units: dict[str, str]) -> list[ConflictLine]:
    out = []
    for d in brief.discrepancies:
        if d.kind != "conflict":
            continue
        per_unit: dict[str, set[float]] = defaultdict(set)
        for f in d.facts:
            if f.value is not None:
                per_unit[units.get(f.citation.article, f.citation.article)].add(
                    round(f.value, 6))
        common = set.intersection(*per_unit.values()) if per_unit else set()
        facts = [{"text": f.text, "value": f.value, "qualifiers": f.qualifiers,
                  "article": f.citation.article,
                  "sentence": [f.sentence.start, f.sentence.end] if f.sentence else None,
                  "quote": f.sentence.quote if f.sentence else f.citation.quote}
                 for f in d.facts]
        out.append(ConflictLine(brief.story, d.subject, facts, bool(common)))
    return out


# -- the corpus run -------------------------------------------------------------------------


@dataclass(slots=True)
class CorpusScores:
    corpus: str
    stories: int
    cases: int
    reported: int
    false_agreement_cases: int
    false_agreement_lines: int
    conflicts: int
    equal_value_conflicts: int
    differences: dict[str, int]
    brief_seconds: float  # building the unchanged briefs
    case_list: list[FigureCase]
    conflict_list: list[ConflictLine]

    @property
    def reported_share(self) -> float:
        return self.reported / self.cases if self.cases else 1.0

    def to_dict(self, *, details: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "corpus": self.corpus, "stories": self.stories, "cases": self.cases,
            "reported": self.reported, "reported_share": round(self.reported_share, 4),
            "false_agreement_cases": self.false_agreement_cases,
            "false_agreement_lines": self.false_agreement_lines,
            "conflicts": self.conflicts, "equal_value_conflicts": self.equal_value_conflicts,
            "differences": self.differences, "brief_seconds": round(self.brief_seconds, 2),
        }
        if details:
            d["case_list"] = [c.to_dict() for c in self.case_list]
            d["conflict_list"] = [c.to_dict() for c in self.conflict_list]
        return d

    def format_text(self, *, conflicts: bool = True) -> str:
        lines = [
            f"{self.corpus}: {self.stories} stories, {self.cases} perturbed figures "
            f"(unchanged briefs in {self.brief_seconds:.1f} s)",
            f"  difference reported with both values and sources  {self.reported}/"
            f"{self.cases} = {self.reported_share:.1%}",
            f"  agreement lines citing the changed and the old sentence  "
            f"{self.false_agreement_lines} (in {self.false_agreement_cases} cases)",
            f"  unchanged corpus: {self.conflicts} conflicts, {self.equal_value_conflicts} "
            f"between equal values; differences by kind: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.differences.items())),
        ]
        missed = [c for c in self.case_list if not c.reported or c.false_agreements]
        for c in missed[:15]:
            lines.append(f"    missed {c.story} {c.changed}: {c.old_text!r} -> {c.new_text!r}"
                         f" (vs {c.other}){' false agreement' if c.false_agreements else ''}")
        if conflicts:
            for cl in self.conflict_list:
                lines.append(f"  conflict {cl.story} [{cl.subject}]"
                             f"{' EQUAL VALUES' if cl.equal_values else ''}")
                for f in cl.facts:
                    span = f["sentence"]
                    lines.append(f"    {f['text']!r} {f['article']}:{span[0]}-{span[1]} "
                                 f"{f['quote'][:200]!r}" if span else f"    {f['text']!r}")
        return "\n".join(lines)


def _stories(corpus: Path) -> list[tuple[Story, dict[str, str]]]:
    import storyline

    from ..brief import independent_units

    gold = load_gold(corpus / "gold.tsv")
    source = corpus / "articles.jsonl"
    articles = storyline.read([str(source if source.exists() else corpus)])
    by_story: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        if a.id in gold:
            by_story[gold[a.id]].append(a)
    if not by_story:
        raise EvaluationError(f"{corpus}: no article of gold.tsv was read")
    out = []
    for sid in sorted(by_story):
        arts = by_story[sid]
        records = {r.id: r for r in _dedup(arts, passages=False)}
        story = Story(sid, arts, records)
        out.append((story, independent_units(arts, records)))
    return out


def eval_figures(corpus: str | Path, *, seed: int = 0, limit: int | None = None
                 ) -> CorpusScores:
    """Score the brief's figures on one corpus folder (articles.jsonl and gold.tsv).

    ``limit`` caps the number of stories (in story-id order); ``seed`` fixes the
    changes drawn.
    """
    corpus = Path(corpus)
    stories = _stories(corpus)
    if limit is not None:
        stories = stories[:limit]
    rng = random.Random(seed)
    cases: list[FigureCase] = []
    conflicts: list[ConflictLine] = []
    kinds: dict[str, int] = defaultdict(int)
    seconds = 0.0
    for story, units in stories:
        t = perf_counter()
        brief = build_brief(story)
        seconds += perf_counter() - t
        for d in brief.discrepancies:
            kinds[d.kind] += 1
        conflicts.extend(_conflicts(brief, units))
        for case in find_cases(story, units, rng):
            score_case(story, case, units)
            cases.append(case)
    return CorpusScores(
        corpus=str(corpus), stories=len(stories), cases=len(cases),
        reported=sum(c.reported for c in cases),
        false_agreement_cases=sum(1 for c in cases if c.false_agreements),
        false_agreement_lines=sum(c.false_agreements for c in cases),
        conflicts=len(conflicts),
        equal_value_conflicts=sum(c.equal_values for c in conflicts),
        differences=dict(kinds), brief_seconds=seconds, case_list=cases,
        conflict_list=conflicts,
    )

