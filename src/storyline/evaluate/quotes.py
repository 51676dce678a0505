"""Quotation detection and speaker attribution against hand-labelled gold spans.

This module is the only code that reads the quotation gold files (``docs/gold/
quotes-*.jsonl`` and their ``*-articles.tsv``); the pipeline never does. Gold
offsets point into the corpus article's *raw* ``text``, while storyline works on
the normalized text (curly quotation marks straightened, boilerplate removed),
so both sides are compared as word sequences:

* every gold span is mapped into the normalized text by searching its word
  sequence (lower-cased letters and digits) there, the occurrence nearest the
  span's relative position winning; a span whose words cannot all be found is
  mapped through the longest run of its words that is found;
* a predicted quote and a gold span match when the word positions they share
  are at least half of the longer one's (``MATCH_OVERLAP``); matching is
  one-to-one, best overlap first.

Detection counts DIRECT quotations only: a prediction matched to a gold
``scare`` or ``title`` span, or to nothing, is a false positive. Speaker accuracy
is over matched direct quotes whose gold speaker is named (see ``same_speaker``);
the null-speaker rate is the share of matched direct quotes with a null gold
speaker that got a predicted speaker. A predicted speaker is "not a person or an
organisation" unless it names the gold speaker, or spaCy's NER labels it PERSON,
ORG or NORP where the article mentions it (the label of the entity mentions
equal to it or containing it), or, when the article yields no label, in the
sentence "<speaker> said." alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EvaluationError
from . import _f1

__all__ = [
    "GoldQuote",
    "PredictedQuote",
    "QuoteGold",
    "QuoteScores",
    "default_gold_dirs",
    "find_gold",
    "load_quote_gold",
    "same_speaker",
    "score_quotes",
]

MATCH_OVERLAP = 0.5
SPLITS = ("tune", "report")
_WORD = re.compile(r"[^\W_]+")
_TITLES = frozenset(str.split(
    """mr mrs ms miss dr prof sir dame lord lady president vice former sen senator rep
    representative gov governor secretary minister prime chancellor mayor judge justice
    gen general adm admiral col lt sgt capt captain rev reverend father pope king queen
    prince princess sheikh chairman chairwoman speaker leader attorney the"""
))
_SPEAKER_LABELS = frozenset({"PERSON", "ORG", "NORP"})


@dataclass(frozen=True, slots=True)
class GoldQuote:
    article: str
    start: int  # offsets into the raw corpus text
    end: int
    kind: str  # direct | scare | title
    speaker: str | None
    speaker_type: str | None


@dataclass(frozen=True, slots=True)
class PredictedQuote:
    start: int  # offsets into the normalized text
    end: int
    speaker: str | None


@dataclass(slots=True)
class QuoteGold:
    corpus: str
    splits: dict[str, str]  # article id -> tune | report
    spans: dict[str, list[GoldQuote]] = field(default_factory=dict)


@dataclass(slots=True)
class QuoteScores:
    articles: int = 0
    gold_direct: int = 0
    predicted: int = 0
    matched_direct: int = 0
    matched_scare_or_title: int = 0
    named_gold: int = 0
    speaker_correct: int = 0
    null_gold: int = 0
    null_gold_predicted: int = 0
    speakers_predicted: int = 0
    not_person_or_org: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched_direct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched_direct / self.gold_direct if self.gold_direct else 0.0

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_correct / self.named_gold if self.named_gold else 0.0

    @property
    def null_speaker_rate(self) -> float:
        return self.null_gold_predicted / self.null_gold if self.null_gold else 0.0

    def add(self, other: QuoteScores) -> None:
        for k in ("articles", "gold_direct", "predicted", "matched_direct",
                  "matched_scare_or_title", "named_gold", "speaker_correct", "null_gold",
                  "null_gold_predicted", "speakers_predicted", "not_person_or_org"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.errors.extend(other.errors)

    def to_dict(self, *, errors: bool = False) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "errors"}
        for k in ("precision", "recall", "f1", "speaker_accuracy", "null_speaker_rate"):
            d[k] = round(getattr(self, k), 4)
        if errors:
            d["errors"] = self.errors
        return d


# -- gold ---------------------------------------------------------------------------------

def load_quote_gold(gold: str | Path, articles_tsv: str | Path) -> QuoteGold:
    """Read a gold JSON Lines file and its tsv of labelled articles (corpus, id, split)."""
    gold, articles_tsv = Path(gold), Path(articles_tsv)
    for p in (gold, articles_tsv):
        if not p.exists():
            raise EvaluationError(f"{p}: no such gold file")
    splits: dict[str, str] = {}
    corpus = ""
    for n, line in enumerate(articles_tsv.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) != 3 or cols[2] not in SPLITS:
            raise EvaluationError(f"{articles_tsv}:{n}: expected corpus<TAB>article<TAB>split")
        corpus = corpus or cols[0]
        splits[cols[1]] = cols[2]
    out = QuoteGold(corpus, splits, {a: [] for a in splits})
    for n, line in enumerate(gold.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            q = GoldQuote(r["article"], int(r["start"]), int(r["end"]), r["kind"],
                          r["speaker"], r["speaker_type"])
        except (ValueError, KeyError, TypeError) as exc:
            raise EvaluationError(f"{gold}:{n}: bad gold record ({exc})") from exc
        if q.article not in splits:
            raise EvaluationError(f"{gold}:{n}: article {q.article} not listed in {articles_tsv}")
        out.spans[q.article].append(q)
    return out


def find_gold(corpus_dir: Path, gold_dirs: Sequence[Path]) -> tuple[Path, Path]:
    """The gold pair of a corpus: ``quotes.jsonl`` + ``quotes-articles.tsv`` inside it, or a
    ``quotes-*.jsonl`` in one of ``gold_dirs`` whose records name the corpus folder."""
    own = corpus_dir / "quotes.jsonl"
    if own.exists():
        return own, corpus_dir / "quotes-articles.tsv"
    for d in gold_dirs:
        for path in sorted(Path(d).glob("quotes-*.jsonl")):
            with path.open(encoding="utf-8") as fh:
                first = next((ln for ln in fh if ln.strip()), "")
            try:
                name = json.loads(first).get("corpus") if first else None
            except json.JSONDecodeError:
                continue
            if name == corpus_dir.name:
                return path, path.with_name(path.stem + "-articles.tsv")
    raise EvaluationError(f"{corpus_dir}: no quotation gold (quotes.jsonl in the folder, or "
                          f"quotes-*.jsonl naming corpus {corpus_dir.name!r} in "
                          f"{', '.join(map(str, gold_dirs)) or 'no gold folder'})")


# -- alignment ----------------------------------------------------------------------------

def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _map_span(raw: str, start: int, end: int, words: list[tuple[str, int, int]],
              norm_len: int) -> set[int]:
    """Word positions of the normalized text that the raw span ``start:end`` covers."""
    want = [w for w, _, _ in _words(raw[start:end])]
    if not want or not words:
        return set()
    seq = [w for w, _, _ in words]
    target = start / max(1, len(raw)) * norm_len
    best: tuple[float, int] | None = None
    n = len(want)
    for i in range(len(seq) - n + 1):
        if seq[i] == want[0] and seq[i:i + n] == want:
            d = abs(words[i][1] - target)
            if best is None or d < best[0]:
                best = (d, i)
    if best is not None:
        return set(range(best[1], best[1] + n))
    # not found whole: the longest run of its words that is (normalization removed some)
    from difflib import SequenceMatcher

    m = SequenceMatcher(None, seq, want, autojunk=False)
    blocks = [b for b in m.get_matching_blocks() if b.size]
    if not blocks:
        return set()
    b = max(blocks, key=lambda b: b.size)
    if b.size < min(3, n):
        return set()
    # extend by the words of the span before and after the run, where positions allow
    lo = max(0, b.a - b.b)
    hi = min(len(seq), b.a + b.size + (n - b.b - b.size))
    return set(range(lo, hi))


def _positions(start: int, end: int, words: list[tuple[str, int, int]]) -> set[int]:
    return {i for i, (_, s, e) in enumerate(words) if s < end and e > start}


# -- speakers -----------------------------------------------------------------------------

def _name_words(name: str) -> list[str]:
    words = [w for w in (x.lower() for x in _WORD.findall(name.replace("'s ", " ")))
             if w not in ("s",)]
    while words and words[0] in _TITLES:
        words = words[1:]
    return words


def same_speaker(predicted: str | None, gold: str | None) -> bool:
    """Two names of one person or organisation: after dropping titles (Mr., President,
    Sen., ...) and a leading "the", one name's words are contained in the other's, or
    their last words (surnames) are equal. Case does not matter."""
    if not predicted or not gold:
        return False
    p, g = _name_words(predicted), _name_words(gold)
    if not p or not g:
        return False
    if p[-1] == g[-1]:
        return True
    short, long_ = (p, g) if len(p) <= len(g) else (g, p)
    k = len(short)
    return any(long_[i:i + k] == short for i in range(len(long_) - k + 1))


class _SpeakerKind:
    """Whether a predicted speaker names a person or an organisation (spaCy NER)."""

    def __init__(self) -> None:
        from .._nlp import load_ner

        self.nlp = load_ner()
        self.cache: dict[str, str | None] = {}

    def labels(self, text: str) -> list[tuple[str, str]]:
        return [(e.text, e.label_) for e in self.nlp(text).ents]

    def kind(self, speaker: str, article_ents: list[tuple[str, str]]) -> str | None:
        key = speaker.lower()
        votes = Counter(lab for t, lab in article_ents
                        if t.lower() == key or key in t.lower() or
                        (len(key) > 3 and t.lower() in key and len(t) > 3))
        if votes:
            return votes.most_common(1)[0][0]
        if speaker not in self.cache:
            ents = self.labels(f"{speaker} said.")
            self.cache[speaker] = ents[0][1] if ents else None
        return self.cache[speaker]


# -- scoring ------------------------------------------------------------------------------

def score_article(raw: str, text: str, gold: list[GoldQuote], predicted: list[PredictedQuote],
                  *, article: str = "", kinds: _SpeakerKind | None = None) -> QuoteScores:
    """Scores of one article: ``raw`` is the corpus text gold offsets point into, ``text``
    the normalized text of the predictions."""
    words = _words(text)
    g_pos = [_map_span(raw, g.start, g.end, words, len(text)) for g in gold]
    p_pos = [_positions(p.start, p.end, words) for p in predicted]
    pairs = []
    for i, gp in enumerate(g_pos):
        for j, pp in enumerate(p_pos):
            shared = len(gp & pp)
            if shared:
                ratio = shared / max(len(gp), len(pp))
                if ratio >= MATCH_OVERLAP:
                    pairs.append((-ratio, i, j))
    match_g: dict[int, int] = {}
    match_p: dict[int, int] = {}
    for _, i, j in sorted(pairs):
        if i not in match_g and j not in match_p:
            match_g[i], match_p[j] = j, i
    s = QuoteScores(articles=1, predicted=len(predicted))
    s.gold_direct = sum(g.kind == "direct" for g in gold)
    article_ents: list[tuple[str, str]] | None = None
    for j, p in enumerate(predicted):
        gi = match_p.get(j)
        g = gold[gi] if gi is not None else None
        quote = text[p.start:p.end]
        if g is None or g.kind != "direct":
            s.matched_scare_or_title += g is not None
            s.errors.append({"article": article, "error": "false positive",
                             "gold_kind": g.kind if g else None, "quote": quote[:120],
                             "predicted": p.speaker})
        else:
            s.matched_direct += 1
            if g.speaker:
                s.named_gold += 1
                if same_speaker(p.speaker, g.speaker):
                    s.speaker_correct += 1
                else:
                    s.errors.append({"article": article, "error": "speaker", "quote": quote[:120],
                                     "gold": g.speaker, "predicted": p.speaker})
            else:
                s.null_gold += 1
                if p.speaker:
                    s.null_gold_predicted += 1
                    s.errors.append({"article": article, "error": "speaker for null",
                                     "quote": quote[:120], "predicted": p.speaker})
        if p.speaker:
            s.speakers_predicted += 1
            if g is not None and g.speaker and same_speaker(p.speaker, g.speaker):
                continue
            if kinds is not None:
                if article_ents is None:
                    article_ents = kinds.labels(text)
                label = kinds.kind(p.speaker, article_ents)
                if label not in _SPEAKER_LABELS:
                    s.not_person_or_org += 1
                    s.errors.append({"article": article, "error": "not a person or org",
                                     "predicted": p.speaker, "label": label})
    for i, g in enumerate(gold):
        if g.kind == "direct" and i not in match_g:
            s.errors.append({"article": article, "error": "missed", "gold": g.speaker,
                             "quote": raw[g.start:g.end][:120]})
    return s


Predictor = Callable[[Any], list[PredictedQuote]]


def _raw_texts(corpus_dir: Path, wanted: set[str]) -> dict[str, str]:
    path = corpus_dir / "articles.jsonl"
    if not path.exists():
        raise EvaluationError(f"{corpus_dir}: no articles.jsonl")
    out = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                if r.get("id") in wanted:
                    out[r["id"]] = r["text"]
    missing = wanted - set(out)
    if missing:
        raise EvaluationError(f"{path}: labelled articles missing: {sorted(missing)[:5]}")
    return out


def score_quotes(
    corpus_dir: str | Path,
    gold: QuoteGold,
    *,
    predict: Predictor | None = None,
    splits: Iterable[str] = SPLITS,
    judge_kinds: bool = True,
) -> dict[str, QuoteScores]:
    """Scores per split (and ``all``) of storyline's quotations on the labelled articles of
    ``corpus_dir``. ``predict`` maps an ``Article`` to its predicted quotes (default: the
    brief's own quote finder, ``storyline.brief.article_quotes``)."""
    from ..pipeline import read

    corpus_dir = Path(corpus_dir)
    if predict is None:
        predict = _storyline_quotes
    wanted = {a for a, sp in gold.splits.items() if sp in set(splits)}
    raw = _raw_texts(corpus_dir, wanted)
    by_id = {a.id: a for a in read([str(corpus_dir / "articles.jsonl")]) if a.id in wanted}
    kinds = _SpeakerKind() if judge_kinds else None
    out: dict[str, QuoteScores] = defaultdict(QuoteScores)
    for aid in sorted(wanted, key=lambda a: hashlib.sha1(a.encode()).hexdigest()):
        a = by_id.get(aid)
        if a is None:
            raise EvaluationError(f"{corpus_dir}: article {aid} was not read")
        s = score_article(raw[aid], a.text, gold.spans.get(aid, []), predict(a),
                          article=aid, kinds=kinds)
        out[gold.splits[aid]].add(s)
        out["all"].add(s)
    return dict(out)


def _storyline_quotes(article: Any) -> list[PredictedQuote]:
    from ..brief import article_quotes

    return [PredictedQuote(q.start, q.end, q.speaker) for q in article_quotes(article)]


def default_gold_dirs() -> list[Path]:
    """Where the gold files live: ``docs/gold`` of the source checkout, then ``./docs/gold``."""
    here = Path(__file__).resolve().parents[3] / "docs" / "gold"
    return [d for d in (here, Path.cwd() / "docs" / "gold") if d.is_dir()]
