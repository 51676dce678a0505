"""Article features for story clustering: weighted terms and proper-noun phrases.

Cheap by design (regular expressions): the clustering stage must keep up with a
feed. Names in the body are proper-noun phrases; the title's names are those phrases
plus, when given, spaCy's named entities (``_entities``), computed by the caller in
batches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from .._stopwords import english_stop_words
from ..model import Article

__all__ = ["FeatureConfig", "article_features", "raw_features"]

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d[\d,.]*\d|\d")
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")  # "100th" -> "100"
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
    for w in _WORD.findall(_ORDINAL.sub(r"\1", text)):
        lw = w.lower()
        if lw.endswith("'s"):  # possessive: "Biden's" is "Biden"
            lw = lw[:-2]
        if lw in stop or len(lw) < 2:
            continue
        lw = _stem(lw)
        if lw not in stop:  # "days" is "day", a stop word
            out.append(lw)
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


def _title_case(title: str) -> bool:
    """Most content words capitalised: capitals there say nothing about names."""
    words = [w for w in _WORD.findall(title) if w[0].isalpha() and w.lower() not in _stop()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


_DEFAULT = FeatureConfig()


def _title_entities(title: str, body_entities: list[str]) -> list[str]:
    entities = _entities(title)
    if _title_case(title):  # "Biden's 1st 100 Days: A Look By The Numbers": only known names
        known = set(body_entities)
        entities = [e for e in entities if e in known]
    return entities


def article_features(
    article: Article, config: FeatureConfig = _DEFAULT, entities: Sequence[str] = ()
) -> tuple[dict[str, float], set[str]]:
    """Sublinear term weights by field before IDF (``1 + log(weighted tf)``), and the
    title's own terms and names (for the title-to-titles similarity).

    ``entities`` are the title's named entities as feature names (``@name``, see
    ``_entities.tag_titles``); they join the title's proper-noun phrases, each name
    counted once."""
    counts: dict[str, float] = {}
    title = article.title or ""
    body = article.text
    words = body.split()
    lead = " ".join(words[: config.lead_words])
    title_terms = _terms(title)
    for t in title_terms:
        counts[t] = counts.get(t, 0.0) + config.title_weight
    for t in _terms(lead):
        counts[t] = counts.get(t, 0.0) + config.lead_weight - 1.0
    for t in _terms(body):
        counts[t] = counts.get(t, 0.0) + 1.0
    body_entities = _entities(body)
    title_entities = _title_entities(title, body_entities)
    if entities:
        title_entities = list(dict.fromkeys([*title_entities, *entities]))
    for e in title_entities:
        counts[e] = counts.get(e, 0.0) + config.title_weight * config.entity_weight
    for e in body_entities:
        counts[e] = counts.get(e, 0.0) + config.entity_weight
    raw = {t: 1.0 + math.log(c) for t, c in counts.items() if c > 0}
    return raw, set(title_terms) | set(title_entities)


def raw_features(
    article: Article, config: FeatureConfig = _DEFAULT, entities: Sequence[str] = ()
) -> dict[str, float]:
    """Sublinear term weights by field, before IDF: ``1 + log(weighted tf)``."""
    return article_features(article, config, entities)[0]
