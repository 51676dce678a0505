"""Word tokens as Python strings, for the stages that want the words themselves.

Dedup works on the compiled scan of :mod:`._kernels`; this is the same token
definition (runs of letters and digits of any script, lower-cased; a test holds
the two together) for the brief and the evaluator, which need the strings.
"""

from __future__ import annotations

import re

__all__ = ["TOKEN_PATTERN", "tokens"]

TOKEN_PATTERN = re.compile(r"[^\W_]+")  # words: letters and digits of any script


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits of any script)."""
    return TOKEN_PATTERN.findall(text.lower())
