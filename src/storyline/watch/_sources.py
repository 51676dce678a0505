"""The list of feeds to watch: a plain file of URLs, or an OPML export from a feed reader."""

from __future__ import annotations

import os
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError, InputProblem
from ..ingest._decode import DecodeError, decode

__all__ = ["Sources", "load_sources", "parse_opml", "parse_url_list"]


@dataclass
class Sources:
    """Feed URLs in file order (duplicates dropped), and the lines that were not usable.

    Iterating gives the URLs, so a ``Sources`` can be handed to ``poll`` as it is.
    """

    urls: list[str] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)

    def __iter__(self) -> Iterator[str]:
        return iter(self.urls)

    def __len__(self) -> int:
        return len(self.urls)


def _url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable feed URL, or ``None`` when it is."""
    if any(ch.isspace() for ch in url):
        return f"not a URL (contains whitespace): {url!r}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"malformed URL {url!r}: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) URL: {url!r}"
    if not parts.hostname:
        return f"URL has no host: {url!r}"
    return None


def _collect(path: str, found: Iterator[tuple[int, str]], sources: Sources) -> None:
    seen: set[str] = set(sources.urls)
    for line, url in found:
        reason = _url_problem(url)
        if reason is not None:
            sources.problems.append(InputProblem(path, reason, line))
        elif url in seen:
            sources.problems.append(
                InputProblem(path, f"duplicate feed {url} ignored", line, severity="warning")
            )
        else:
            seen.add(url)
            sources.urls.append(url)


def parse_url_list(text: str, path: str = "<sources>") -> Sources:
    """One URL per line; blank lines and ``#`` comments (whole-line or after a space) ignored."""
    sources = Sources()

    def lines() -> Iterator[tuple[int, str]]:
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            for marker in (" #", "\t#"):  # a '#' inside a URL is a fragment, not a comment
                line = line.split(marker, 1)[0].strip()
            yield number, line

    _collect(path, lines(), sources)
    return sources


def parse_opml(data: bytes, path: str = "<sources>") -> Sources:
    """Every ``<outline xmlUrl=...>``; outlines without one are folders and are passed over."""
    sources = Sources()
    found: list[tuple[int, str]] = []
    parser = xml.parsers.expat.ParserCreate()

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.lower() != "outline":
            return
        for key, value in attrs.items():
            if key.lower() == "xmlurl":
                found.append((parser.CurrentLineNumber, value.strip()))

    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        sources.problems.append(
            InputProblem(path, f"broken OPML: {xml.parsers.expat.errors.messages[exc.code]}",
                         exc.lineno)
        )
    _collect(path, iter(found), sources)
    if not found and not sources.problems:
        sources.problems.append(InputProblem(path, "OPML file has no outline with an xmlUrl"))
    return sources


def _looks_like_xml(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith("<?xml") or head.startswith("<opml") or "<opml" in head


def load_sources(path: str | os.PathLike[str]) -> Sources:
    """Read a sources file (URL list or OPML, told apart by content).

    Bad lines become problems naming the file and line; an unreadable file
    raises :class:`~storyline.errors.InputError`.
    """
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(InputProblem(name, f"cannot read sources file: {exc.strerror}")) from exc
    try:
        text, _encoding = decode(data)
    except DecodeError as exc:
        raise InputError(InputProblem(name, f"unreadable sources file: {exc}")) from exc
    if name.lower().endswith((".opml", ".xml")) or _looks_like_xml(text):
        return parse_opml(data, name)
    return parse_url_list(text, name)
