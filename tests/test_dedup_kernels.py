"""The compiled dedup path agrees with the Python definitions it replaces."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import storyline
from storyline.dedup import DedupIndex, stream_order
from storyline.dedup._kernels import Scan, content_key, sampled
from storyline.dedup._shingles import tokens
from storyline.normalize.sentences import sentence_spans

from .conftest import shared_path

TRICKY = [
    'Mr. Varin met U.S. officials at 9 a.m. The talks ended. "Is it?" he asked. No. 2 fell.',
    "Shares rose 9.5 percent...Then fell! Gen. Motors Co. said so. Inc. The end",
    "First paragraph ends here\n\nsecond starts lower-case. Third? Yes.\n \nFourth.",
    "Café Élysée: « déjà vu » — naïve façade… 東京 で 会議. Straße 5½ km²!",
    "",
    "   \n\n  ",
    "word",
    'He said: "It was bad." Then "it got worse" and John F. Kennedy left. Sept. 5 came.',
]


def _texts(sample_articles) -> list[str]:
    texts = TRICKY + [a.text for a in sample_articles]
    for name in ("basil", "neus-dev"):
        path = shared_path("corpora", name, "articles.jsonl")
        with path.open(encoding="utf-8") as fh:
            texts += [storyline.normalize.clean_text(json.loads(line)["text"]) for line in fh]
    return texts


def test_scan_matches_the_python_tokens_and_sentence_rules(sample_articles):
    texts = _texts(sample_articles)
    assert len(texts) > 1000
    for text in texts:
        scan = Scan(text)
        got = [text[s:e].lower() for s, e in zip(scan.tok_start, scan.tok_end, strict=True)]
        assert got == tokens(text), text[:80]
        assert [tuple(span) for span in scan.sent_span.tolist()] == sentence_spans(text), text[:80]


def test_token_sentence_numbers_and_quotation_flags():
    text = 'The chief said the plant was safe. "We will reopen soon," she added.'
    scan = Scan(text)
    words = [text[s:e] for s, e in zip(scan.tok_start, scan.tok_end, strict=True)]
    quoted = {w for w, q in zip(words, scan.tok_quoted, strict=True) if q}
    assert quoted == {"We", "will", "reopen", "soon"}
    assert scan.tok_sent.tolist() == [0] * 7 + [1] * 6


def test_content_key_folds_case_spacing_and_punctuation_only():
    a = Scan("The plant, closed.  Workers left!").tok_hash
    b = Scan("the PLANT closed -- workers left").tok_hash
    c = Scan("The plant closed. Workers stayed.").tok_hash
    assert content_key(a) == content_key(b)
    assert content_key(a) != content_key(c)


def test_fingerprints_are_shared_by_shared_passages():
    passage = " ".join(f"word{i}" for i in range(200))
    a = sampled(Scan("Alpha beta gamma. " + passage).tok_hash, 5, 8)
    b = sampled(Scan(passage + " Delta epsilon zeta.").tok_hash, 5, 8)
    shared = np.intersect1d(a, b)
    assert len(shared) >= 0.8 * min(len(a), len(b)) and len(a) > 10


@pytest.mark.parametrize("workers", [1, 2])
def test_batched_add_equals_one_at_a_time(sample_articles, gm_psa_articles, workers):
    articles = stream_order(list(sample_articles) + list(gm_psa_articles))
    # a second copy of everything, dated later, so that the batch holds pairs within it
    articles += [replace(a, id=a.id + "-again") for a in articles]
    one = DedupIndex(workers=1)
    for a in articles:
        one.add(a)
    many = DedupIndex(workers=workers)
    many.add_many(articles)
    key = [(m.a, m.b, m.relation, round(m.score, 6), m.spans) for m in one.matches]
    assert [(m.a, m.b, m.relation, round(m.score, 6), m.spans) for m in many.matches] == key
    assert list(one.records()) == list(many.records())
    many.close()
