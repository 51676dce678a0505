"""storyline's exception hierarchy.

Everything storyline raises on purpose derives from :class:`StorylineError`, so
callers can catch one type. Input problems are also *values* (:class:`InputProblem`)
because a batch reports them and goes on rather than stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EvaluationError",
    "InputError",
    "InputProblem",
    "StorylineError",
]


class StorylineError(Exception):
    """Base class of every error storyline raises on purpose."""


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One bad input: where it is and why it was rejected."""

    path: str
    reason: str
    line: int | None = None
    severity: str = "error"  # "error": input dropped; "warning": kept, with a defect

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


class InputError(StorylineError):
    """Raised in strict mode for the first bad input, and for unusable arguments."""

    def __init__(self, problem: InputProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class EvaluationError(StorylineError):
    """An evaluation could not run (missing gold file, ids that do not match...)."""
