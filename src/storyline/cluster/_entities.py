"""Named entities of titles, from spaCy's NER, as clustering features.

Why titles only: the title names the event's actors; NER on whole bodies would cost
10 to 50 times more than the rest of the stage, while the body's names are already
caught, cheaply, as proper-noun phrases (``_features``). spaCy adds what capitals alone
cannot tell: a name opening a sentence, names in Title Case headlines, and the type of
a phrase (a person or a place, not a weekday). Titles are tagged in batches, since spaCy
is three times faster on a batch than on one title at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .._nlp import load_ner

__all__ = ["KEPT_LABELS", "entity_names", "tag_title", "tag_titles"]

# Names of actors, places and things; not dates, amounts or ordinals, which
# recur across unrelated events.
KEPT_LABELS = frozenset({
    "PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT", "LAW", "WORK_OF_ART",
})
_SPLIT = re.compile(r"[\s\-]+")
BATCH = 256


def entity_names(text: str, label: str) -> list[str]:
    """Feature names for one entity: ``@joe_biden`` and, for a person, ``@biden`` too,
    the same spelling as the proper-noun phrases so that title and body names meet."""
    words = [w for w in _SPLIT.split(text.replace("\u2019", "'")) if w]
    if words and words[0].lower() == "the":
        words = words[1:]
    words = [w[:-2] if w.lower().endswith("'s") else w for w in words]
    words = [w.lower() for w in words if w and w[0].isalnum()]
    if not words:
        return []
    out = ["@" + "_".join(words)]
    if label == "PERSON" and len(words) > 1:  # "Joe Biden" is also a later bare "Biden"
        out.append("@" + words[-1])
    return out


def _names(doc: object) -> list[str]:
    out: list[str] = []
    for ent in doc.ents:  # type: ignore[attr-defined]
        if ent.label_ in KEPT_LABELS:
            out.extend(n for n in entity_names(ent.text, ent.label_) if n not in out)
    return out


def tag_titles(titles: Iterable[str], batch_size: int = BATCH) -> Iterator[list[str]]:
    """Entity feature names for each title, in order (lazily, one batch at a time)."""
    nlp = load_ner()
    for doc in nlp.pipe((t or "" for t in titles), batch_size=batch_size):
        yield _names(doc)


def tag_title(title: str) -> list[str]:
    """One title (a stream's single arrival)."""
    return next(tag_titles([title]))
