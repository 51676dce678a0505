"""Figures in news text: value, unit, what they measure, and the words that qualify them.

A figure's *window* is the text between the previous figure of its sentence and
the next one; the qualifiers found there ("as much as", "at 1524 GMT", "in the
second half", "almost") belong to it, so that "jumped as much as 21 percent, and
were 13 percent higher at 1524 GMT" gives each value its own qualifier. The
*measure* is the nearest measure noun, preferring "X of the <measure>" after the
figure; the *holder* is the nearest proper name before it. Both are general news
vocabulary, not tuned to any one story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Figure", "extract_figures", "QUALIFIER_KINDS"]

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:thousand|million|billion|trillion|mln|bln|bn|m|k)\b"
_CUR_PRE = r"(?:US\$|\$|€|£|¥|E(?=\d)|EUR\s?|USD\s?|GBP\s?)"
_CUR_POST = r"(?:euros?|dollars?|pounds?|yen|yuan|francs?|rupees?|crowns?|kroner|krone)\b"
_FRACTIONS = {
    "half": 50.0, "one-half": 50.0, "a third": 100 / 3, "one-third": 100 / 3, "one third": 100 / 3,
    "two-thirds": 200 / 3, "two thirds": 200 / 3, "a quarter": 25.0, "one-quarter": 25.0,
    "one quarter": 25.0, "three-quarters": 75.0, "three quarters": 75.0, "a fifth": 20.0,
    "one-fifth": 20.0, "a tenth": 10.0, "one-tenth": 10.0, "majority": 50.0,
}
_FRACTION_RE = "|".join(sorted((re.escape(f) for f in _FRACTIONS), key=len, reverse=True))

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("money", re.compile(
        rf"(?P<cur>{_CUR_PRE})\s?(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE}))?"
        rf"|(?P<num2>{_NUM})(?:\s?(?P<scale2>{_SCALE}))?\s(?P<cur2>{_CUR_POST})", re.I)),
    ("percent", re.compile(
        rf"(?P<num>{_NUM})\s?(?:%|percent\b|per cent\b|pct\b|percentage points?\b)", re.I)),
    ("fraction", re.compile(rf"\b(?P<frac>{_FRACTION_RE})\b(?!-)", re.I)),
    ("time", re.compile(
        r"\b(?P<clock>(?:[01]\d|2[0-3])[0-5]\d\s?(?:GMT|UTC|ET|EST|EDT|CET|BST)"
        r"|\d{1,2}(?::\d{2})?\s?[ap]\.m\.(?:\s?(?:GMT|ET|EST|EDT))?"
        r"|\d{1,2}:\d{2}(?:\s?(?:GMT|UTC|ET|CET|BST))?)", re.I)),
    ("date", re.compile(
        r"\b(?P<date>(?:January|February|March|April|May|June|July|August|September|October|"
        r"November|December|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
        r"\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+(?:19|20)\d\d)?"
        r"|\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|October|"
        r"November|December)(?:\s+(?:19|20)\d\d)?"
        r"|(?:January|February|March|April|June|July|August|September|October|November|"
        r"December)\s+(?:19|20)\d\d)\b")),
    ("count", re.compile(
        rf"(?<![\w$€£.,])(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE}))?(?!\s?(?:%|percent|per cent))"
        r"(?=\s+(?:[a-z-]+\s+){0,2}[a-z]+)")),
]

_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mln": 1e6, "m": 1e6, "billion": 1e9,
           "bln": 1e9, "bn": 1e9, "trillion": 1e12}
_CURRENCY = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
             "€": "EUR", "e": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP",
             "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "¥": "JPY", "yen": "JPY",
             "yuan": "CNY"}

# Measure nouns: what a figure can measure in news. Longest first; value = canonical key.
_MEASURES = {
    "voting rights": "voting rights", "voting right": "voting rights", "votes": "votes",
    "share price": "share price", "shares": "share price", "share": "share price",
    "stock": "share price", "stocks": "share price", "market value": "market value",
    "share capital": "capital", "capital": "capital", "stake": "stake", "holding": "stake",
    "operating loss": "loss", "net loss": "loss", "loss": "loss", "losses": "loss",
    "lost": "loss", "profit": "profit", "profits": "profit", "earnings": "profit",
    "revenue": "revenue", "revenues": "revenue", "sales": "sales", "turnover": "revenue",
    "jobs": "jobs", "job cuts": "jobs", "workers": "workers", "employees": "workers",
    "staff": "workers", "people": "people", "residents": "people", "deaths": "deaths",
    "dead": "deaths", "killed": "deaths", "died": "deaths", "injured": "injured",
    "wounded": "injured", "homes": "homes", "houses": "homes", "passengers": "passengers",
    "price": "price", "prices": "price", "cost": "cost", "costs": "cost", "budget": "budget",
    "debt": "debt", "fine": "fine", "damages": "damages", "investment": "investment",
    "rate": "rate", "inflation": "inflation", "unemployment": "unemployment",
    "growth": "growth", "turnout": "turnout", "tariff": "tariff", "tariffs": "tariff",
    "emissions": "emissions", "cases": "cases", "vaccinations": "vaccinations",
    "doses": "doses", "troops": "troops", "seats": "seats", "barrels": "barrels",
    "capacity": "capacity", "market share": "market share", "gain": "share price",
    "salary": "salary", "wages": "wages", "pay": "wages", "bonus": "bonus",
}
_MEASURE_RE = re.compile(
    r"\b(" + "|".join(sorted((re.escape(m) for m in _MEASURES), key=len, reverse=True)) + r")\b",
    re.I,
)

# Qualifiers: (kind, pattern). "time" places a value in time; "peak" marks an intraday
# or running extreme; "scope" says what part of a whole; "hedge" marks an approximation.
QUALIFIER_KINDS = ("time", "peak", "scope", "hedge")
_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|"
           r"November|December|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|"
           r"Dec\.)")
_QUALIFIERS: list[tuple[str, re.Pattern[str]]] = [
    ("time", re.compile(
        r"\b(?:at|as of|by|before|after|until|around)\s+(?:[01]\d|2[0-3])[0-5]\d\s?"
        r"(?:GMT|UTC|ET|EST|EDT|CET|BST)\b"
        r"|\b(?:at|as of|by|before|after|until|around)\s+\d{1,2}(?::\d{2})?\s?[ap]\.m\."
        r"|\b(?:in|at|by|during)\s+(?:early|late|midday|afternoon|morning|evening)"
        r"(?:\s+trading|\s+trade)?\b"
        r"|\bat (?:the )?close\b|\bclosing\b|\bintraday\b"
        r"|\bon (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
        rf"|\bon {_MONTHS}\s+\d{{1,2}}\b", re.I)),
    ("time", re.compile(  # periods: "in June", "last month", "a year earlier"
        rf"\b(?:in|for|during|since|by|from|of|until)\s+(?:early\s+|late\s+|mid-)?"
        rf"{_MONTHS}(?:\s+(?:19|20)\d\d)?\b"
        r"|\b(?:[Ll]ast|[Tt]his|[Nn]ext|[Pp]revious|[Pp]rior)\s+(?:week|month|year|quarter)\b"
        r"|\ba\s+(?:week|month|year|quarter)\s+(?:earlier|ago|before)\b"
        r"|\b(?:[Yy]esterday|[Tt]oday|[Tt]onight)\b")),
    ("peak", re.compile(r"\b(?:as (?:much|high|low|many) as|at one point|peak(?:ed)?|"
                        r"(?:a |its )?(?:record|session) high)\b", re.I)),
    ("scope", re.compile(
        r"\b(?:in|for|during|over)\s+(?:the\s+)?(?:first|second|third|fourth|final)\s+"
        r"(?:half|quarter)\b|\b(?:first|second|third|fourth)[- ]quarter\b"
        r"|\b(?:full[- ]year|annual|year-on-year|year-over-year)\b"
        r"|\b(?:in|for|during)\s+(?:fiscal\s+)?(?:19|20)\d\d\b"
        r"|\bover (?:the )?(?:past |last )?\d+ (?:months|years|weeks|days)\b"
        r"|\b(?:division|unit|subsidiary|segment|operations)\b"
        r"|\b(?:worldwide|globally|nationwide|in Europe|in the U\.S\.)\b", re.I)),
    ("hedge", re.compile(
        r"\b(?:almost|nearly|about|around|roughly|approximately|some|more than|less than|"
        r"over|under|up to|at least|at most|close to|just over|just under|an estimated)\b",
        re.I)),
]
_PROPER = re.compile(r"\b([A-Z][A-Za-z&.\-]*(?:\s+[A-Z][A-Za-z&.\-]*)*)(?:'s)?")
_NOT_HOLDER = frozenset(
    ["The", "A", "An", "But", "And", "In", "On", "At", "For", "With", "After", "Before", "When", "While", "If", "As", "It", "He", "She", "They", "We", "This", "That", "There", "His", "Her", "Its", "Their", "Our", "GMT", "UTC", "ET", "CET", "BST", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "E"]
)


@dataclass(slots=True)
class Figure:
    """One figure in one sentence; offsets are relative to the article text."""

    kind: str  # percent | money | count | time | date
    value: float | None
    unit: str
    start: int
    end: int
    text: str
    measure: str | None
    holder: str | None
    qualifiers: dict[str, list[str]] = field(default_factory=dict)
    direction: str | None = None  # "up" | "down" where the text says which way a value moved
    approximate: bool = False
    conversion: bool = False  # a parenthesised conversion of the previous figure
    # what is counted or measured, read from the parse ("dead", "missing", "job", "stake",
    # "share price"); None where the parse says nothing specific (see quantity_of)
    quantity: str | None = None
    change: bool = False  # a count or sum by which something moved ("fell by 92,000")


def _number(s: str) -> float:
    return float(s.replace(",", ""))


# A fraction word is a figure when it quantifies something: "half of the seats", "half its
# capital", "nearly a third", "more than half"; not in idioms ("too cute by half").
_QUANTIFYING_AFTER = re.compile(
    r"\s+(?:of|the|its|their|his|her|our|a|an|that|those|these|all)\b", re.I)
_QUANTIFYING_BEFORE = re.compile(
    r"\b(?:than|nearly|almost|about|roughly|around|over|some|just|only|under|least|"
    r"most|by)\s+$", re.I)
# "by half" is a figure after a verb of change ("cut by half"), not after an adjective.
_IDIOM_BY = re.compile(r"\b(?:too|so|as)\s+\w+\s+by\s+$", re.I)


def _raw_matches(sentence: str) -> list[tuple[int, int, str, float | None, str]]:
    """Non-overlapping matches: (start, end, kind, value, unit)."""
    taken: list[tuple[int, int]] = []
    out: list[tuple[int, int, str, float | None, str]] = []
    for kind, pat in _PATTERNS:
        for m in pat.finditer(sentence):
            s, e = m.span()
            if any(s < te and e > ts for ts, te in taken):
                continue
            gd = m.groupdict()
            if kind == "money":
                num = gd.get("num") or gd.get("num2")
                scale = (gd.get("scale") or gd.get("scale2") or "").lower()
                cur = (gd.get("cur") or gd.get("cur2") or "").strip().lower()
                if not num:
                    continue
                value = _number(num) * _SCALES.get(scale, 1.0)
                unit = _CURRENCY.get(cur, _CURRENCY.get(cur.rstrip("s"), cur.upper()))
            elif kind == "percent":
                value, unit = _number(gd["num"]), "%"
            elif kind == "fraction":
                if re.search(r"(?:first|second|third|last|latter|other|back)\s+$",
                             sentence[max(0, s - 8):s], re.I):
                    continue  # "the second half" is a period, not a fraction
                if _IDIOM_BY.search(sentence[max(0, s - 30):s]) or (
                        not _QUANTIFYING_BEFORE.search(sentence[max(0, s - 16):s])
                        and not _QUANTIFYING_AFTER.match(sentence[e:])):
                    continue  # "too cute by half", "the majority leader": not a share
                value, unit = _FRACTIONS[gd["frac"].lower()], "%"
            elif kind == "time":
                value, unit = None, "clock"
            elif kind == "date":
                value, unit = None, "date"
            else:
                num = gd["num"]
                if re.match(r"(?:-|–)\d", sentence[e:]) or re.search(r"\d(?:-|–)$", sentence[:s]):
                    continue  # "a 285-120 vote", "12-16 years": tallies and ranges
                if (re.match(r"\s(?:to|and)\s\d", sentence[e:]) and re.search(
                        r"(?:\b(?:was|were|of|between|vote[ds]?|by a)|[,(])\s$", sentence[:s])) or (
                        re.search(r"\d\s(?:to|and)\s$", sentence[:s]) and re.search(
                        r"(?:\b(?:was|were|of|between|vote[ds]?|by a)|[,(])\s\S+\s(?:to|and)\s$",
                        sentence[:s])):
                    continue  # "the vote was 364 to 62", "between 16 and 18"
                # years and clock times are not counts
                if re.fullmatch(r"(?:1[89]|20)\d\d", num) or re.fullmatch(r"[0-2]\d[0-5]\d", num):
                    continue
                if re.search(rf"{_MONTHS}\s*$", sentence[max(0, s - 12):s]):
                    continue  # "February 15" is a date
                ident = re.search(r"(?<=\S )([A-Z][\w.-]*)\s$|\bNo\.\s?$|#$",
                                  sentence[:s])
                if ident and (ident.group(1) or "") not in _NOT_HOLDER:
                    continue  # "Senate Bill 1062", "Flight 17", "No. 3": names, not counts
                if re.match(r"\s*(?:-|\s)?(?:months?|years?|days?|weeks?|hours?|minutes?|"
                            r"seconds?|decades?|member|times)\b", sentence[e:], re.I):
                    continue  # durations and multipliers are not counts
                value = _number(num) * _SCALES.get((gd.get("scale") or "").lower(), 1.0)
                unit = ""
            taken.append((s, e))
            out.append((s, e, "percent" if kind == "fraction" else kind, value, unit))
    out.sort()
    return out


_GAP_TO_MEASURE = re.compile(
    r"[ ]*(?:higher|lower|up|down)?[ ]*(?:of[ ]+)?(?:the[ ]+|its[ ]+|their[ ]+|his[ ]+|her[ ]+|"
    r"[A-Z][\w.&-]*(?:'s)?[ ]+)?(?:[a-z-]+(?:'s)?[ ]+){0,2}"
)


def _measure(sentence: str, start: int, end: int, lo: int, hi: int, count_only: bool = False
             ) -> str | None:
    """What the figure measures: "X of the <measure>" after it first, else the nearest one."""
    for m in _MEASURE_RE.finditer(sentence, end, hi):
        if _GAP_TO_MEASURE.fullmatch(sentence, end, m.start()):
            measure = _MEASURES[m.group(1).lower()]
            if measure == "share price" and re.match(r"\s*of\b", sentence[end:]):
                return "capital"  # "a third of the company's shares" is ownership
            return measure
        break
    if count_only:
        return None
    best: tuple[int, str] | None = None
    for m in _MEASURE_RE.finditer(sentence, lo, hi):
        dist = start - m.end() if m.end() <= start else m.start() - end
        if best is None or dist < best[0]:
            best = (dist, _MEASURES[m.group(1).lower()])
    if best is None:  # fall back to the whole sentence
        for m in _MEASURE_RE.finditer(sentence):
            dist = abs(m.start() - start)
            if best is None or dist < best[0]:
                best = (dist, _MEASURES[m.group(1).lower()])
    return best[1] if best else None


_DEMONYM = re.compile(r"[A-Z][a-z]+(?:ese|ish|ian|ean|an|ch|ic|i)")


def _names(text: str, lo: int, hi: int) -> list[str]:
    out = []
    for m in _PROPER.finditer(text, lo, hi):
        words = m.group(1).split()
        while words and words[0] in _NOT_HOLDER:
            words = words[1:]
        if len(words) == 1 and _DEMONYM.fullmatch(words[0]) and not m.group(0).endswith("'s"):
            continue  # "the French automaker": an adjective, not a holder
        if words and len(" ".join(words)) > 1:
            out.append(" ".join(words))
    return out


def _holder(sentence: str, start: int, end: int, hi: int, context: str) -> str | None:
    """Whose figure it is: "of PSA's voting rights" after it, else the nearest name before it."""
    after = re.match(r"[ ]*(?:of[ ]+)([A-Z][\w.&-]*(?:[ ][A-Z][\w.&-]*)*)'s\b", sentence[end:hi])
    if after and after.group(1) not in _NOT_HOLDER:
        return after.group(1)
    names = _names(sentence, 0, start) or _names(context, 0, len(context))
    return names[-1] if names else None


def _qualifiers(window: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, pat in _QUALIFIERS:
        found = [m.group(0) for m in pat.finditer(window)]
        if found:
            out.setdefault(kind, []).extend(found)
    return out


_UP = re.compile(r"\b(?:up|rose|rise|rising|jump(?:ed|s)?|gain(?:ed|s)?|higher|increase[ds]?|"
                 r"soar(?:ed|ing)?|climb(?:ed|ing)?|surge[ds]?|grew|grow(?:ing|th)?)\b", re.I)
_DOWN = re.compile(r"\b(?:down|fell|fall(?:ing|s)?|decline[ds]?|lower|drop(?:ped|s)?|slump(?:ed)?|"
                   r"plunge[ds]?|decrease[ds]?|shr[ai]nk|tumble[ds]?|slid)\b", re.I)
# "fell by 92,000", "rose 3,000": the figure is a change, not a level ("fell to 498,000")
_CHANGE_BEFORE = re.compile(
    r"(?:\bby|" + _UP.pattern + "|" + _DOWN.pattern + r")\s+(?:(?:about|nearly|some|more "
    r"than|almost|roughly|just|only|another|a further)\s+)?(?:US)?[$€£¥]?\s?$", re.I)
_NEAR = 60  # qualifiers further than this from a figure describe something else
_CLAUSE = re.compile(r",\s+(?:while|whereas|but|and|although)\b|;|\s-\s|\swhile\s")
_HEDGE_BEFORE = re.compile(
    r"(?:almost|nearly|about|around|roughly|approximately|some|more than|less than|close to|"
    r"just over|just under|an estimated|up to|at least)\s*$", re.I)


def _skip_leading_qualifiers(sentence: str, lo: int, hi: int) -> int:
    moved = True
    while moved:
        moved = False
        for kind, pat in _QUALIFIERS:
            if kind in ("time", "scope"):
                gap = len(sentence[lo:hi]) - len(sentence[lo:hi].lstrip())
                m = pat.match(sentence, lo + gap, hi)
                if m and m.end() > lo:
                    lo, moved = m.end(), True
    return lo


def extract_figures(text: str, start: int, end: int, context: str = "") -> list[Figure]:
    """Figures of the sentence ``text[start:end]``; ``context`` is the preceding sentence."""
    sentence = text[start:end]
    matches = _raw_matches(sentence)
    clauses = [m.start() for m in _CLAUSE.finditer(sentence)]
    figures: list[Figure] = []

    def is_conversion(s: int, kind: str) -> bool:
        return kind == "money" and bool(re.search(r"\(\s*$", sentence[max(0, s - 3):s]))

    # Clock times and conversions qualify the figures around them; they do not cut windows.
    cuts = [(s, e) for s, e, kind, _v, _u in matches
            if kind not in ("time", "date") and not is_conversion(s, kind)]
    for s, e, kind, value, unit in matches:
        lo = max([ce for cs, ce in cuts if ce <= s] + [c for c in clauses if c <= s], default=0)
        hi = min([cs for cs, ce in cuts if cs >= e] + [c for c in clauses if c >= e],
                 default=len(sentence))
        near_lo, near_hi = max(lo, s - _NEAR), min(hi, e + _NEAR)
        if any(ce == near_lo for _cs, ce in cuts):
            # "5.9% in June from 5.8% in May": what directly follows the previous figure
            # qualifies it, not this one
            near_lo = _skip_leading_qualifiers(sentence, near_lo, s)
        quals = {k: v for k, v in _qualifiers(sentence[near_lo:near_hi]).items() if k != "hedge"}
        hedge = _HEDGE_BEFORE.search(sentence[max(0, s - 25):s])
        if hedge:
            quals["hedge"] = [hedge.group(0).strip()]
        if figures and re.fullmatch(r"\s*,?\s*or\s+", sentence[lo:s]):
            # "as much as 3 euros, or 21 percent": a restatement shares its qualifiers
            for k, v in figures[-1].qualifiers.items():
                quals.setdefault(k, []).extend(x for x in v if x not in quals.get(k, []))
        conversion = is_conversion(s, kind) and bool(figures)
        if conversion:
            prev = figures[-1]
            measure, holder = prev.measure, prev.holder
            quals = prev.qualifiers
        else:
            measure = (_measure(sentence, s, e, lo, hi, count_only=kind == "count")
                       if kind not in ("time", "date") else kind)
            holder = _holder(sentence, s, e, hi, context)
        window = sentence[lo:hi]
        up, down = _UP.search(window), _DOWN.search(window)
        direction = "up" if up and not down else "down" if down and not up else None
        figures.append(Figure(
            kind=kind, value=value, unit=unit, start=start + s, end=start + e,
            text=sentence[s:e], measure=measure, holder=holder, qualifiers=quals,
            direction=direction,
            change=kind in ("count", "money") and bool(_CHANGE_BEFORE.search(
                sentence[max(0, s - 30):s])),
            approximate=bool(hedge) or sentence[s:e].lower() in _FRACTIONS,
            conversion=conversion,
        ))
    return figures


# -- what a figure counts, from the dependency parse ----------------------------------------

# Nouns that say nothing about what is counted or paid: "24 people dead" counts the dead,
# "$84,000 in taxpayer funds" is money for something the verb says.
_GENERIC = frozenset({
    "people", "person", "other", "others", "one", "ones", "individual", "individuals",
    "money", "fund", "funds", "cash", "dollar", "dollars", "euro", "euros", "pound", "pounds",
    "total", "figure", "number", "amount", "sum", "percent", "percentage", "%", "point",
    "points", "time", "times", "more", "less", "least", "most", "some", "all",
})
_PERCENT_WORDS = frozenset({"percent", "%", "pct", "cent", "point", "points"})


def _word(tok: Any) -> str:
    text = str(tok.lower_).strip()
    if text in _MEASURES:
        return _MEASURES[text]
    if len(text) > 4 and text.endswith("ies"):
        text = text[:-3] + "y"
    elif len(text) > 4 and text.endswith(("xes", "ches", "shes", "sses")):
        text = text[:-2]
    elif len(text) > 3 and text.endswith("s") and not text.endswith("ss"):
        text = text[:-1]
    return _MEASURES.get(text, text)


def _with_compound(tok: Any) -> str:
    """The head word ("government employees" -> workers), or a compound that is itself a
    measure ("voting rights", "share price", "market value")."""
    parts = [c for c in tok.children if c.dep_ == "compound"
             and c.pos_ == "NOUN" and c.i == tok.i - 1]
    if parts:
        joined = f"{parts[0].lower_} {tok.lower_}"
        if joined in _MEASURES:
            return _MEASURES[joined]
    return _word(tok)


def _state(noun: Any) -> str | None:
    """The state a generic noun is counted in: "people killed", "people were dead"."""
    for c in noun.children:
        if c.dep_ in ("acl", "amod") and c.tag_ in ("VBN", "JJ") and c.i > noun.i:
            return _word(c)
    head = noun.head
    if noun.dep_ == "dobj":  # "left 24 people dead"
        for c in head.children:
            if c.dep_ in ("oprd", "acomp") and c.pos_ in ("ADJ", "VERB") and c.i > noun.i:
                return _word(c)
    if noun.dep_ in ("nsubj", "nsubjpass") and head.pos_ in ("VERB", "AUX", "ADJ"):
        for c in head.children:
            if c.dep_ in ("acomp", "oprd") and c.pos_ == "ADJ":
                return _word(c)
        if head.pos_ != "AUX":
            return _word(head)
    return None


def quantity_of(doc: Any, start: int, end: int, kind: str) -> str | None:
    """What the figure at characters ``start:end`` of the parsed sentence counts or measures.

    Counts: the noun the number modifies ("2,600 jobs" -> job), or for a generic noun or
    none the state it is counted in ("24 people were dead", "121 missing"). Money and
    percentages: "X of/in N" (N), else the noun the figure modifies ("a 7 percent stake"),
    else the subject of the verb it measures ("shares jumped 21 percent"). ``None`` where
    the parse names nothing specific.
    """
    toks = [t for t in doc if t.idx < end and t.idx + len(t) > start]
    if not toks:
        return None
    inside = {t.i for t in toks}
    roots = [t for t in toks if t.head.i not in inside or t.head.i == t.i]
    root = roots[-1] if roots else toks[-1]
    head = root.head
    nxt = doc[toks[-1].i + 1] if toks[-1].i + 1 < len(doc) else None
    if kind == "count":
        noun = head if head.i not in inside and head.i > root.i and head.pos_ in (
            "NOUN", "PROPN", "ADJ", "VERB") else None
        if noun is None and nxt is not None and nxt.pos_ in ("NOUN", "ADJ", "VERB") and (
                nxt.tag_ in ("NNS", "NN", "JJ", "VBN", "VBG")):
            noun = nxt
        if noun is not None and noun.lower_ not in _GENERIC and noun.pos_ != "PROPN":
            return _with_compound(noun)
        if noun is not None and noun.pos_ != "PROPN":
            return _state(noun)
        return _state(root) if root.dep_ in ("nsubj", "nsubjpass") else None
    # money and percentages
    for c in root.children:
        if c.dep_ == "prep" and c.lower_ in ("of", "in") and c.i > root.i:
            for p in c.children:
                if p.dep_ == "pobj" and p.pos_ == "NOUN" and p.lower_ not in _GENERIC:
                    return _with_compound(p)
    if head.i not in inside and head.i > root.i and head.pos_ == "NOUN" and (
            head.lower_ not in _GENERIC):
        return _with_compound(head)
    node, steps = root, 0
    while node.dep_ in ("pobj", "prep", "npadvmod", "dobj", "attr", "nummod", "quantmod",
                        "acomp", "advmod") and node.head.i != node.i and steps < 4:
        node = node.head
        steps += 1
        if node.pos_ in ("VERB", "AUX"):
            break
    if node.pos_ in ("VERB", "AUX"):
        if node.lower_ in _MEASURES:
            return _MEASURES[node.lower_]  # "lost $92 million", "killed 24"
        if node.pos_ == "AUX" or _UP.fullmatch(node.lower_) or _DOWN.fullmatch(node.lower_):
            # a verb of change or a copula measures its subject: "shares jumped 21 percent"
            for c in node.children:
                if c.dep_ in ("nsubj", "nsubjpass") and c.pos_ == "NOUN" and (
                        c.lower_ not in _GENERIC):
                    return _with_compound(c)
    return None


# -- whether two sentences can back one claim -----------------------------------------------

Signature = dict[tuple[str, str], frozenset[float]]
_NEGATION = re.compile(r"\b(?:not|never|no|neither|nor)\b|n't\b", re.I)


def signature(sentence: str) -> tuple[Signature, bool]:
    """The values a sentence states, by (kind, unit), and whether it is negated."""
    values: dict[tuple[str, str], set[float]] = {}
    for _s, _e, kind, value, unit in _raw_matches(sentence):
        if value is not None and kind in ("count", "money", "percent"):
            values.setdefault((kind, unit), set()).add(round(value, 6))
    return ({k: frozenset(v) for k, v in values.items()},
            bool(_NEGATION.search(sentence)))


def compatible(a: tuple[Signature, bool], b: tuple[Signature, bool]) -> bool:
    """Two sentences may state one claim only when neither gives, for a kind of figure
    both give, a value the other lacks while the other gives one it lacks ("12 million"
    against "13 million"; "50 killed, 53 wounded" against "50 killed, 38 wounded"), and
    when both or neither are negated. A sentence that adds a figure is still compatible."""
    if a[1] != b[1]:
        return False
    for key, va in a[0].items():
        vb = b[0].get(key)
        if vb and va - vb and vb - va:
            return False
    return True


def _proper(tok: object) -> str:
    words = [c for c in getattr(tok, "lefts", ()) if c.dep_ == "compound" and c.pos_ == "PROPN"]
    return " ".join([w.text for w in words] + [tok.text])  # type: ignore[attr-defined]


def holder_of(doc: object, start: int, end: int) -> str | None:
    """Whose figure it is, from the parse: a proper name that owns or compounds the noun the
    figure measures ("PSA's shares", "Peugeot shares"), is the subject of the verb it
    measures ("GM was down 0.1 percent", "Ford will cut 2,600 jobs"), or follows as
    "of PSA". ``None`` when no name stands in one of these places: a name that merely
    occurs earlier in the sentence says nothing about the figure."""
    toks = [t for t in doc if t.idx < end and t.idx + len(t) > start]  # type: ignore[attr-defined]
    if not toks:
        return None
    inside = {t.i for t in toks}
    roots = [t for t in toks if t.head.i not in inside or t.head.i == t.i]
    node = roots[-1] if roots else toks[-1]
    chain = [node]
    for _ in range(4):
        if node.head.i == node.i or node.pos_ in ("VERB", "AUX"):
            break
        node = node.head
        chain.append(node)
    for n in chain:
        for c in n.children:
            if c.i in inside:
                continue
            if c.pos_ == "PROPN" and c.dep_ in ("poss", "compound", "nsubj", "nsubjpass"):
                return _proper(c)
            if c.dep_ in ("nsubj", "nsubjpass", "poss") and c.pos_ == "NOUN":
                for cc in c.children:
                    if cc.pos_ == "PROPN" and cc.dep_ in ("poss", "compound"):
                        return _proper(cc)
            if c.dep_ == "prep" and c.lower_ == "of" and n is chain[0]:
                for p in c.children:
                    if p.dep_ == "pobj":
                        for cc in p.children:
                            if cc.pos_ == "PROPN" and cc.dep_ == "poss":
                                return _proper(cc)
    return None
