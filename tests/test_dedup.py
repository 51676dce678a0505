"""Dedup relations on realistic transformations of the project's own sample, and the index."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

import storyline
import storyline.normalize
from storyline.dedup import DedupIndex, dedup
from storyline.model import Article


@pytest.fixture(scope="module")
def by_id(sample_articles):
    return {a.id: a for a in sample_articles}


def _copy(article: Article, new_id: str, text: str | None = None, day: int = 6) -> Article:
    raw = text if text is not None else article.original_text
    return storyline.normalize.normalize_article(replace(
        article, id=new_id, text=raw, original_text=raw, original_title="",
        published=datetime(2025, 3, day, 12, tzinfo=UTC)))


def _rel(records, article_id):
    return {r.id: r for r in records}[article_id]


def test_sample_relations_match_gold(sample_articles):
    from pathlib import Path

    gold = {}
    for line in Path("sample/gold-dedup.tsv").read_text().splitlines()[1:]:
        aid, relation, of = (line.split("\t") + [""])[:3]
        gold[aid] = (relation, of or None)
    records = {r.id: r for r in dedup(sample_articles)}
    got = {aid: (r.relation, r.of) for aid, r in records.items()}
    assert got == gold


def test_exact_copy(by_id):
    base = by_id["halvorsen-northgate-analysis"]
    twin = _copy(base, "twin")
    r = _rel(dedup([base, twin]), "twin")
    assert (r.relation, r.of, r.score) == ("exact", base.id, 1.0)


def test_light_edits_are_near_duplicate(by_id):
    base = by_id["halvorsen-northgate-analysis"]
    edited = base.original_text.replace(" said", " says", 3).replace("Tuesday", "Tue.", 1)
    r = _rel(dedup([base, _copy(base, "edited", edited)]), "edited")
    assert r.relation == "near-duplicate" and r.of == base.id


def test_truncation_is_contained(by_id):
    base = by_id["halvorsen-northgate-analysis"]
    lead = "\n\n".join(base.original_text.split("\n\n")[:3])
    r = _rel(dedup([base, _copy(base, "lead", lead)]), "lead")
    assert r.relation == "contained" and r.of == base.id


def test_unrelated_stories_stay_apart(by_id):
    a, b = by_id["halvorsen-northgate-analysis"], by_id["tram-northgate-vote"]
    records = dedup([a, b])
    assert {r.relation for r in records} == {"original"}


def test_boilerplate_and_markup_do_not_hide_a_copy(by_id):
    base = by_id["halvorsen-northgate-analysis"]
    noisy = ("Sign up for our newsletter\n\n" + base.original_text.replace(
        "Halvorsen Group", "Halvorsen Group (>> Halvorsen Group)", 1)
        + "\n\n($1 = 0.9312 euros)\n\n(Editing by Someone Else)\n\nShare this article")
    r = _rel(dedup([base, _copy(base, "noisy", noisy)]), "noisy")
    assert r.relation == "exact"


def test_index_grows_persists_and_resumes(tmp_path, sample_articles):
    half = len(sample_articles) // 2
    index = DedupIndex()
    first = dedup(sample_articles[:half], index=index)
    index.save(tmp_path / "idx")
    loaded = DedupIndex.load(tmp_path / "idx")
    assert len(loaded) == half
    rest = dedup(sample_articles, index=loaded)  # already-indexed ones are not re-added
    assert len(loaded) == len(sample_articles)
    whole = dedup(sample_articles)
    assert [(r.id, r.group, r.relation) for r in rest] == \
           [(r.id, r.group, r.relation) for r in whole]
    assert {r.id for r in first} <= {r.id for r in rest}


def test_index_memory_per_article_is_small(sample_articles):
    index = DedupIndex()
    for a in sample_articles:
        index.add(a)
    assert index.nbytes / len(index) < 1024


def test_adding_the_same_id_twice_is_an_error(sample_articles):
    index = DedupIndex()
    index.add(sample_articles[0])
    with pytest.raises(storyline.StorylineError):
        index.add(sample_articles[0])


def test_sharing_a_long_quotation_is_not_a_version():
    """Two outlets quoting the same multi-sentence statement are independent reports."""
    quote = ('"We made mistakes in how the closure was announced. Families learned of it '
             'from social media before any letter reached them. That should never have '
             'happened, and I apologise to every parent who found out that way. We will '
             'publish the full review of the decision by the end of the month."')
    a = _plain("a", "The Velmora school board voted on Monday to close Harbour Street "
               "primary school at the end of the year, citing falling enrolment.\n\n"
               f"Board chair Anneli Roos said in a statement: {quote}\n\n"
               "Parents gathered outside the school on Monday evening with banners.")
    b = _plain("b", "Parents in Velmora reacted angrily to news that their children's "
               "school will shut in December, with some threatening legal action.\n\n"
               f"In a message posted online, Anneli Roos wrote: {quote}\n\n"
               "A petition against the closure had 2,300 signatures by Tuesday night.")
    assert {r.relation for r in dedup([a, b])} == {"original"}


def _plain(article_id: str, text: str) -> Article:
    return storyline.normalize.normalize_article(Article(id=article_id, text=text))


# -- reading for dedup in blocks (the CLI's path) -------------------------------------

def _big_input(tmp_path, sample_articles, encoding: str = "utf-8"):
    """A JSON Lines file of the sample's articles, each several times over: exact copies,
    lead-only copies, undated copies, repeated ids, a broken line and a bad date."""
    import json

    rows = []
    for n in range(6):
        for k, a in enumerate(sample_articles):
            text = a.original_text
            if n == 2:
                text = text[: max(200, len(text) // 2)]
            day = None if n == 4 else f"2025-03-{1 + (k * 7 + n * 3) % 27:02d}T{n:02d}:00:00Z"
            rows.append({"id": a.id if n == 5 else f"{a.id}-{n}", "title": a.original_title,
                         "text": text, "published": day if k % 11 else "not a date"})
            if k % 13 == 5:
                rows.append("{broken")
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    data = ("\n".join(lines) + "\n").encode()
    if encoding != "utf-8":  # one line of another encoding, far in: not UTF-8 after all
        legacy = json.dumps({"id": "legacy", "text": "Caf\u00e9 owners said so. " * 5},
                            ensure_ascii=False)
        data += legacy.encode(encoding) + b"\n"
    path = tmp_path / "big.jsonl"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_reading_in_blocks_gives_the_records_of_dedup(tmp_path, sample_articles, monkeypatch,
                                                      workers, encoding):
    from storyline.dedup import stream
    from storyline.ingest import IngestReport

    path = _big_input(tmp_path, sample_articles, encoding)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "note.txt").write_text(sample_articles[0].original_text)
    inputs = [str(path), str(tmp_path / "more"), str(tmp_path / "missing.jsonl")]
    expected_report = IngestReport()
    articles = storyline.read(inputs, report=expected_report, workers=1)
    expected = dedup(articles)
    assert len({r.group for r in expected}) < len(expected) - 50  # copies were found

    monkeypatch.setattr(stream, "_BLOCK", 30_000)  # many blocks, and workers for them
    report = IngestReport()
    data = stream.read_for_dedup(inputs, report=report, workers=workers)
    try:
        assert data.ids == [a.id for a in articles]
        assert stream.dedup_input(data) == expected
        assert [str(p) for p in report.problems] == [str(p) for p in expected_report.problems]
        assert report.files == expected_report.files
    finally:
        data.close()


def test_reading_in_blocks_adds_to_a_persistent_index(tmp_path, sample_articles):
    from storyline.dedup import stream

    path = _big_input(tmp_path, sample_articles)
    articles = storyline.read(path, workers=1)
    half = articles[: len(articles) // 2]
    expected_index = DedupIndex(workers=1)
    dedup(half, index=expected_index)
    expected = dedup(articles, index=expected_index)
    index = DedupIndex(workers=1)
    dedup(half, index=index)
    data = stream.read_for_dedup([path], workers=1)
    assert stream.dedup_input(data, index=index, passages=True) == expected
    assert index.ids == expected_index.ids
    assert [index.texts[d] for d in range(len(index))] == \
        [expected_index.texts[d] for d in range(len(index))]
    data.close()


def test_packed_texts_keep_any_text_and_undo_appends():
    import numpy as np

    from storyline.dedup import _texts

    store = _texts.PackedTexts()
    texts = ["plain", "caf\u00e9 \u201cquoted\u201d", "lone \ud800 surrogate", "", "\U0001f600"]
    for n, t in enumerate(texts):
        store[n] = t
    blob = [t.encode("utf-8", "surrogatepass") for t in texts]
    store.extend(b"".join(blob), np.cumsum([0] + [len(b) for b in blob]))
    assert [store[n] for n in range(len(store))] == texts * 2
    store._flush()  # some texts in the file, the rest in the buffer
    store[len(store)] = "buffered"
    store.truncate(7)
    assert list(store.values()) == (texts * 2)[:7]
    with pytest.raises(KeyError):
        store[9] = "not the next text"
    view = _texts.Reordered(store, np.array([6, 0, 2]))
    assert list(view.values()) == [texts[1], texts[0], texts[2]]
    store.close()


def test_prepared_rows_are_those_of_preparing_them_alone(sample_articles):
    import numpy as np

    from storyline.dedup import prepare

    texts = [a.text for a in sample_articles]
    ids = [a.id for a in sample_articles]
    when = np.arange(len(texts), dtype=np.float64)
    whole = prepare(ids, when, texts)
    rows = np.array([5, 0, 3, 3, len(texts) - 1])
    part = whole.take(rows)
    alone = prepare([ids[r] for r in rows], when[rows], [texts[r] for r in rows])
    for name in ("published", "keys", "ntokens", "fps", "offsets"):
        assert np.array_equal(getattr(part, name), getattr(alone, name)), name
    assert part.ids == alone.ids
    assert np.array_equal(whole[2:5].fps, prepare(ids[2:5], when[2:5], texts[2:5]).fps)


# -- a passage in thousands of articles (boilerplate, stock phrases) ---------------------

def _random_story(rng, words: list[str], sentences: int) -> str:
    paras = []
    for _ in range(sentences):
        sent = [rng.choice(words) for _ in range(rng.randint(12, 20))]
        paras.append(" ".join(sent).capitalize() + ".")
    return "\n\n".join(paras)


def _stock_corpus(n: int):
    """``n`` unrelated short stories, each with the same two stock paragraphs, then
    twelve light edits of the first story, dated after all of them."""
    import random

    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))
                    for _ in range(4000)})
    stock = ("The company did not immediately respond to a request for comment on the "
             "matter on Tuesday.\n\nThis material may not be published, broadcast, "
             "rewritten or redistributed without permission from the news agency.")
    articles = []
    for k in range(n):
        text = _random_story(rng, words, 3) + "\n\n" + stock
        articles.append(storyline.normalize.normalize_article(Article(
            id=f"s{k}", text=text, published=datetime(2025, 1, 1, tzinfo=UTC)
            + (k * (datetime(2025, 1, 2, tzinfo=UTC) - datetime(2025, 1, 1, tzinfo=UTC))))))
    base = articles[0].text
    for k in range(12):
        edited = base.replace(base.split()[3], f"edit{k}", 1)
        articles.append(storyline.normalize.normalize_article(Article(
            id=f"copy{k}", text=edited, published=datetime(2026, 1, 1 + k, tzinfo=UTC))))
    return articles


def test_a_fingerprint_keeps_only_its_first_articles():
    """Postings of a passage that recurs everywhere stop growing at max_postings, so an
    article that has it is compared with at most that many earlier ones for it."""
    import numpy as np

    from storyline.dedup import DedupConfig

    articles = _stock_corpus(40)
    index = DedupIndex(DedupConfig(max_postings=5), workers=1)
    index.add_many(articles)
    keys, _ = index._postings.arrays()
    assert np.unique(keys, return_counts=True)[1].max() == 5
    unlimited = DedupIndex(DedupConfig(max_postings=0), workers=1)
    unlimited.add_many(articles)
    keys, _ = unlimited._postings.arrays()
    assert np.unique(keys, return_counts=True)[1].max() > 5


def test_postings_cap_does_not_depend_on_batches_and_keeps_copies():
    """The same postings and records whether articles come one at a time or in one
    batch; copies of a story found even when it has more copies than max_postings
    (the first postings of each of its fingerprints are the story's own)."""
    import numpy as np

    from storyline.dedup import DedupConfig

    articles = _stock_corpus(30)
    config = DedupConfig(max_postings=4)
    batch = DedupIndex(config, workers=1)
    batch.add_many(articles)
    single = DedupIndex(config, workers=1)
    for a in articles:
        single.add(a)
    for one, other in zip(batch._postings.arrays(), single._postings.arrays(), strict=True):
        assert np.array_equal(np.sort(one), np.sort(other))
    records = {r.id: r for r in batch.records(passages=False)}
    assert records == {r.id: r for r in single.records(passages=False)}
    for k in range(12):
        assert records[f"copy{k}"].relation == "near-duplicate"
        assert records[f"copy{k}"].of == "s0"
    assert {records[f"s{k}"].relation for k in range(30)} == {"original"}


def test_canonical_is_the_earliest_dated_then_the_most_complete_then_the_first(by_id):
    """Read out in order of each group's first article, members in index order; the
    canonical article need not be the first indexed."""
    base = next(iter(by_id.values()))
    paras = base.original_text.split("\n\n")
    short, long_ = "\n\n".join(paras[: len(paras) // 2]), base.original_text

    def art(i: str, text: str, day: int | None) -> Article:
        when = datetime(2025, 3, day, 12, tzinfo=UTC) if day else None
        return storyline.normalize.normalize_article(replace(
            base, id=i, text=text, original_text=text, original_title="", published=when))

    index = DedupIndex(workers=1)
    index.add_many([art("a", short, 2), art("b", long_, 1), art("c", short, None)])
    index.add_many([art("d", "Unrelated. " + short[: len(short) // 2], None)])
    other = list(by_id.values())[-1].original_text  # another report
    index.add_many([art("e", other[: len(other) // 2], None), art("f", other, None),
                    art("g", other, None)])
    records = list(index.records(passages=False))
    assert [r.id for r in records] == ["a", "b", "c", "d", "e", "f", "g"]
    of = {r.id: (r.group, r.relation) for r in records}
    # dated before undated, earliest first, though "a" was indexed first
    assert of["a"] == ("b", "contained") and of["b"] == ("b", "original")
    assert of["c"] == ("b", "contained")  # an exact copy of "a", compared afresh with "b"
    # all undated: the most complete, and of two equal ones the first
    assert of["e"] == ("f", "contained") and of["f"] == ("f", "original")
    assert of["g"] == ("f", "exact")
