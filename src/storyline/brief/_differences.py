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

from dataclasses import dataclass

from ..model import Citation, Discrepancy, Fact
from ._figures import Figure

__all__ = ["FigureRef", "Aliases", "group_figures", "classify_group"]


@dataclass(slots=True)
class FigureRef:
    figure: Figure
    article: str
    unit: str
    text: str  # the article text, for citations
    published: float | None = None  # the article's publication time (epoch seconds)
    sentence: tuple[int, int] | None = None  # span of the sentence holding the figure

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


def group_figures(refs: list[FigureRef], aliases: Aliases) -> list[list[FigureRef]]:
    """Comparable figures together; a figure joins the first group it is compatible with."""
    groups: list[list[FigureRef]] = []
    for ref in refs:
        f = ref.figure
        if f.kind in ("time", "date") or f.conversion or f.measure is None or f.value is None:
            continue
        for group in groups:
            g = group[0].figure
            if g.kind != f.kind or g.measure != f.measure:
                continue
            if f.kind == "money" and g.unit != f.unit:
                continue
            if g.value and f.value and not 0.1 <= f.value / g.value <= 10:
                continue  # a per-share price and a market value are different quantities
            if not all(aliases.same(o.figure.holder, f.holder) for o in group):
                continue
            directions = {o.figure.direction for o in group} | {f.direction}
            if {"up", "down"} <= directions:
                continue
            group.append(ref)
            break
        else:
            groups.append([ref])
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
    volatile = figs[0].measure in VOLATILE
    times = {_signature(f, ("time", "peak")) for f in figs}
    published = {r.published for r in group if r.published is not None}
    if volatile and ((len(times) >= 2 and any(times)) or len(published) >= 2):
        return "time-update", f"values reported at different times: {listing}"
    scopes = {_signature(f, ("scope",)) for f in figs}
    if len(scopes) >= 2 and any(scopes):
        return "different-scope", f"values given for different scopes: {listing}"
    exact = [f.value for f in figs if not f.approximate and f.value is not None]
    rough = [f.value for f in figs if f.approximate and f.value is not None]
    if rough and len(set(exact)) <= 1 and (
        not exact or all(abs(e - r) <= 0.12 * max(abs(e), abs(r)) for e in exact for r in rough)
    ):
        return "approximation", f"a rounded or hedged value against a precise one: {listing}"
    return "conflict", f"no time, scope or approximation explains the difference: {listing}"


def discrepancies(groups: list[list[FigureRef]]) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    for n, group in enumerate(groups):
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
