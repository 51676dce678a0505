"""The README and the help texts against the code: what they name must exist, and what
exists must be named (as sqlite-utils checks its docs against its commands)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

import click
import pytest

from storyline.cli import cli

from .conftest import ROOT, SHARED

README = (ROOT / "README.md").read_text(encoding="utf-8")
# options whose value is a file or database the command writes (or an earlier one wrote)
_OUTPUTS = {"--out", "--db", "--index", "--engine-state", "--state", "--config"}
_PATHLIKE = re.compile(r"/|\.(jsonl|json|csv|html|txt|tsv|opml|toml|xml)$")


def _commands(group: click.Group = cli, path: tuple[str, ...] = ()
              ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def _shell_lines() -> Iterator[str]:
    """Every `storyline ...` command line of the README's sh blocks (continuations joined)."""
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                words = words[1:]  # STORYLINE_TOKEN=secret storyline serve
            if words and words[0] == "storyline":
                yield " ".join(words)


def test_readme_examples_name_files_that_exist() -> None:
    checked = 0
    for line in _shell_lines():
        words = line.split()
        for i, word in enumerate(words[1:], 1):
            if words[i - 1] in _OUTPUTS or word.startswith(("-", "postgresql:", "sqlite:")):
                continue
            if not _PATHLIKE.search(word):
                continue
            if word.startswith("../shared/") and not SHARED.exists():
                continue
            checked += 1
            assert (ROOT / word).exists(), f"README: `{line}` names {word}, which does not exist"
    assert checked >= 10


@pytest.mark.parametrize("name,command", list(_commands()), ids=lambda v: (
    " ".join(v) if isinstance(v, tuple) else ""))
def test_every_command_has_help_and_a_readme_mention(name: tuple[str, ...],
                                                     command: click.Command) -> None:
    assert (command.help or "").strip(), f"storyline {' '.join(name)} has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name != "fmt":
            if param.is_flag and param.name in {"quiet"}:
                continue
            assert (param.help or "").strip() or param.show_default, (
                f"storyline {' '.join(name)} {param.opts[0]} has no help text")
    if isinstance(command, click.Group):
        return
    mention = re.compile(r"storyline " + r"\s+".join(map(re.escape, name)) + r"\b")
    assert mention.search(README), f"README.md never mentions `storyline {' '.join(name)}`"


def test_every_api_route_has_a_summary() -> None:
    from fastapi.routing import APIRoute

    from storyline.serve import MemoryRepository, create_app

    app = create_app(MemoryRepository())
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 8
    spec = app.openapi()
    for route in routes:
        assert (route.description or route.summary or "").strip(), (
            f"{route.path} ({route.name}) has no docstring")
        for method in route.methods:
            operation = spec["paths"][route.path_format][method.lower()]
            assert operation.get("description"), f"{method} {route.path}: no description"
        if route.path.startswith("/api"):
            assert re.search(re.escape(re.sub(r"\{[^}]+\}", "{", route.path_format))
                             .replace(r"\{", r"\{[^}]*\}"), README), (
                f"README.md never mentions {route.path_format}")
