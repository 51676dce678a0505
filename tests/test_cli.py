"""The CLI contracts other tools rely on (see README: keep them stable)."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from storyline.cli import cli


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _jsonl(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_cluster_contract(gm_psa):
    rows = _jsonl(_run("cluster", str(gm_psa), "--quiet").stdout)
    assert len(rows) == 3 and all(set(r) == {"id", "story"} for r in rows)
    assert len({r["story"] for r in rows}) == 1


def test_dedup_contract(gm_psa):
    rows = {r["id"]: r for r in _jsonl(_run("dedup", str(gm_psa), "--quiet").stdout)}
    assert all(set(r) == {"id", "group", "relation", "of", "score"} for r in rows.values())
    a, b, c = sorted(rows)
    assert rows[a]["group"] == rows[b]["group"] != rows[c]["group"]
    assert {rows[a]["relation"], rows[b]["relation"]} == {"original", "version"}
    assert rows[c]["relation"] == "original" and rows[c]["of"] is None


def test_dedup_explain_shows_passages(gm_psa):
    result = _run("dedup", str(gm_psa), "--explain", "000_69ac44bc8ff2e2af",
                  "001_eddd0da20a1bd63d")
    assert result.exit_code == 0
    assert "version" in result.stdout and "routinely talk" in result.stdout


def test_brief_text_is_one_readable_brief(gm_psa):
    result = _run("brief", str(gm_psa))
    assert result.exit_code == 0
    assert result.stdout.count("SUMMARY") == 1
    assert "3 articles, 2 independent sources" in result.stdout
    assert "time update" in result.stdout


def test_brief_writes_files(tmp_path, gm_psa):
    result = _run("brief", str(gm_psa), "--format", "html", "--out", str(tmp_path))
    assert result.exit_code == 0
    pages = [p for p in tmp_path.glob("*.html") if p.name != "index.html"]
    assert len(pages) == 1 and "<html" in pages[0].read_text()
    assert "Story briefs" not in pages[0].read_text()  # one story: no "1 story" heading


def test_brief_html_folder_has_an_index_linking_every_story(tmp_path):
    from html.parser import HTMLParser

    result = _run("brief", "sample/articles", "--format", "html", "--out", str(tmp_path), "-q")
    assert result.exit_code == 0
    pages = sorted(p.name for p in tmp_path.glob("*.html") if p.name != "index.html")
    assert len(pages) >= 4  # the sample's four events (and copies kept apart)

    class Links(HTMLParser):
        hrefs: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.hrefs.append(dict(attrs)["href"])

    parser = Links()
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    parser.feed(index)
    assert sorted(parser.hrefs) == pages
    assert f"{len(pages)} stories" in index
    for name in pages:
        headline = (tmp_path / name).read_text().split("<h2>", 1)[1].split("</h2>", 1)[0]
        assert headline in index


def test_text_input_shows_no_untitled_undated_or_doubled_ids(tmp_path):
    """A .txt file has no title, date or outlet: nothing stands in for them, and its id
    (the file name) is shown once per source line."""
    texts = {
        "harbour-gazette": "The harbour council of Lakeside voted seven to two on Tuesday to "
                           "approve a budget of 12 million euros for the new pier. Council "
                           "leader Ada Brun said work would begin in May.",
        "harbour-herald": "Lakeside's harbour council approved a 12 million euro pier budget "
                          "on Tuesday by seven votes to two. Council leader Ada Brun said work "
                          "would begin in May and last two years.",
    }
    for name, text in texts.items():
        (tmp_path / f"{name}.txt").write_text(text)
    for fmt in ("text", "markdown", "html"):
        out = _run("brief", str(tmp_path), "--format", fmt, "-q").stdout
        assert "ntitled" not in out and "undated" not in out, fmt
        if fmt != "html":
            lines = [ln for ln in out.splitlines() if "harbour-gazette" in ln]
            assert lines and all(ln.count("harbour-gazette") == 1 for ln in lines), lines


def test_eval_clusters_json():
    result = _run("eval", "clusters", "sample", "--format", "json", "--quiet")
    scores = json.loads(result.stdout)
    assert scores["bcubed_f1"] == 1.0 and scores["articles"] == 22


def test_eval_clusters_without_gold_is_a_clear_error(tmp_path):
    (tmp_path / "articles.jsonl").write_text('{"id": "a", "text": "Some text here."}\n')
    result = CliRunner().invoke(cli, ["eval", "clusters", str(tmp_path)])
    assert result.exit_code != 0 and "gold" in result.output


def test_stdin_jsonl():
    data = json.dumps({"id": "x", "text": "A bridge closed on Monday after a crash."}) + "\n"
    result = CliRunner().invoke(cli, ["ingest", "-", "--quiet"], input=data)
    assert _jsonl(result.stdout) and _jsonl(result.stdout)[0]["id"] == "x"


def test_nothing_readable_exits_non_zero(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = CliRunner().invoke(cli, ["ingest", str(empty)])
    assert result.exit_code == 1


def test_eval_dedup_reports_every_relation(tmp_path):
    from tests.conftest import shared_path

    basil = shared_path("corpora", "basil")
    result = _run("eval", "dedup", str(basil), "--per-kind", "10", "--format", "json")
    scores = json.loads(result.stdout)
    assert result.exit_code == 0
    assert scores  # a well-formed report, whatever the numbers


def test_quiet_drops_warnings_and_problem_lines_are_capped(tmp_path):
    lines = [json.dumps({"id": "same", "text": f"Report number {i} about a road closure."})
             for i in range(30)]
    path = tmp_path / "dups.jsonl"
    path.write_text("\n".join(lines) + "\n")
    loud = CliRunner().invoke(cli, ["ingest", str(path)])
    assert loud.stderr.count("warning: ") == 20 and "9 more problem lines not shown" in loud.stderr
    quiet = CliRunner().invoke(cli, ["ingest", str(path), "--quiet"])
    assert "warning" not in quiet.stderr and len(_jsonl(quiet.stdout)) == 30


def test_config_file_supplies_option_defaults(tmp_path, monkeypatch):
    import storyline.serve._run as run

    seen: dict = {}
    monkeypatch.setattr(run, "run_server", lambda **kw: seen.update(kw))
    monkeypatch.delenv("STORYLINE_TOKEN", raising=False)
    config = tmp_path / "storyline.toml"
    config.write_text('[serve]\ntoken = "from-config"\nport = 8123\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "serve"])
    assert result.exit_code == 0, result.output
    assert seen["token"] == "from-config" and seen["port"] == 8123
    # the environment wins over the config file, the command line over both
    monkeypatch.setenv("STORYLINE_TOKEN", "from-env")
    CliRunner().invoke(cli, ["--config", str(config), "serve", "--port", "9000"])
    assert seen["token"] == "from-env" and seen["port"] == 9000


def test_a_broken_config_file_is_a_clear_error(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[serve\ntoken = ")
    result = CliRunner().invoke(cli, ["--config", str(config), "serve"])
    assert result.exit_code != 0 and "bad.toml: unreadable config" in result.output


def test_workers_do_not_change_the_output(gm_psa, monkeypatch):
    monkeypatch.delenv("STORYLINE_WORKERS", raising=False)
    outputs = {n: _run("dedup", "sample/articles", str(gm_psa), "--quiet", "--workers", n).stdout
               for n in ("1", "3")}
    assert outputs["1"] == outputs["3"] and outputs["1"].count("\n") == 25


def test_a_bad_workers_setting_is_a_clear_error(gm_psa, monkeypatch):
    import subprocess
    import sys

    env = {**os.environ, "STORYLINE_WORKERS": "many"}
    done = subprocess.run([sys.executable, "-m", "storyline", "dedup", str(gm_psa), "--quiet"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "storyline: error: STORYLINE_WORKERS='many'" in done.stderr
    bad = CliRunner().invoke(cli, ["dedup", str(gm_psa), "--workers", "0"])
    assert bad.exit_code == 2 and "--workers" in bad.output


def test_dedup_as_a_command_writes_everything_before_it_exits(tmp_path):
    """The command exits without tearing its objects down one by one (cli.main): what
    it wrote must all be there, in a file, with its summary and status 0; and a
    reader that stops early gets what it read and no traceback."""
    import subprocess
    import sys

    lines = [json.dumps({"id": f"a{i}", "text": f"Report {i}. " + "The council met. " * 30})
             for i in range(2054)]  # the last 6 lines are still buffered at the end
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with out.open("w") as fh:
        done = subprocess.run([sys.executable, "-m", "storyline", "dedup", str(src)],
                              stdout=fh, stderr=subprocess.PIPE, text=True, env=buffered)
    assert done.returncode == 0, done.stderr
    rows = _jsonl(out.read_text())
    assert len(rows) == 2054 and rows[-1]["id"] == "a2053"
    assert "2054 articles from 1 file" in done.stderr
    head = subprocess.run(f'"{sys.executable}" -m storyline dedup "{src}" --quiet | head -2',
                          shell=True, capture_output=True, text=True)
    assert len(head.stdout.splitlines()) == 2
    assert "Traceback" not in head.stderr and "Exception" not in head.stderr


def test_dedup_lines_are_written_as_the_json_encoder_writes_them():
    import numpy as np

    from storyline.cli import _JSON_LINE, _dedup_line
    from storyline.model import DedupRecord

    odd = ['a"b', "back\\slash", "tab\there", "naïve 東京", "line\nbreak", "\x00\x1f", "😀"]
    scores = [1.0, 0.0, 0.1 + 0.2, 0.87654321, 1 / 3, 1e-7, 1, np.float64(0.123456),
              float("nan"), float("inf")]
    for i, text in enumerate(odd):
        for score in scores:
            for of in (None, text[::-1]):
                record = DedupRecord(text, f"g{i}{text}", "near-duplicate", of, score)
                assert _dedup_line(record) == _JSON_LINE.encode(record.to_dict())


def test_config_keys_are_the_commands_option_names(tmp_path, sample_articles):
    """`format = "csv"` under [export] is --format, not a key silently ignored."""
    from storyline.store import Store

    with Store(tmp_path / "news.db") as store:
        store.add_articles(sample_articles[:3])
    config = tmp_path / "storyline.toml"
    config.write_text(f'[export]\ndb = "{tmp_path / "news.db"}"\nformat = "csv"\n'
                      '[eval.clusters]\nformat = "json"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "export", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("key,id,url,")


def test_an_unknown_config_key_names_the_file_table_and_key(tmp_path):
    config = tmp_path / "my.toml"
    for text, wanted in [
        ('[export]\nfmt = "csv"\n', "my.toml: unknown key 'fmt' in [export]"),
        ('[export]\nfmt = "csv"\n', "did you mean 'format'?"),
        ('[serve]\nport = 1\ntokn = "x"\n', "unknown key 'tokn' in [serve]"),
        ('[eval.clusters]\ncolour = 1\n', "unknown key 'colour' in [eval.clusters]"),
        ('[exprot]\nformat = "csv"\n', "unknown table [exprot]"),
        ('db = "news.db"\n', "unknown table [db]"),
    ]:
        config.write_text(text)
        result = CliRunner().invoke(cli, ["--config", str(config), "export", "--db", "x.db"])
        assert result.exit_code != 0 and wanted in result.output, (text, result.output)
