"""Analyse stage: what each article's text says, computed once per distinct text.

Sentence spans, the named entities of the lead and speech sentences, direct quotations
with their speakers, and figures with their quantities and holders. The brief reads
these instead of running spaCy itself, so a story that grows is rebriefed without
parsing its old articles again (the engine keeps analyses in the store by text hash).
"""

from ._analysis import ANALYSIS_KIND, ArticleAnalysis, analyze, analyze_texts, text_hash
from ._figures import Figure, extract_figures
from ._quotes import RawQuote

__all__ = ["ANALYSIS_KIND", "ArticleAnalysis", "Figure", "RawQuote", "analyze",
           "analyze_texts", "extract_figures", "text_hash"]
