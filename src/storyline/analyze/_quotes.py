"""Direct quotations, their speakers and the speakers' roles.

Quotations are found by their double quotation marks over the whole text
(normalization has made them straight), paired per paragraph; a quotation still
open at a paragraph's end stops there, and the next paragraph's opening mark
continues it (the speaker carries over), as news style runs a long quotation over
several paragraphs. A quotation open at the end of a truncated text stops before
the closing "...".

Not every quoted span is speech. A span is left out as a *title* when it is a
capitalised name after "on", "told", "titled", "book", "show" and the like
("said on "Face the Nation""), and as a *scare quote* when a word such as
"so-called", "the term", "the words", "dubbed" introduces it, or when a short
phrase (three words or fewer) has no attribution anywhere near it.

The speaker comes from spaCy's dependency parse of the sentences that hold the
quotation (only those, and the sentence after a quotation that stands alone, are
parsed): the subject of the nearest speech verb outside the quotation ("said",
"told", "added", "wrote", "according to", "called", ...), after the quotation
first, then before it. The subject becomes a speaker as follows:

* a name (PERSON or ORG entity, or a proper noun with its compounds) is the
  speaker, without honorifics ("Ms.", "Mr.") and expanded to the fuller form the
  article used before ("Biden" after "Joe Biden");
* "he"/"she" is the nearest preceding named person who was a subject (else any
  named person), outside quotations; "it" the nearest preceding organisation;
* a role noun with a definite article ("the spokeswoman", "the company") is the
  nearest preceding named person whose title or apposition holds that noun (a
  preceding organisation for "the company", "the agency", ...);
* "a statement from the White House said" takes the name after "from"/"by", a
  possessive ("Trump's statement") its owner;
* anything else (an unnamed "official", "critics", a pronoun with no antecedent)
  gives no speaker: null when the text does not say.

A quotation with no speech verb in its sentences takes the speaker of the
quotation it continues (the same paragraph's previous one, or the previous
paragraph's when it opens its paragraph), else of the next sentence when that
is an attribution ("... ." He said ...). The role is the title before the name
("GM spokeswoman") or the apposition after it (", a spokeswoman for X,").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RawQuote", "find_quotes", "quote_spans", "sentences_to_parse"]

def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ROLE_NOUN = re.compile(
    r"\b(?:spokes(?:wo)?man|spokesperson|analysts?|minister|secretary|chief executive|CEO|"
    r"chief|president|director|chairman|chairwoman|chair|official|officer|head|manager|"
    r"economist|strategist|professor|mayor|governor|senator|lawmaker|representative|leader|"
    r"founder|partner|lawyer|attorney|judge|commissioner|adviser|advisor|councillor|"
    r"councilor|member|researcher|expert|trader|owner|executive|engineer|inspector|"
    r"coach|captain|ambassador|general|commander|chancellor|premier|prime minister|"
    r"democrat|republican|candidate|congressman|congresswoman|speaker|nominee|aide|"
    r"front-runner|frontrunner|host|author|activist|organizer|organiser|witness|victim|"
    r"father|mother|son|daughter|wife|husband|businessman|businesswoman|billionaire)\b",
    re.I,
)
_NAME = re.compile(r"\b([A-Z][a-z]+(?:[ -][A-Z][a-z'\-]+){1,3})\b")

# speech verbs, as word forms (the pipeline runs without a lemmatizer)
_SPEECH_STEMS = _set("""say said says saying tell told tells telling add added adds adding
ask asked asks asking write wrote writes writing written tweet tweeted tweets tweeting
state stated states explain explained explains note noted notes argue argued argues
insist insisted insists declare declared declares warn warned warns claim claimed claims
announce announced announces call called calls calling describe described describes
describing reply replied replies respond responded responds recall recalled recalls
acknowledge acknowledged acknowledges admit admitted admits complain complained complains
suggest suggested suggests urge urged urges vow vowed vows accuse accused accuses praise
praised praises predict predicted predicts conclude concluded concludes testify testified
post posted posts quip quipped joke joked concede conceded concedes contend contended
contends assert asserted asserts charge charged counter countered emphasize emphasized
emphasised stress stressed stresses continue continued continues remark remarked
observe observed mention mentioned promise promised promises pledge pledged pledges
thank thanked demand demanded demands lament lamented boast boasted boasts
report reported reports confirm confirmed confirms deny denied denies agree agreed
disagree disagreed label labeled labelled labels brand branded dub dubbed question
questioned yell yelled shout shouted cry cried chant chanted read reads recounted
recount recounts speak spoke speaks telling characterize characterized characterise
characterised criticize criticized criticise criticised blast blasted slam slammed
decry decried condemn condemned hail hailed welcome welcomed
""")
_SPEECH = _SPEECH_STEMS


def _is_speech(word: str, verb: bool = True) -> bool:
    """A speech verb in any inflection ("claiming", "railed", "urges"); derived forms only
    as verbs, since "saying" or "warning" as nouns are no attribution."""
    w = word.lower()
    if w in _SPEECH:
        return True
    if not verb:
        return False
    for suf in ("ing", "ied", "ies", "ed", "es", "s", "d"):
        if w.endswith(suf) and len(w) > len(suf) + 2:
            stem = w[:-len(suf)]
            cands = {stem, stem + "e"}
            if suf in ("ied", "ies"):
                cands.add(stem + "y")
            if len(stem) > 2 and stem[-1] == stem[-2]:
                cands.add(stem[:-1])  # "slammed", "quipping"
            if cands & _SPEECH:
                return True
    return False
_ATTRIBUTION_HINT = re.compile(
    r"\b(?:" + "|".join(sorted(_SPEECH, key=len, reverse=True)) + r"|according to)\b", re.I)
_PRONOUNS = {"he": "person", "she": "person", "him": "person", "her": "person",
             "it": "org"}
_ORG_NOUNS = _set("""company firm agency department ministry campaign committee
group organization organisation office administration government party board union
council court commission bank network association coalition service bureau army
police giant platform site outlet newspaper paper magazine station channel retailer
chain automaker carmaker maker manufacturer startup corporation conglomerate lender
insurer airline carrier regulator watchdog panel institute university school club team
league foundation charity hospital church embassy military parliament""")
_DOC_NOUNS = _set("""statement release post tweet letter report memo email message
note filing complaint lawsuit op-ed editorial blog interview speech remarks video
announcement""")
_HONORIFICS = _set("""mr mr. mrs mrs. ms ms. miss dr dr. sir dame prof prof.""")
_TITLE_WORDS = _set("""president vice former sen sen. senator rep rep. representative
gov gov. governor secretary minister prime chancellor mayor judge justice gen gen.
general adm adm. col col. lt lt. sgt sgt. capt capt. captain rev rev. reverend chairman
chairwoman leader attorney speaker dr dr. house minority majority whip state
president-elect first lady""")
_NOT_NAMES = _set("""but and or so then in on at after before when while if as the a
an this that these those january february march april may june july august september
october november december monday tuesday wednesday thursday friday saturday sunday
today yesterday last next""")
_NUMERIC = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})
_NOT_SPEAKERS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT",
                           "QUANTITY", "WORK_OF_ART", "LAW", "EVENT", "LANGUAGE"})

# a title or scare quotation is introduced by one of these words
_TITLE_CUE = re.compile(
    r"(?:\b(?:on|titled|entitled|headlined|called|named|book|memoir|novel|show|program|"
    r"programme|podcast|film|movie|song|album|page|column|article|headline|line|series|"
    r"episode|told|to|appeared on|hosting)|[A-Z][\w&.]*'s)\s*,?\s*$")
_SCARE_CUE = re.compile(
    r"\b(?:so-called|the terms?|the words?|the phrase|the label|the slogan|the expression|"
    r"the refrain|the motto|the hashtag|dubbed|nicknamed|known as|alleged|a|an|the lone|"
    r"definition of|the notion of|the idea of|the concept of)\s*$", re.I)
_SHORT = 3


@dataclass(slots=True)
class RawQuote:
    start: int  # quote span in the article text
    end: int
    sentence_start: int
    sentence_end: int
    speaker: str | None
    role: str | None


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    continues: bool  # opens a paragraph and continues the previous paragraph's quote
    para_start: int
    para_end: int


def quote_spans(text: str) -> list[_Span]:
    """Double-quoted spans (content without the marks), paired per paragraph."""
    out: list[_Span] = []
    pos = 0
    carried = False  # the previous paragraph ended inside a quotation
    for para in re.split(r"(\n+)", text):
        if not para or para.startswith("\n"):
            pos += len(para)
            continue
        ps, pe = pos, pos + len(para)
        pos = pe
        open_at: int | None = None
        first = True
        ended_open = False
        for m in (ps + x.start() for x in re.finditer('"', para)):
            if open_at is None:
                nxt = text[m + 1] if m + 1 < len(text) else " "
                prev = text[m - 1] if m > 0 else " "
                # a lone closing mark (after a word, before a space) is a stray: skip it
                if nxt.isspace() and not prev.isspace() and m + 1 < pe:
                    continue
                open_at = m
            else:
                if m > open_at + 1:
                    cont = carried and first and not text[ps:open_at].strip()
                    out.append(_Span(open_at + 1, m, cont, ps, pe))
                    first = False
                open_at = None
        if open_at is not None:
            tail = text[open_at + 1:pe].rstrip()
            if not text[pe:].strip():  # a truncated text: the quotation stops before "..."
                tail = re.sub(r"\s*(?:\.\.\.|\u2026)$", "", tail)
            if tail.strip():
                cont = carried and first and not text[ps:open_at].strip()
                out.append(_Span(open_at + 1, open_at + 1 + len(tail), cont, ps, pe))
                ended_open = True
        carried = ended_open
    return out


_ATTRIB_END = re.compile(r",\s+([^,]{2,80}?)\s+(?:said|says|added|told \w+)\.?$")
_FIRST_PERSON = re.compile(r"^(?:I|We|Our|My|Us)\b|\b(?:we|our|I|us)\b")


def _unmarked(text: str, spans: list[tuple[int, int]]) -> list[_Span]:
    """Quotations a copy printed without marks: a first-person clause closed by
    "..., X said." in a sentence with no quotation mark."""
    out = []
    for ss, se in spans:
        sentence = text[ss:se]
        if '"' in sentence:
            continue
        m = _ATTRIB_END.search(sentence)
        if m and m.start() > 30 and _FIRST_PERSON.search(sentence[:m.start()]):
            ps = text.rfind("\n", 0, ss) + 1
            pe = text.find("\n", se)
            out.append(_Span(ss, ss + m.start(), False, ps, len(text) if pe < 0 else pe))
    return out


def _all_quotes(text: str, spans: list[tuple[int, int]]) -> list[_Span]:
    return sorted(quote_spans(text) + _unmarked(text, spans), key=lambda q: q.start)


def _words(s: str) -> list[str]:
    return re.findall(r"[\w'&.-]+", s)


def _is_title_case(q: str) -> bool:
    words = [w for w in _words(q) if any(c.isalpha() for c in w)]
    if not words or len(words) > 10 or not words[0][0].isupper():
        return False
    long_ = [w for w in words if len(w) >= 4]
    return bool(long_) and all(w[0].isupper() for w in long_)


def _kind(text: str, sp: _Span, sentence: str) -> str:
    """direct, scare or title (see the module docstring)."""
    q = text[sp.start:sp.end]
    before = text[max(sp.para_start, sp.start - 60):sp.start - 1]
    words = _words(q)
    if _is_title_case(q) and _TITLE_CUE.search(before) and len(words) <= 10 and not q.rstrip(
            ",.").endswith(("?", "!")) and not re.search(r"\b(?:I|we|you|my|our)\b", q):
        return "title"
    if len(words) <= _SHORT + 1 and _SCARE_CUE.search(before) and not re.search(
            r"(?<!so-)\b(?:called|call|calls|calling|described|describes)\s+(?:it|them|him|her|"
            r"this|that|the\s+\w+)?\s*(?:as\s+)?(?:a|an|the)?\s*$", before, re.I):
        return "scare"
    if len(words) <= _SHORT:
        outside = sentence.replace(q, " ")
        if not _ATTRIBUTION_HINT.search(outside):
            return "scare"
    return "direct"


def sentences_to_parse(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """Sentence indices the attribution needs parsed: those holding a quotation, the one
    before each (where the antecedent of "he" is named), and the one after a sentence that
    is all quotation."""
    quotes = _all_quotes(text, spans)
    out: set[int] = set()
    j = 0
    for n, (ss, se) in enumerate(spans):
        inside = [q for q in quotes[j:] if q.start < se and q.end > ss]
        while j < len(quotes) and quotes[j].end <= ss:
            j += 1
        if not inside:
            continue
        out.add(n)
        if n > 0:
            out.add(n - 1)  # who "he" is: usually named just before
        rest = text[ss:se]
        for q in inside:
            rest = rest.replace(text[q.start:q.end], " ")
        if not re.search(r"[A-Za-z]{2,}", rest) and n + 1 < len(spans):
            out.add(n + 1)
    return sorted(out)


# -- names --------------------------------------------------------------------------------

def _clean_name(name: str) -> str | None:
    words = name.replace("\u2019", "'").split()
    while words and (words[0].lower() in _NOT_NAMES or words[0].lower() in _HONORIFICS):
        words = words[1:]
    while words and words[-1].lower().strip(",.") in _NOT_NAMES:
        words = words[:-1]
    if words and words[-1].endswith("'s"):
        words[-1] = words[-1][:-2]
    name = " ".join(w.strip(",;:") for w in words).strip()
    if not name or not name[0].isupper() or len(name) < 2:
        return None
    return name


def _strip_titles(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[0].lower() in _TITLE_WORDS:
        words = words[1:]
    return " ".join(words)


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


@dataclass(slots=True)
class _Mention:
    pos: int  # offset in the article
    name: str
    kind: str  # person | org
    subject: bool  # grammatical subject (or speaker) where it occurs
    role: str  # the title before the name or the apposition after it


class _Article:
    """Named mentions outside quotations, in text order, for resolving pronouns and roles."""

    def __init__(self, text: str, quotes: list[_Span], starts: list[int]) -> None:
        self.text = text
        self.starts = starts
        self.quotes = quotes
        self.mentions: list[_Mention] = []
        self.last_speaker: _Speaker | None = None

    def reconcile(self) -> None:
        """One kind per name: a surname of a named person is a person ("Fox" the ex-president,
        though NER read an organisation)."""
        for m in self.mentions:
            # NER reads many names as organisations; a person's title or a "who" clause
            # says otherwise ("Strzok attorney Jo Lind", "Jo Lind, who was president")
            if m.kind == "org" and len(m.name.split()) <= 3 and not (
                    set(m.name.lower().split()) & _ORG_NOUNS) and (
                    m.role.startswith("who ") or _ROLE_NOUN.search(m.role)):
                m.kind = "person"
        people = {m.name.split()[-1] for m in self.mentions if m.kind == "person"}
        for m in self.mentions:
            if m.kind == "org" and m.name.split()[-1] in people and len(m.name.split()) <= 3:
                m.kind = "person"

    def known(self, name: str) -> _Mention | None:
        """An earlier mention with this name or surname."""
        last = name.split()[-1]
        return next((m for m in reversed(self.mentions)
                     if m.name == name or m.name.split()[-1] == last), None)

    def inside_quote(self, pos: int) -> bool:
        return any(q.start <= pos < q.end for q in self.quotes)

    def add(self, m: _Mention) -> None:
        if not self.inside_quote(m.pos):
            bisect.insort(self.mentions, m, key=lambda x: x.pos)

    def full_name(self, name: str, pos: int) -> str:
        """The longest earlier form of a name ending with ``name`` ("Joe Biden" for "Biden")."""
        best = name
        for m in self.mentions:
            if m.pos >= pos:
                continue
            if m.name.endswith(" " + name) and len(m.name) > len(best) and len(m.name.split()) <= 4:
                best = m.name
        return best

    def sentence_of(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos) - 1

    def antecedent(self, pos: int, kind: str, role: str | None = None) -> _Mention | None:
        """The named person (or organisation) "he" (or "it") at ``pos`` stands for: the first
        one named in the nearest sentence before that names one (a sentence's first name is
        mostly its subject); with ``role``, the nearest one holding that title."""
        before = [m for m in self.mentions if m.pos < pos and m.kind == kind]
        if role is not None:
            word = re.compile(rf"\b{re.escape(role)}\b")  # "president", not "presidential"
            return next((m for m in reversed(before) if word.search(m.role.lower())), None)
        if not before:
            return None
        n = self.sentence_of(before[-1].pos)
        there = [m for m in before if self.sentence_of(m.pos) == n]
        return next((m for m in there if m.subject), there[0])


def _ent_kind(label: str) -> str | None:
    # a NORP ("Republicans") is a group: a speaker when named, never what "it" or "the
    # company" stands for
    return {"PERSON": "person", "ORG": "org", "NORP": "group"}.get(label)


def _collect_mentions(art: _Article, docs: Mapping[int, Any], spans: list[tuple[int, int]],
                      persons: Mapping[int, list[tuple[int, int, str]]]) -> None:
    text = art.text
    guessed: list[_Mention] = []
    for n, (ss, se) in enumerate(spans):
        doc = docs.get(n)
        sentence = text[ss:se]
        if doc is not None:
            for ent in doc.ents:
                kind = _ent_kind(ent.label_)
                if kind is None:
                    continue
                name = _clean_name(ent.text)
                if name is None:
                    continue
                subject = any(t.dep_ in ("nsubj", "nsubjpass") for t in ent)
                role = (_role_before(sentence, ent.start_char)
                        or _role_after(sentence, ent.end_char) or "")
                art.add(_Mention(ss + ent.start_char, name, kind, subject, role))
            # a subject name NER did not mark ("Schiff, in response, said"): most are people
            for t in doc:
                if t.dep_ not in ("nsubj", "nsubjpass") or not (
                        t.pos_ == "PROPN" or _capitalised_noun(t)) or t.ent_type_:
                    continue
                s, e, _ = _name_span(t)
                name = _clean_name(_strip_titles(doc.text[s:e]))
                if name is None or _is_title(name) or name.lower() in _NOT_NAMES:
                    continue
                role = _role_before(sentence, s) or _role_after(sentence, e) or ""
                guessed.append(_Mention(ss + s, name, "person", True, role))
        else:
            for s, e, label in persons.get(n, []):
                kind = _ent_kind(label)
                name = _clean_name(sentence[s:e])
                if name and kind:
                    role = _role_before(sentence, s) or _role_after(sentence, e) or ""
                    # a name first in its sentence is, most often, its subject
                    subject = not sentence[:s].strip(' "(')
                    art.add(_Mention(ss + s, name, kind, subject, role))
    kinds = {m.name: m.kind for m in art.mentions}
    for m in guessed:
        m.kind = kinds.get(m.name, "person")
        art.add(m)
    art.mentions.sort(key=lambda m: m.pos)
    art.reconcile()


# -- attribution --------------------------------------------------------------------------

def _name_span(tok: Any) -> tuple[int, int, str | None]:
    """Character span (in the doc) and entity kind of the name a token heads."""
    doc = tok.doc
    if tok.ent_type_ and tok.ent_type_ not in _NOT_SPEAKERS:
        for ent in doc.ents:
            if ent.start <= tok.i < ent.end:
                return ent.start_char, ent.end_char, _ent_kind(ent.label_)
    parts = [t for t in tok.subtree if t.i <= tok.i and (t.dep_ in ("compound", "flat")
                                                          or t.i == tok.i) and t.pos_ == "PROPN"]
    if not parts:
        return tok.idx, tok.idx + len(tok.text), None
    lo = min(t.idx for t in parts)
    return lo, tok.idx + len(tok.text), None


def _subject_of(verb: Any, outside: Any = lambda t: True) -> Any | None:
    """The token that says what ``verb`` reports: its subject outside the quotation, up the
    tree for a participle or a conjoined verb; None when the parse gives none."""
    if verb.lower_ == "according":
        for c in verb.children:
            if c.lower_ == "to":
                return next((g for g in c.children if g.dep_ == "pobj"), None)
        nxt = verb.nbor(1) if verb.i + 1 < len(verb.doc) else None
        if nxt is not None and nxt.lower_ == "to":
            return next((g for g in nxt.children if g.dep_ == "pobj"), None)
        return None
    v = verb
    for _ in range(5):
        # a word of the quotation is never its speaker ('None," Biden said': "None" is not)
        subj = next((c for c in v.children if c.dep_ in ("nsubj", "nsubjpass") and outside(c)),
                    None)
        if subj is not None:
            return subj
        if v.dep_ == "relcl":
            return v.head
        # "..., saying", "and added", "went on to call", "including calling": the clause's
        # subject is up the tree; a reported clause (ccomp) is not the speaker's own
        if v.dep_ in ("ccomp", "ROOT") or v.head.i == v.i:
            break
        h = v.head
        # a participle the parse hangs on a reported clause ("X said the tone was good,
        # saying ..."): the speaker is the one who reports that clause, not its subject
        if h.dep_ == "ccomp" and h.head.i != h.i and _is_speech(h.head.text):
            h = h.head
        v = h
    return _adjacent_name(v, outside)


_COMMA = frozenset({",", "(", ")", "--", "\u2014", "\u2013"})


def _adjacent_name(verb: Any, outside: Any) -> Any | None:
    """The speaker of a speech verb the parse left without a subject: a subject it put
    lower in the verb's left side ("On Friday, the aide, Jo Lind, ..., wrote" with "the
    aide" under another verb), else the nearest person (then organisation) named just
    before the verb, over at most two commas (", researcher Jo Lind at the firm Acme
    said", "Jo Lind, D-Vt., said"), else a name right after it ("said Jo Lind")."""
    doc = verb.doc
    left = [t for t in verb.subtree if t.i < verb.i and outside(t)]
    subj = next((t for t in left if t.dep_ in ("nsubj", "nsubjpass") and outside(t.head)
                 and t.head.head.i == verb.i and (
                     t.pos_ == "PROPN" or t.ent_type_ in ("PERSON", "ORG")
                     or _ROLE_NOUN.fullmatch(t.lower_) or t.lower_ in _ORG_NOUNS)), None)
    if subj is not None:
        return subj
    segments: list[list[Any]] = [[]]
    i = verb.i - 1
    while i >= 0 and doc[i].text != '"' and outside(doc[i]) and doc[i].text not in (";", ":"):
        if doc[i].text in _COMMA:
            if len(segments) == 3:
                break
            segments.append([])
        else:
            segments[-1].insert(0, doc[i])
        i -= 1
    for want in ("PERSON", "ORG"):
        for seg in segments:
            hits = [t for t in seg if t.ent_type_ == want]
            if hits:
                ent = next(e for e in doc.ents if e.start <= hits[0].i < e.end)
                return doc[ent.end - 1]
    props = [t for t in segments[0] if t.pos_ == "PROPN"]
    if props and props[-1].i == verb.i - 1:
        return props[-1]
    j = verb.i + 1
    while j < len(doc) and doc[j].pos_ == "PROPN" and outside(doc[j]):
        j += 1
    return doc[j - 1] if j > verb.i + 1 else None


def _person_of_org(subj: Any, outside: Any) -> Any:
    """The person in "analyst Jo Lind at Acme Partners said" when the parse made the
    organisation the subject: a person named just before, joined by at/of/for/with."""
    if subj.ent_type_ != "ORG" and subj.pos_ != "PROPN":
        return subj
    doc = subj.doc
    i = subj.i - 1
    while i >= 0 and doc[i].ent_type_ == subj.ent_type_ and doc[i].pos_ == "PROPN":
        i -= 1  # the start of the organisation's name
    seen_prep = False
    while i >= 0 and doc[i].text not in _COMMA and doc[i].text != '"' and outside(doc[i]):
        t = doc[i]
        if t.lower_ in ("at", "of", "for", "with", "from"):
            seen_prep = True
        elif t.ent_type_ == "PERSON":
            return t if seen_prep else subj
        i -= 1
    return subj


@dataclass(slots=True)
class _Speaker:
    name: str | None
    role: str | None
    pos: int  # where the attribution is, for "he" resolution


def _capitalised_noun(tok: Any) -> bool:
    """A surname the tagger read as a common noun ("Suthers/NNS said"): capitalised, not
    the sentence's first word, and no role or organisation noun."""
    if tok.pos_ != "NOUN" or not tok.text[:1].isupper() or tok.text.isupper():
        return False
    first = next((t for t in tok.doc if t.is_alpha), None)
    low = tok.lower_
    return (first is None or tok.i != first.i) and low not in _ORG_NOUNS and \
        low not in _DOC_NOUNS and not _ROLE_NOUN.fullmatch(low)


def _is_title(name: str) -> bool:
    return all(w.lower().strip(".") in _TITLE_WORDS or _ROLE_NOUN.fullmatch(w)
               for w in name.split())


def _resolve(tok: Any, art: _Article, base: int, sentence: str) -> _Speaker | None:
    """The speaker a subject token stands for: a _Speaker (its name None when the text
    does not say who), or None when the token is no subject of speech at all."""
    sp = _resolve_token(tok, art, base, sentence)
    if sp is not None and sp.name and tok.pos_ != "PROPN" and not _capitalised_noun(tok):
        # "he", "the spokeswoman", "the company" stand for a name: later pronouns find it here
        known = art.known(sp.name)
        art.add(_Mention(sp.pos, sp.name, known.kind if known else "person", True,
                         sp.role or ""))
    return sp


def _resolve_token(tok: Any, art: _Article, base: int, sentence: str) -> _Speaker | None:
    low = tok.lower_
    pos = base + tok.idx
    nobody = _Speaker(None, None, pos)
    if low in _PRONOUNS:
        m = art.antecedent(pos, _PRONOUNS[low])
        return _Speaker(m.name, m.role.strip() or None, pos) if m else nobody
    if low in ("who", "that", "which"):
        head = tok.head.head if tok.head.dep_ == "relcl" else None
        return _resolve(head, art, base, sentence) if head is not None else nobody
    if tok.pos_ == "PRON":
        return nobody
    dets = {c.lower_ for c in tok.children if c.dep_ in ("det", "nummod", "quantmod")}
    if tok.pos_ == "PROPN" or tok.ent_type_ in ("PERSON", "ORG", "NORP") or \
            _capitalised_noun(tok):
        s, e, kind = _name_span(tok)
        name = _clean_name(_strip_titles(tok.doc.text[s:e]))
        if name is None or _is_title(name):
            # a title the parse made the head ("said House Majority Leader Jo Lind"): the
            # name is its apposition or compound
            for c in tok.children:
                if c.dep_ in ("appos", "compound", "flat") and c.i > tok.i and \
                        c.pos_ == "PROPN":
                    return _resolve(c, art, base, sentence)
            if name is None:
                return nobody
        known = art.known(name)
        if kind is None and tok.ent_type_ in _NUMERIC and known is None:
            return nobody  # a date, a number: not a speaker
        if tok.ent_type_ == "NORP" and (dets & {"a", "an", "one", "another", "some", "many",
                                                "two", "several"} or tok.tag_ == "NNPS"):
            return nobody  # "one Democrat", "Republicans": unnamed
        if known is not None:
            kind = known.kind
        name = art.full_name(name, pos)
        role = _role_before(sentence, s) or _role_after(sentence, e)
        art.add(_Mention(pos, name, kind or "person", True, role or ""))
        return _Speaker(name, role, pos)
    if tok.pos_ == "NOUN":
        # an apposition or compound name: "the spokeswoman, Jane Roe," / "spokeswoman Roe"
        for c in tok.children:
            if c.dep_ in ("appos", "compound") and c.pos_ == "PROPN":
                return _resolve(c, art, base, sentence)
        poss = next((c for c in tok.children if c.dep_ == "poss"), None)
        definite = poss is not None or bool(
            {c.lower_ for c in tok.children if c.dep_ == "det"} & {"the", "this"})
        if low in _DOC_NOUNS:
            for c in tok.children:
                if c.dep_ == "poss":
                    return _resolve(c, art, base, sentence)
                if c.dep_ == "prep" and c.lower_ in ("from", "by", "of"):
                    obj = next((g for g in c.children if g.dep_ == "pobj"), None)
                    if obj is not None:
                        return _resolve(obj, art, base, sentence)
            if definite and art.last_speaker is not None:  # "the statement said"
                return art.last_speaker
            return nobody
        if definite and tok.tag_ == "NN":
            if low in _ORG_NOUNS:
                if poss is not None and poss.pos_ == "PROPN":
                    # "Trump's campaign said": the organisation is the owner's
                    s, e, _ = _name_span(poss)
                    owner = _clean_name(_strip_titles(tok.doc.text[s:e]))
                    if owner:
                        return _Speaker(f"{art.full_name(owner, pos)} {low}", None, pos)
                elif poss is not None and poss.pos_ == "NOUN" and poss.lower_ not in _ORG_NOUNS:
                    # "the former secretary of state's campaign"
                    who = _resolve_token(poss, art, base, sentence)
                    if who is not None and who.name:
                        return _Speaker(f"{who.name} {low}", None, pos)
                m = art.antecedent(pos, "org")
                return _Speaker(m.name, None, pos) if m else nobody
            if _ROLE_NOUN.fullmatch(low):
                m = art.antecedent(pos, "person", low) or (
                    None if poss is not None else art.antecedent(pos, "person"))
                if m:
                    return _Speaker(m.name, m.role.strip() or None, pos)
        return nobody
    return None


def _attribute(doc: Any, base: int, quotes: list[_Span], target: _Span, art: _Article,
               sentence: str) -> _Speaker | None:
    """The speaker of ``target`` from the speech verbs of one parsed sentence."""
    def outside(t: Any) -> bool:
        p = base + t.idx
        return not any(q.start - 1 <= p < q.end + 1 for q in quotes)

    verbs = [t for t in doc if outside(t) and (
        (t.lower_ in _SPEECH and t.pos_ in ("VERB", "AUX", "NOUN")) or
        (t.pos_ == "VERB" and _is_speech(t.text)) or
        (t.lower_ == "according" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "to"))]
    if not verbs:
        return None
    # the window between the neighbouring quotations
    prev_end = max((q.end for q in quotes if q.end <= target.start), default=-1)
    next_start = min((q.start for q in quotes if q.start >= target.end), default=1 << 60)
    after = [v for v in verbs if target.end <= base + v.idx < next_start]
    before = [v for v in verbs if prev_end <= base + v.idx < target.start]
    ordered = sorted(after, key=lambda v: v.idx) + sorted(before, key=lambda v: -v.idx)
    ordered += [v for v in verbs if v not in ordered]
    for v in ordered:
        subj = _subject_of(v, outside)
        if subj is None:
            continue
        subj = _person_of_org(subj, outside)
        sp = _resolve(subj, art, base, sentence)
        if sp is not None:
            return sp
    return _Speaker(None, None, base + ordered[0].idx)


def find_quotes(
    text: str,
    spans: list[tuple[int, int]],
    docs: Mapping[int, Any],
    persons: Mapping[int, list[tuple[int, int, str]]] | None = None,
) -> list[RawQuote]:
    """Direct quotations of one article with their speakers.

    ``spans`` are the article's sentence spans, ``docs`` maps a sentence index to its
    spaCy parse (at least :func:`sentences_to_parse`), ``persons`` an unparsed
    sentence's PERSON and ORG spans with their labels (relative to the sentence), used
    to resolve pronouns.
    """
    quotes = _all_quotes(text, spans)
    if not quotes:
        return []
    art = _Article(text, quotes, [s for s, _ in spans])
    _collect_mentions(art, docs, spans, persons or {})
    starts = [s for s, _ in spans]

    def sentence_of(pos: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo

    out: list[RawQuote] = []
    prev: tuple[_Span, _Speaker | None] | None = None
    for q in quotes:
        first, last = sentence_of(q.start), sentence_of(max(q.start, q.end - 1))
        ss, se = spans[first][0], spans[last][1]
        sentence = text[ss:se]
        kind = _kind(text, q, sentence)
        if kind != "direct":
            continue
        speaker: _Speaker | None = None
        for n in [last, first] + list(range(first + 1, last)):
            doc = docs.get(n)
            if doc is None:
                continue
            sp = _attribute(doc, spans[n][0], quotes, q, art, text[spans[n][0]:spans[n][1]])
            if sp is not None:
                speaker = sp
                break
            if n == first == last:
                break
        if speaker is None and prev is not None:
            pq, psp = prev
            same_para = pq.para_start == q.para_start
            opens_para = not text[q.para_start:q.start - 1].strip()
            gap = text[pq.end + 1:q.start - 1]
            if q.continues or (same_para and not re.search(r"[A-Za-z]{3,}", gap)) or (
                    (opens_para and pq.para_end + 2 >= q.para_start - 2 or same_para)
                    and psp is not None and psp.name):
                speaker = psp
        if speaker is None:
            # "... ." He said / Smith added: the attribution in the next sentence
            nxt = last + 1
            doc = docs.get(nxt)
            if doc is not None and spans[nxt][0] < q.para_end:
                sp = _attribute(doc, spans[nxt][0], quotes, q, art,
                                text[spans[nxt][0]:spans[nxt][1]])
                if sp is not None and sp.name:
                    speaker = sp
        if speaker is None and prev is not None and prev[1] is not None and prev[1].name:
            # a quotation that opens its paragraph right after a quoted speaker's paragraph
            pq, psp = prev
            if not text[q.para_start:q.start - 1].strip() and q.para_start - pq.para_end <= 3:
                speaker = psp
        out.append(RawQuote(q.start, q.end, ss, se, speaker.name if speaker else None,
                            speaker.role if speaker else None))
        prev = (q, speaker)
        if speaker is not None and speaker.name:
            art.last_speaker = speaker
    return out
