"""storyline's rule-based sentence splitter against spaCy's parser-based one.

    python bench/sentences.py [--articles 100]

Reports how many of spaCy's sentence boundaries (character offsets) the rules find and
vice versa, on the first articles of BASIL (full text), and the time of each. The
rules exist because dedup and clustering split every article and cannot pay the parser's
cost; this measures what that costs in agreement.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import storyline
from storyline._nlp import MODEL
from storyline.normalize import sentence_spans

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "basil"


def _ends(text: str, spans: list[tuple[int, int]]) -> set[int]:
    """Sentence ends, ignoring white space and closing quotes either splitter may keep."""
    return {len(text[:e].rstrip().rstrip("\"')")) for _s, e in spans}


def main() -> None:
    import spacy

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100)
    args = parser.parse_args()
    articles = storyline.read(CORPUS / "articles.jsonl")[: args.articles]
    texts = [a.text for a in articles]
    nlp = spacy.load(MODEL, exclude=["ner", "lemmatizer"])
    t0 = time.perf_counter()
    ours = [sentence_spans(t) for t in texts]
    rules_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = [[(s.start_char, s.end_char) for s in doc.sents if s.text.strip()]
              for doc in nlp.pipe(texts, batch_size=16)]
    spacy_s = time.perf_counter() - t0
    found = total = extra = 0
    for text, a, b in zip(texts, ours, theirs, strict=True):
        ea = _ends(text, a)
        eb = _ends(text, b)
        total += len(eb)
        found += len(ea & eb)
        extra += len(ea - eb)
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} BASIL articles, {words} words")
    print(f"spaCy boundaries also found by the rules: {found}/{total} = {found / total:.3f}")
    print(f"rule boundaries spaCy does not have: {extra} ({extra / max(1, found + extra):.3f})")
    print(f"time: rules {rules_s * 1000:.0f} ms, spaCy parser {spacy_s * 1000:.0f} ms "
          f"({spacy_s / rules_s:.0f}x)")


if __name__ == "__main__":
    main()
