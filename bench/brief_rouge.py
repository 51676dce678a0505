"""ROUGE of brief summaries against the editors' roundups of neus-dev, beside baselines.

    python bench/brief_rouge.py

For each gold story of ../shared/corpora/neus-dev (the gold grouping is used here so that
ROUGE measures the summary, not the clustering), three summaries of the same number of
sentences as storyline's are compared with the story's roundup:
  - storyline: the brief's summary;
  - lead: the first sentence of each article in publication order (then the second...);
  - LexRank: sumy's LexRankSummarizer over all the story's sentences (our sentence
    splitter; sumy's own needs NLTK data that is not installed here).
ROUGE-1 and ROUGE-2 F1 with stemming (rouge-score), averaged over stories.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import date
from pathlib import Path

from rouge_score import rouge_scorer

import storyline
from storyline.brief import build_brief
from storyline.dedup import stream_order
from storyline.evaluate import load_gold
from storyline.model import Story
from storyline.normalize import split_sentences

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "neus-dev"


class _Tokenizer:
    """The two methods sumy needs, without NLTK data."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        import re

        return tuple(re.findall(r"[A-Za-z0-9']+", sentence))


def _lexrank(sentences: list[str], n: int) -> list[str]:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    tok = _Tokenizer()
    doc = ObjectDocumentModel([Paragraph([Sentence(s, tok) for s in sentences])])
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    return [str(s) for s in summarizer(doc, n)]


def _lead(articles: list, n: int) -> list[str]:
    per_article = [split_sentences(a.text) for a in articles]
    out: list[str] = []
    depth = 0
    while len(out) < n and any(depth < len(s) for s in per_article):
        for sents in per_article:
            if depth < len(sents) and len(out) < n:
                out.append(sents[depth])
        depth += 1
    return out


def main() -> None:
    articles = storyline.read(CORPUS / "articles.jsonl")
    gold = load_gold(CORPUS / "gold.tsv")
    roundups = {}
    for line in (CORPUS / "roundups.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        roundups[row["story"]] = row["roundup"]
    records = {r.id: r for r in storyline.dedup(articles)}
    by_story: dict[str, list] = {}
    for a in stream_order(articles):
        by_story.setdefault(gold[a.id], []).append(a)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    scores: dict[str, dict[str, list[float]]] = {
        k: {"rouge1": [], "rouge2": []} for k in ("storyline", "lead", "lexrank")}
    t0 = time.perf_counter()
    for sid, members in by_story.items():
        if sid not in roundups:
            continue
        story = Story(sid, members, {a.id: records[a.id] for a in members})
        summary = [s.text for s in build_brief(story).summary]
        n = len(summary)
        sentences = [s for a in members for s in split_sentences(a.text)]
        systems = {"storyline": summary, "lead": _lead(members, n),
                   "lexrank": _lexrank(sentences, n)}
        for name, sents in systems.items():
            result = scorer.score(roundups[sid], " ".join(sents))
            for key in ("rouge1", "rouge2"):
                scores[name][key].append(result[key].fmeasure)
    elapsed = time.perf_counter() - t0
    n_stories = len(scores["storyline"]["rouge1"])
    print(f"neus-dev: {n_stories} stories with a roundup ({elapsed:.0f} s)")
    print(f"{'system':<10} {'ROUGE-1 F1':>10} {'ROUGE-2 F1':>10}")
    table = {}
    for name, s in scores.items():
        r1, r2 = statistics.mean(s["rouge1"]), statistics.mean(s["rouge2"])
        table[name] = {"rouge1_f1": round(r1, 4), "rouge2_f1": round(r2, 4)}
        print(f"{name:<10} {r1:>10.4f} {r2:>10.4f}")
    out = ROOT / "bench" / "results" / f"brief-rouge-{date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": date.today().isoformat(), "stories": n_stories,
                               "scores": table}, indent=2))


if __name__ == "__main__":
    main()
