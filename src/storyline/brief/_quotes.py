"""Quotations, their speakers and the speakers' roles.

Quoted text is found by its quotation marks, or, where a copy lost them, as a
first-person clause attributed with "..., X said." The speaker is the person
named next to a speech verb (spaCy's PERSON entities, with a proper-name
fallback); "he said" takes the article's previous speaker. The role is the
title before the name ("GM spokeswoman", "Credit Suisse analyst") or the
apposition after it (", a spokeswoman for Halvorsen,").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["RawQuote", "find_quotes"]

_QUOTED = re.compile(r'"([^"]{12,})"')
_MIN_QUOTE_WORDS = 4
_SPEECH = re.compile(r"\b(?:said|says|say|told|added|adds|stated|wrote|warned|according to|"
                     r"explained|noted|argued|insisted|declared|asked)\b")
_ATTRIB_END = re.compile(r",\s+([^,]{2,80}?)\s+(?:said|says|added|told \w+)\.?$")
_FIRST_PERSON = re.compile(r"^(?:I|We|Our|My|Us)\b|\b(?:we|our|I|us)\b")
_ROLE_NOUN = re.compile(
    r"\b(?:spokes(?:wo)?man|spokesperson|analysts?|minister|secretary|chief executive|CEO|"
    r"chief|president|director|chairman|chairwoman|chair|official|officer|head|manager|"
    r"economist|strategist|professor|mayor|governor|senator|lawmaker|representative|leader|"
    r"founder|partner|lawyer|attorney|judge|commissioner|adviser|advisor|councillor|"
    r"councilor|member|researcher|expert|trader|owner|executive|engineer|inspector|"
    r"coach|captain|ambassador|general|commander|chancellor|premier|prime minister)\b",
    re.I,
)
_NAME = re.compile(r"\b([A-Z][a-z]+(?:[ -][A-Z][a-z'\-]+){1,3})\b")
_PRONOUN_SPEECH = re.compile(r"\b(?:he|she)\s+(?:said|says|added|told)\b|"
                             r"\b(?:said|says|added)\s+(?:he|she)\b", re.I)


@dataclass(slots=True)
class RawQuote:
    start: int  # quote span in the article text
    end: int
    sentence_start: int
    sentence_end: int
    speaker: str | None
    role: str | None


_ROLE_STOP = frozenset({"said", "says", "and", "the", "a", "an", "by", "to", "according", "that",
                        "while", "but", "of", "in", "on", "at", "with", "for", "statement",
                        "told", "added", "interview", "note", "radio"})


def _role_before(sentence: str, name_start: int) -> str | None:
    """Title words right before the name: capitalised words, role nouns, "-based" adjectives."""
    words = sentence[:name_start].split()
    role: list[str] = []
    for w in reversed(words[-6:]):
        bare = w.strip(",;:()\"'")
        if bare != w and role:  # punctuation ends the title
            break
        if not bare or bare.lower() in _ROLE_STOP:
            break
        if bare[0].isupper() or _ROLE_NOUN.fullmatch(bare) or bare.endswith("-based"):
            role.insert(0, bare)
        else:
            break
    text = " ".join(role)
    return text if text and _ROLE_NOUN.search(text) else None


def _role_after(sentence: str, name_end: int) -> str | None:
    m = re.match(r",\s+((?:a|an|the)\s+[^,]{3,80}?|[a-z][^,]{3,60}?),", sentence[name_end:])
    if m and _ROLE_NOUN.search(m.group(1)):
        return m.group(1)
    m = re.match(r"\s+(of\s+[A-Z][^,.]{2,60})", sentence[name_end:])
    return m.group(1) if m else None


def _speaker(sentence: str, persons: list[tuple[int, int]], quote: tuple[int, int]
             ) -> tuple[str | None, str | None]:
    """The person nearest a speech verb outside the quote, with a role."""
    outside = [(s, e) for s, e in persons if e <= quote[0] or s >= quote[1]]
    if not outside:
        outside = [m.span(1) for m in _NAME.finditer(sentence)
                   if m.end(1) <= quote[0] or m.start(1) >= quote[1]]
    verbs = [m.start() for m in _SPEECH.finditer(sentence)
             if m.end() <= quote[0] or m.start() >= quote[1]]
    if not outside or not verbs:
        return None, None
    s, e = min(outside, key=lambda p: min(abs(p[0] - v) for v in verbs))
    name = sentence[s:e]
    return name, _role_before(sentence, s) or _role_after(sentence, e)


def _titled_names(sentence: str) -> list[tuple[int, int]]:
    """Names with a title before them ("analyst Erich Hauser"), for sentences NER did not read."""
    return [m.span(1) for m in _NAME.finditer(sentence) if _role_before(sentence, m.start(1))]


def find_quotes(
    text: str,
    spans: list[tuple[int, int]],
    persons: dict[int, list[tuple[int, int]]],
) -> list[RawQuote]:
    """Quotes in one article; ``persons`` maps a sentence index to its PERSON spans."""
    out: list[RawQuote] = []
    last_person: tuple[str | None, str | None] = (None, None)
    for n, (ss, se) in enumerate(spans):
        sentence = text[ss:se]
        found: list[tuple[int, int]] = [m.span(1) for m in _QUOTED.finditer(sentence)
                                        if len(m.group(1).split()) >= _MIN_QUOTE_WORDS]
        if not found:
            m = _ATTRIB_END.search(sentence)
            if m and _FIRST_PERSON.search(sentence[: m.start()]) and m.start() > 30:
                found = [(0, m.start())]
        for qs, qe in found:
            speaker, role = _speaker(sentence, persons.get(n, []), (qs, qe))
            if speaker is None and _PRONOUN_SPEECH.search(sentence):
                speaker, role = last_person  # "..., he said": the last person named
            elif (speaker is None and out and out[-1].sentence_end < ss + qs
                  and not sentence[:qs].strip(' "') and not sentence[qe:].strip(' ."')):
                # a sentence that only continues the previous quotation
                speaker, role = out[-1].speaker, out[-1].role
            out.append(RawQuote(ss + qs, ss + qe, ss, se, speaker, role))
        named = persons.get(n, []) or _titled_names(sentence)
        if named:
            s, e = named[-1]
            last_person = (sentence[s:e], _role_before(sentence, s) or _role_after(sentence, e))
        elif found and out[-1].speaker:
            last_person = (out[-1].speaker, out[-1].role)
    return out
