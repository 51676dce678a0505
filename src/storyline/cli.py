"""The ``storyline`` command. Each stage is a subcommand over the same Python API.

Output goes to stdout (pipeable JSONL by default for the data stages); problems,
progress and the closing summary go to stderr.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from . import pipeline
from ._memory import reuse_freed_memory
from ._progress import Progress
from .errors import InputProblem, StorylineError
from .ingest import IngestReport
from .model import Article, DedupRecord

__all__ = ["main", "cli"]

F = TypeVar("F", bound=Callable[..., Any])
_INPUTS_HELP = "Files, folders (read recursively) or - for JSON Lines on standard input."


def _err(msg: str) -> None:
    click.echo(msg, err=True)


class _Run:
    """Shared state of one command run: options, problems and the closing summary."""

    MAX_SHOWN = 20  # problem lines printed; the rest are counted in the summary

    def __init__(self, quiet: bool, strict: bool) -> None:
        self.quiet = quiet
        self.strict = strict
        self.report = IngestReport()
        reuse_freed_memory()  # a batch run: see storyline/_memory.py
        self.shown = 0
        self.hidden = 0

    def problem(self, p: InputProblem) -> None:
        if self.quiet and p.severity == "warning":
            return
        if self.shown >= self.MAX_SHOWN:
            self.hidden += 1
            return
        self.shown += 1
        _err(f"storyline: {p.severity}: {p}")

    def read(self, inputs: Iterable[str], *, originals: bool = True) -> list[Article]:
        return pipeline.read(list(inputs), report=self.report, on_problem=self.problem,
                             originals=originals)

    def summary(self, articles: int, extra: str = "") -> None:
        errors = len(self.report.errors)
        warnings = len(self.report.problems) - errors
        if not self.quiet:
            parts = [f"{articles} article{'s' if articles != 1 else ''} from "
                     f"{self.report.files} file{'s' if self.report.files != 1 else ''}"]
            if errors:
                parts.append(f"{errors} bad input{'s' if errors != 1 else ''} skipped")
            if warnings:
                parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
            if self.hidden:
                parts.append(f"{self.hidden} more problem lines not shown")
            if self.report.skipped:
                parts.append(f"{len(self.report.skipped)} file(s) of other formats passed over")
            _err("storyline: " + ", ".join(parts) + (f"; {extra}" if extra else ""))
        if articles == 0:
            _err("storyline: error: no articles could be read")
            sys.exit(1)
        if self.strict and errors:
            sys.exit(2)

    def progress(self, label: str, total: int) -> Progress:
        return Progress(label, total, enabled=not self.quiet)


def _common(func: F) -> F:
    """Options every data command shares (as sqlite-utils does)."""

    @click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
    @click.option("--quiet", "-q", is_flag=True, help="No progress bar and no closing summary.")
    @click.option("--strict", is_flag=True,
                  help="Exit with status 2 when any input was bad (the rest is still output).")
    @click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
                  help="Processes/threads to use (default: one per core, at most 4; also "
                       "STORYLINE_WORKERS). The output does not depend on it.")
    @wraps(func)
    def wrapper(*args: Any, workers: int | None = None, **kwargs: Any) -> Any:
        if workers is not None:
            os.environ["STORYLINE_WORKERS"] = str(workers)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


_JSON_LINE = json.JSONEncoder(ensure_ascii=False)  # json.dumps makes one per call


def _emit_jsonl(rows: Iterable[Any], encode: Callable[[Any], str] = _JSON_LINE.encode) -> None:
    out = sys.stdout
    lines: list[str] = []
    for row in rows:
        lines.append(encode(row))
        if len(lines) >= 1024:  # a write per line cost as much as encoding it
            out.write("\n".join(lines) + "\n")
            lines.clear()
    if lines:
        out.write("\n".join(lines) + "\n")


def _dedup_line(record: DedupRecord) -> str:
    """``_JSON_LINE.encode(record.to_dict())``, the same text, formatted directly: the
    encoder and the dict took a third of a second at 50,000 records. Anything but a
    finite float score goes through the encoder."""
    score = round(record.score, 4)
    if type(score) is not float or not math.isfinite(score):
        return _JSON_LINE.encode(record.to_dict())
    of = "null" if record.of is None else _string(record.of)
    return (f'{{"id": {_string(record.id)}, "group": {_string(record.group)}, '
            f'"relation": {_string(record.relation)}, "of": {of}, '
            f'"score": {float.__repr__(score)}}}')


_string = json.encoder.encode_basestring  # a JSON string, as ensure_ascii=False writes it


def _load_config(path: Path, group: click.Group) -> dict[str, Any]:
    """A TOML file of option defaults per command, e.g. ``[serve]`` ``token = "..."``.

    Keys are option names as typed on the command line (``format``, ``engine-state`` or
    ``engine_state``); they become click's ``default_map`` of parameter names. Anything the
    command does not take is an error naming the file, table and key, since a misspelt
    key silently ignored is a setting the user believes in and does not have.
    """
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise click.ClickException(f"{path}: unreadable config: {exc}") from exc
    return _config_table(path, group, data, ())


def _config_table(path: Path, group: click.Group, data: dict[str, Any],
                  where: tuple[str, ...]) -> dict[str, Any]:
    """Check one level of a config file against ``group``'s commands; map option names."""
    import difflib

    def fail(message: str, key: str, choices: Iterable[str]) -> click.ClickException:
        close = difflib.get_close_matches(key, list(choices), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return click.ClickException(f"{path}: {message}{hint}")

    out: dict[str, Any] = {}
    for name, table in data.items():
        command = group.commands.get(name)
        table_name = ".".join((*where, name))
        if command is None:
            raise fail(f"unknown table [{table_name}]: no such command", name, group.commands)
        if not isinstance(table, dict):
            raise click.ClickException(f"{path}: [{table_name}] must be a table of options")
        if isinstance(command, click.Group):
            out[name] = _config_table(path, command, table, (*where, name))
            continue
        options: dict[str, str] = {}  # accepted key -> parameter name
        for param in command.params:
            if isinstance(param, click.Option) and param.name and not param.hidden:
                for opt in param.opts:
                    if opt.startswith("--"):
                        options[opt[2:]] = options[opt[2:].replace("-", "_")] = param.name
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in options:
                raise fail(f"unknown key {key!r} in [{table_name}]: `storyline "
                           f"{' '.join((*where, name))}` has no option --{key}", key,
                           (o for o in options if "_" not in o))
            values[options[key]] = value
        out[name] = values
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="storyline")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              envvar="STORYLINE_CONFIG", show_envvar=True,
              help="TOML file of option defaults per command ([serve] token, db, port...; "
                   "[watch] db, interval...). Default: ./storyline.toml when it exists. "
                   "Options given on the command line or in the environment win.")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """Turn news articles into stories with cited briefs.

    \b
    Stages, each usable alone:
      ingest   read and normalize articles      -> JSONL, one article per line
      dedup    fold copies and versions         -> JSONL {id, group, relation, of, score}
      cluster  group reports of one event       -> JSONL {id, story}
      brief    one cited brief per story        -> text, markdown, html or json
      eval     score clustering against gold labels

    INPUT is a file (.txt, .html, .json, .jsonl, .csv), a folder (read recursively)
    or - for JSON Lines on standard input.
    """
    if config_file is None and Path("storyline.toml").is_file():
        config_file = Path("storyline.toml")
    if config_file is not None:
        if not config_file.is_file():
            raise click.ClickException(f"{config_file}: no such config file")
        ctx.default_map = _load_config(config_file, cli)


@cli.command()
@_common
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json"]), default=None,
              help="jsonl: one article per line; json: one array. Default: jsonl, or no "
                   "output at all with --db (the articles go to the database).")
@click.option("--original", is_flag=True, help="Also output the text and title as received.")
@click.option("--db", metavar="URL",
              help="Also store the articles: a file path or sqlite:///FILE, or postgresql://... "
                   "A changed page becomes a new version of its article; re-running is safe.")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Articles per database transaction (with --db).")
def ingest(inputs: tuple[str, ...], quiet: bool, strict: bool, fmt: str | None, original: bool,
           db: str | None, batch_size: int) -> None:
    """Read and normalize articles (INPUT: files, folders or -).

    The text output is the normalized text that every later stage, and every
    citation offset, refers to. With --db the articles are also stored, one
    transaction per batch: a run killed at any point can simply be run again.
    """
    from .store import Store, display_url

    store = Store(db, batch_size=batch_size) if db else None  # a bad URL fails before reading
    run = _Run(quiet, strict)
    articles = run.read(inputs)
    extra = ""
    if store is not None:
        with store, run.progress("store", len(articles)) as bar:
            added = store.add_articles(articles, progress=bar)
        extra = (f"stored in {display_url(store.url)}: {added.new} new, {added.updated} updated, "
                 f"{added.unchanged} unchanged")
    if fmt is None and store is None:
        fmt = "jsonl"
    if fmt is not None:
        rows = [a.to_dict(original=original) for a in articles]
        if fmt == "json":
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            _emit_jsonl(rows)
    run.summary(len(articles), extra)


@cli.command()
@_common
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json"]), default="jsonl",
              show_default=True)
@click.option("--explain", nargs=2, metavar="A B",
              help="Show the passages articles A and B share, side by side, and their relation.")
@click.option("--passages", is_flag=True, help="Include the shared passages in the output.")
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
              help="A persistent index folder: articles already in it are not re-added, new "
                   "ones are, and the index is saved back (for streams).")
def dedup(inputs: tuple[str, ...], quiet: bool, strict: bool, fmt: str,
          explain: tuple[str, str] | None, passages: bool, index_dir: Path | None) -> None:
    """Fold exact copies, near-duplicates, contained copies and versions of one report.

    One line per article: {"id", "group", "relation", "of", "score"}; relation is
    original, exact, near-duplicate, contained or version; "of" is the id of the
    group's canonical article (the earliest dated, else the most complete).
    """
    from .dedup import DedupIndex, dedup_input, read_for_dedup

    run = _Run(quiet, strict)
    if explain:
        _explain(run.read(inputs, originals=False), *explain)
        return
    # read in blocks, keeping only what dedup needs (the cleaned texts in a temporary
    # file): the articles themselves would take ~20 KB each
    data = read_for_dedup(list(inputs), report=run.report, on_problem=run.problem)
    index = None
    if index_dir is not None:
        index = DedupIndex.load(index_dir) if (index_dir / "meta.json").exists() else DedupIndex()
    with run.progress("dedup", len(data)) as bar:
        records = dedup_input(data, index=index, progress=bar, passages=passages)
    if index is not None and index_dir is not None:
        index.save(index_dir)
        index.close()
    data.close()
    if fmt == "json":
        click.echo(json.dumps([r.to_dict(explain=passages) for r in records],
                              ensure_ascii=False, indent=2))
    elif passages:
        _emit_jsonl(r.to_dict(explain=True) for r in records)  # one at a time
    else:
        _emit_jsonl(records, _dedup_line)
    groups = len({r.group for r in records})
    run.summary(len(data), f"{groups} report group{'s' if groups != 1 else ''}")
    _done()  # the input's store is closed, the index saved and closed, the output written


def _explain(articles: list[Article], a_id: str, b_id: str) -> None:
    from .dedup import DedupIndex

    by_id = {a.id: a for a in articles}
    for wanted in (a_id, b_id):
        if wanted not in by_id:
            raise click.BadParameter(f"no article with id {wanted!r} in the input",
                                     param_hint="--explain")
    index = DedupIndex(workers=1)
    index.add(by_id[a_id])
    index.add(by_id[b_id])
    relation, score, passages = index.compare(a_id, b_id)
    a_text, b_text = by_id[a_id].text, by_id[b_id].text
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{a_id}[/] ~ [bold]{b_id}[/]: "
                  f"{relation or 'not related'} (score {score:.3f}), "
                  f"{len(passages)} shared passage{'s' if len(passages) != 1 else ''}")
    if passages:
        table = Table(show_lines=True, expand=True)
        table.add_column(a_id, ratio=1)
        table.add_column(b_id, ratio=1)
        table.add_column("similarity", justify="right", width=10)
        for p in passages:
            table.add_row(a_text[p.a_start:p.a_end], b_text[p.b_start:p.b_end],
                          f"{p.similarity:.2f}")
        console.print(table)


@cli.command()
@_common
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json"]), default="jsonl",
              show_default=True)
def cluster(inputs: tuple[str, ...], quiet: bool, strict: bool, fmt: str) -> None:
    """Group the reports of one event into stories: one line {"id", "story"} per article.

    Articles are processed in publication order (input order where undated); copies
    and versions join their canonical article's story.
    """
    from .engine import Engine

    run = _Run(quiet, strict)
    articles = run.read(inputs, originals=False)
    with Engine() as engine, run.progress("dedup and cluster", len(articles)) as bar:
        mapping = {a: s.id for s in engine.stories(articles) for a in s.article_ids}
        bar(len(articles))
    rows = [{"id": a.id, "story": mapping[a.id]} for a in articles]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _emit_jsonl(rows)
    n = len(set(mapping.values()))
    run.summary(len(articles), f"{n} stor{'ies' if n != 1 else 'y'}")


@cli.command()
@_common
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html", "json"]),
              default="text", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one file per story into this folder instead of standard output "
                   "(with html, also an index.html listing the stories).")
@click.option("--min-articles", type=int, default=1, show_default=True,
              help="Only brief stories with at least this many articles.")
def brief(inputs: tuple[str, ...], quiet: bool, strict: bool, fmt: str, out_dir: Path | None,
          min_articles: int) -> None:
    """Write one cited brief per story: summary, differences, agreements, exclusives, quotes.

    Every line is a verbatim span of a source. In JSON every citation is
    {"article", "start", "end", "quote"} with quote == the ingested text[start:end].
    """
    from .engine import Engine
    from .render import SUFFIX, render

    run = _Run(quiet, strict)
    articles = run.read(inputs)
    if not articles:
        run.summary(0)
    with Engine() as engine:
        with run.progress("dedup and cluster", len(articles)) as bar:
            stories = engine.stories(articles)
            bar(len(articles))
        stories = [s for s in stories if len(s.articles) >= min_articles]
        with run.progress("brief", len(stories)) as bar:
            briefs = engine.brief(stories, progress=bar)
    if out_dir is None:
        click.echo(render(briefs, fmt))
        run.summary(len(articles), f"{len(briefs)} brief{'s' if len(briefs) != 1 else ''}")
        return
    out_dir.mkdir(parents=True, exist_ok=True)

    def write(path: Path, text: str) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # a killed run never leaves a half-written brief

    for b in briefs:
        write(out_dir / f"{b.story}{SUFFIX[fmt]}", render([b], fmt))
    if fmt == "html":  # a folder of hash-named pages needs a page that says what they are
        from .render import brief_to_dict
        from .render._html import render_index

        write(out_dir / "index.html", render_index(
            [(f"{b.story}.html", brief_to_dict(b)) for b in briefs]))
    run.summary(len(articles), f"{len(briefs)} brief{'s' if len(briefs) != 1 else ''} "
                               f"written to {out_dir}/")


@cli.group(name="eval")
def eval_() -> None:
    """Measure quality against labelled corpora (gold.tsv is read only here)."""


def _articles_of(corpus: Path) -> Path:
    """A corpus keeps its articles in articles.jsonl or an articles/ folder, beside gold.tsv."""
    for candidate in (corpus / "articles.jsonl", corpus / "articles"):
        if candidate.exists():
            return candidate
    return corpus


@eval_.command(name="clusters")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--quiet", "-q", is_flag=True)
def eval_clusters(corpus: Path, fmt: str, quiet: bool) -> None:
    """BCubed and pairwise precision, recall and F1 of `cluster` on CORPUS.

    CORPUS is a folder with gold.tsv (id TAB story) and the articles: articles.jsonl,
    an articles/ folder, or else every readable file in CORPUS.
    """
    from .engine import Engine
    from .evaluate import load_gold, score_clusters

    run = _Run(quiet, False)
    try:
        gold = load_gold(corpus / "gold.tsv")
        articles = run.read([str(_articles_of(corpus))])
        with Engine() as engine, run.progress("dedup and cluster", len(articles)) as bar:
            mapping = {a: s.id for s in engine.stories(articles) for a in s.article_ids}
            bar(len(articles))
        scores = score_clusters(mapping, gold)
    except StorylineError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps({"corpus": str(corpus), **scores.to_dict()}))
        return
    s = scores
    click.echo(f"{corpus}: {s.articles} articles, {s.gold_stories} gold stories, "
               f"{s.predicted_stories} predicted")
    click.echo(f"  BCubed    P {s.bcubed_precision:.3f}  R {s.bcubed_recall:.3f}  "
               f"F1 {s.bcubed_f1:.3f}")
    click.echo(f"  pairwise  P {s.pairwise_precision:.3f}  R {s.pairwise_recall:.3f}  "
               f"F1 {s.pairwise_f1:.3f}")


@eval_.command(name="quotes")
@click.argument("corpora", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--gold", "gold_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Folder of quotes-*.jsonl gold files (default: docs/gold "
              "of the checkout, or ./docs/gold).")
@click.option("--split", type=click.Choice(["tune", "report", "all"]), default="all",
              show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--errors", is_flag=True, help="List every error (missed, false positive, "
              "wrong speaker).")
def eval_quotes(corpora: tuple[Path, ...], gold_dir: Path | None, split: str, fmt: str,
                errors: bool) -> None:
    """Quote detection and speaker attribution on CORPORA against hand-labelled spans.

    Each CORPUS folder holds articles.jsonl; its gold is CORPUS/quotes.jsonl with
    quotes-articles.tsv, or the quotes-*.jsonl in the gold folder whose records name the
    corpus folder (docs/gold/quotes-basil.jsonl for .../basil). See docs/quotes.md.
    """
    from .evaluate.quotes import default_gold_dirs, find_gold, load_quote_gold, score_quotes

    dirs = [gold_dir] if gold_dir else default_gold_dirs()
    splits = ("tune", "report") if split == "all" else (split,)
    try:
        results = []
        for corpus in corpora:
            gold = load_quote_gold(*find_gold(corpus, dirs))
            results.append((corpus, score_quotes(corpus, gold, splits=splits)))
    except StorylineError as exc:
        raise click.ClickException(str(exc)) from exc
    for corpus, by_split in results:
        for name in (*splits, "all") if split == "all" else splits:
            s = by_split.get(name)
            if s is None:
                continue
            if fmt == "json":
                click.echo(json.dumps({"corpus": str(corpus), "split": name,
                                       **s.to_dict(errors=errors)}))
                continue
            click.echo(f"{corpus} [{name}]: {s.articles} articles, {s.gold_direct} gold direct "
                       f"quotes, {s.predicted} predicted")
            click.echo(f"  detection  P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  "
                       f"({s.matched_scare_or_title} predicted on scare/title spans)")
            click.echo(f"  speaker    accuracy {s.speaker_accuracy:.3f} ({s.speaker_correct}/"
                       f"{s.named_gold} named)  predicted on null gold {s.null_speaker_rate:.3f} "
                       f"({s.null_gold_predicted}/{s.null_gold})  not person/org "
                       f"{s.not_person_or_org}/{s.speakers_predicted}")
            if errors:
                for e in s.errors:
                    click.echo("    " + json.dumps(e, ensure_ascii=False))


@eval_.command(name="figures")
@click.argument("corpora", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Stories per corpus (first N by id).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def eval_figures_cmd(corpora: tuple[Path, ...], seed: int, limit: int | None, fmt: str) -> None:
    """Figures and agreements of the brief, by perturbing shared figures.

    For each gold story of each CORPUS (articles.jsonl and gold.tsv), every figure two
    independent outlets share is changed by a seeded ±10-30% in one of them; the brief
    must then report a difference with both values and never an agreement citing both.
    Every `conflict` of the unchanged briefs is listed for hand-checking.
    """
    from .evaluate.figures import eval_figures

    try:
        scores = [eval_figures(c, seed=seed, limit=limit) for c in corpora]
    except StorylineError as exc:
        raise click.ClickException(str(exc)) from exc
    for s in scores:
        click.echo(json.dumps(s.to_dict(), ensure_ascii=False) if fmt == "json"
                   else s.format_text())


_STATE_HELP = ("Folder of the engine's checkpoint (dedup index, story state); default: "
               "beside a SQLite file (news.db.engine/). Needed for PostgreSQL.")


def _open_engine(db: str, state_dir: Path | None) -> tuple[Any, Any]:
    """The store and its engine, or a clear error (the checkpoint's settings differ...)."""
    from .engine import Engine
    from .store import Store

    store = Store(db)
    try:
        return store, Engine(store, state_dir=state_dir)
    except StorylineError as exc:
        store.close()
        raise click.ClickException(str(exc)) from exc


@cli.command()
@click.argument("sources", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--db", required=True, metavar="URL",
              help="Where articles, stories and briefs go: a file path, sqlite:///FILE or "
                   "postgresql://...")
@click.option("--interval", type=click.FloatRange(min=1), default=900.0, show_default=True,
              help="Seconds between polls.")
@click.option("--once", is_flag=True, help="Poll once and stop (for cron).")
@click.option("--max-polls", type=click.IntRange(min=1), help="Stop after this many polls.")
@click.option("--state", "state_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("storyline-watch.json"), show_default=True,
              help="What was fetched and seen (ETags, content hashes), kept across restarts.")
@click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between two requests to the same host.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to wait for a server's response before giving up on it.")
@click.option("--allow-private", is_flag=True,
              help="Allow private, loopback and link-local addresses (refused by default, "
                   "also after redirects).")
@click.option("--engine-state", "state_dir", type=click.Path(file_okay=False, path_type=Path),
              help=_STATE_HELP)
@click.option("--quiet", "-q", is_flag=True)
def watch(sources: Path, db: str, interval: float, once: bool, max_polls: int | None,
          state_file: Path, delay: float, timeout: float, allow_private: bool,
          state_dir: Path | None, quiet: bool) -> None:
    """Poll RSS/Atom feeds and keep stories and briefs up to date in a database.

    SOURCES is a file of feed URLs (one per line, # comments) or an OPML file. Each
    poll fetches the feeds (conditional GET, per-host delay, timeouts, size limits,
    retries), extracts new and changed articles with trafilatura, stores them (a
    changed page becomes a new version), then refreshes dedup, stories and briefs.
    Stop with Ctrl-C; a restart resumes from the state file without duplicates.
    """
    from . import watch as watching

    feeds = watching.load_sources(sources)
    for p in feeds.problems:
        _err(f"storyline: {p.severity}: {p}")
    if not feeds.urls:
        raise click.ClickException(f"{sources}: no feed URLs")
    store, engine = _open_engine(db, state_dir)
    state = watching.WatchState.load(state_file)  # a missing file is an empty state
    fetcher = watching.Fetcher(allow_private=allow_private, delay=delay, read_timeout=timeout)
    polls = 0

    def on_poll(result: watching.PollResult) -> None:
        nonlocal polls
        polls += 1
        for p in result.problems:
            _err(f"storyline: {p.severity}: {p}")
        stored = store.add_articles(result.articles) if result.articles else None
        stories = None
        if stored is not None and (stored.new or stored.updated):
            # only the new contents are placed; only the stories they change are rebriefed
            stories = len(engine.update().stories)
        if not quiet:
            parts = [f"poll {polls}: {len(result.articles)} article(s) fetched"]
            if stored is not None:
                parts.append(f"{stored.new} new, {stored.updated} updated")
            if result.problems:
                parts.append(f"{len(result.problems)} problem(s)")
            if stories is not None:
                parts.append(f"{stories} stories updated")
            _err("storyline: " + ", ".join(parts))

    try:
        watching.watch(feeds.urls, on_poll, interval, max_polls=1 if once else max_polls,
                       fetcher=fetcher, state=state)
    except KeyboardInterrupt:
        _err("storyline: stopped")
    finally:
        fetcher.close()
        engine.close()
        store.close()


@cli.command()
@click.option("--db", required=True, metavar="URL",
              help="The database to refresh: a file path, sqlite:///FILE or postgresql://...")
@click.option("--engine-state", "state_dir", type=click.Path(file_okay=False, path_type=Path),
              help=_STATE_HELP)
@click.option("--rebuild", is_flag=True,
              help="Forget the checkpoint and every stored story and brief, and build them "
                   "again from all stored articles (after a change of settings).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: one object with what the update did, on stdout.")
@click.option("--quiet", "-q", is_flag=True)
def refresh(db: str, state_dir: Path | None, rebuild: bool, fmt: str, quiet: bool) -> None:
    """Bring dedup, stories and briefs up to date with the articles stored in a database.

    Only what was stored since the last refresh is placed: new reports join live
    stories, changed stories are saved and rebriefed, stories that no longer exist
    are deleted. Use it after `storyline ingest ... --db URL`; `watch` does it after
    every poll. Safe to interrupt and re-run: a killed refresh redoes its work.
    """
    store, engine = _open_engine(db, state_dir)
    try:
        with engine:
            if rebuild:
                engine.reset()
            pending = engine.pending()
            with Progress("place", pending, enabled=not quiet and pending > 0) as bar:
                result = engine.update(progress=bar)
    except StorylineError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(result.to_dict()))
    elif not quiet:
        _err(f"storyline: {result.contents} new contents placed; {len(result.stories)} "
             f"stories saved, {len(result.retired)} retired, {result.briefs} briefs in "
             f"{result.seconds:.1f} s ({db})")


@eval_.command(name="dedup")
@click.argument("corpora", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--per-kind", type=int, default=100, show_default=True,
              help="Transformed pairs generated per relation (and random negatives).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def eval_dedup_cmd(corpora: tuple[Path, ...], per_kind: int, seed: int, fmt: str) -> None:
    """Precision, recall and F1 of `dedup` per relation on labelled pairs.

    Pairs are generated from the real articles of each CORPUS (a folder with
    articles.jsonl) by realistic transformations (copies with markup and noise,
    light edits, truncations, updated versions); hard negatives are every pair of
    outlets on one BASIL event and random unrelated pairs. No gold file is read.
    """
    from .evaluate.dedup import eval_dedup

    try:
        scores = eval_dedup(list(corpora), per_kind=per_kind, seed=seed)
    except StorylineError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(scores.to_dict(), ensure_ascii=False))
    else:
        click.echo(scores.format_text())


@cli.command()
@click.option("--db", metavar="URL", required=True,
              help="The database: a file path or sqlite:///FILE, or postgresql://...")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "csv", "parquet"]),
              default=None, help="Default: what the --out file's extension says (.jsonl, "
              ".json, .csv, .parquet), else jsonl.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (whole or not at all); standard output if omitted. "
                   "Required for parquet.")
@click.option("--quiet", "-q", is_flag=True, help="No closing summary.")
def export(db: str, fmt: str | None, out_file: Path | None, quiet: bool) -> None:
    """Export every stored article: its current version, how many versions it has had,
    and its latest dedup group and story.

    Columns: key, id, url, source, title, original_title, published, authors, language,
    text, original_text, content_hash, first_seen, last_seen, versions, dedup_group,
    dedup_relation, dedup_of, story.
    """
    from .store import Store
    from .store._export import SUFFIXES, format_of

    if fmt is None and out_file is not None:
        fmt = format_of(out_file)
        if fmt is None:  # writing JSON Lines into y.txt would be a guess the user never sees
            raise click.UsageError(f"cannot tell the format of {out_file} from its extension "
                                   f"({', '.join(SUFFIXES)}): give --format")
    fmt = fmt or "jsonl"
    if fmt == "parquet" and out_file is None:
        raise click.UsageError("parquet is binary: give --out FILE")
    with Store(db, create=False) as store:
        n = store.export(fmt, out_file if out_file is not None else sys.stdout)
    if not quiet:
        where = f" to {out_file}" if out_file is not None else ""
        _err(f"storyline: {n} article{'s' if n != 1 else ''} exported as {fmt}{where}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", metavar="URL",
              help="The database: a file path or sqlite:///FILE, or postgresql://... "
                   "Without it, stories are kept in memory only.")
@click.option("--token", envvar="STORYLINE_TOKEN", show_envvar=True, metavar="TOKEN",
              help="Bearer token that writes (POST /api/articles) must present; prefer the "
                   "environment variable. Without one, writes are refused.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--engine-state", "state_dir", type=click.Path(file_okay=False, path_type=Path),
              help=_STATE_HELP)
def serve(host: str, port: int, db: str | None, token: str | None, log_level: str,
          state_dir: Path | None) -> None:
    """Serve stories over HTTP: a JSON API under /api and web pages (/, /stories/ID, /diff/A/B).

    POST /api/articles stores the articles and answers at once (202); a background
    update then places them and rebriefs the stories they change (GET /api/status).
    The API is described at /openapi.json.
    """
    from .serve._run import run_server

    run_server(db=db, host=host, port=port, token=token, log_level=log_level,
               state_dir=state_dir)


# Set by a batch command once everything it wrote is written and everything it opened
# is closed (see main).
_DONE = False


def _done() -> None:
    global _DONE
    _DONE = True


def main() -> None:
    try:
        cli(prog_name="storyline")
    except SystemExit as exc:
        if _DONE and exc.code in (0, None):
            # Nothing is left to flush or close: exit without freeing the run's objects
            # one by one, which after a large dedup took a third of a second.
            with suppress(BrokenPipeError):
                sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        raise
    except StorylineError as exc:
        _err(f"storyline: error: {exc}")
        sys.exit(1)
    except BrokenPipeError:  # `storyline ... | head`
        sys.stderr.close()
        sys.exit(0)
