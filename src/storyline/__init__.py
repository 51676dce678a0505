"""storyline: turn a pile or a stream of news articles into stories with cited briefs.

>>> import storyline
>>> articles = storyline.read("sample/")
>>> stories = storyline.cluster(articles, storyline.dedup(articles))
>>> print(storyline.render(storyline.brief(stories), "markdown"))  # doctest: +SKIP
"""

from __future__ import annotations

from .errors import EvaluationError, InputError, InputProblem, StorylineError
from .model import Article, Brief, Citation, DedupRecord, Story
from .pipeline import brief, cluster, dedup, read, run
from .render import render

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Brief",
    "Citation",
    "DedupRecord",
    "EvaluationError",
    "InputError",
    "InputProblem",
    "Story",
    "StorylineError",
    "brief",
    "cluster",
    "dedup",
    "read",
    "render",
    "run",
]
