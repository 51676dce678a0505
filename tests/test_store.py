"""The storage stage, against SQLite and a throwaway PostgreSQL server.

PostgreSQL tests skip when no server is installed (scripts/install-postgres.sh
installs one; `make test` runs it) and fail instead when STORYLINE_REQUIRE_SHARED=1.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from storyline.cli import cli
from storyline.model import Article
from storyline.store import EXPORT_COLUMNS, AddResult, Store, StoreError, database_url

ROOT = Path(__file__).resolve().parent.parent


# -- a throwaway PostgreSQL server ---------------------------------------------------------


def _pg_bin() -> Path | None:
    def version(p: Path) -> tuple[int, ...]:
        name = p.parent.parent.name
        return tuple(int(x) for x in name.split(".") if x.isdigit())

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    port: int

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = _pg_bin()
    if bindir is None:
        message = ("PostgreSQL server not installed (no initdb in /usr/lib/postgresql/*/bin): "
                   "run `bash scripts/install-postgres.sh`")
        if os.environ.get("STORYLINE_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    as_postgres: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="storyline-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
    data, log, port = tmp / "data", tmp / "server.log", _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*as_postgres, *cmd], capture_output=True, text=True)
        if done.returncode != 0:
            logged = log.read_text() if log.exists() else ""
            pytest.fail(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}{logged}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
            "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off", "start")
        yield PgServer(port)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m",
                            "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _new_database(server: PgServer) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.url(_new_database(server))


# -- helpers -------------------------------------------------------------------------------


def _article(i: int, *, url: bool = True, version: int = 1, **kw: object) -> Article:
    body = (f"Report {i}, version {version}. The harbour council met on Tuesday and voted "
            f"{i % 7 + 3} to 2 on item {i}.")
    fields: dict[str, object] = {
        "id": f"a{i:04d}-v{version}", "text": body, "original_text": body,
        "title": f"Council vote {i}", "original_title": f"Council vote {i}",
        "url": f"https://news.example/{i}" if url else None, "source": "News Example",
        "published": datetime(2025, 3, 4, 8, i % 60, tzinfo=UTC), "authors": ["A. Writer"],
        "language": "en",
    }
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def _snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table but the bookkeeping ones, in a stable order."""
    engine = create_engine(database_url(url))
    skip = {"last_seen", "saved"}
    out = {}
    with engine.connect() as conn:
        for table in ("articles", "article_versions", "dedup_records", "stories",
                      "story_members", "briefs"):
            result = conn.execute(text(f"SELECT * FROM {table}"))
            cols = [c for c in result.keys() if c not in skip]  # noqa: SIM118
            out[table] = sorted(
                (tuple(json.dumps(r._mapping[c], sort_keys=True, default=str) for c in cols)
                 for r in result), key=str)
    engine.dispose()
    return out


def _count(url: str, table: str = "articles") -> int:
    engine = create_engine(database_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
    except Exception:  # not created yet
        return 0
    finally:
        engine.dispose()


# -- articles ------------------------------------------------------------------------------


def test_same_input_twice_changes_nothing(db_url: str) -> None:
    articles = [_article(i) for i in range(30)] + [_article(i, url=False) for i in range(30, 40)]
    with Store(db_url, batch_size=7) as store:
        assert store.add_articles(articles) == AddResult(new=40)
        before = _snapshot(db_url)
        assert store.add_articles(articles) == AddResult(unchanged=40)
        assert store.add_articles(articles[:5] * 2) == AddResult(unchanged=10)
        assert _snapshot(db_url) == before
        assert store.counts()["articles"] == store.counts()["article_versions"] == 40
        stored = store.articles()
    assert [a.id for a in stored] == [a.id for a in articles]  # in the order first stored
    assert stored[3] == replace(articles[3], path=None, line=None)


def test_changed_page_is_a_new_version_not_a_new_article(db_url: str) -> None:
    v1 = _article(1)
    v2 = replace(_article(1, version=2), url="https://NEWS.example/1#comments")  # same page
    with Store(db_url) as store:
        assert store.add_articles([v1]) == AddResult(new=1)
        assert store.add_articles([v2]) == AddResult(updated=1)
        assert store.add_articles([v1, v2]) == AddResult(unchanged=2)  # never reverts
        (current,) = store.articles()
        assert current.text == v2.text and current.id == v2.id
        versions = store.versions(store.key_of(v1))
        assert [v.text for v in versions] == [v1.text, v2.text]
        assert store.counts()["article_versions"] == 2
    # both versions in one batch, and a third one later
    with Store(db_url) as store:
        v3 = replace(_article(2, version=3), url=v1.url)
        assert store.add_articles([_article(5), _article(5, version=2), v3]) == AddResult(
            new=1, updated=2)
        assert len(store.versions(store.key_of(v1))) == 3
        assert len(store.versions(store.key_of(_article(5)))) == 2


def test_articles_without_url_are_keyed_by_content(db_url: str) -> None:
    a = _article(1, url=False)
    copy = replace(a, id="elsewhere", source="Other Outlet")
    changed = _article(1, url=False, version=2)
    with Store(db_url) as store:
        assert store.add_articles([a, copy, changed]) == AddResult(new=2, unchanged=1)
        assert store.key_of(a) == store.key_of(copy) != store.key_of(changed)
        assert store.key_of(a).startswith("c") and store.key_of(_article(1)).startswith("u")
        assert {x.text for x in store.articles()} == {a.text, changed.text}


# -- later stages and export ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_run(sample_articles: list[Article]) -> tuple:
    import storyline

    records = storyline.dedup(sample_articles)
    stories = storyline.cluster(sample_articles, records)
    return sample_articles, records, stories, storyline.brief(stories)


def test_dedup_stories_and_briefs_are_saved_once(db_url: str, sample_run: tuple) -> None:
    from storyline.render import brief_to_dict

    articles, records, stories, briefs = sample_run
    with Store(db_url) as store:
        store.add_articles(articles)
        for _ in range(2):  # saving again replaces, never doubles
            assert store.save_dedup(records, articles) == len(articles)
            assert store.save_stories(stories) == len(stories)
            assert store.save_briefs(briefs) == len(briefs)
        counts = store.counts()
        assert counts["dedup_records"] == len(articles)
        assert counts["stories"] == len(stories)
        assert counts["story_members"] == sum(len(set(s.article_ids)) for s in stories)
        assert counts["briefs"] == len(briefs)
        assert store.briefs() == [json.loads(json.dumps(brief_to_dict(b), default=str))
                                  for b in briefs]
        out = io.StringIO()
        store.export("jsonl", out)
    rows = {r["id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    by_id = {r.id: r for r in records}
    story_of = {aid: s.id for s in stories for aid in s.article_ids}
    for a in articles:
        row = rows[a.id]
        assert row["dedup_group"] == by_id[a.id].group
        assert row["dedup_relation"] == by_id[a.id].relation
        assert row["story"] == story_of[a.id]
        assert row["versions"] == 1


def _read_export(fmt: str, path: Path) -> list[dict]:
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "json":
        return list(json.loads(path.read_text(encoding="utf-8")))
    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            r["authors"] = json.loads(r["authors"])
            r["versions"] = int(r["versions"])
            for k, v in r.items():
                if v == "":
                    r[k] = None
        return rows
    import pyarrow.parquet as pq

    rows = pq.read_table(path).to_pylist()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, datetime):
                r[k] = v.isoformat()
    return rows


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet"])
def test_export_round_trip(db_url: str, tmp_path: Path, fmt: str) -> None:
    articles = [
        _article(1), _article(1, version=2), _article(2, url=False, authors=[], published=None),
        _article(3, text="Ünïcode “quotes”, a comma, and\na newline", language=None,
                 source=None),
    ]
    with Store(db_url) as store:
        store.add_articles(articles)
        store.save_dedup([])
        stored = store.articles()
        out = tmp_path / f"articles.{fmt}"
        assert store.export(fmt, out) == 3
        reference = io.StringIO()
        store.export("jsonl", reference)
    rows = _read_export(fmt, out)
    assert rows == [json.loads(line) for line in reference.getvalue().splitlines()]
    assert [list(r) for r in rows] == [list(EXPORT_COLUMNS)] * 3
    assert [r["versions"] for r in rows] == [2, 1, 1]
    back = [Article(id=r["id"], text=r["text"], title=r["title"], url=r["url"],
                    source=r["source"],
                    published=datetime.fromisoformat(r["published"]) if r["published"] else None,
                    authors=r["authors"], language=r["language"],
                    original_text=r["original_text"], original_title=r["original_title"])
            for r in rows]
    assert back == stored
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed over


# -- crash and resume ----------------------------------------------------------------------

CORPUS_FILES, PER_FILE, BATCH = 20, 100, 100


def _write_corpus(folder: Path) -> None:
    """2000 lines: 1600 pages, 200 articles without URL, then new versions of 200 pages."""
    lines = []
    for n in range(CORPUS_FILES * PER_FILE):
        if n < 1600:
            a = _article(n)
        elif n < 1800:
            a = _article(n, url=False)
        else:
            a = _article(n - 1800, version=2)
        lines.append(json.dumps(a.to_dict()))
    folder.mkdir()
    for f in range(CORPUS_FILES):
        chunk = lines[f * PER_FILE:(f + 1) * PER_FILE]
        (folder / f"part-{f:02d}.jsonl").write_text("\n".join(chunk) + "\n", encoding="utf-8")


def _ingest(folder: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "storyline", "ingest", str(folder), "--db", url, "--quiet",
         "--batch-size", str(BATCH)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)


def test_killed_ingest_resumes_with_nothing_lost_or_doubled(db_url: str,
                                                             tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    _write_corpus(folder)
    proc = _ingest(folder, db_url)
    deadline = time.monotonic() + 60
    while _count(db_url) < BATCH and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "ingest finished before it could be killed mid-run"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_kill = _count(db_url)
    assert BATCH <= at_kill < 1800, at_kill

    proc = _ingest(folder, db_url)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()

    engine = create_engine(database_url(db_url))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), count(DISTINCT key) FROM articles")
                            ).one() == (1800, 1800)
        per_article = conn.execute(text(
            "SELECT a.url, count(v.pk) FROM articles a JOIN article_versions v "
            "ON v.article_key = a.key GROUP BY a.url")).all()
        runs = conn.execute(text("SELECT finished FROM runs ORDER BY pk")).scalars().all()
        current: dict[str, str] = dict(conn.execute(text(
            "SELECT url, text FROM articles WHERE url IS NOT NULL")).all())
    engine.dispose()
    versions = {url: n for url, n in per_article if url is not None}
    assert sum(n for url, n in per_article if url is None) == 200  # one version each
    assert len(versions) == 1600
    assert sorted(versions.values()) == [1] * 1400 + [2] * 200
    assert all(versions[f"https://news.example/{i}"] == 2 for i in range(200))
    assert current["https://news.example/7"] == _article(7, version=2).text
    assert current["https://news.example/700"] == _article(700).text
    assert len(runs) == 2 and runs[0] is None and runs[1] is not None  # killed, then finished


# -- schema, URLs, CLI ---------------------------------------------------------------------


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storyline.store._migrate import head_revision
    from storyline.store._schema import Base
    from storyline.store._search import is_search_object

    Store(db_url).close()
    Store(db_url).close()  # opening an up-to-date store again is a no-op
    engine = create_engine(database_url(db_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": is_search_object})
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_database_urls(tmp_path: Path) -> None:
    assert database_url(tmp_path / "a.db").render_as_string() == f"sqlite:///{tmp_path}/a.db"
    assert database_url("postgresql://u:pw@h/db").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(StoreError, match="unsupported"):
        database_url("mysql://u@h/db")
    with pytest.raises(StoreError, match="no such database"):
        Store(tmp_path / "absent.db", create=False)


def test_postgresql_url_forms(pg_server: PgServer) -> None:
    name = _new_database(pg_server)
    with Store(pg_server.url(name)) as store:
        store.add_articles([_article(1)])
    with Store(pg_server.url(name, driver="postgresql+psycopg")) as store:
        assert [a.id for a in store.articles()] == [_article(1).id]


def test_cli_ingest_and_export(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    runner = CliRunner()
    first = runner.invoke(cli, ["ingest", str(ROOT / "sample"), "--db", str(db)])
    assert first.exit_code == 0, first.output
    assert first.stdout == ""  # with --db the articles go to the database, not stdout
    assert "22 new, 0 updated, 0 unchanged" in first.stderr
    again = runner.invoke(cli, ["ingest", str(ROOT / "sample"), "--db", f"sqlite:///{db}",
                                "--format", "jsonl"])
    assert "0 new, 0 updated, 22 unchanged" in again.stderr
    assert len([line for line in again.stdout.splitlines() if line.startswith("{")]) == 22
    exported = runner.invoke(cli, ["export", "--db", str(db), "--format", "csv"])
    assert exported.exit_code == 0
    assert len(list(csv.DictReader(io.StringIO(exported.stdout)))) == 22
    assert "22 articles exported as csv" in exported.stderr
    parquet = runner.invoke(cli, ["export", "--db", str(db), "--format", "parquet"])
    assert parquet.exit_code == 2 and "--out" in parquet.stderr
    out = tmp_path / "a.parquet"
    assert runner.invoke(cli, ["export", "--db", str(db), "--format", "parquet", "--out",
                               str(out), "-q"]).exit_code == 0
    assert len(_read_export("parquet", out)) == 22
    with Store(db) as store:
        assert store.counts()["runs"] == 2


def test_export_infers_the_format_and_writes_an_ordinary_file(tmp_path: Path) -> None:
    """`export --out y.csv` writes CSV (not JSON Lines), with the mode the umask gives."""
    db = tmp_path / "news.db"
    with Store(db) as store:
        store.add_articles([_article(1), _article(2)])
    runner = CliRunner()
    old = os.umask(0o022)
    try:
        for name, check in [("y.csv", lambda t: t.startswith("key,id,url,")),
                            ("y.json", lambda t: len(json.loads(t)) == 2),
                            ("y.jsonl", lambda t: len(t.splitlines()) == 2),
                            ("y.parquet", lambda t: True)]:
            out = tmp_path / name
            done = runner.invoke(cli, ["export", "--db", str(db), "--out", str(out)])
            assert done.exit_code == 0, done.output
            fmt = name.split(".")[1]
            assert f"exported as {fmt}" in done.stderr
            if fmt != "parquet":
                assert check(out.read_text(encoding="utf-8")), name
            assert len(_read_export(fmt, out)) == 2
            assert out.stat().st_mode & 0o777 == 0o644
        os.umask(0o027)
        runner.invoke(cli, ["export", "--db", str(db), "--out", str(tmp_path / "z.csv")])
        assert (tmp_path / "z.csv").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
    unknown = runner.invoke(cli, ["export", "--db", str(db), "--out", str(tmp_path / "y.txt")])
    assert unknown.exit_code == 2 and "give --format" in unknown.stderr
    assert not (tmp_path / "y.txt").exists()
    forced = runner.invoke(cli, ["export", "--db", str(db), "--out", str(tmp_path / "y.txt"),
                                 "--format", "csv", "-q"])
    assert forced.exit_code == 0 and (tmp_path / "y.txt").read_text().startswith("key,")


def test_ingest_into_a_database_quietly_prints_nothing(tmp_path: Path) -> None:
    """`ingest ... --db news.db --quiet` once printed every article as JSON Lines."""
    done = CliRunner().invoke(cli, ["ingest", str(ROOT / "sample"), "--db",
                                    str(tmp_path / "news.db"), "--quiet"])
    assert done.exit_code == 0, done.output
    assert done.stdout == "" and done.stderr == ""
    assert _count(f"sqlite:///{tmp_path / 'news.db'}") == 22


_PAGE = """<html><head><title>Harbour council votes on budget</title>
<meta property="article:published_time" content="2025-03-04T10:15:00+02:00">
<meta property="og:site_name" content="Gazette"></head><body><article>
<h1>Harbour council votes on budget</h1><p>The harbour council of the invented town met on
Tuesday evening and voted seven to two on the new budget for the pier.</p><p>The council
leader said the work would start in May and take two years, at a cost of twelve million.</p>
</article></body></html>"""


def test_dates_are_stored_as_given(db_url: str, tmp_path: Path) -> None:
    """A date alone stays a date, and a local time keeps its offset, through ingest, the
    store and the export (they were all stored as 00:00 UTC or as UTC)."""
    from datetime import timedelta, timezone

    from storyline import read

    (tmp_path / "page.html").write_text(_PAGE, encoding="utf-8")
    body = "The pier budget was approved by the council after a long debate on Tuesday."
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"id": "day", "text": body, "published": "2025-03-04"}) + "\n"
        + json.dumps({"id": "local", "text": body + " Late.",
                      "published": "2025-03-04T10:15:00+02:00"}) + "\n", encoding="utf-8")
    articles = {a.id: a for a in read([str(tmp_path / "page.html"), str(tmp_path / "b.jsonl")])}
    plus2 = timezone(timedelta(hours=2))
    assert articles["page"].published == datetime(2025, 3, 4, 10, 15, tzinfo=plus2)
    assert articles["local"].published.utcoffset() == timedelta(hours=2)
    assert articles["day"].published.isoformat() == "2025-03-04"
    assert articles["day"].published == datetime(2025, 3, 4, tzinfo=UTC)  # sorts as midnight
    with Store(db_url) as store:
        store.add_articles(articles.values())
        back = {a.id: a for a in store.articles()}
        out = io.StringIO()
        store.export("jsonl", out)
    given = {"page": "2025-03-04T10:15:00+02:00", "local": "2025-03-04T10:15:00+02:00",
             "day": "2025-03-04"}
    assert {k: a.published.isoformat() for k, a in back.items()} == given
    assert {r["id"]: r["published"] for r in map(json.loads, out.getvalue().splitlines())} \
        == given
    with Store(db_url) as store:  # the instant is what filters and sorts
        assert {a.id for a in store.articles(since=datetime(2025, 3, 4, 8, 15, tzinfo=UTC))
                } == {"page", "local"}


def test_full_text_search_finds_a_word_only_in_a_body(db_url: str) -> None:
    """Through the database's index (FTS5 / tsvector), with date, outlet and language
    filters; the index follows new, changed and re-read articles."""
    articles = [
        _article(1, text="The harbour council met. Councillor Zephyrine Okafor voted no."),
        _article(2, source="Other Outlet", language="fr",
                 text="Le conseil du port a voté. Zephyrine Okafor a voté contre.",
                 published=datetime(2025, 5, 1, 9, 0, tzinfo=UTC)),
        _article(3),
    ]
    with Store(db_url) as store:
        store.add_articles(articles)
        hits = store.search("zephyrine OKAFOR")
        assert {h.id for h in hits} == {articles[0].id, articles[1].id}
        assert "Okafor" in hits[0].snippet and "Council vote" not in hits[0].snippet
        assert store.search("okafor", source="other outlet")[0].id == articles[1].id
        assert [h.id for h in store.search("okafor", language="en")] == [articles[0].id]
        since = datetime(2025, 4, 1, tzinfo=UTC)
        assert [h.id for h in store.search("okafor", since=since)] == [articles[1].id]
        assert [h.id for h in store.search("okafor", until=since)] == [articles[0].id]
        assert [h.id for h in store.search("okafor", sort="newest")][0] == articles[1].id
        assert store.search("okafor zzzz") == [] and store.search("  ") == []
        assert store.search('okafor" OR NEAR(*') == []  # no query syntax reaches the index
        assert len(store.search("harbour", limit=1)) == 1
        assert store.search("council", limit=1, offset=1)[0].id != \
            store.search("council", limit=1)[0].id
        # a new version replaces the indexed text; the old words no longer match
        store.add_articles([_article(1, version=2, text="Renamed: Quillon Abernathy voted.")])
        assert {h.id for h in store.search("okafor")} == {articles[1].id}
        assert [h.id for h in store.search("quillon")] == ["a0001-v2"]
