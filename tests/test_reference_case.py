"""The reference case, ../shared/samples/gm-psa: one story, two Reuters versions folded
into one report, and the differences laid out with their time and scope."""

from __future__ import annotations

import re

import storyline

A, B, C = "000_69ac44bc8ff2e2af", "001_eddd0da20a1bd63d", "002_17f1b47c2ba7ed71"


def test_one_story(gm_psa_articles):
    stories = storyline.cluster(gm_psa_articles)
    assert len(stories) == 1
    assert sorted(stories[0].article_ids) == [A, B, C]


def test_reuters_versions_are_one_group_and_002_alone(gm_psa_articles):
    records = {r.id: r for r in storyline.dedup(gm_psa_articles)}
    assert records[A].group == records[B].group
    assert records[C].group != records[A].group
    assert records[C].relation == "original" and records[C].of is None
    versions = [r for r in records.values() if r.relation == "version"]
    assert len(versions) == 1
    rec = versions[0]
    assert rec.of in (A, B) and rec.id in (A, B) and rec.id != rec.of
    # the explanation: shared passages, including the recurring quote
    by_id = {a.id: a for a in gm_psa_articles}
    shared = [by_id[rec.id].text[p.a_start:p.a_end] for p in rec.passages]
    assert len(shared) >= 5
    assert any("routinely talk to others in the industry" in s for s in shared)
    assert any("Any new shareholdings that emerged would be small and symbolic" in s
               for s in shared)


def test_markup_removed_from_analysed_text(gm_psa_articles):
    text = {a.id: a for a in gm_psa_articles}[A]
    assert "(>>" not in text.text and "<.SXAP>" not in text.text
    assert "($1 = 0.7539 euros)" not in text.text
    assert "Additional reporting" not in text.text
    assert "General Motors Company" in text.original_text  # originals kept


def test_two_independent_sources(gm_psa_brief):
    assert gm_psa_brief.independent_sources == 2


def _discrepancy(brief, kind, pattern):
    found = [d for d in brief.discrepancies
             if d.kind == kind and any(re.search(pattern, f.text) for f in d.facts)]
    assert found, f"no {kind} discrepancy with a figure matching {pattern!r}: " + repr(
        [(d.kind, [f.text for f in d.facts]) for d in brief.discrepancies])
    return found[0]


def test_share_moves_grouped_as_time_updates(gm_psa_brief):
    d = _discrepancy(gm_psa_brief, "time-update", r"^21 percent$")
    by_text = {f.text: f for f in d.facts}
    assert {"21 percent", "13 percent", "9.5 percent", "14%"} <= set(by_text)
    assert "as much as" in by_text["21 percent"].qualifiers
    assert "at 1524 GMT" in by_text["13 percent"].qualifiers
    assert "as of 0849 GMT" in by_text["9.5 percent"].qualifiers
    assert "0.1 percent" not in by_text  # GM's own move is another quantity


def test_voting_rights_are_an_approximation(gm_psa_brief):
    d = _discrepancy(gm_psa_brief, "approximation", r"^48\.3%$")
    assert {"half", "48.3%"} <= {f.text for f in d.facts}


def test_losses_differ_in_scope_not_conflict(gm_psa_brief):
    d = _discrepancy(gm_psa_brief, "different-scope", r"497 million euro")
    assert "E92 million" in {f.text for f in d.facts}
    assert not any(x.kind == "conflict" and any("497" in f.text for f in x.facts)
                   for x in gm_psa_brief.discrepancies)


def test_spokeswoman_quote(gm_psa_brief):
    quotes = [q for q in gm_psa_brief.quotes if "routinely talk to others" in q.text]
    assert len(quotes) == 1
    q = quotes[0]
    assert q.speaker == "Kelly Cusinato"
    assert q.role and "spokeswoman" in q.role
    assert {c.article for c in q.citations} == {A, B}
    assert q.independent_sources == 1


def test_exclusives_for_each_report(gm_psa_brief):
    assert len(gm_psa_brief.exclusives) == 2
    for claims in gm_psa_brief.exclusives.values():
        assert len(claims) >= 3


def test_every_citation_is_verbatim(gm_psa_brief):
    from tests.citations import assert_citations_verbatim

    assert_citations_verbatim(gm_psa_brief)


def test_pronoun_quote_goes_to_the_last_named_person(gm_psa_brief):
    quotes = [q for q in gm_psa_brief.quotes if q.text.startswith("We struggle to see")]
    assert quotes and quotes[0].speaker == "Erich Hauser"
    assert "Credit Suisse analyst" in (quotes[0].role or "")
