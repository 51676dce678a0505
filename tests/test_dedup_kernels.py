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


def test_sampled_fingerprints_are_those_of_the_numpy_definition():
    """The one-pass sampler keeps what hashing every shingle, masking and np.unique
    keep, and the smallest hash of a text too short to keep any."""
    from storyline.dedup._kernels import shingle_hashes

    rng = np.random.default_rng(5)
    for n in [0, 1, 3, 4, 5, 6, 9, 40, 700, *rng.integers(0, 400, 300).tolist()]:
        th = rng.integers(0, 1 << 63, n, dtype=np.int64).astype(np.uint64)
        if n > 8:
            th[n // 2:] = th[: n - n // 2]  # a passage twice: repeated fingerprints
        for k, rate in ((5, 8), (3, 2), (5, 1 << 20)):
            h = shingle_hashes(th, k)
            keep = h[h % np.uint64(rate) == 0]
            if len(h) and not len(keep):
                keep = h[np.argmin(h): np.argmin(h) + 1]
            want = np.unique((keep >> np.uint64(32)).astype(np.uint32))
            assert sampled(th, k, rate).tolist() == want.tolist(), (n, k, rate)


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


def test_every_bmp_code_point_tokenizes_and_folds_as_python_does():
    # (letters whose lower case is longer, such as "İ" -> "i̇", are left as they are)
    chars = [chr(c) for c in range(0x10000)
             if not 0xD800 <= c <= 0xDFFF and len(chr(c).lower()) == 1]
    text = " ".join(f"x{ch}y" for ch in chars)
    scan = Scan(text)
    got = [text[s:e].lower() for s, e in zip(scan.tok_start, scan.tok_end, strict=True)]
    assert got == tokens(text)
    letters = "".join(ch for ch in chars if ch.isalnum())
    assert content_key(Scan(letters).tok_hash) == content_key(Scan(letters.lower()).tok_hash)
    assert content_key(Scan("ŁÓDŹ ŻYCIE").tok_hash) == content_key(Scan("łódź życie").tok_hash)


def test_unicode_white_space_and_paragraph_breaks_split_as_python_does():
    for text in ["He left.\u2028The end came.", "He left.\x85The end came.",
                 "One thing.\r\n\r\nTwo things.", "One.\n \nTwo.", "One.\n.\nTwo."]:
        assert [tuple(s) for s in Scan(text).sent_span.tolist()] == sentence_spans(text)


def test_a_repeated_id_is_indexed_once(sample_articles):
    a = sample_articles[0]
    records = storyline.dedup([a, replace(a, text=a.text + " More.")])
    assert [r.id for r in records] == [a.id, a.id]


def test_the_text_store_is_only_read_from_the_calling_thread(sample_articles):
    import threading
    from collections import UserDict

    main = threading.get_ident()

    class OneThreadStore(UserDict):  # like an SQLite-backed store
        def __getitem__(self, key):
            assert threading.get_ident() == main, "store read from a worker thread"
            return super().__getitem__(key)

    articles = stream_order(list(sample_articles))
    articles += [replace(a, id=a.id + "-again", text=a.text + " Again.") for a in articles]
    index = DedupIndex(store=OneThreadStore(), workers=2)
    index.add_many(articles)
    assert len(index.matches) >= len(sample_articles)
    index.close()


def test_adding_one_at_a_time_does_not_make_a_run_per_article(sample_articles):
    index = DedupIndex(workers=1)
    for a in sample_articles:
        index.add(a)
    assert len(index._postings._runs) <= 1


def test_postings_added_a_batch_at_a_time_are_one_sorted_run_in_doc_order():
    from storyline.dedup._postings import Postings, sort_pairs

    rng = np.random.default_rng(3)
    keys_of = {d: np.unique(rng.integers(0, 300, 60)).astype(np.uint32) for d in range(400)}
    batched, single, presorted = Postings(), Postings(), Postings()
    for start in range(0, 400, 100):  # ~5,000 postings a batch: one run each
        batched.add_many({d: keys_of[d] for d in range(start, start + 100)})
        if not start:
            assert len(batched._runs) == 1 and not batched._buf_len
        # the same batch sorted beforehand (as the index's lookups leave it), or cut in a
        # small part, buffered, and the rest
        for part in ([range(start, start + 100)] if start < 200
                     else [range(start, start + 2), range(start + 2, start + 100)]):
            presorted.add_sorted(*sort_pairs(
                np.concatenate([keys_of[d] for d in part]),
                np.repeat(np.array(part, dtype=np.uint32), [len(keys_of[d]) for d in part])))
    assert len(presorted._runs) == len(batched._runs)
    for d, keys in keys_of.items():
        single.add_many({d: keys})
    for p in (batched, single, presorted):
        keys, docs = p.arrays()
        flat_k = np.concatenate(list(keys_of.values()))
        flat_d = np.repeat(np.arange(400, dtype=np.uint32), [len(k) for k in keys_of.values()])
        order = np.lexsort((flat_d, flat_k))
        got = np.lexsort((docs, keys))
        assert np.array_equal(keys[got], flat_k[order]) and np.array_equal(docs[got], flat_d[order])
        for run_keys, run_docs in p.runs():  # sorted, doc order among equal keys
            assert np.all(np.diff(run_keys.astype(np.int64)) >= 0)
            same = run_keys[1:] == run_keys[:-1]
            assert np.all(run_docs[1:][same] > run_docs[:-1][same])


def test_an_old_index_format_says_how_to_rebuild(tmp_path, sample_articles):
    index = DedupIndex(workers=1)
    index.add_many(list(sample_articles)[:3])
    index.save(tmp_path / "idx")
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text())
    meta["format"] = 1
    (tmp_path / "idx" / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(storyline.StorylineError, match="delete the folder and run again"):
        DedupIndex.load(tmp_path / "idx")


def test_compare_calls_two_texts_with_the_same_tokens_exact():
    from storyline.model import Article

    index = DedupIndex(workers=1)
    index.add_many([Article(id="a", text="The plant closed."),
                    Article(id="b", text="THE PLANT, CLOSED"),
                    Article(id="c", text="..."), Article(id="d", text="--")])
    assert index.compare("b", "a")[0] == "exact"
    assert index.compare("d", "c")[0] == "exact"  # no tokens on either side, as before


def test_a_batch_that_fails_half_way_leaves_the_index_as_it_was(sample_articles):
    articles = stream_order(list(sample_articles))
    first, rest = articles[:8], articles[8:]

    class FailingStore(dict):
        fail_at: int | None = None

        def __setitem__(self, key, value):
            if key == self.fail_at:
                raise OSError("disk full")
            super().__setitem__(key, value)

    store = FailingStore()
    index = DedupIndex(store=store, workers=1)
    index.add_many(first)
    before = (list(index.records()), list(index._parent), dict(index._exact), len(index._postings))
    store.fail_at = len(first) + 5
    with pytest.raises(OSError, match="disk full"):
        index.add_many(rest)
    after = (list(index.records()), list(index._parent), dict(index._exact), len(index._postings))
    assert after == before and len(index) == len(first) and set(store) == set(range(len(first)))
    store.fail_at = None
    index.add_many(rest)  # the same batch goes in once the store works again
    fresh = DedupIndex(workers=1)
    fresh.add_many(first)
    fresh.add_many(rest)
    assert list(index.records()) == list(fresh.records())


def test_fingerprints_of_code_points_are_those_of_the_texts(sample_articles):
    from storyline.dedup._kernels import Scan, content_key, fingerprint_joined, sampled
    from storyline.normalize._fast import codes_of

    texts = [a.text for a in sample_articles] + [
        "", "caf\u00e9 \u201cquoted\u201d \u0800\u07ff", "lone \ud800 surrogate", "\U0001f600 x",
        "ends mid-word", "ends in a space ", "x", "  ", "Dots...and \U00010400\U00010428 words.",
        # every other character at each place of an eight-character run (UTF-8 copies
        # ASCII eight at a time)
        "".join("word " * k + ch for k in range(17) for ch in "\u00e9\u20ac\U0001f600\x7f")]
    codes = [codes_of(t) for t in texts]
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in codes], out=bounds[1:])
    keys, ntok, fps, offsets, blob, ends = fingerprint_joined(
        np.concatenate(codes), bounds, 5, 8)
    for i, text in enumerate(texts):  # held to the sentence scan's tokens, a separate loop
        tokens = Scan(text).tok_hash
        assert tuple(keys[i]) == content_key(tokens) and ntok[i] == len(tokens), text[:40]
        assert np.array_equal(fps[offsets[i]:offsets[i + 1]], sampled(tokens, 5, 8))
    data = blob.tobytes()
    assert [data[ends[i]:ends[i + 1]] for i in range(len(texts))] == \
        [t.encode("utf-8", "surrogatepass") for t in texts]
    empty = fingerprint_joined(np.zeros(0, dtype=np.uint32), np.zeros(1, dtype=np.int64), 5, 8)
    assert len(empty[0]) == 0


def test_merging_two_runs_is_a_stable_sort_of_both():
    from storyline.dedup._postings import merge_runs

    rng = np.random.default_rng(7)
    for n1, n2 in ((0, 0), (0, 5), (7, 0), (300, 40), (1000, 1000)):
        k1 = np.sort(rng.integers(0, 50, n1).astype(np.uint32))
        k2 = np.sort(rng.integers(0, 50, n2).astype(np.uint32))
        d1 = np.arange(n1, dtype=np.uint32)
        d2 = np.arange(n1, n1 + n2, dtype=np.uint32)
        keys, docs = np.concatenate([k1, k2]), np.concatenate([d1, d2])
        order = np.argsort(keys, kind="stable")
        got = merge_runs(k1, d1, k2, d2)
        assert np.array_equal(got[0], keys[order]) and np.array_equal(got[1], docs[order])


@pytest.mark.parametrize("size", [0, 3, 5000, 200_000])
def test_sorted_lookups_find_every_shared_key_in_order(size):
    """The galloping merge gives the pairs, in the order, of a search per key."""
    from storyline.dedup._postings import sorted_lookups

    rng = np.random.default_rng(size)
    run_keys = np.sort(rng.integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32))
    if size:
        run_keys[size // 2: size // 2 + min(size // 2, 40)] = run_keys[size // 2]  # shared
        run_keys[-1] = 2**32 - 1
    run_docs = rng.integers(0, 10**6, size).astype(np.uint32)
    pick = rng.choice(run_keys, 300) if size else np.zeros(0, dtype=np.uint32)
    batch = np.sort(np.concatenate([
        pick, run_keys[max(0, size // 2 - 2): size // 2 + 44],
        np.array([0, 0, 2**31, 2**32 - 1, 2**32 - 1], dtype=np.uint32),
        rng.integers(0, 2**32, 3000, dtype=np.uint64).astype(np.uint32)]))
    docs = rng.integers(0, 2**32, len(batch), dtype=np.uint64).astype(np.uint32)
    held = np.ones(len(batch), dtype=np.int64)
    a, b = sorted_lookups(batch, docs, run_keys, run_docs, held)
    lo = np.searchsorted(run_keys, batch, "left")
    hi = np.searchsorted(run_keys, batch, "right")
    expected = [(int(d), int(rd)) for d, i, j in zip(docs, lo, hi, strict=True)
                for rd in run_docs[i:j]]
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == expected
    assert held.tolist() == (hi - lo + 1).tolist()
    assert size < 5000 or len(expected) > 300


def test_candidates_counted_in_one_pass_are_those_of_sorting_the_pairs():
    from storyline.dedup._kernels import count_candidates

    rng = np.random.default_rng(3)
    first, ndocs = 5000, 300
    nfp = rng.integers(1, 120, first + ndocs).astype(np.uint32)
    nfp[first:first + 20] = 10  # ceil(0.1 * 10) = 1, below min_shared: min() decides
    a = rng.integers(first, first + ndocs, 40_000)
    b = np.where(rng.random(40_000) < 0.7, rng.integers(0, 60, 40_000),
                 rng.integers(0, first, 40_000))  # many pairs among a few old docs: ties
    for min_shared, fraction, top in [(2, 0.1, 30), (1, 0.25, 5), (3, 0.0, 1), (2, 0.1, 0)]:
        pair, shared = np.unique(a * (1 << 32) + b, return_counts=True)
        pa, pb = pair >> 32, pair & 0xFFFFFFFF
        smaller = np.minimum(nfp[pa], nfp[pb])
        need = np.maximum(np.minimum(smaller, min_shared), np.ceil(fraction * smaller))
        ok = shared >= need
        pa, pb, shared = pa[ok], pb[ok], shared[ok]
        order = np.lexsort((pb, -shared, pa))
        expected: dict[int, list[int]] = {}
        for x, y in zip(pa[order].tolist(), pb[order].tolist(), strict=True):
            if len(expected.setdefault(x, [])) < top:
                expected[x].append(y)
        counter = np.zeros(first + ndocs, dtype=np.int32)
        got_a, got_b = count_candidates(a, b, first, ndocs, nfp, min_shared, fraction, top,
                                        counter)
        got: dict[int, list[int]] = {}
        for x, y in zip(got_a.tolist(), got_b.tolist(), strict=True):
            got.setdefault(x, []).append(y)
        assert got == {k: v for k, v in expected.items() if v}
        assert not counter.any()  # left zeroed for the next batch
    assert sum(len(v) for v in got.values()) == 0  # max_candidates 0: none


def test_a_batch_s_postings_packed_and_sorted_are_those_of_sort_pairs():
    from storyline.dedup._postings import batch_postings, sort_pairs, split_postings

    rng = np.random.default_rng(11)
    counts = rng.integers(0, 40, 300)
    offsets = np.zeros(301, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    fps = rng.integers(0, 2**32, int(offsets[-1]), dtype=np.uint64).astype(np.uint32)
    fps[::7] = fps[0]  # a key many docs share
    fps[-5:] = 2**32 - 1
    indexed = rng.random(300) > 0.2
    first = 2**32 - 1000
    both = batch_postings(fps, offsets, indexed, first)
    both.sort()
    keys, docs = split_postings(both)
    keep = np.repeat(indexed, counts)
    expected = sort_pairs(fps[keep], np.repeat(np.arange(first, first + 300), counts)[keep])
    assert np.array_equal(keys, expected[0]) and np.array_equal(docs, expected[1])
    assert keys.dtype == docs.dtype == np.uint32


@pytest.mark.parametrize("cap", [0, 1, 3, 1000])
def test_pairs_within_a_batch_are_those_of_looking_it_up_in_itself(cap):
    """earlier_pairs counts each posting's partners where the index used to look the
    batch up in a run of its own stored postings (here with numpy's searchsorted) and
    drop the later docs."""
    from storyline.dedup._postings import earlier_pairs, sort_pairs

    rng = np.random.default_rng(cap)
    docs = np.repeat(np.arange(500, 800, dtype=np.uint32), rng.integers(0, 30, 300))
    keys = rng.integers(0, 400, len(docs)).astype(np.uint32)  # repeats within a doc too
    keys, docs = sort_pairs(keys, docs)
    known = rng.integers(0, 4, 400)[keys].astype(np.int64)  # the same for a key's postings
    a, b, stored = earlier_pairs(keys, docs, known, cap)
    # the old way: the postings below the cap, then a lookup of every posting in them
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(len(keys)), 0))
    below = known + (np.arange(len(keys)) - start) < cap if cap else np.ones(len(keys), bool)
    assert np.array_equal(stored, below)
    run_keys, run_docs = keys[below], docs[below]
    lo = np.searchsorted(run_keys, keys, "left")
    hi = np.searchsorted(run_keys, keys, "right")
    ea = np.repeat(docs.astype(np.int64), hi - lo)
    eb = np.concatenate([run_docs[i:j] for i, j in zip(lo, hi, strict=True)]).astype(np.int64)
    later = eb < ea
    assert sorted(zip(a.tolist(), b.tolist(), strict=True)) == sorted(
        zip(ea[later].tolist(), eb[later].tolist(), strict=True))
    assert len(a) > 100


def test_the_alignment_kernel_sums_and_rounds_as_numpy_does():
    """The kernel's ratio sum and rounded similarities are numpy's bit for bit, or a
    score or a passage's similarity in the output would change by one ulp."""
    from storyline.dedup._align import Sentences, align
    from storyline.dedup._kernels import _pairwise_sum

    rng = np.random.default_rng(7)
    for n in [*range(0, 300), 1000, 1031, 4099]:
        for scale in (1.0, 1e-3, 1e6):
            a = rng.random(n) * scale
            assert _pairwise_sum(a, 0, n) == a.sum(), (n, scale)
    assert _pairwise_sum(np.arange(10.0), 3, 4) == np.arange(10.0)[3:7].sum()
    # sentences of 8 to 12 words with none to two changed: ratios of many values
    words = iter(f"w{i}" for i in range(4000))
    first, second = [], []
    for i in range(250):
        sent = [next(words) for _ in range(8 + i % 5)]
        edited = [w + "x" if k < i % 3 else w for k, w in enumerate(sent)]
        first.append(" ".join(sent).capitalize() + ".")
        second.append(" ".join(edited).capitalize() + ".")
    a, b = Sentences.of(" ".join(first)), Sentences.of(" ".join(second))
    al = align(a, b)
    pi, pj, ratios = al._arrays
    assert len(set(ratios.tolist())) >= 3 and len(ratios) > 128
    rows = al.span_rows(a, b)
    assert rows[:, 0:2].tolist() == a.scan.sent_span[pi].tolist()
    assert rows[:, 2:4].tolist() == b.scan.sent_span[pj].tolist()
    assert rows[:, 4].tolist() == np.round(ratios, 3).tolist()
    assert al.mean_ratio == float(ratios.sum() / len(ratios))


def test_bit_parallel_lcs_is_the_dynamic_programme():
    """Sentence similarity counts the longest common subsequence of tokens; the
    bit-parallel count (up to 64 tokens) must be the table's, short and long, repeated
    tokens or none."""
    from storyline.dedup._kernels import _lcs, _lcs_table

    rng = np.random.default_rng(11)
    lengths = [0, 1, 2, 63, 64, 65, 100]
    cases = [(la, lb) for la in lengths for lb in lengths]
    cases += [tuple(rng.integers(0, 90, 2)) for _ in range(3000)]
    for la, lb in cases:
        alphabet = int(rng.integers(1, 12)) if rng.random() < 0.7 else 1 << 40
        a = rng.integers(0, alphabet, la).astype(np.uint64)
        b = rng.integers(0, alphabet, lb).astype(np.uint64)
        assert _lcs(a, b) == _lcs_table(a, b) == _lcs(b, a), (la, lb)
    a = np.arange(64, dtype=np.uint64)
    assert _lcs(a, a) == 64 and _lcs(a, a[::-1].copy()) == 1
