"""Labelled evaluation of the dedup stage on pairs made from real articles.

No corpus labels which articles copy which, so the labels are made: each pair is
an article and a copy of it produced by a seeded, realistic transformation of its
*original* text (a re-publication with encoding noise, a lightly edited wire copy,
a lead-only or excerpt copy, an updated version), whose relation is known by
construction. Negatives are the hard case dedup must get right (three outlets
reporting one BASIL event: same facts, same quotes, different reports) and random
unrelated pairs. Dedup runs on each pair alone, so one mistake cannot spread
through a group, and every relation is scored as a class ("none" is negative).

This module only measures; it never reads a gold file and tunes nothing.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any, Literal

from ..dedup import dedup as _dedup
from ..dedup._shingles import tokens
from ..model import Article, DedupRecord
from ..normalize import clean_text, normalize_article, sentence_spans
from . import _f1

__all__ = [
    "LABELS",
    "RELATIONS",
    "DedupScores",
    "FalseCopy",
    "Label",
    "LabelledPair",
    "RelationScores",
    "eval_dedup",
    "evaluate_pairs",
    "make_pairs",
    "score_predictions",
]

Label = Literal["exact", "near-duplicate", "contained", "version", "none"]
RELATIONS: tuple[Label, ...] = ("exact", "near-duplicate", "contained", "version")
LABELS: tuple[Label, ...] = (*RELATIONS, "none")

DedupFn = Callable[[list[Article]], list[DedupRecord]]


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """An article, a second article, and what the second is of the first by construction."""

    source: Article
    other: Article
    label: Label
    kind: str  # how the pair was made: exact-noise, contained-lead, same-event, random...
    detail: str = ""  # the edits applied, for reading the mistakes

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source.id, "other": self.other.id, "label": self.label,
                "kind": self.kind, "detail": self.detail}


# -- text helpers ---------------------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")
_SPLIT_FOLD = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
_WORD = re.compile(r"[A-Za-z]+|\d+")
# A name inside a sentence ("... from Hartwell Bay to ..."): where agency copy puts tickers.
_CAPITALISED = re.compile(r"(?<=[a-z,] )[A-Z][a-z]{2,}(?: [A-Z][a-z]+)*\b")
_NOT_NAMES = frozenset({
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
    "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "Mr", "Mrs", "Ms", "Dr", "The",
})
_QUOTE_CHARS = '"\u201c\u201d'

Paragraphs = list[list[str]]  # paragraphs of sentences


def _tokens(text: str) -> list[str]:
    """The same word tokens dedup compares (letters and digits, lower-cased)."""
    return tokens(text)


def _ntok(paras: Paragraphs) -> int:
    return sum(len(_tokens(s)) for p in paras for s in p)


def _paragraphs(text: str) -> Paragraphs:
    """Paragraphs of sentences of an original text (split on folded quotes, sliced raw)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    raw = _BLANK_LINE.split(text) if _BLANK_LINE.search(text.strip()) else text.split("\n")
    out: Paragraphs = []
    for chunk in raw:
        para = re.sub(r"\s+", " ", chunk).strip()
        if para:
            folded = para.translate(_SPLIT_FOLD)  # one char for one char: spans still fit
            out.append([para[s:e] for s, e in sentence_spans(folded)])
    return [p for p in out if p]


def _join(paras: Paragraphs) -> str:
    return "\n\n".join(" ".join(p) for p in paras)


def _nsent(paras: Paragraphs) -> int:
    return sum(len(p) for p in paras)


# Edits a desk makes to a wire copy: tense, synonyms, weekdays, hedges.
_SWAPS = {
    "said": "says", "says": "said", "told": "said", "after": "following",
    "following": "after", "about": "around", "around": "about", "nearly": "almost",
    "almost": "nearly", "big": "large", "large": "big", "people": "residents",
    "officials": "authorities", "authorities": "officials", "would": "will", "will": "would",
    "could": "might", "might": "could", "may": "might", "major": "key", "key": "major",
    "announced": "said", "including": "among them", "however": "but", "week": "weekend",
    "monday": "Tuesday", "tuesday": "Wednesday", "wednesday": "Thursday",
    "thursday": "Friday", "friday": "Saturday", "saturday": "Sunday", "sunday": "Monday",
    "early": "late", "late": "early", "percent": "per cent", "million": "billion",
    "president": "leader", "government": "administration", "administration": "government",
    "new": "fresh", "also": "further", "more": "over", "help": "assist", "show": "indicate",
}
_FUNCTION_WORDS = frozenset({
    "the", "a", "an", "on", "in", "at", "for", "with", "after", "before", "when", "while", "as",
    "during", "since", "by", "under", "over", "about", "earlier", "later", "last", "this",
})


def _edit_word(sentence: str, rng: random.Random, vocab: Sequence[str]) -> str:
    """Change one word (never the first): a synonym, a figure, else another word of the text."""
    words = list(_WORD.finditer(sentence))[1:]
    if not words:
        return sentence
    swaps = [m for m in words if m.group().lower() in _SWAPS]
    figures = [m for m in words if m.group().isdigit()]
    if swaps and (not figures or rng.random() < 0.7):
        m = rng.choice(swaps)
        new = _SWAPS[m.group().lower()]
        if m.group()[0].isupper():
            new = new[0].upper() + new[1:]
    elif figures:
        m = rng.choice(figures)
        new = str(int(m.group()) + rng.randint(1, 9))
    else:
        plain = [m for m in words if len(m.group()) >= 4 and m.group().islower()] or words
        m = rng.choice(plain)
        choices = [w for w in vocab if w != m.group().lower()] or ["also"]
        new = rng.choice(choices)
    return sentence[: m.start()] + new + sentence[m.end():]


_FRONTED = re.compile(r"""^([^,"\u201c\u201d]{6,60}),\s+([^"\u201c\u201d]+?)([.!?])$""")


def _reword(sentence: str, rng: random.Random, vocab: Sequence[str]) -> str:
    """Move a fronted phrase to the end ("On Friday, X did Y." -> "X did Y on Friday.")."""
    m = _FRONTED.match(sentence)
    if m and len(m.group(2).split()) >= 4:
        head, rest, end = m.groups()
        if head.split()[0].lower() in _FUNCTION_WORDS:
            head = head[0].lower() + head[1:]
        return f"{rest[0].upper()}{rest[1:]} {head}{end}"
    return _edit_word(_edit_word(sentence, rng, vocab), rng, vocab)


def _vocab(paras: Paragraphs) -> list[str]:
    return sorted({w for p in paras for s in p for w in re.findall(r"\b[a-z]{4,}\b", s)})


def _editable(paras: Paragraphs) -> list[tuple[int, int]]:
    return [(i, j) for i, p in enumerate(paras) for j, s in enumerate(p) if len(s.split()) >= 6]


# -- wire markup and site furniture (all removed by normalization) ---------------------------

_NAMES = ["Maria Lopez", "Tom Becker", "Anna Kowalski", "David Osei", "Lena Hart", "Sam Whitfield"]


def _add_tickers(paras: Paragraphs, rng: random.Random) -> None:
    """Tag one or two names with "(>> Name)" or "<NAME.N>", as agency copy does."""
    spots = [(i, j, m) for i, p in enumerate(paras[:4]) for j, s in enumerate(p)
             for m in _CAPITALISED.finditer(s) if m.group().split()[0] not in _NOT_NAMES]
    done: set[tuple[int, int]] = set()
    for i, j, m in rng.sample(spots, len(spots)):
        if (i, j) in done or len(done) == 2:
            continue
        done.add((i, j))
        name, s = m.group(), paras[i][j]
        initials = "".join(w[0] for w in name.split()) if " " in name else name[:4]
        tag = f" (>> {name})" if rng.random() < 0.5 else f" <{initials.upper()}.N>"
        paras[i][j] = s[: m.end()] + tag + s[m.end():]


def _add_wire(paras: Paragraphs, rng: random.Random) -> Paragraphs:
    """Byline, tickers, a currency footnote and credits around the same report."""
    a, b = rng.sample(_NAMES, 2)
    out = [list(p) for p in paras]
    _add_tickers(out, rng)
    out.insert(0, [f"By {a} and {b}"])
    if rng.random() < 0.5:
        out.append([f"($1 = {rng.choice(['0.93', '0.91', '0.88'])} euros)"])
    out.append([f"(Reporting by {a}; Editing by {b})"])
    return out


def _add_site(paras: Paragraphs, rng: random.Random) -> Paragraphs:
    header = rng.choice(["Sign up for our newsletter", "Get our daily newsletter"])
    footer = rng.choice(["Share this article", "Share on Facebook", "Click here for more"])
    return [[header], *paras, [footer]]


# -- the transformations ---------------------------------------------------------------------


def _exact(article: Article, rng: random.Random, variant: str) -> tuple[str, str] | None:
    """The same report re-published: verbatim, with encoding noise, or with wire markup."""
    text = article.original_text or article.text
    if variant == "wire":
        paras = _paragraphs(text)
        new = _join(_add_site(_add_wire(paras, rng), rng))
        if _tokens(clean_text(new)) == _tokens(clean_text(text)):
            return new, "byline,tickers,credits,header,footer"
        variant = "noise"  # markup would have touched words: fall back
    if variant == "verbatim":
        return text, "verbatim"
    if rng.random() < 0.5:  # curly to straight quotes
        text = text.translate(_SPLIT_FOLD)
    else:  # straight to curly quotes
        text = re.sub(r"(?<=\w)'", "\u2019", text)
        parts = text.split('"')
        text = "".join(p + ("" if k == len(parts) - 1 else "\u201c\u201d"[k % 2])
                       for k, p in enumerate(parts))
    chars = []
    for c in text:
        if c == " ":
            r = rng.random()
            c = "\u00a0" if r < 0.08 else "  " if r < 0.14 else c
        chars.append(c)
    text = "".join(chars).replace("\n", " \n")  # trailing spaces
    if rng.random() < 0.5:
        text = text.replace("\n", "\r\n")
    return text, "quotes,nbsp,double-spaces,trailing-spaces" + (
        ",crlf" if "\r\n" in text else "")


def _near_duplicate(article: Article, rng: random.Random) -> tuple[str, str] | None:
    """A lightly edited copy: a few words per ten sentences, maybe a reword and a swap, markup."""
    text = article.original_text or article.text
    paras = _paragraphs(text)
    spots = _editable(paras)
    if not spots:
        return None
    vocab = _vocab(paras)
    done: list[str] = []
    nedits = sum(rng.randint(1, 3) for _ in range(math.ceil(_nsent(paras) / 10)))
    for i, j in rng.sample(spots, min(nedits, len(spots))):
        paras[i][j] = _edit_word(paras[i][j], rng, vocab)
    done.append(f"words={min(nedits, len(spots))}")
    if rng.random() < 0.5:
        i, j = rng.choice(spots)
        paras[i][j] = _reword(paras[i][j], rng, vocab)
        done.append("reword")
    if rng.random() < 0.5:
        pairs = [(i, j) for i, p in enumerate(paras) for j in range(len(p) - 1)]
        if pairs:
            i, j = rng.choice(pairs)
            paras[i][j], paras[i][j + 1] = paras[i][j + 1], paras[i][j]
        elif len(paras) > 2:
            i = rng.randrange(1, len(paras) - 1)
            paras[i], paras[i + 1] = paras[i + 1], paras[i]
        done.append("swap")
    if rng.random() < 0.5:
        paras = _add_wire(paras, rng)
        done.append("wire")
    if rng.random() < 0.5:
        paras = _add_site(paras, rng)
        done.append("site")
    if rng.random() < 0.4 and (article.original_title or article.title):
        paras.insert(0, [article.original_title or article.title])
        done.append("headline")
    new = _join(paras)
    if _tokens(clean_text(new)) == _tokens(clean_text(text)):
        return None  # no real edit landed: that would be an exact copy
    return new, ",".join(done)


def _units(paras: Paragraphs) -> Paragraphs:
    """Paragraphs when there are enough of them to cut between, else one unit per sentence."""
    return paras if len(paras) >= 4 else [[s] for p in paras for s in p]


def _contained(article: Article, rng: random.Random, variant: str) -> tuple[str, str] | None:
    """A lead-only copy (first 30-70%) or an excerpt of consecutive middle paragraphs."""
    paras = _paragraphs(article.original_text or article.text)
    if _nsent(paras) < 4:
        return None
    units = _units(paras)
    total = _ntok(units)
    n = len(units)
    if variant == "excerpt":
        if len(paras) < 5:
            return None
        options = [(a, b) for a in range(1, n - 1) for b in range(a + 1, n)
                   if 0.3 <= _ntok(units[a:b]) / total <= 0.7]
    else:
        options = [(0, b) for b in range(1, n) if 0.3 <= _ntok(units[:b]) / total <= 0.7]
    options = [(a, b) for a, b in options
               if _nsent(units[a:b]) >= 2 and _ntok(units[a:b]) >= 25]
    if not options:
        return None
    a, b = rng.choice(options)
    kept = [list(p) for p in units[a:b]]
    if rng.random() < 0.3:
        kept.append([rng.choice(["Read more", "Click here to read the full story"])])
    share = _ntok(units[a:b]) / total
    return _join(kept), f"units {a}-{b} of {n} ({share:.0%} of tokens)"


_LOWER_OPENERS = _FUNCTION_WORDS | {"it", "he", "she", "they", "we", "there", "its", "their"}


def _new_lead(body: Paragraphs, rng: random.Random) -> tuple[str, list[str]]:
    """A new first sentence built from clauses (at most 60% of their sentence) of others,
    and the sentences they came from (the lead may align with any of them)."""
    pool = [s for p in body for s in p
            if len(s.split()) >= 8 and not any(q in s for q in _QUOTE_CHARS)]
    if len(pool) < 2:
        pool = [s for p in body for s in p if len(s.split()) >= 5]
    clauses, origins = [], []
    for s in rng.sample(pool, len(pool)):
        parts = [c for c in re.split(r",\s+|;\s+", s.rstrip(".!?"))
                 if 3 <= len(c.split()) <= 0.6 * len(s.split())]
        if parts:  # a sentence's opening clause reads most like a lead
            first = re.split(r",\s+|;\s+", s)[0]
            clauses.append(first if first in parts and rng.random() < 0.7 else rng.choice(parts))
            origins.append(s)
        if len(clauses) == 3:
            break
    rng.shuffle(clauses)
    clauses[1:] = [c[0].lower() + c[1:] if c.split()[0].lower() in _LOWER_OPENERS else c
                   for c in clauses[1:]]
    lead = ", and ".join(clauses) if clauses else "The story has been updated"
    return f"{lead[0].upper()}{lead[1:]}.", origins


def _version(article: Article, foreign: Article, rng: random.Random) -> tuple[str, str] | None:
    """An update: new lead, ~30% of paragraphs dropped, ~30% of sentences edited, 2-4 new
    paragraphs from ``foreign`` (more when they are too short to be a fifth of the update).

    The label is calibrated on the construction, not on dedup: at least 35% of the shorter
    text's sentences and three verbatim ones are kept, and neither text is 75% covered by
    the kept sentences and the new lead (so it is neither a near-duplicate nor a contained
    copy).
    """
    paras = _paragraphs(article.original_text or article.text)
    if _nsent(paras) < 8 or len(paras) < 5:
        return None
    extra = [p for p in _paragraphs(foreign.original_text or foreign.text)[1:]
             if len(_tokens(" ".join(p))) >= 8]
    if len(extra) < 2:
        return None
    source_tokens, source_sents = _ntok(paras), _nsent(paras)
    vocab = _vocab(paras)
    body = paras[1:]
    for _attempt in range(8):
        ndrop = max(1, round(0.3 * len(body)))
        dropped = set(rng.sample(range(len(body)), ndrop))
        kept = [list(p) for k, p in enumerate(body) if k not in dropped]
        spots = _editable(kept)
        edited = set(rng.sample(spots, round(0.3 * len(spots))))
        for i, j in edited:
            kept[i][j] = _edit_word(kept[i][j], rng, vocab)
        nextra = rng.randint(2, 4)
        start = rng.randrange(0, max(1, len(extra) - nextra + 1))
        added = [list(p) for p in extra[start:start + nextra]]
        text, origins = _new_lead(body, rng)
        lead = [[text]]
        # The lead reuses clauses, so count it as possibly shared: on the update's side the
        # lead, on the source's side the dropped sentences its clauses came from.
        kept_tokens = _ntok(kept) + _ntok(lead)
        gone = {s for k in dropped for s in body[k]}
        source_kept = sum(len(_tokens(s)) for k, p in enumerate(body) if k not in dropped
                          for s in p) + sum(len(_tokens(s)) for s in set(origins) & gone)
        # More new paragraphs while the kept ones still make up most of the update.
        more = extra[start + nextra:] + extra[:start]
        while kept_tokens / (kept_tokens + _ntok(added)) > 0.75 and more:
            added.append(list(more.pop(0)))
        new = lead + kept + added
        new_tokens = _ntok(new)
        shorter_sents = _nsent(new) if new_tokens < source_tokens else source_sents
        verbatim = _nsent(kept) - len(edited)
        if (
            source_kept / source_tokens <= 0.75
            and kept_tokens / new_tokens <= 0.75
            and _nsent(kept) / shorter_sents >= 0.35
            and verbatim >= 3
        ):
            return _join(new), (
                f"dropped {ndrop}/{len(body)} paragraphs, edited {len(edited)} sentences, "
                f"added {len(added)} from {foreign.id}, kept {source_kept / source_tokens:.0%}"
            )
    return None


# -- pairs -----------------------------------------------------------------------------------

_EVENT_ID = re.compile(r"^(?P<corpus>[a-z]+)-(?P<event>.+)-(?P<outlet>[a-z]+)$", re.I)
_BASE_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def _event(article: Article) -> str:
    """The event an id names ("basil-<event>-<outlet>"), else the article itself."""
    m = _EVENT_ID.match(article.id)
    return f"{m['corpus']}-{m['event']}".lower() if m else article.id


def _derived(source: Article, new_id: str, text: str) -> Article:
    """A new article from ``text``, normalized, published a day after its source."""
    published = (source.published or _BASE_DATE) + timedelta(days=1)
    return normalize_article(replace(source, id=new_id, text=text, original_text=text,
                                     url=None, published=published, path=None, line=None))


def _dated(article: Article) -> Article:
    return article if article.published else replace(article, published=_BASE_DATE)


def make_pairs(articles: Sequence[Article], seed: int = 0, *,
               per_kind: int = 100) -> list[LabelledPair]:
    """Labelled pairs: ``per_kind`` transformed copies per relation, then negatives.

    Negatives are every pair of outlets on one BASIL event (``basil-<event>-<outlet>``)
    and ``per_kind`` random pairs of articles about different events. Deterministic for
    a seed and an article order.
    """
    rng = random.Random(seed)
    arts = [_dated(a) for a in articles]
    shape = {a.id: _paragraphs(a.original_text or a.text) for a in arts}
    long_ = [a for a in arts if _nsent(shape[a.id]) >= 8]
    # New developments may come from any article about another event with paragraphs to spare.
    donors = [a for a in arts if len(shape[a.id]) >= 3]
    out: list[LabelledPair] = []
    used: Counter[str] = Counter()

    def new_id(source: Article, kind: str) -> str:
        base = f"{source.id}~{kind}"
        used[base] += 1
        return base if used[base] == 1 else f"{base}{used[base]}"

    def fill(label: Label, pool: list[Article], variants: Sequence[str],
             make: Callable[[Article, str], tuple[str, str] | None]) -> None:
        if not pool:
            return
        order = rng.sample(pool, len(pool))
        made, tries = 0, 0
        while made < per_kind and tries < 4 * per_kind + len(pool):
            source = order[tries % len(order)]
            variant = variants[made % len(variants)]
            tries += 1
            result = make(source, variant)
            if result is None:
                continue
            text, detail = result
            kind = f"{label}-{variant}" if len(variants) > 1 else label
            out.append(LabelledPair(source, _derived(source, new_id(source, kind), text),
                                    label, kind, detail))
            made += 1

    fill("exact", arts, ("verbatim", "noise", "wire"), lambda a, v: _exact(a, rng, v))
    fill("near-duplicate", arts, ("edit",), lambda a, v: _near_duplicate(a, rng))
    fill("contained", arts, ("lead", "excerpt"), lambda a, v: _contained(a, rng, v))

    def version(a: Article, _v: str) -> tuple[str, str] | None:
        others = [b for b in donors if _event(b) != _event(a)]
        return _version(a, rng.choice(others), rng) if others else None

    fill("version", long_, ("update",), version)

    events: dict[str, list[Article]] = {}
    for a in arts:
        if a.id.lower().startswith("basil-"):
            events.setdefault(_event(a), []).append(a)
    for members in events.values():
        members = sorted(members, key=lambda a: (a.published or _BASE_DATE, a.id))
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                out.append(LabelledPair(a, b, "none", "same-event"))

    seen: set[tuple[str, str]] = set()
    for _ in range(20 * per_kind):
        if len(seen) >= per_kind or len(arts) < 2:
            break
        a, b = rng.sample(arts, 2)
        key = (min(a.id, b.id), max(a.id, b.id))
        if _event(a) == _event(b) or key in seen:
            continue
        seen.add(key)
        a, b = sorted((a, b), key=lambda x: (x.published or _BASE_DATE, x.id))
        out.append(LabelledPair(a, b, "none", "random"))
    return out


# -- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RelationScores:
    """One relation scored as a class: how many were labelled, predicted, and both."""

    relation: str
    support: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    def to_dict(self) -> dict[str, Any]:
        return {"relation": self.relation, "support": self.support, "predicted": self.predicted,
                "correct": self.correct, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass(frozen=True, slots=True)
class FalseCopy:
    """A negative pair that dedup called related, with the passages it said they share."""

    source: str
    other: str
    kind: str
    predicted: str
    score: float
    passages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "other": self.other, "kind": self.kind,
                "predicted": self.predicted, "score": round(self.score, 4),
                "passages": list(self.passages)}


@dataclass(slots=True)
class DedupScores:
    """Per-relation precision/recall/F1, a confusion matrix and the false copies."""

    pairs: int
    relations: dict[str, RelationScores]
    related: RelationScores  # any relation versus none: does dedup see a copy at all?
    confusion: dict[str, dict[str, int]]  # gold label -> predicted label -> pairs
    by_kind: dict[str, dict[str, int]]  # how the pair was made -> predicted label -> pairs
    false_copies: list[FalseCopy]
    seconds: float = 0.0

    @property
    def macro_f1(self) -> float:
        scored = [s.f1 for s in self.relations.values() if s.support]
        return sum(scored) / len(scored) if scored else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "relations": {k: v.to_dict() for k, v in self.relations.items()},
            "related": self.related.to_dict(),
            "macro_f1": round(self.macro_f1, 4),
            "confusion": self.confusion,
            "by_kind": self.by_kind,
            "false_copies": [f.to_dict() for f in self.false_copies],
            "seconds": round(self.seconds, 3),
        }

    def format_text(self) -> str:
        lines = [f"{'relation':<16}{'gold':>6}{'pred':>6}{'ok':>6}"
                 f"{'precision':>11}{'recall':>8}{'f1':>8}"]
        for s in [*self.relations.values(), self.related]:
            lines.append(f"{s.relation:<16}{s.support:>6}{s.predicted:>6}{s.correct:>6}"
                         f"{s.precision:>11.3f}{s.recall:>8.3f}{s.f1:>8.3f}")
        lines.append(f"macro F1 over relations: {self.macro_f1:.3f}; {self.pairs} pairs "
                     f"in {self.seconds:.1f} s")
        lines += ["", "confusion (rows: label, columns: predicted)"]
        lines.append(f"{'':<16}" + "".join(f"{p[:8]:>10}" for p in LABELS))
        for gold, row in self.confusion.items():
            lines.append(f"{gold:<16}" + "".join(f"{row.get(p, 0):>10}" for p in LABELS))
        lines += ["", "by construction (rows: kind, columns: predicted)"]
        for kind, row in self.by_kind.items():
            lines.append(f"{kind:<22}" + "  ".join(f"{p}={n}" for p, n in row.items()))
        negatives = sum(self.confusion.get("none", {}).values())
        lines += ["", f"false copies: {len(self.false_copies)} of {negatives} negative pairs"]
        for f in self.false_copies:
            lines.append(f"  {f.source} ~ {f.other} ({f.kind}): {f.predicted} {f.score:.2f}")
            lines += [f"    | {p}" for p in f.passages]
        return "\n".join(lines)


def _predict(pair: LabelledPair, run: DedupFn) -> tuple[str, float, list[str]]:
    """What dedup says of the pair alone: the relation of the non-canonical one, or none."""
    records = {r.id: r for r in run([pair.source, pair.other])}
    a, b = records[pair.source.id], records[pair.other.id]
    if a.group != b.group:
        return "none", 0.0, []
    member = b if b.relation != "original" else a
    text = pair.other.text if member is b else pair.source.text
    snippets = []
    for p in member.passages:
        s = text[p.a_start:p.a_end]
        snippets.append(s if len(s) <= 160 else s[:157] + "...")
    return member.relation, member.score, snippets


def score_predictions(items: Sequence[tuple[LabelledPair, str, float, list[str]]],
                      seconds: float = 0.0) -> DedupScores:
    """Scores from (pair, predicted relation, score, shared passages) tuples."""
    confusion: dict[str, dict[str, int]] = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    by_kind: dict[str, Counter[str]] = {}
    false_copies: list[FalseCopy] = []
    for pair, predicted, score, passages in items:
        confusion[pair.label][predicted] = confusion[pair.label].get(predicted, 0) + 1
        by_kind.setdefault(pair.kind, Counter())[predicted] += 1
        if pair.label == "none" and predicted != "none":
            false_copies.append(FalseCopy(pair.source.id, pair.other.id, pair.kind, predicted,
                                          score, passages))
    relations: dict[str, RelationScores] = {
        r: RelationScores(r, sum(confusion[r].values()),
                          sum(row.get(r, 0) for row in confusion.values()), confusion[r][r])
        for r in RELATIONS
    }
    related = RelationScores(
        "any-relation",
        sum(sum(confusion[r].values()) for r in RELATIONS),
        sum(n for row in confusion.values() for p, n in row.items() if p != "none"),
        sum(n for r in RELATIONS for p, n in confusion[r].items() if p != "none"),
    )
    return DedupScores(
        pairs=len(items),
        relations=relations,
        related=related,
        confusion=confusion,
        by_kind={k: dict(sorted(v.items())) for k, v in by_kind.items()},
        false_copies=false_copies,
        seconds=seconds,
    )


def evaluate_pairs(pairs: Sequence[LabelledPair], *,
                   dedup_fn: DedupFn | None = None) -> DedupScores:
    """Run dedup on each pair alone and score the relation it reports against the label."""
    run: DedupFn = dedup_fn or (lambda batch: _dedup(batch))
    start = perf_counter()
    items = [(pair, *_predict(pair, run)) for pair in pairs]
    return score_predictions(items, perf_counter() - start)


def eval_dedup(corpus_dirs: Sequence[Path], per_kind: int = 100, seed: int = 0) -> DedupScores:
    """Read ``<dir>/articles.jsonl`` of each corpus, make labelled pairs and score dedup."""
    from ..pipeline import read  # the whole pipeline module is only needed here

    start = perf_counter()
    articles: list[Article] = []
    for d in corpus_dirs:
        articles += read(Path(d) / "articles.jsonl")
    scores = evaluate_pairs(make_pairs(articles, seed, per_kind=per_kind))
    scores.seconds = perf_counter() - start
    return scores
