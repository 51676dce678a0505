"""Tests of the normalize stage: clean_text, normalize_article and the sentence splitter."""

from __future__ import annotations

import re

import pytest

from storyline.model import Article
from storyline.normalize import (
    clean_text,
    clean_title,
    normalize,
    normalize_article,
    sentence_spans,
    split_sentences,
)

# --------------------------------------------------------------------------- clean_text: markup


def test_agency_ticker_markup_removed() -> None:
    raw = (
        "Shares of General Motors (>> General Motors Company) climbed on Thursday, while "
        "Ford <F.N>, Honda <7267.T> and Toyota <7211.T> slipped and the European autos "
        "index <.SXAP> lost ground. GM <GM.N> said demand was firm."
    )
    out = clean_text(raw)
    for tag in ("(>>", "General Motors Company", "<7211.T>", "<.SXAP>", "<GM.N>", "<F.N>",
                "<", ">"):
        assert tag not in out
    assert out == (
        "Shares of General Motors climbed on Thursday, while Ford, Honda and Toyota "
        "slipped and the European autos index lost ground. GM said demand was firm."
    )
    assert " ," not in out
    assert " ." not in out


def test_ticker_before_period_and_currency_tag() -> None:
    out = clean_text("The euro <EUR=> firmed against the dollar, lifting Airbus <AIR.PA>.")
    assert out == "The euro firmed against the dollar, lifting Airbus."


def test_currency_footnote_line_removed() -> None:
    raw = (
        "The supplier agreed to pay 120 million euros to settle the claim.\n\n"
        "($1 = 0.7539 euros)"
    )
    assert clean_text(raw) == "The supplier agreed to pay 120 million euros to settle the claim."


def test_currency_footnote_between_paragraphs() -> None:
    raw = "First paragraph of the report.\n\n(1 euro = $1.0845)\n\nSecond paragraph of it."
    assert clean_text(raw) == "First paragraph of the report.\n\nSecond paragraph of it."


def test_credits_removed_even_when_long() -> None:
    credits = (
        "(Additional reporting by Helena Moreau in Paris, Friedrich Albers in Frankfurt, "
        "Giulia Conti in Milan, Sofia Herrera in Madrid and Daniel Okafor in London; "
        "Writing by Thomas Lindqvist; Editing by Margaret Holloway, Patrick Delaney "
        "and Susan Whitfield)"
    )
    assert len(credits) > 200
    raw = f"The two carmakers expect to close the deal within a year.\n\n{credits}"
    assert clean_text(raw) == "The two carmakers expect to close the deal within a year."


def test_short_credit_line_removed() -> None:
    raw = "The board will meet again next month.\n\n(Reporting by Ana Ruiz; Editing by Tom Fry)"
    assert clean_text(raw) == "The board will meet again next month."


def test_byline_removed() -> None:
    raw = (
        "By Jane Doe and John Smith\n\n"
        "The factory will stop production at the end of the year, the company said."
    )
    assert clean_text(raw) == (
        "The factory will stop production at the end of the year, the company said."
    )


def test_newsletter_sharing_copyright_lines_removed() -> None:
    raw = (
        "The museum will reopen its east wing in the spring.\n\n"
        "Sign up for our newsletter\n\n"
        "Share this article\n\n"
        "Curators spent two years restoring the paintings.\n\n"
        "Copyright 2025 Harbour Media Group. All rights reserved."
    )
    assert clean_text(raw) == (
        "The museum will reopen its east wing in the spring.\n\n"
        "Curators spent two years restoring the paintings."
    )


def test_words_like_subscribers_are_not_boilerplate() -> None:
    raw = "Subscribers to the streaming service rose 8 percent.\n\nShares fell anyway."
    assert clean_text(raw) == raw


def test_sentence_starting_with_by_is_not_a_byline() -> None:
    raw = "By March, Ford said it would close the plant.\n\nWorkers were told on Monday."
    assert clean_text(raw) == raw


def test_sentence_about_copyright_is_kept() -> None:
    raw = "Copyright disputes have cost the studio millions.\n\nThe case went to court."
    assert clean_text(raw) == raw


# --------------------------------------------------------------------------- clean_text: layout


def test_paragraphs_separated_by_exactly_one_blank_line() -> None:
    raw = (
        "  First paragraph starts here.  \n\n\n\n"
        "Second paragraph\nwraps onto a second line.\n \n\t\n"
        "Third paragraph ends it.\n\n"
    )
    out = clean_text(raw)
    assert out == (
        "First paragraph starts here.\n\n"
        "Second paragraph wraps onto a second line.\n\n"
        "Third paragraph ends it."
    )
    assert "\n\n\n" not in out
    assert not re.search(r"[ \t]\n|\n[ \t]", out)


def test_crlf_line_endings() -> None:
    raw = "One paragraph here.\r\n\r\nAnother paragraph there.\r\n"
    assert clean_text(raw) == "One paragraph here.\n\nAnother paragraph there."


def test_nfkc_and_curly_quotes() -> None:
    raw = (
        "\u201cWe are ready,\u201d the chief said of the \uff21\uff22\uff23 plan\u2019s "
        "launch \u2018soon\u2019 \u2013 with \ufb01nal approval\u00a0due."
    )
    out = clean_text(raw)
    assert out == "\"We are ready,\" the chief said of the ABC plan's launch 'soon' \u2013 " \
                  "with final approval due."
    for ch in "\u201c\u201d\u2018\u2019\uff21\ufb01\u00a0":
        assert ch not in out


def test_guillemets_and_low_quotes_straightened() -> None:
    assert clean_text("\u00abNein\u00bb, sagte er, \u201eniemals\u201c.") == \
        '"Nein", sagte er, "niemals".'


def test_soft_hyphens_and_zero_width_spaces_removed() -> None:
    raw = "The co\u00adoperation agree\u00adment was signed in Ber\u200blin\u200c.\ufeff"
    assert clean_text(raw) == "The cooperation agreement was signed in Berlin."


def test_paragraph_broken_mid_sentence_rejoined() -> None:
    raw = (
        "General Motors and PSA\n\n"
        "are discussing a possible sale of the Opel brand, two sources said.\n\n"
        "Neither company would comment."
    )
    assert clean_text(raw) == (
        "General Motors and PSA are discussing a possible sale of the Opel brand, "
        "two sources said.\n\n"
        "Neither company would comment."
    )


def test_paragraph_after_full_stop_not_rejoined() -> None:
    raw = "The talks ended.\n\nthe next round starts in May."
    assert clean_text(raw) == raw


def test_single_newlines_are_paragraph_breaks_without_blank_lines() -> None:
    raw = "The port reopened on Friday.\nShips queued overnight.\nOfficials expect delays."
    assert clean_text(raw) == (
        "The port reopened on Friday.\n\nShips queued overnight.\n\nOfficials expect delays."
    )


def test_single_newlines_joined_when_text_has_blank_lines() -> None:
    raw = "The port reopened\non Friday morning.\n\nShips queued overnight."
    assert clean_text(raw) == "The port reopened on Friday morning.\n\nShips queued overnight."


def test_clean_text_idempotent() -> None:
    raw = (
        "By Jane Doe and John Smith\n\n"
        "Shares of General Motors (>> General Motors Company) and Ford <F.N> rose.\n\n"
        "The carmaker\n\nsaid \u201cdemand is strong.\u201d\n\n"
        "($1 = 0.91 euros)\n\n"
        "(Reporting by Ana Ruiz; Editing by Tom Fry)"
    )
    once = clean_text(raw)
    assert clean_text(once) == once


def test_clean_title() -> None:
    assert clean_title("  \u201cBig\u201d\n merger\u00a0talks ") == '"Big" merger talks'


# --------------------------------------------------------------------------- normalize_article


def _wire_article() -> Article:
    text = (
        "By Jane Doe\n\n"
        "Toyota <7211.T> said on Monday it would raise output.\n\n"
        "(Reporting by Jane Doe; Editing by Mark Stone)"
    )
    title = "\u201cToyota\u201d  to raise\noutput"
    return Article(id="t1", text=text, title=title)


def test_normalize_article_keeps_originals() -> None:
    article = _wire_article()
    raw_text, raw_title = article.text, article.title
    out = normalize_article(article)
    assert out.text == "Toyota said on Monday it would raise output."
    assert out.title == '"Toyota" to raise output'
    assert out.original_text == raw_text
    assert out.original_title == raw_title
    assert out.id == "t1"
    # the input is not changed
    assert article.text == raw_text


def test_normalize_article_idempotent() -> None:
    once = normalize_article(_wire_article())
    twice = normalize_article(once)
    assert twice.text == once.text
    assert twice.title == once.title
    assert twice.original_text == once.original_text
    assert twice.original_title == once.original_title


def test_normalize_article_prefers_existing_original_text() -> None:
    article = Article(id="a", text="already cleaned", original_text="Ford <F.N> fell.")
    assert normalize_article(article).text == "Ford fell."


def test_normalize_stream() -> None:
    articles = [Article(id=str(i), text=f"Item <X{i}.N> number {i}.") for i in range(3)]
    assert [a.text for a in normalize(articles)] == [f"Item number {i}." for i in range(3)]


# --------------------------------------------------------------------------- sentences


def _check_spans(text: str) -> list[str]:
    spans = sentence_spans(text)
    sentences = split_sentences(text)
    assert [text[s:e] for s, e in spans] == sentences
    prev_end = 0
    for s, e in spans:
        assert s >= prev_end
        assert e > s
        piece = text[s:e]
        assert piece == piece.strip()
        prev_end = e
    return sentences


@pytest.mark.parametrize(
    "text",
    [
        "Car sales in the U.S. rose 4 percent in March.",
        "The No.2 carmaker said output would recover.",
        "The plant reopens on Feb. 15 after a long shutdown.",
        "Mr. Smith and Mrs. Jones met Dr. Brown at the hearing.",
        "Quarterly profit rose 9.5 percent to 3.25 billion dollars.",
        "John F. Kennedy International Airport was closed.",
        "Trading starts at 9 a.m. and stops at 4 p.m. on weekdays.",
        '"Is it finished?" he asked.',
        '"Stop right there!" she shouted at the driver.',
        "Apple Inc. said sales grew.",
        "The U.S. Senate passed the bill.",
    ],
)
def test_one_sentence(text: str) -> None:
    assert _check_spans(text) == [text]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"It is over." She left the room.', ['"It is over."', "She left the room."]),
        (
            "The firm expanded in the U.S. The company also hired staff.",
            ["The firm expanded in the U.S.", "The company also hired staff."],
        ),
        (
            "The market closed at 4 p.m. The next session opens Monday.",
            ["The market closed at 4 p.m.", "The next session opens Monday."],
        ),
        (
            "Mr. Smith arrived on Feb. 15. He left two days later.",
            ["Mr. Smith arrived on Feb. 15.", "He left two days later."],
        ),
        (
            "Output rose 9.5 percent. Exports fell! Did imports change? Nobody knows.",
            ["Output rose 9.5 percent.", "Exports fell!", "Did imports change?",
             "Nobody knows."],
        ),
        (
            "The deal was signed by Acme Corp. The shares jumped.",
            ["The deal was signed by Acme Corp.", "The shares jumped."],
        ),
        (
            "He hesitated... Then he signed.",
            ["He hesitated...", "Then he signed."],
        ),
        (
            "Revenue grew 12 percent. 2024 was a record year.",
            ["Revenue grew 12 percent.", "2024 was a record year."],
        ),
    ],
)
def test_several_sentences(text: str, expected: list[str]) -> None:
    assert _check_spans(text) == expected


def test_paragraph_break_always_splits() -> None:
    text = "A headline without a stop\n\nThe body starts here. It goes on.\n\nMr.\n\nLast line"
    assert _check_spans(text) == [
        "A headline without a stop",
        "The body starts here.",
        "It goes on.",
        "Mr.",
        "Last line",
    ]


def test_spans_exclude_surrounding_whitespace() -> None:
    text = "   First sentence here.    Second one follows.  \n\n\n  Third in a new paragraph.  "
    sentences = _check_spans(text)
    assert sentences == [
        "First sentence here.",
        "Second one follows.",
        "Third in a new paragraph.",
    ]
    assert sentence_spans(text)[0] == (3, 23)


def test_spans_on_cleaned_article_text() -> None:
    text = clean_text(
        "Shares of GM <GM.N> rose 2.5 percent in the U.S. on Friday. Mr. Barra said "
        "\u201cdemand is strong.\u201d\n\nAnalysts at No.1 broker Acme Inc. agreed. "
        "The stock closed at 4 p.m. It was a good week."
    )
    assert _check_spans(text) == [
        "Shares of GM rose 2.5 percent in the U.S. on Friday.",
        'Mr. Barra said "demand is strong."',
        "Analysts at No.1 broker Acme Inc. agreed.",
        "The stock closed at 4 p.m.",
        "It was a good week.",
    ]


def test_spans_with_start_and_end() -> None:
    text = "Ignore this. Keep this one. And this. Drop this."
    start = text.index("Keep")
    end = text.index(" Drop")
    spans = sentence_spans(text, start, end)
    assert [text[s:e] for s, e in spans] == ["Keep this one.", "And this."]


def test_empty_and_blank_text() -> None:
    assert sentence_spans("") == []
    assert split_sentences("   \n\n  ") == []


def test_ill_at_sentence_end_splits() -> None:
    assert split_sentences("The minister fell ill. The meeting was postponed.") == [
        "The minister fell ill.",
        "The meeting was postponed.",
    ]


def test_no_at_sentence_end_splits() -> None:
    assert split_sentences("Asked about a deal, he said no. The talks ended.") == [
        "Asked about a deal, he said no.",
        "The talks ended.",
    ]


def test_blank_line_with_spaces_splits() -> None:
    assert split_sentences("A headline without a stop\n \nThe body starts here.") == [
        "A headline without a stop",
        "The body starts here.",
    ]


def test_glued_sentences_get_their_space_back() -> None:
    from storyline.normalize import clean_text, split_sentences

    text = clean_text('The mayor said so in a statement.Mr. Lund declined to comment. '
                      'He told reporters."This is final," he said. Prices rose in St.Louis.')
    assert "statement. Mr. Lund" in text and 'reporters. "This' in text
    assert "St.Louis" in text  # one lower-case letter before the stop: not a sentence end
    assert len(split_sentences(text)) == 5


def _reference_clean_text(text: str) -> str:
    """clean_text as the regexes of _markup define it, without the compiled passes."""
    from storyline.normalize import _markup as m

    text = m._fold(text)
    if "(>>" in text:
        text = m._TICKER_PAREN.sub("", text)
    if "<" in text:
        text = m._TICKER_ANGLE.sub("", text)
    if "\n\n" not in text.strip():
        text = text.replace("\n", "\n\n")
    text = m._WS.sub(" ", text)
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or m._is_boilerplate(line):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    paragraphs = [m._SPACE_BEFORE_PUNCT.sub(r"\1", p) for p in paragraphs]
    paragraphs = [m._GLUED.sub(" ", p) for p in paragraphs]
    return "\n\n".join(m._join_broken_paragraphs(paragraphs))


def test_compiled_passes_give_the_regex_output(sample_articles):
    import json

    from storyline.normalize import clean_text

    from .conftest import shared_path

    texts = [a.original_text for a in sample_articles] + [
        "Ford , Toyota  and\tGM (>> General Motors)  rose .Shares \u00a0fell.Mr. Smith said\r\n"
        "\u201cyes\u201d\u00ad\u200b.Then ; more ) here!Again? \"Quoted.\"The end\f\vok",
        "", " ", "\r\r\n\n", "a statement.Mr. Sestak said 'to reporters.\"The party'",
    ]
    for name in ("basil", "neus-dev"):
        with shared_path("corpora", name, "articles.jsonl").open(encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh]
    for text in texts:
        assert clean_text(text) == _reference_clean_text(text), text[:80]


def test_a_lean_read_drops_only_the_originals(tmp_path):
    import storyline

    full = storyline.read("sample/articles")
    lean = storyline.pipeline.read("sample/articles", originals=False)
    assert [(a.id, a.text, a.title) for a in full] == [(a.id, a.text, a.title) for a in lean]
    assert all(a.original_text for a in full) and not any(a.original_text for a in lean)


def test_a_deleted_character_between_cr_and_lf_is_one_line_break():
    from storyline.normalize import clean_text

    text = "First line of text\r\u200b\nsecond line here\nThird line."
    assert clean_text(text) == _reference_clean_text(text)


_BOILERPLATE_LINES = [
    "($1 = 0.7539 euros)", "(Additional reporting by Jane Doe; Editing by John Roe)",
    "Reporting by Jane Doe", "WRITING BY JANE DOE", "By Christiaan Hetzner and Laurence Frost",
    "BY JANE DOE, Associated Press", "Share this article", "SHARE ON Facebook", "Follow us",
    "Sign up for our newsletter", "Subscribe", "Click here", "Read more", "Related:",
    "Related stories", "Advertisement", "Copyright 2019 Reuters", "(c) 2019 AP", "\u00a9 AP",
    "All rights reserved.", "Get our free daily newsletter", "Email | Print | Tweet",
    "This article was updated on Monday", "This story has been corrected.", "Facebook",
    "Twitter / LinkedIn", "WhatsApp",
    # letters that only the regex's case folding makes ASCII: the line is left to the regex
    "\u017fhare this", "\u017fubscribe", "Wr\u0131ting by Jane Doe", "Tw\u0131tter",
    "Li\u0274kedin", "By\u2003Jane Doe",
]


def test_boilerplate_lines_are_never_ruled_out_by_their_start():
    import json

    import numpy as np

    from storyline.normalize import _fast, _markup

    from .conftest import shared_path

    lines = list(_BOILERPLATE_LINES)
    for name in ("basil", "neus-dev"):
        with shared_path("corpora", name, "articles.jsonl").open(encoding="utf-8") as fh:
            for row in fh:
                text = json.loads(row)["text"]
                lines += [ln.strip() for ln in _fast.fold_and_collapse(
                    text, _markup._FOLD_TABLE).split("\n") if ln.strip()]
    matched = 0
    for line in lines:
        if not _markup._is_boilerplate(line):
            continue
        matched += 1
        codes = _fast._codes(line)
        starts = _markup._LINE_STARTS
        assert _fast._may_be_boilerplate(codes, 0, len(codes), starts[0], starts[1],
                                         _markup._MAX_BOILERPLATE_LINE), line
    assert matched >= len(_BOILERPLATE_LINES) - 6
    assert not _fast._may_be_boilerplate(_fast._codes("The mayor said"), 0, 14,
                                         *_markup._LINE_STARTS, 400)
    spans = np.empty(8, np.int64)
    starts_, maybe = np.empty(4, np.bool_), np.empty(4, np.bool_)
    lines = _fast._line_spans(_fast._codes("a\n\n  b \nc"), *_markup._LINE_STARTS, 400,
                              spans, starts_, maybe, 0)
    assert spans[:2 * lines].tolist() == [0, 1, 5, 6, 8, 9]
    assert starts_[:lines].tolist() == [True, True, False]


def test_the_compiled_line_pass_equals_the_regexes_on_hard_cases():
    from storyline.normalize import clean_text

    long_line = "Reporting by " + "Jane Doe and " * 40
    texts = [
        "\u017fhare this\n\nThe mayor said so.\n\nSubscribe\nto us",
        "First paragraph ends here\n\nand goes on.\n\n\U0001d44e paragraph of math letters.",
        "Line one\nline two\nBy Jane Doe\nLine four.",  # no blank line: one paragraph each
        "A report <GM.N> said.\n\n(>> General Motors) rose.",  # ticker markup: the regexes
        f"Start.\n\n{long_line}\n\nEnd.", "Only\n\nAdvertisement", "Advertisement",
        "  \n \u2028 \n", "\u3000Indented\u3000\n\n\u00a0next paragraph",
        "Ends with a quote \"\n\nlower case start", "Ends with a colon:\n\nlower case start",
        "Title line\n\n\n\nby the way, lower case.\n\nBy the way, upper.",
        "\u00e9t\u00e9 \u00e0 Paris\n\n\u00e9t\u00e9 encore\n\n\u0130stanbul.",
        "Glued.Sentence ,and spaces .Here\n\nMore .", "See the note [1]\n\nand more; (so)\n\nthen",
        # NFKC: ligatures, a combining accent after a stable letter, full-width letters
        "\ufb01nance \u201cnews\u201d", "caf\u00e9 vs cafe\u0301 \u00c5ngstr\u00f6m\u0308",
        "\uff21\uff22\uff23 \u2460 \u00bd \u2026 \u00a0spaces", "\u1100\u1161 Hangul jamo",
    ]
    for text in texts:
        assert clean_text(text) == _reference_clean_text(text), text


def test_characters_taken_as_nfkc_stable_are_so_in_any_context():
    import unicodedata

    from storyline.normalize._fast import _nfkc_stable

    stable = _nfkc_stable()
    # second characters of canonical compositions: the quick check's "maybe"
    composing = set()
    for c in range(0x10000):
        nfd = unicodedata.normalize("NFD", chr(c))
        if len(nfd) >= 2:
            composing.update(nfd[1:])
    assert not any(stable[ord(ch)] for ch in composing if ord(ch) < 0x10000)
    for c in map(int, stable.nonzero()[0]):
        assert unicodedata.is_normalized("NFKC", chr(c)) and not unicodedata.combining(chr(c))
    assert stable[0xE9] and stable[0x201C] and not stable[0xA0] and not stable[0xFB01]


def test_characters_expanded_before_nfkc_are_what_nfkc_makes_of_them_anywhere():
    import unicodedata

    from storyline.normalize import _fast

    stable = _fast._nfkc_stable()
    for char, expansion in _fast._NFKC_EXPANSIONS:
        assert unicodedata.normalize("NFKC", char) == expansion
        assert unicodedata.combining(char) == 0
        assert all(ord(c) < 128 or (ord(c) < 0x10000 and stable[ord(c)]) for c in expansion)
        for around in ("a{}b", "e\u0301{}\u0301", "{}\u2026{}", "\u00bd{}x"):
            text = around.replace("{}", char)
            assert unicodedata.normalize("NFKC", _fast.expand_nfkc(text)) == \
                unicodedata.normalize("NFKC", text)
    text = "He paused\u2026 then left \u2026 for good."
    assert _fast.expand_nfkc(text) == unicodedata.normalize("NFKC", text)


def test_cleaning_many_texts_at_once_is_cleaning_each(sample_articles):
    import json

    import numpy as np

    from storyline.normalize._markup import clean_text_codes, clean_texts_codes

    from .conftest import shared_path

    texts = [a.original_text for a in sample_articles] + [
        "", " ", "Ford <F.N> rose", "x\U0001F600y \u2026", "\ufb01ne \u201cq\u201d e\u0301",
        "Ford (>> GM) up", "one\n\U00010400ower case paragraph", "a\r\nb\u2026\u00bd",
    ]
    with shared_path("corpora", "basil", "articles.jsonl").open(encoding="utf-8") as fh:
        texts += [json.loads(line)["text"] for line in fh][:150]
    codes, bounds = clean_texts_codes(texts)
    assert len(bounds) == len(texts) + 1
    for i, text in enumerate(texts):
        assert np.array_equal(codes[bounds[i]:bounds[i + 1]], clean_text_codes(text)), text[:60]
    empty, none = clean_texts_codes([])
    assert len(empty) == 0 and list(none) == [0]
