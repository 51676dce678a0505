"""How long one brief takes for a 10-article and a 100-article story (model loaded once).

    python bench/brief_speed.py [--rounds 5]

Stories are made of consecutive BASIL articles (full text, ~600 words each): a
brief's cost depends on how much text it reads, not on whether the articles agree.
Prints the median of several rounds per size and writes bench/results/brief-speed-DATE.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import date
from pathlib import Path

import storyline
from storyline._nlp import load_nlp
from storyline.brief import build_brief
from storyline.model import Story

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "basil" / "articles.jsonl"
TARGET = {10: 1.0, 100: 10.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    articles = storyline.read(CORPUS)
    records = {r.id: r for r in storyline.dedup(articles)}
    t0 = time.perf_counter()
    load_nlp()
    load = time.perf_counter() - t0
    results = {"date": date.today().isoformat(), "python": platform.python_version(),
               "model_load_seconds": round(load, 3), "sizes": {}}
    print(f"spaCy model load (once per process): {load:.2f} s")
    for size, target in TARGET.items():
        chosen = articles[:size]
        story = Story(f"bench-{size}", chosen, {a.id: records[a.id] for a in chosen})
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            build_brief(story)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        words = sum(len(a.text.split()) for a in chosen)
        results["sizes"][size] = {"median_seconds": round(med, 3), "words": words,
                                  "target_seconds": target,
                                  "all_seconds": [round(t, 3) for t in times]}
        verdict = "ok" if med < target else "OVER TARGET"
        print(f"{size:>4} articles ({words} words): median {med:.2f} s over "
              f"{args.rounds} rounds (target < {target:.0f} s) {verdict}")
    out = ROOT / "bench" / "results" / f"brief-speed-{date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
