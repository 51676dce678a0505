"""Starting numba quickly: its first compile or cache load checks for BLAS.

numba's CPU target, when first used, imports ``scipy.linalg.cython_blas`` to learn
whether BLAS is there, which imports the whole of ``scipy.linalg`` (0.2 to 0.4 s on
this project's machines, in every run, before any worker can start). storyline's
kernels use no BLAS. The check only needs the extension module itself, so for the
first use it is loaded alone and forgotten after: a later ``import scipy.linalg`` is
the usual one.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["quick_start"]

_BLAS = "scipy.linalg.cython_blas"


@contextmanager
def quick_start() -> Iterator[None]:
    """Run the first use of numba's CPU target inside this block."""
    added = "scipy.linalg" not in sys.modules and _BLAS not in sys.modules and _load_blas()
    try:
        yield
    finally:
        if added and "scipy.linalg" not in sys.modules:
            sys.modules.pop(_BLAS, None)


def _load_blas() -> bool:
    """Load scipy's BLAS extension module on its own; False if it cannot be (numba then
    does its usual check)."""
    try:
        spec = importlib.util.find_spec("scipy")
        if spec is None or spec.origin is None:
            return False
        folder = Path(spec.origin).parent / "linalg"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"cython_blas{suffix}"
            if path.exists():
                blas = importlib.util.spec_from_file_location(_BLAS, path)
                if blas is None or blas.loader is None:
                    return False
                module = importlib.util.module_from_spec(blas)
                sys.modules[_BLAS] = module
                blas.loader.exec_module(module)
                return True
    except Exception:  # noqa: BLE001 - any failure leaves numba's own check to do its work
        sys.modules.pop(_BLAS, None)
    return False
