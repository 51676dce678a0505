"""numba's first use loads scipy's BLAS module alone, and leaves no trace (storyline/_jit.py)."""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = r"""
import sys
from storyline._jit import quick_start
from storyline.normalize import clean_text

with quick_start():
    assert clean_text("Warm up.  A text.") == "Warm up. A text."  # numba's first use
    assert "scipy.linalg.cython_blas" in sys.modules
assert "scipy.linalg" not in sys.modules, "the whole of scipy.linalg was imported"
assert "scipy.linalg.cython_blas" not in sys.modules  # forgotten after

import numba
import numpy as np
import scipy.linalg

assert scipy.linalg.cython_blas.__name__ == "scipy.linalg.cython_blas"  # the usual import
assert np.allclose(scipy.linalg.inv(2 * np.eye(3)), np.eye(3) / 2)
dot = numba.njit(lambda a: np.dot(a, a))  # BLAS still found by numba
assert dot(np.ones(4)) == 4.0
print("ok")
"""


def test_numba_starts_without_importing_scipy_linalg_and_blas_still_works():
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_scipy_linalg_imported_before_is_left_alone():
    script = ("import sys, scipy.linalg\nfrom storyline._jit import quick_start\n"
              "blas = sys.modules['scipy.linalg.cython_blas']\n"
              "with quick_start():\n    pass\n"
              "assert sys.modules['scipy.linalg.cython_blas'] is blas\nprint('ok')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
