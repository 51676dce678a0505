"""Quote detection, speaker attribution and the quote evaluator.

The attribution sentences below are invented for these tests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from storyline.evaluate.quotes import (
    GoldQuote,
    PredictedQuote,
    find_gold,
    load_quote_gold,
    same_speaker,
    score_article,
    score_quotes,
)
from storyline.model import Article
from tests.conftest import ROOT, shared_path


def _quotes(text: str) -> list[tuple[str, str | None]]:
    from storyline.brief import article_quotes

    a = Article(id="t", text=text)
    return [(text[q.start:q.end], q.speaker) for q in article_quotes(a)]


def _speaker_of(text: str, fragment: str) -> str | None:
    found = [s for q, s in _quotes(text) if fragment in q]
    assert found, f"no quote with {fragment!r} in {_quotes(text)}"
    return found[0]


# -- attribution rules ----------------------------------------------------------------------

def test_said_after():
    text = ('The harbour of Velmora reopened on Monday after a week of storms.\n\n'
            '"We lost six boats and nearly all of our nets," Tomas Ferreira, a fisherman, said.')
    assert _speaker_of(text, "six boats") == "Tomas Ferreira"


def test_said_before():
    text = ('The town council met late into the night.\n\n'
            'Mayor Ilse Brandauer said: "The new bridge will open before the winter comes."')
    assert _speaker_of(text, "new bridge") == "Ilse Brandauer"


def test_split_quote_keeps_one_speaker():
    text = ('Ticket sales at the museum rose sharply.\n\n'
            '"Families came back in large numbers," Nadia Okafor said, "and the new hall '
            'was full every weekend."')
    found = _quotes(text)
    assert [s for _, s in found] == ["Nadia Okafor", "Nadia Okafor"]


def test_pronoun_goes_to_the_last_named_person():
    text = ('Peter Holmberg runs the only bakery in the village.\n\n'
            'He opened it in the spring after his brother retired.\n\n'
            '"The ovens are older than I am, but they still work," he said.')
    assert _speaker_of(text, "ovens") == "Peter Holmberg"


def test_role_noun_resolves_to_the_named_person():
    text = ('Marta Solberg, a spokeswoman for the rail operator, confirmed the delays on '
            'Tuesday.\n\n'
            '"Every train on the northern line will run late until Friday," the spokeswoman '
            'said.')
    assert _speaker_of(text, "northern line") == "Marta Solberg"


def test_paragraph_of_quote_continues_the_speaker():
    text = ('"We will keep the clinic open through the holidays," Dr. Arvid Holm said.\n\n'
            '"Nobody should have to drive two hours to see a doctor."')
    assert _speaker_of(text, "two hours") == "Arvid Holm"


def test_scare_quote_is_ignored():
    text = ('The company described the layoffs as a so-called "right-sizing" of its '
            'workforce, and several hundred jobs went.')
    assert not any("right-sizing" in q for q, _ in _quotes(text))


def test_short_unattributed_phrase_is_not_a_quote():
    text = 'The "smart" meters were installed in every flat of the block last year.'
    assert _quotes(text) == []


def test_title_is_ignored():
    text = ('Speaking on "Morning Harbour Report," Lena Kostova said the budget was balanced.\n\n'
            '"We have not borrowed a single cent this year," Kostova said.')
    found = _quotes(text)
    assert not any("Morning Harbour" in q for q, _ in found)
    assert any("single cent" in q for q, _ in found)


def test_organisation_speaker():
    text = ('Greywater Logistics announced the closure of two depots.\n\n'
            '"The decision was difficult but necessary," Greywater Logistics said in a statement.')
    assert _speaker_of(text, "difficult") == "Greywater Logistics"


def test_no_speaker_when_the_text_does_not_say():
    text = ('Residents gathered outside the town hall on Saturday.\n\n'
            '"We were never asked about any of this," one resident said.')
    assert _speaker_of(text, "never asked") is None


def test_inflected_speech_verb():
    text = ('The river authority approved the dredging plan.\n\n'
            'Mayor Ilse Brandauer defended the plan on Tuesday, claiming that it would '
            '"save the lower valley from the spring floods."')
    assert _speaker_of(text, "spring floods") == "Ilse Brandauer"


def test_participle_on_a_reported_clause_keeps_the_reporter():
    text = ('Governor Lena Ambrose said the mood of the talks was "calm" and "friendly," '
            'adding that no deal was near.')
    assert [s for _, s in _quotes(text)] == ["Lena Ambrose", "Lena Ambrose"]


def test_a_word_of_the_quotation_is_not_its_speaker():
    text = ('The ferry strike ended after nine days.\n\n'
            '"There is no shortcut to an agreement. None," Ruiz said, noting that both '
            'sides "gave up something they wanted."')
    assert [s for _, s in _quotes(text)] == ["Ruiz", "Ruiz"]


def test_name_next_to_a_verb_the_parse_left_without_subject():
    text = ('The new pier reflects the "quiet ambition" the harbour board has shown for a '
            'decade, engineer Tomas Virtanen at the design firm Nordvik Partners said.')
    assert _speaker_of(text, "quiet ambition") == "Tomas Virtanen"


def test_title_before_the_name_is_not_the_speaker():
    text = ('The council voted 7 to 2 for the new budget.\n\n'
            '"We kept every library open," said Deputy Mayor Karin Olsen (Greens), the '
            "budget's main author.")
    assert _speaker_of(text, "library") == "Karin Olsen"


def test_pronoun_finds_a_subject_ner_missed():
    text = ('The plan to close the northern depot drew protests all week.\n\n'
            'Olsen, in reply to her critics, stood by the plan on Thursday.\n\n'
            '"It is the right plan for the town," she said.')
    assert _speaker_of(text, "right plan") == "Olsen"


def test_role_noun_matches_whole_words():
    text = ('President Hugo Mertens opened the summit in Lisbon.\n\n'
            'Clara Venn, the presidential hopeful of the opposition, listened from the front '
            'row.\n\n'
            '"We will not give up on the treaty," the president said.')
    assert _speaker_of(text, "treaty") == "Hugo Mertens"


def test_possessive_role_noun_and_the_pronoun_after_it():
    text = ('Marek Kessler was fined on Friday for contempt of court.\n\n'
            'Kessler attorney Dana Whitfield said in a statement that the fine was unfair.\n\n'
            "Kessler's attorney, meanwhile, criticised the court on Monday, saying the judge "
            '"ignored every witness we called."\n\n'
            'She added, "We will win this on appeal."')
    assert _speaker_of(text, "every witness") == "Dana Whitfield"
    assert _speaker_of(text, "on appeal") == "Dana Whitfield"


def test_campaign_of_a_named_person_is_the_speaker():
    text = ('Rosa Ortega leads the polls in the northern districts.\n\n'
            "Ortega's campaign said she would give a \"major address\" on Sunday about "
            '"jobs, housing and the new rail line."')
    assert same_speaker(_speaker_of(text, "rail line"), "Ortega campaign")


# -- the evaluator --------------------------------------------------------------------------

def test_same_speaker():
    assert same_speaker("Biden", "Joe Biden")
    assert same_speaker("President Obama", "Barack Obama")
    assert same_speaker("Mr. Trump", "donald trump")
    assert same_speaker("the White House", "White House")
    assert not same_speaker("Hillary Clinton", "Bill Gates")
    assert not same_speaker(None, "Joe Biden")


def test_score_article_matching_and_scare_false_positive():
    raw = ('Officials spoke. \u201cThe road will close on Friday,\u201d Ana Ruiz said. '
           'She called it a \u201ctemporary\u201d step.')
    text = raw.replace("\u201c", '"').replace("\u201d", '"')  # what normalization does

    def span(s: str, kind: str, speaker: str | None) -> GoldQuote:
        start = raw.index(s)
        return GoldQuote("t", start, start + len(s), kind, speaker,
                         "person" if speaker else None)

    gold = [span("The road will close on Friday,", "direct", "Ana Ruiz"),
            span("temporary", "scare", None)]

    def pred(s: str, speaker: str | None) -> PredictedQuote:
        start = text.index(s)
        return PredictedQuote(start, start + len(s), speaker)

    s = score_article(raw, text, gold, [pred("The road will close on Friday", "Ruiz"),
                                        pred("temporary", None)])
    assert (s.gold_direct, s.predicted, s.matched_direct, s.matched_scare_or_title) == (1, 2, 1, 1)
    assert s.precision == 0.5 and s.recall == 1.0
    assert s.speaker_accuracy == 1.0  # "Ruiz" names "Ana Ruiz"
    s = score_article(raw, text, gold, [pred("road will", "Officials")])
    assert s.matched_direct == 0 and s.recall == 0.0  # 2 of 6 words: no match
    s = score_article(raw, text, gold, [pred("The road will close on Friday,", "Bo Lind")])
    assert s.matched_direct == 1 and s.speaker_accuracy == 0.0


def test_score_quotes_on_a_tiny_corpus(tmp_path: Path):
    corpus = tmp_path / "tiny"
    corpus.mkdir()
    text = ('The ferry service resumed on Sunday.\n\n'
            '"Passengers can book again from tomorrow," Oskar Lind, the harbour master, said.')
    (corpus / "articles.jsonl").write_text(json.dumps({"id": "a1", "text": text}) + "\n")
    quote = "Passengers can book again from tomorrow,"
    start = text.index(quote)
    rec = {"corpus": "tiny", "article": "a1", "start": start, "end": start + len(quote),
           "sha1": hashlib.sha1(quote.encode()).hexdigest()[:12], "kind": "direct",
           "speaker": "Oskar Lind", "speaker_type": "person"}
    (corpus / "quotes.jsonl").write_text(json.dumps(rec) + "\n")
    (corpus / "quotes-articles.tsv").write_text("tiny\ta1\treport\n")
    gold = load_quote_gold(*find_gold(corpus, []))
    scores = score_quotes(corpus, gold)
    s = scores["report"]
    assert (s.precision, s.recall, s.speaker_accuracy, s.not_person_or_org) == (1.0, 1.0, 1.0, 0)
    assert scores["all"].articles == 1 and "tune" not in scores


@pytest.mark.parametrize("corpus,minimum", [("basil", 0.9), ("neus-dev", 0.85)])
def test_detection_on_the_gold_corpora(corpus: str, minimum: float):
    path = shared_path("corpora", corpus)
    gold = load_quote_gold(*find_gold(path, [ROOT / "docs" / "gold"]))
    s = score_quotes(path, gold, judge_kinds=False)["all"]
    assert s.precision >= 0.9 and s.recall >= minimum
