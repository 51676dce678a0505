"""Article features for story clustering: weighted terms and proper-noun phrases.

Cheap by design (regular expressions, no parser): the clustering stage must
keep up with a feed. Proper-noun phrases stand in for named entities here; the
brief, which runs on one story at a time, uses spaCy's NER.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from .._stopwords import english_stop_words
from ..model import Article

__all__ = ["FeatureConfig", "raw_features"]

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d[\d,.]*\d|\d")
_CAP_PHRASE = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:[ -][A-Z][a-z]+)*)")
_EXTRA_STOP = frozenset({
    "said", "says", "say", "told", "would", "could", "also", "according", "year", "years",
    "new", "one", "two", "just", "like", "people", "time", "percent", "mr", "mrs", "ms",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "week",
    "day", "today", "yesterday", "month", "including", "news", "reuters",
})
_EXTRA_CAP_STOP = frozenset({
    "The", "But", "And", "In", "On", "At", "For", "With", "After", "Before", "When", "While",
    "If", "As", "It", "He", "She", "They", "We", "This", "That", "There", "His", "Her",
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "Associated", "Press", "Fox", "News", "Times",
})


@cache
def _stop() -> frozenset[str]:
    return english_stop_words() | _EXTRA_STOP


@cache
def _cap_stop() -> frozenset[str]:
    return frozenset(w.capitalize() for w in _stop()) | _EXTRA_CAP_STOP


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Field and entity weights (part of the fitted clustering parameters)."""

    title_weight: float = 3.0
    lead_weight: float = 2.0
    lead_words: int = 60
    entity_weight: float = 1.5


def _stem(word: str) -> str:
    """A light plural fold ("talks" -> "talk"), enough to match across outlets."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _terms(text: str) -> list[str]:
    out = []
    stop = _stop()
    for w in _WORD.findall(text):
        lw = w.lower()
        if lw in stop or len(lw) < 2:
            continue
        out.append(_stem(lw))
    return out


def _entities(text: str) -> list[str]:
    out = []
    cap_stop = _cap_stop()
    for m in _CAP_PHRASE.finditer(text):
        phrase = m.group(1)
        words = [w for w in re.split(r"[ -]", phrase) if w not in cap_stop]
        if not words:
            continue
        out.append("@" + "_".join(w.lower() for w in words))
        if len(words) > 1:  # "Kelly Cusinato" also matches a later bare "Cusinato"
            out.append("@" + words[-1].lower())
    return out


_DEFAULT = FeatureConfig()


def raw_features(article: Article, config: FeatureConfig = _DEFAULT) -> dict[str, float]:
    """Sublinear term weights by field, before IDF: ``1 + log(weighted tf)``."""
    counts: dict[str, float] = {}
    title = article.title or ""
    body = article.text
    words = body.split()
    lead = " ".join(words[: config.lead_words])
    for t in _terms(title):
        counts[t] = counts.get(t, 0.0) + config.title_weight
    for t in _terms(lead):
        counts[t] = counts.get(t, 0.0) + config.lead_weight - 1.0
    for t in _terms(body):
        counts[t] = counts.get(t, 0.0) + 1.0
    for e in _entities(title):
        counts[e] = counts.get(e, 0.0) + config.title_weight * config.entity_weight
    for e in _entities(body):
        counts[e] = counts.get(e, 0.0) + config.entity_weight
    return {t: 1.0 + math.log(c) for t, c in counts.items() if c > 0}
