"""Tests of the ingest stage: formats, encodings, folders, and bad input that never stops."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import cli
from storyline.errors import InputError, InputProblem
from storyline.ingest import IngestReport, iter_items, read_articles

GOOD_TEXT = (
    "The city council approved a new budget for public libraries on Monday evening.\n\n"
    "Council members voted seven to two in favour of the plan after a long debate."
)
GOOD_TEXT_2 = (
    "A regional airline announced three new routes to northern coastal towns.\n\n"
    "Tickets go on sale next week, the company said in a statement."
)


# --------------------------------------------------------------------------- helpers


def _runner() -> CliRunner:
    # click >= 8.2 removed mix_stderr and always keeps stderr apart in result.stderr.
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def _invoke(args: list[str], input: bytes | str | None = None):
    return _runner().invoke(cli, args, input=input)


def _stdout(result) -> str:
    return result.stdout


def _stderr(result) -> str:
    try:
        return result.stderr
    except ValueError:  # old click without separate stderr
        return result.output


def _rows(result) -> list[dict]:
    return [json.loads(line) for line in _stdout(result).splitlines() if line.strip()]


def _good_txt(folder: Path, name: str = "good.txt") -> Path:
    path = folder / name
    path.write_text(GOOD_TEXT, encoding="utf-8")
    return path


def _read(inputs, **kwargs):
    report = IngestReport()
    articles = read_articles([str(i) for i in inputs], report=report, **kwargs)
    return articles, report


def _only_error(report: IngestReport) -> InputProblem:
    assert len(report.errors) == 1, report.problems
    return report.errors[0]


def _check_cli(inputs: list[Path], bad_path_fragment: str, reason_fragment: str,
               good_ids: set[str]) -> None:
    """Via the CLI: good articles output, problem reported, exit 0 / non-zero with --strict."""
    args = ["ingest", *[str(p) for p in inputs]]
    result = _invoke(args)
    assert result.exit_code == 0, (_stdout(result), _stderr(result))
    assert {row["id"] for row in _rows(result)} == good_ids
    err = _stderr(result)
    assert bad_path_fragment in err
    assert reason_fragment in err

    strict = _invoke([*args, "--strict"])
    assert strict.exit_code != 0
    # the rest is still output in strict mode
    assert {row["id"] for row in _rows(strict)} == good_ids


# --------------------------------------------------------------------------- bad input


def test_empty_file(tmp_path: Path) -> None:
    good = _good_txt(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    articles, report = _read([good, empty])
    assert [a.id for a in articles] == ["good"]
    problem = _only_error(report)
    assert problem.path == str(empty)
    assert problem.line is None
    assert "empty" in problem.reason
    assert str(problem).startswith(str(empty))
    _check_cli([good, empty], str(empty), "empty file", {"good"})


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b"  \n\n\t \r\n")
    good = _good_txt(tmp_path)
    articles, report = _read([blank, good])
    assert [a.id for a in articles] == ["good"]
    assert "empty" in _only_error(report).reason


def test_binary_file(tmp_path: Path) -> None:
    good = _good_txt(tmp_path)
    binary = tmp_path / "picture.txt"
    binary.write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"
        b"\x00\x00\x00\x1f\xf3\xffa" + bytes(range(256)) * 4
    )
    articles, report = _read([binary, good])
    assert [a.id for a in articles] == ["good"]
    problem = _only_error(report)
    assert problem.path == str(binary)
    assert "binary" in problem.reason
    _check_cli([binary, good], str(binary), "binary", {"good"})


def test_broken_json_line_among_good_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": GOOD_TEXT}),
        "",  # blank lines are skipped but still counted
        json.dumps({"id": "a2", "text": GOOD_TEXT_2}),
        '{"id": "a3", "text": "unterminated',
        json.dumps({"id": "a4", "text": "A ferry service resumed after the storm passed."}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles, report = _read([path])
    assert [a.id for a in articles] == ["a1", "a2", "a4"]
    assert [a.line for a in articles] == [1, 3, 5]
    problem = _only_error(report)
    assert problem.path == str(path)
    assert problem.line == 4
    assert "broken JSON" in problem.reason
    assert str(problem).startswith(f"{path}:4: ")
    _check_cli([path], f"{path}:4", "broken JSON", {"a1", "a2", "a4"})


def test_broken_json_line_number_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    body = "\r\n".join([
        json.dumps({"id": "b1", "text": GOOD_TEXT}),
        "{not json}",
        json.dumps({"id": "b3", "text": GOOD_TEXT_2}),
    ])
    path.write_bytes(body.encode("utf-8"))
    articles, report = _read([path])
    assert [a.id for a in articles] == ["b1", "b3"]
    assert _only_error(report).line == 2


def test_jsonl_line_with_raw_line_separator_in_string(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    record = {"id": "sep", "text": "First part of the story.\u2028Second part of the story."}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    articles, report = _read([path])
    assert report.problems == []
    assert [a.id for a in articles] == ["sep"]


def test_unknown_format_named_explicitly(tmp_path: Path) -> None:
    good = _good_txt(tmp_path)
    notes = tmp_path / "notes.xyz"
    notes.write_text("some notes that are not an article", encoding="utf-8")
    articles, report = _read([notes, good])
    assert [a.id for a in articles] == ["good"]
    problem = _only_error(report)
    assert problem.path == str(notes)
    assert "unknown format" in problem.reason
    assert ".xyz" in problem.reason
    assert ".jsonl" in problem.reason  # lists what is expected
    assert report.skipped == []  # named explicitly: an error, not a silent skip
    _check_cli([notes, good], str(notes), "unknown format", {"good"})


def test_record_with_no_text_field(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(
        json.dumps({"id": "ok1", "text": GOOD_TEXT}) + "\n"
        + json.dumps({"id": "notext", "title": "A headline without a body"}) + "\n"
        + json.dumps({"id": "ok3", "maintext": GOOD_TEXT_2}) + "\n",
        encoding="utf-8",
    )
    articles, report = _read([path])
    assert [a.id for a in articles] == ["ok1", "ok3"]
    problem = _only_error(report)
    assert problem.path == str(path)
    assert problem.line == 2
    assert "missing text field" in problem.reason
    _check_cli([path], f"{path}:2", "missing text field", {"ok1", "ok3"})


def test_record_with_no_text_field_in_json_array(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(
        json.dumps([{"id": "j1", "text": GOOD_TEXT}, {"id": "j2", "headline": "Only a title"}]),
        encoding="utf-8",
    )
    articles, report = _read([path])
    assert [a.id for a in articles] == ["j1"]
    problem = _only_error(report)
    assert problem.path == str(path)
    assert "missing text field" in problem.reason


def test_nonexistent_path(tmp_path: Path) -> None:
    good = _good_txt(tmp_path)
    missing = tmp_path / "nowhere" / "missing.jsonl"
    articles, report = _read([missing, good])
    assert [a.id for a in articles] == ["good"]
    problem = _only_error(report)
    assert problem.path == str(missing)
    assert problem.line is None
    assert "no such file" in problem.reason
    _check_cli([missing, good], str(missing), "no such file", {"good"})


def test_strict_raises_on_first_error(tmp_path: Path) -> None:
    good = _good_txt(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_articles([str(empty), str(good)], strict=True)
    assert info.value.problem.path == str(empty)
    assert str(empty) in str(info.value)


def test_on_problem_callback_receives_each_problem(tmp_path: Path) -> None:
    good = _good_txt(tmp_path)
    seen: list[InputProblem] = []
    articles = read_articles([str(tmp_path / "a.txt"), str(good), str(tmp_path / "b.txt")],
                             on_problem=seen.append)
    assert [a.id for a in articles] == ["good"]
    assert [Path(p.path).name for p in seen] == ["a.txt", "b.txt"]


def test_cli_only_bad_input_fails(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = _invoke(["ingest", str(empty)])
    assert result.exit_code != 0
    assert "no articles" in _stderr(result)


# --------------------------------------------------------------------------- formats


def test_txt_id_is_stem_and_text_kept(tmp_path: Path) -> None:
    path = tmp_path / "city-budget.txt"
    path.write_text(GOOD_TEXT, encoding="utf-8")
    (article,), report = _read([path])
    assert report.problems == []
    assert report.files == 1
    assert article.id == "city-budget"
    assert article.text == GOOD_TEXT
    assert article.original_text == GOOD_TEXT
    assert article.path == str(path)


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Harbour bridge reopens after repairs | Coastline Gazette</title>
<meta property="og:title" content="Harbour bridge reopens after repairs">
<meta property="og:site_name" content="Coastline Gazette">
<meta property="article:published_time" content="2024-03-05T08:30:00+00:00">
</head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/sport">Sport pages</a></li>
<li><a href="/weather">Weather desk</a></li></ul></nav>
<article>
<h1>Harbour bridge reopens after repairs</h1>
<p>The old harbour bridge reopened to traffic on Tuesday morning after eleven months of
structural repairs that cost the city roughly four million dollars.</p>
<p>Engineers replaced corroded steel cables and resurfaced the entire deck, according to
the municipal works department, which oversaw the project from start to finish.</p>
<p>Local shop owners said the closure had cut the number of visitors to the waterfront
district by almost a third during the busy summer season last year.</p>
<p>The mayor told reporters that a new inspection schedule would make sure the bridge did
not fall into such poor condition again in the coming decades.</p>
</article>
<footer><p>Contact the newsroom at tips@example.org</p>
<p>Privacy policy and cookie settings</p></footer>
</body>
</html>
"""


def test_html_page(tmp_path: Path) -> None:
    path = tmp_path / "bridge.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    (article,), report = _read([path])
    assert report.errors == []
    assert article.id == "bridge"
    assert article.title == "Harbour bridge reopens after repairs"
    assert article.source == "Coastline Gazette"
    assert article.published is not None
    assert article.published.date() == date(2024, 3, 5)
    assert "old harbour bridge reopened" in article.text
    assert "inspection schedule" in article.text
    for furniture in ("Sport pages", "Weather desk", "tips@example.org", "Privacy policy"):
        assert furniture not in article.text
    # the headline is not repeated as the first paragraph
    assert not article.text.startswith("Harbour bridge reopens")
    assert "\n\n" in article.text  # paragraphs kept apart


def test_html_without_article_text_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<html><head><title>x</title></head><body></body></html>", encoding="utf-8")
    good = _good_txt(tmp_path)
    articles, report = _read([path, good])
    assert [a.id for a in articles] == ["good"]
    problem = _only_error(report)
    assert problem.path == str(path)
    assert "no article text" in problem.reason


def test_json_single_object(tmp_path: Path) -> None:
    path = tmp_path / "single.json"
    path.write_text(json.dumps({"title": "Budget vote", "text": GOOD_TEXT}), encoding="utf-8")
    (article,), report = _read([path])
    assert report.problems == []
    assert article.id == "single"  # no id field: the file stem
    assert article.title == "Budget vote"
    assert article.text == GOOD_TEXT


def test_json_array(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(
        json.dumps([
            {"id": "first", "text": GOOD_TEXT},
            {"text": GOOD_TEXT_2, "headline": "New routes"},
        ]),
        encoding="utf-8",
    )
    articles, report = _read([path])
    assert report.problems == []
    assert [a.id for a in articles] == ["first", "many-2"]
    assert articles[1].title == "New routes"
    assert articles[1].text == GOOD_TEXT_2


def test_broken_json_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "x",\n  "text": \n}\n', encoding="utf-8")
    articles, report = _read([path, _good_txt(tmp_path)])
    assert [a.id for a in articles] == ["good"]
    problem = _only_error(report)
    assert problem.path == str(path)
    assert problem.line == 4
    assert "broken JSON" in problem.reason


def test_jsonl_news_please_names(tmp_path: Path) -> None:
    path = tmp_path / "np.jsonl"
    record = {
        "maintext": GOOD_TEXT,
        "title": "Libraries get more money",
        "date_publish": "2021-04-22 10:00:00",
        "source_domain": "www.example-news.com",
        "authors": ["Ana Silva", "Tom Berg"],
        "url": "https://www.example-news.com/2021/04/22/libraries",
        "language": "en",
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (article,), report = _read([path])
    assert report.problems == []
    assert article.text == GOOD_TEXT
    assert article.title == "Libraries get more money"
    assert article.published == datetime(2021, 4, 22, 10, 0, tzinfo=UTC)
    assert article.source == "www.example-news.com"
    assert article.authors == ["Ana Silva", "Tom Berg"]
    assert article.url == record["url"]
    assert article.language == "en"
    assert article.line == 1
    assert article.id.startswith("url-")  # no id: derived from the URL, stable


def test_csv_with_header(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text(
        "id,title,text,published,source\n"
        'c1,Budget vote,"The council approved the budget, after a long debate.",'
        "2023-01-10T09:00:00Z,Town Crier\n"
        'c2,New routes,"The airline adds routes.\nTickets go on sale soon.",,Air Daily\n',
        encoding="utf-8",
    )
    articles, report = _read([path])
    assert report.problems == []
    assert [a.id for a in articles] == ["c1", "c2"]
    assert articles[0].text == "The council approved the budget, after a long debate."
    assert articles[0].published == datetime(2023, 1, 10, 9, 0, tzinfo=UTC)
    assert articles[0].source == "Town Crier"
    assert articles[1].text == "The airline adds routes.\nTickets go on sale soon."
    assert articles[1].published is None
    assert articles[0].line == 2


def test_stdin_dash() -> None:
    data = (
        json.dumps({"id": "s1", "text": GOOD_TEXT}) + "\n"
        + json.dumps({"text": GOOD_TEXT_2}) + "\n"
    ).encode("utf-8")
    report = IngestReport()
    articles = read_articles(["-"], report=report, stdin=io.BytesIO(data))
    assert report.problems == []
    assert report.files == 1
    assert [a.id for a in articles] == ["s1", "stdin-2"]
    assert articles[0].text == GOOD_TEXT
    assert articles[0].path == "<stdin>"


def test_stdin_broken_line_names_stdin() -> None:
    data = (json.dumps({"id": "s1", "text": GOOD_TEXT}) + "\nnot json at all\n").encode()
    report = IngestReport()
    articles = read_articles(["-"], report=report, stdin=io.BytesIO(data))
    assert [a.id for a in articles] == ["s1"]
    problem = _only_error(report)
    assert problem.path == "<stdin>"
    assert problem.line == 2


def test_iter_items_yields_articles_and_problems(tmp_path: Path) -> None:
    good = _good_txt(tmp_path)
    items = list(iter_items([str(good), str(tmp_path / "gone.txt")]))
    assert [type(i).__name__ for i in items] == ["Article", "InputProblem"]


# --------------------------------------------------------------------------- encodings

ENCODED_TEXT = "Caf\u00e9 owners in Z\u00fcrich said \u201cbusiness is back\u201d this week."


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\xef\xbb\xbf" + ENCODED_TEXT.encode("utf-8"), id="utf-8-bom"),
        pytest.param(b"\xff\xfe" + ENCODED_TEXT.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff" + ENCODED_TEXT.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(ENCODED_TEXT.encode("utf-8"), id="utf-8"),
    ],
)
def test_encodings_with_bom(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "enc.txt"
    path.write_bytes(raw)
    (article,), report = _read([path])
    assert report.problems == []
    assert article.text == ENCODED_TEXT  # BOM gone, characters intact


def test_utf16_jsonl_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "wide.jsonl"
    body = json.dumps({"id": "w1", "text": ENCODED_TEXT}, ensure_ascii=False) + "\n"
    path.write_bytes(b"\xff\xfe" + body.encode("utf-16-le"))
    (article,), report = _read([path])
    assert report.problems == []
    assert article.text == ENCODED_TEXT


def test_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(b"The caf\xe9 reopened. \x93Quoted words\x94 \x96 said the owner.")
    (article,), report = _read([path])
    assert report.problems == []
    assert article.text == (
        "The caf\u00e9 reopened. \u201cQuoted words\u201d \u2013 said the owner."
    )


def test_a_jsonl_file_of_mixed_encodings_keeps_its_good_lines(tmp_path: Path) -> None:
    path = tmp_path / "pieced.jsonl"
    lines = [
        json.dumps({"id": "u1", "text": "Caf\u00e9 owners met on Monday."}, ensure_ascii=False)
        .encode("utf-8"),
        b'{"id": "c1", "text": "The caf\xe9 reopened \x93today\x94."}',  # cp1252
        b'{"id": "bad", "text": "A corrupt byte \x9d here."}',  # neither encoding
        json.dumps({"id": "u2", "text": "A second UTF-8 report."}).encode("utf-8"),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    articles, report = _read([path])
    assert [a.id for a in articles] == ["u1", "c1", "u2"]
    assert articles[1].text == "The caf\u00e9 reopened \u201ctoday\u201d."
    (problem,) = report.problems
    assert problem.line == 3 and "neither UTF-8 nor cp1252" in problem.reason
    # the dedup command reads JSON Lines in blocks; it falls back to the same
    result = CliRunner().invoke(cli, ["dedup", str(path), "--quiet"])
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == ["u1", "c1", "u2"]
    assert "pieced.jsonl:3: neither UTF-8 nor cp1252" in result.stderr


# --------------------------------------------------------------------------- folders


def test_folder_recursive_sorted_hidden_ignored_gold_skipped(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "b_sub").mkdir(parents=True)
    (root / ".cache").mkdir()
    (root / "c.txt").write_text("Third article in the corpus.", encoding="utf-8")
    (root / "a.txt").write_text("First article in the corpus.", encoding="utf-8")
    (root / "b_sub" / "b.jsonl").write_text(
        json.dumps({"id": "b", "text": "Second article in the corpus."}) + "\n",
        encoding="utf-8",
    )
    (root / ".hidden.txt").write_text("A hidden file must not be read.", encoding="utf-8")
    (root / ".cache" / "x.txt").write_text("Hidden folder content.", encoding="utf-8")
    (root / "gold.tsv").write_text("a\ts1\nb\ts1\nc\ts2\n", encoding="utf-8")
    articles, report = _read([root])
    assert [a.id for a in articles] == ["a", "b", "c"]
    assert report.errors == []
    assert report.problems == []
    assert report.skipped == [str(root / "gold.tsv")]
    assert report.files == 3


def test_folder_via_cli_reports_passed_over(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    _good_txt(root, "one.txt")
    (root / "gold.tsv").write_text("one\ts1\n", encoding="utf-8")
    result = _invoke(["ingest", str(root), "--strict"])
    assert result.exit_code == 0
    assert [r["id"] for r in _rows(result)] == ["one"]
    assert "passed over" in _stderr(result)


def test_duplicate_ids_renamed_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "dups.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": "same", "text": t}) + "\n"
            for t in (GOOD_TEXT, GOOD_TEXT_2, "A third report with the same id.")
        ),
        encoding="utf-8",
    )
    articles, report = _read([path])
    assert [a.id for a in articles] == ["same", "same~2", "same~3"]
    assert [a.text for a in articles][1] == GOOD_TEXT_2
    assert report.errors == []
    warnings = [p for p in report.problems if p.severity == "warning"]
    assert len(warnings) == 2
    assert warnings[0].path == str(path)
    assert warnings[0].line == 2
    assert "duplicate id 'same'" in warnings[0].reason
    assert "same~2" in warnings[0].reason


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    first = _good_txt(tmp_path / "x", "story.txt")
    second = _good_txt(tmp_path / "y", "story.txt")
    articles, report = _read([first, second])
    assert [a.id for a in articles] == ["story", "story~2"]
    (warning,) = report.problems
    assert warning.severity == "warning"
    assert warning.path == str(second)


def test_unparseable_date_is_warning(tmp_path: Path) -> None:
    path = tmp_path / "dated.jsonl"
    path.write_text(
        json.dumps({"id": "d1", "text": GOOD_TEXT, "date_publish": "sometime last week"}) + "\n",
        encoding="utf-8",
    )
    (article,), report = _read([path])
    assert article.published is None
    assert report.errors == []
    (warning,) = report.problems
    assert warning.severity == "warning"
    assert warning.path == str(path)
    assert warning.line == 1
    assert "sometime last week" in warning.reason
    # a warning alone does not fail --strict
    result = _invoke(["ingest", str(path), "--strict"])
    assert result.exit_code == 0
    assert "warning" in _stderr(result)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-04-22 10:00:00", datetime(2021, 4, 22, 10, 0, tzinfo=UTC)),
        ("2021-04-22T12:00:00+02:00", datetime(2021, 4, 22, 10, 0, tzinfo=UTC)),
        ("Thu, 22 Apr 2021 10:00:00 GMT", datetime(2021, 4, 22, 10, 0, tzinfo=UTC)),
    ],
)
def test_date_formats(tmp_path: Path, raw: str, expected: datetime) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "d", "text": GOOD_TEXT, "published": raw}) + "\n",
                    encoding="utf-8")
    (article,), report = _read([path])
    assert report.problems == []
    assert article.published == expected


# --------------------------------------------------------------------------- CLI


def test_cli_ingest_jsonl_output(tmp_path: Path) -> None:
    path = tmp_path / "budget.txt"
    path.write_text(GOOD_TEXT, encoding="utf-8")
    other = tmp_path / "routes.txt"
    other.write_text(GOOD_TEXT_2, encoding="utf-8")
    result = _invoke(["ingest", str(path), str(other), "--format", "jsonl"])
    assert result.exit_code == 0, _stderr(result)
    lines = [ln for ln in _stdout(result).splitlines() if ln.strip()]
    assert len(lines) == 2
    rows = [json.loads(ln) for ln in lines]
    assert [r["id"] for r in rows] == ["budget", "routes"]
    assert rows[0]["text"] == GOOD_TEXT
    assert "2 articles from 2 files" in _stderr(result)


def test_cli_ingest_stdin(tmp_path: Path) -> None:
    data = json.dumps({"id": "piped", "text": GOOD_TEXT}) + "\n"
    result = _invoke(["ingest", "-"], input=data)
    assert result.exit_code == 0, _stderr(result)
    assert [r["id"] for r in _rows(result)] == ["piped"]


def test_parallel_read_of_a_large_jsonl_equals_the_serial_read(tmp_path, sample_articles):
    import storyline.pipeline
    from storyline.ingest import PARALLEL_MIN_BYTES

    lines = []
    n = 0
    while sum(len(x) for x in lines) < PARALLEL_MIN_BYTES + 100_000:
        a = sample_articles[n % len(sample_articles)]
        lines.append(json.dumps({"id": f"a{n}", "title": a.original_title,
                                 "text": a.original_text, "published": "2025-03-05"}))
        if n % 997 == 5:
            lines.append("{broken")
        if n % 1999 == 7:
            lines.append(json.dumps({"id": "a3", "text": "a repeated id"}))
        n += 1
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runs = []
    for workers in (1, 2):
        report = IngestReport()
        arts = storyline.pipeline.read(path, report=report, workers=workers)
        runs.append((arts, [str(p) for p in report.problems]))
    (serial, serial_problems), (parallel, parallel_problems) = runs
    assert len(serial) > 1000
    assert serial == parallel
    assert serial_problems == parallel_problems and any("broken JSON" in p
                                                        for p in serial_problems)
    assert serial[0].text != serial[0].original_text or "\n\n" in serial[0].text  # normalized


def test_a_then_that_cannot_be_pickled_reads_serially(tmp_path, sample_articles):
    from storyline.ingest import PARALLEL_MIN_BYTES

    line = json.dumps({"text": sample_articles[0].original_text})
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join([line] * (PARALLEL_MIN_BYTES // len(line) + 10)), encoding="utf-8")
    arts = read_articles([path], then=lambda a: a, workers=2)  # a lambda cannot be pickled
    assert len(arts) > 100


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("end", [b"", b"\n", b"\r\n"])
def test_jsonl_blocks_are_ranges_of_whole_lines_with_their_numbers(tmp_path, bom, end):
    from storyline.ingest import iter_jsonl_blocks, read_block

    lines = [json.dumps({"id": f"a{n}", "text": "word " * (n % 7) * (40 if n == 9 else 1)})
             for n in range(40)]
    lines[3] = ""  # an empty line still counts
    path = tmp_path / "a.jsonl"
    path.write_bytes(bom + (end or b"\n").join(x.encode() for x in lines) + end)
    size = 64  # smaller than most lines, and far smaller than line 10
    blocks = list(iter_jsonl_blocks(path, size))
    assert len(blocks) > 10 and blocks[0][0] == len(bom)
    got: list[tuple[int, str]] = []
    for start, stop, first in blocks:
        data = read_block(path, start, stop).decode()
        got += [(first + k, line.rstrip("\r")) for k, line in enumerate(data.split("\n"))]
    assert [(n, x) for n, x in got if x] == [(n + 1, x) for n, x in enumerate(lines) if x]
    with pytest.raises(OSError, match="changed"):
        read_block(path, 0, path.stat().st_size + 10)
    from storyline.ingest import file_stamp

    stamp = file_stamp(path)
    assert read_block(path, 0, 5, stamp) == path.read_bytes()[:5]
    path.write_bytes(path.read_bytes() + b"\n")  # rewritten since the blocks were found
    with pytest.raises(OSError, match="changed"):
        read_block(path, 0, 5, stamp)


def test_jsonl_fields_are_those_of_the_articles_read() -> None:
    """Dedup's lean reader gives the id, text, date and line of the articles the full
    reader builds, and the same problems in the same order."""
    from storyline.ingest._formats import read_jsonl_fields, read_jsonl_lines

    lines = [
        json.dumps({"id": "a", "text": "One.", "published": "2024-03-01T10:00:00+01:00"}),
        "{broken",
        json.dumps(["a", "list"]),
        json.dumps({"title": "no text"}),
        json.dumps({"text": "  "}),
        json.dumps({"maintext": "From news-please.", "date_publish": "2024-03-01 09:00:00",
                    "url": "https://example.org/a"}),
        json.dumps({"text": "Undated, no id.", "published": "soon"}),
        "",
        json.dumps({"id": 7, "content": "A number for an id.", "date": 1700000000}),
        json.dumps({"id": "", "text": 5}),
        # where orjson refuses or would read otherwise, json decides
        '{"id": 123456789012345678901234567890, "text": "An id beyond 64 bits."}',
        '{"id": "n", "text": "A date that is not a number.", "published": NaN}',
        '{"id": "f", "text": 5.5}',
        "123456789012345678901234567890",
        '{"id": "s", "text": "A lone surrogate \\ud800 in it."}',
        '{"id": "t", "text": "A raw\ttab."}',
        "\u00a0\u2028",
        "\ufeff" + json.dumps({"id": "bom", "text": "After a byte order mark."}),
        json.dumps({"id": "ok", "text": "Caf\u00e9 \u201cquoted\u201d.", "published": 1.5e9},
                   ensure_ascii=False) + "\r",
    ]
    full = list(read_jsonl_lines(lines, "f.jsonl", "f", 3))
    lean = list(read_jsonl_fields([line.encode("utf-8", "surrogatepass") for line in lines],
                                  "f.jsonl", "f", 3))
    expected = [item if isinstance(item, InputProblem)
                else (item.id, item.original_text, item.published, item.line) for item in full]
    assert lean == expected
    assert ("123456789012345678901234567890", "An id beyond 64 bits.", None, 13) in lean
    assert [i[3] for i in lean if isinstance(i, tuple)] == [3, 8, 9, 11, 13, 14, 17, 21]
    assert [i.line for i in lean if isinstance(i, InputProblem)] == [4, 5, 6, 7, 9, 12, 14, 15,
                                                                     16, 18, 20]
    assert "got int" in next(i.reason for i in lean if isinstance(i, InputProblem)
                             and i.line == 16)
    with pytest.raises(UnicodeDecodeError):  # the caller then reads the file whole
        list(read_jsonl_fields([b'{"text": "ok"}', b'{"text": "caf\xe9"}'], "f", "f", 1))
