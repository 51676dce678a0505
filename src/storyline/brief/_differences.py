"""Align figures across sources and explain why their values differ.

Figures are comparable when they measure the same thing (measure noun), of the
same holder (names that are equal, nested, acronyms of each other, or both parts
of one longer name in the story: "PSA" and "Peugeot" in "PSA Peugeot Citroen"),
moving the same way. A set of comparable figures with different values is a
discrepancy, explained in this order: different times stated (``time-update``),
different scopes (``different-scope``), a hedged or verbal value close to an
exact one (``approximation``); with none of these it is a ``conflict``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..analyze._figures import Figure
from ..model import Citation, Discrepancy, Fact

__all__ = ["FigureRef", "Aliases", "comparable", "group_figures", "classify_group"]


@dataclass(slots=True)
class FigureRef:
    figure: Figure
    article: str
    unit: str
    text: str  # the article text, for citations
    published: float | None = None  # the article's publication time (epoch seconds)
    sentence: tuple[int, int] | None = None  # span of the sentence holding the figure
    near: frozenset[str] = frozenset()  # content-word stems next to the figure
    related: frozenset[tuple[str, int]] = frozenset()  # (article, sentence start) of the
    # sentences of other articles that are about the same thing as this one (cosine >= 0.2)

    def fact(self, group: str = "") -> Fact:
        f = self.figure
        quals = [q for k in ("peak", "time", "scope", "hedge") for q in f.qualifiers.get(k, [])]
        return Fact(
            kind=f.kind,
            value=f.value,
            unit=f.unit,
            text=f.text,
            subject=" ".join(x for x in (f.holder, f.measure) if x),
            qualifiers=quals,
            citation=Citation(self.article, f.start, f.end, self.text[f.start:f.end]),
            group=group,
            sentence=(Citation(self.article, *self.sentence,
                               self.text[self.sentence[0]:self.sentence[1]])
                      if self.sentence else None),
        )


class Aliases:
    """Decides whether two holder names may name the same party within one story."""

    def __init__(self, names: list[str]) -> None:
        self._long = [set(n.split()) for n in names if len(n.split()) >= 2]

    @staticmethod
    def _acronym(short: str, long: str) -> bool:
        words = long.split()
        return len(words) >= 2 and short.isupper() and short == "".join(w[0] for w in words)

    def same(self, a: str | None, b: str | None) -> bool:
        if a is None or b is None or a == b:
            return True
        sa, sb = set(a.split()), set(b.split())
        if sa <= sb or sb <= sa:
            return True
        if self._acronym(a, b) or self._acronym(b, a):
            return True
        return any(sa <= full and sb <= full for full in self._long)


def comparable(a: FigureRef, b: FigureRef, aliases: Aliases) -> bool:
    """Whether two figures may be one quantity of one subject (so that their values compare).

    Same kind (and currency), the same order of magnitude, holders that may name one
    party, not moving opposite ways, not two figures of one sentence; and the same
    quantity: equal parsed quantities where both are known ("dead" is never compared with
    "missing"), else the same measure noun, else content words in common next to the
    figure (three, or two when the two sentences are about the same thing).
    """
    f, g = a.figure, b.figure
    if f.kind != g.kind or (f.kind == "money" and f.unit != g.unit):
        return False
    if f.value is None or g.value is None:
        return False
    if f.value and g.value and not 0.1 <= f.value / g.value <= 10:
        return False  # a per-share price and a market value are different quantities
    if a.article == b.article and a.sentence == b.sentence and (
            _signature(f, ("time", "peak")) == _signature(g, ("time", "peak"))):
        return False  # two figures of one sentence are two quantities, unless of two times
    if not aliases.same(f.holder, g.holder):
        return False
    if {f.direction, g.direction} >= {"up", "down"}:
        return False
    if f.change != g.change:
        return False  # a change ("fell by 92,000") is not a level ("fell to 498,000")
    if f.quantity and g.quantity:
        return f.quantity == g.quantity
    if f.quantity or g.quantity:  # one known: the other's measure noun must say the same
        known, other = (f, g) if f.quantity else (g, f)
        if other.measure:
            return known.quantity == other.measure
    elif f.measure and g.measure:
        return f.measure == g.measure
    shared = len(a.near & b.near)
    related = b.sentence is not None and (b.article, b.sentence[0]) in a.related
    return shared >= 3 or (shared >= 2 and related)


def group_figures(refs: list[FigureRef], aliases: Aliases,
                  pairs: list[tuple[int, int]] | None = None) -> list[list[FigureRef]]:
    """Comparable figures together; a figure joins the first group whose every member it is
    comparable with. ``pairs`` (indices into ``refs``) are figures already known to be one
    quantity (the differing figures of two sentences that otherwise make one claim); they
    start groups of their own."""
    groups: list[list[FigureRef]] = []
    by_key: dict[tuple[str, str], list[list[FigureRef]]] = {}  # only like kinds can compare

    def key(r: FigureRef) -> tuple[str, str]:
        return r.figure.kind, r.figure.unit if r.figure.kind == "money" else ""

    placed: set[int] = set()
    for i, j in pairs or []:
        if i in placed or j in placed:
            continue
        groups.append([refs[i], refs[j]])
        by_key.setdefault(key(refs[i]), []).append(groups[-1])
        placed.update((i, j))
    for n, ref in enumerate(refs):
        f = ref.figure
        if n in placed or f.kind in ("time", "date") or f.conversion or f.value is None:
            continue
        if f.measure is None and f.quantity is None and not ref.near:
            continue
        candidates = by_key.setdefault(key(ref), [])
        for group in candidates:
            if all(comparable(o, ref, aliases) for o in group):
                group.append(ref)
                break
        else:
            groups.append([ref])
            candidates.append(groups[-1])
    return groups


def _signature(f: Figure, kinds: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(q.lower() for k in kinds for q in f.qualifiers.get(k, [])))


def _fmt(f: Figure) -> str:
    quals = [q for k in ("peak", "time", "scope", "hedge") for q in f.qualifiers.get(k, [])]
    return f"{f.text} ({', '.join(quals)})" if quals else f"{f.text} (no qualifier)"


# Quantities that move by the hour: a different value at a different time is an update.
VOLATILE = frozenset({"share price", "market value", "price", "rate", "deaths", "injured",
                      "cases", "turnout", "votes", "people", "homes", "passengers"})


def _strong_time(f: Figure) -> tuple[str, ...]:
    """Clock times and intraday extremes, the qualifiers that date a figure precisely."""
    clock = tuple(q for q in f.qualifiers.get("time", []) if any(c.isdigit() for c in q)
                  or "close" in q.lower() or "closing" in q.lower() or "intraday" in q.lower())
    return tuple(sorted(q.lower() for q in clock + tuple(f.qualifiers.get("peak", []))))


def _digits(f: Figure) -> int:
    """Significant digits of the figure as written: "$43 million" 2, "$43,885,310" 8."""
    m = re.search(r"\d[\d,]*(?:\.\d+)?", f.text)
    if not m:
        return 0
    digits = m.group(0).replace(",", "").replace(".", "").lstrip("0")
    return len(digits.rstrip("0")) if "." not in m.group(0) else len(digits)


def _prune(group: list[FigureRef]) -> list[FigureRef]:
    """Where two sources give one value, a source's other values in the group measure
    something else: "$44 million in taxes" agreed, "$141 million earned" beside it."""
    units: dict[float, set[str]] = {}
    for r in group:
        units.setdefault(round(r.figure.value or 0.0, 6), set()).add(r.unit)
    shared = {v for v, u in units.items() if len(u) >= 2}
    if not shared:
        return group
    agreeing = {u for v in shared for u in units[v]}
    return [r for r in group if r.unit not in agreeing
            or round(r.figure.value or 0.0, 6) in shared]


def classify_group(group: list[FigureRef]) -> tuple[str, str] | None:
    """``(kind, explanation)`` for a group whose values differ across reports; else ``None``.

    Values that differ only within one article are different quantities of one report
    (an opening and a closing price), not a disagreement between sources.
    """
    values = {round(r.figure.value or 0.0, 6) for r in group}
    if len(values) < 2:
        return None
    by_article: dict[str, set[float]] = {}
    for r in group:
        by_article.setdefault(r.article, set()).add(round(r.figure.value or 0.0, 6))
    if len(by_article) < 2 or all(v == next(iter(by_article.values()))
                                  for v in by_article.values()):
        return None
    figs = [r.figure for r in group]
    listing = "; ".join(_fmt(f) for f in figs)
    strong = {_strong_time(f) for f in figs}
    if len(strong) >= 2 and any(strong):
        return "time-update", f"values given for different times: {listing}"
    periods = {_signature(f, ("time",)) for f in figs}
    if len(periods) >= 2 and all(periods):
        return "time-update", f"values given for different periods: {listing}"
    volatile = figs[0].measure in VOLATILE or figs[0].quantity in VOLATILE
    times = {_signature(f, ("time", "peak")) for f in figs}
    published = {r.published for r in group if r.published is not None}
    if volatile and ((len(times) >= 2 and any(times)) or len(published) >= 2):
        return "time-update", f"values reported at different times: {listing}"
    scopes = {_signature(f, ("scope",)) for f in figs}
    if len(scopes) >= 2 and any(scopes):
        return "different-scope", f"values given for different scopes: {listing}"
    precision = max(_digits(f) for f in figs)
    stated = [f.value for f in figs if f.value is not None]

    def rounded(f: Figure) -> bool:
        """A round figure beside a more precise one it rounds ("$43 million", "$43,885,310")."""
        return _digits(f) < precision and f.value is not None and any(
            v != f.value and abs(v - f.value) <= 0.05 * max(abs(v), abs(f.value))
            for v in stated)

    exact = [f.value for f in figs if not (f.approximate or rounded(f)) and f.value is not None]
    rough = [f.value for f in figs if (f.approximate or rounded(f)) and f.value is not None]
    if rough and len(set(exact)) <= 1 and (
        not exact or all(abs(e - r) <= 0.12 * max(abs(e), abs(r)) for e in exact for r in rough)
    ):
        return "approximation", f"a rounded or hedged value against a precise one: {listing}"
    return "conflict", f"no time, scope or approximation explains the difference: {listing}"


def discrepancies(groups: list[list[FigureRef]]) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    for n, group in enumerate(groups):
        group = _prune(group)
        verdict = classify_group(group)
        if verdict is None:
            continue
        kind, explanation = verdict
        holders = [r.figure.holder for r in group if r.figure.holder]
        holder = max(set(holders), key=holders.count) if holders else ""
        subject = " ".join(x for x in (holder, group[0].figure.measure) if x)
        out.append(Discrepancy(kind, subject, explanation, [r.fact(f"q{n}") for r in group]))
    order = {"conflict": 0, "time-update": 1, "different-scope": 2, "approximation": 3}
    out.sort(key=lambda d: (order[d.kind], -len(d.facts)))
    return out
