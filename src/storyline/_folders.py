"""Folders written whole or not at all: what checkpoints and saved indexes are made of.

A folder is written beside its place (``NAME.tmp``), then swapped in by two renames
(the old copy to ``NAME.old``, the new one to ``NAME``); a process killed between the
two leaves ``NAME.old``, which :func:`current` reads instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["current", "remove", "staging", "swap_in"]


def _beside(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def staging(path: Path) -> Path:
    """An empty ``NAME.tmp`` folder to write the new copy into."""
    tmp = _beside(path, ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def swap_in(tmp: Path, path: Path) -> None:
    """Make the folder written at ``tmp`` the one at ``path``."""
    old = _beside(path, ".old")
    if path.exists():
        if old.exists():
            shutil.rmtree(old)
        os.replace(path, old)
    os.replace(tmp, path)
    if old.exists():
        shutil.rmtree(old)


def current(path: Path, marker: str) -> Path | None:
    """The complete copy of the folder (holding file ``marker``), or None."""
    for candidate in (path, _beside(path, ".old")):
        if (candidate / marker).exists():
            return candidate
    return None


def remove(path: Path) -> None:
    """The folder and any half-swapped copies of it."""
    for candidate in (path, _beside(path, ".old"), _beside(path, ".tmp")):
        if candidate.exists():
            shutil.rmtree(candidate)
