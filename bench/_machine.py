"""What machine a benchmark ran on, for its report (shared by the bench scripts)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["commit", "machine"]


def _read(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine() -> dict[str, Any]:
    ram_kib = _read("/proc/meminfo", "MemTotal").split()
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "cpu_model": _read("/proc/cpuinfo", "model name"),
        "ram_gib": round(int(ram_kib[0]) / 1024 / 1024, 1) if ram_kib else 0.0,
        "os": platform.platform(),
        "loadavg_start": os.getloadavg(),
    }


def commit() -> str | None:
    """The commit the repository's code is at ("-dirty": with changes not committed), so
    that a result names the exact code it timed; None outside a git checkout."""
    try:
        out = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), "describe",
                              "--always", "--dirty"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None
