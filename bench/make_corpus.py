"""Build a synthetic news corpus of N articles for the dedup speed benchmark.

    python bench/make_corpus.py --n 50000 --out bench/data/corpus-50k.jsonl [--seed 1]

Source material: the article texts of ../shared/corpora/basil and
../shared/corpora/neus-dev (articles.jsonl only; the gold files are never read).
About 1000 source articles cannot give a million distinct texts as they are, so:

* **Base articles** (the distinct texts, ~65% of the corpus) are spliced from
  sentences of many different source articles; some sentences are themselves
  spliced from two sentences at a comma; then about 30% of the words are replaced
  by a frequency-weighted word of the same kind from the corpus vocabulary
  (capitalised for capitalised, number for number, lower case for lower case)
  and digits are re-drawn, with at most 4 words between two replacements, so
  that no 5-word run of a source sentence survives: at a million articles each
  source sentence is reused ~1,500 times, and surviving runs would make every
  article share 5-grams with a fixed share of the archive, which real news, which
  keeps writing new sentences, does not. Lengths follow a log-normal with a median
  of ~450 words; sentences are grouped 1-3 to a paragraph, as in news.
* **Stock lines**: 3% of base articles end with one of a few invented boilerplate
  lines (newsletter plugs, reporting credits, disclaimers), as real feeds repeat
  such lines in thousands of articles; copies keep them.
* **Copies** (~35% of the corpus) are derived from a recent article (the parent
  is picked with preferential attachment inside a recency window, so a few wire
  stories get many pickups): exact republications, near-duplicates (a few words
  edited, agency dateline/credit markup, straight quotes), lead-only truncations
  (first 1-3 paragraphs, 40-150 words) and versions (rewritten lead, appended paragraphs).

Fields: id, source, published (ISO 8601, UTC), title, text. A truth file
(<out>.truth.tsv: id, parent id, kind) is written next to the corpus for sanity
checks; the benchmark only uses it to report how many copies each tool found.
Everything is deterministic for a given --seed and --n.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCES = [
    HERE.parent.parent / "shared" / "corpora" / "basil" / "articles.jsonl",
    HERE.parent.parent / "shared" / "corpora" / "neus-dev" / "articles.jsonl",
]

VERSION = 2  # of the generator: corpora built by another version are rebuilt
COPY_SHARE = 0.35
STOCK_SHARE = 0.03
STOCK_LINES = [  # invented boilerplate, each repeated in thousands of articles at 1M
    "Sign up for our morning briefing to get the day's top stories delivered to your "
    "inbox before breakfast.",
    "Reporting contributed by staff in our regional bureaus, with editing by the national "
    "desk team.",
    "Readers can send news tips and corrections to the newsroom through the contact form "
    "on our website.",
    "Our journalism is funded by readers like you, so please consider a subscription to "
    "support independent local reporting.",
    "Market data shown on this page is delayed by at least fifteen minutes and is provided "
    "for information purposes only.",
    "Comments on this article have been closed while our moderators review the discussion "
    "for abusive posts.",
]
KINDS = (("exact", 0.20), ("near", 0.35), ("lead", 0.20), ("version", 0.25))
WINDOW = 4000          # parent candidates: the last WINDOW entries of the attachment pool
START = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_DAYS = 3 * 365

OUTLETS = [
    "Associated Press", "Reuters", "AFP", "Bloomberg", "nyt", "hpo", "fox",
    "Washington Times", "The Hill", "Politico", "CNN (Online News)", "NPR (Online News)",
    "Yahoo News", "MSN", "SFGate", "Seattle Times", "Star Tribune", "Chicago Tribune",
    "Boston Globe", "Miami Herald", "Denver Post", "Houston Chronicle", "Newsday",
    "Daily Mail", "The Independent", "US News", "ABC News", "CBS News", "NBC News",
    "Los Angeles Times", "Baltimore Sun", "Orlando Sentinel", "Detroit News",
]
DATELINES = ["WASHINGTON", "NEW YORK", "LONDON", "CHICAGO", "LOS ANGELES", "BRUSSELS",
             "PARIS", "BEIJING", "MOSCOW", "TOKYO", "BERLIN", "ATLANTA", "MIAMI"]
AGENCIES = ["AP", "Reuters", "AFP", "Bloomberg"]
CREDITS = [
    "Copyright {y} The Associated Press. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.",
    "Reporting by {a}; Editing by {b}",
    "({a} reported from {c}. {b} contributed to this report.)",
    "Follow {a} on Twitter.",
    "This story has been updated.",
    "Sign up for our daily newsletter to get the latest headlines in your inbox.",
]
NAMES = ["Jane Smith", "John Doe", "Maria Garcia", "David Chen", "Sarah Johnson",
         "Ahmed Khan", "Laura Brown", "Peter Novak", "Emily Davis", "Tom Wilson"]

_SENT_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[\"“‘(]?[A-Z0-9])")
_CORE = re.compile(r"^([\"“‘(\[]*)(.*?)([\"”’)\].,;:!?…]*)$", re.S)
_DIGIT = re.compile(r"\d")


def word_kind(core: str) -> int:
    if not core:
        return 3
    if any(c.isdigit() for c in core):
        return 2
    if core[0].isupper():
        return 0
    if core[0].islower():
        return 1
    return 3


class Material:
    """Sentences (as word lists) and a vocabulary by word kind, from the source articles."""

    def __init__(self, paths: list[Path]) -> None:
        self.sentences: list[list[str]] = []
        self.titles: list[str] = []
        vocab: list[list[str]] = [[], [], [], []]
        for path in paths:
            with path.open(encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    rec = json.loads(line)
                    text = (rec.get("text") or "").replace("...", ".")
                    if rec.get("title"):
                        self.titles.append(rec["title"])
                    for para in re.split(r"\n\s*\n", text):
                        for sent in _SENT_SPLIT.split(para.strip()):
                            words = sent.split()
                            if len(words) >= 4:
                                self.sentences.append(words)
                            for w in words:
                                m = _CORE.match(w)
                                core = m.group(2) if m else w
                                vocab[word_kind(core)].append(core)
        if not self.sentences:
            raise SystemExit("no source sentences found")
        self.vocab = [v or ["the"] for v in vocab]
        self.distinct = [sorted(set(v)) for v in self.vocab]
        # sentences with a comma in the middle, for splicing two halves together
        self.comma_sentences = [s for s in self.sentences
                                if any(w.endswith(",") for w in s[2:-2])]
        self.source_words = sum(len(s) for s in self.sentences)


class Generator:
    def __init__(self, material: Material, n: int, seed: int) -> None:
        self.m = material
        self.n = n
        self.rng = random.Random(seed)

    # --- base articles -------------------------------------------------------------
    def sentence(self) -> list[str]:
        rng, m = self.rng, self.m
        if m.comma_sentences and rng.random() < 0.3:
            a = rng.choice(m.comma_sentences)
            b = rng.choice(m.comma_sentences)
            ia = [i for i, w in enumerate(a[2:-2], 2) if w.endswith(",")]
            ib = [i for i, w in enumerate(b[2:-2], 2) if w.endswith(",")]
            return a[: rng.choice(ia) + 1] + b[rng.choice(ib) + 1:]
        return list(rng.choice(m.sentences))

    def perturb(self, words: list[str], rate: float) -> list[str]:
        """Replace ~rate of the words, evenly spread, by a corpus word of the same kind.

        Gaps between replaced words are drawn from 2..min(5, 2/rate - 2), so no 5-word
        run of a source sentence survives intact and texts that reuse a sentence share
        no 5-gram by it, as unrelated news articles rarely do. Half the replacements are
        drawn by corpus frequency, half uniformly from the distinct words of that kind.
        """
        if rate <= 0 or not words:
            return words
        rng, vocab, distinct = self.rng, self.m.vocab, self.m.distinct
        hi = min(5, max(2, round(2 / rate) - 2))
        i = rng.randrange(hi)
        while i < len(words):
            mt = _CORE.match(words[i])
            if mt:
                pre, core, post = mt.groups()
                kind = word_kind(core)
                new = rng.choice(vocab[kind] if rng.random() < 0.5 else distinct[kind])
                if kind == 2:
                    new = _DIGIT.sub(lambda _: str(rng.randrange(10)), new)
                words[i] = pre + new + post
            i += rng.randint(2, hi)
        return words

    def paragraphs(self, target_words: int, rate: float) -> list[str]:
        rng = self.rng
        paras: list[str] = []
        total = 0
        while total < target_words:
            sents = [self.sentence() for _ in range(rng.choice((1, 1, 2, 2, 2, 3)))]
            words = [w for s in sents for w in s]
            total += len(words)
            paras.append(" ".join(self.perturb(words, rate)))
        return paras

    def base_text(self) -> list[str]:
        target = int(min(2500, max(60, rng_lognormal(self.rng, 450, 0.5))))
        paras = self.paragraphs(target, self.rng.uniform(0.18, 0.25))
        if self.rng.random() < STOCK_SHARE:
            paras.append(self.rng.choice(STOCK_LINES))
        return paras

    def title(self) -> str:
        words = self.rng.choice(self.m.titles).split() if self.m.titles else ["News"]
        return " ".join(self.perturb(words, 0.3))

    # --- copies --------------------------------------------------------------------
    def near(self, paras: list[str]) -> list[str]:
        rng = self.rng
        out = list(paras)
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(out))
            out[i] = " ".join(self._edit_words(out[i].split(), 1))
        if rng.random() < 0.5:
            out = [p.replace("“", '"').replace("”", '"').replace("’", "'") for p in out]
        if rng.random() < 0.5:
            out[0] = f"{rng.choice(DATELINES)} ({rng.choice(AGENCIES)}) — {out[0]}"
        if rng.random() < 0.5:
            out.append(self.credit())
        if len(out) > 3 and rng.random() < 0.2:   # two paragraphs merged by the CMS
            i = rng.randrange(len(out) - 1)
            out[i:i + 2] = [out[i] + " " + out[i + 1]]
        return out

    def _edit_words(self, words: list[str], k: int) -> list[str]:
        rng = self.rng
        for _ in range(k):
            i = rng.randrange(len(words))
            op = rng.random()
            if op < 0.5:
                self.perturb_one(words, i)
            elif op < 0.75 and len(words) > 1:
                del words[i]
            else:
                words.insert(i, rng.choice(self.m.vocab[1]))
        return words

    def perturb_one(self, words: list[str], i: int) -> None:
        mt = _CORE.match(words[i])
        if mt:
            pre, core, post = mt.groups()
            words[i] = pre + self.rng.choice(self.m.vocab[word_kind(core)]) + post

    def lead(self, paras: list[str]) -> list[str]:
        rng = self.rng
        want, out = rng.randint(40, 150), []   # first paragraphs, at least ~40-150 words
        for p in paras:
            out.append(p)
            if len(out) >= 3 or sum(len(q.split()) for q in out) >= want:
                break
        if rng.random() < 0.4:
            out = out + [rng.choice(["Read more.", "Continue reading the main story.",
                                     "Click here to read the full article.",
                                     "This is a developing story."])]
        return out

    def version(self, paras: list[str]) -> list[str]:
        rng = self.rng
        rate = rng.uniform(0.18, 0.25)
        out = list(paras)
        lead = self.paragraphs(rng.randint(25, 60), rate)
        out[: rng.randint(1, min(2, len(out)))] = lead
        out += self.paragraphs(rng.randint(60, 300), rate)
        for _ in range(rng.randint(0, 4)):
            i = rng.randrange(len(out))
            out[i] = " ".join(self._edit_words(out[i].split(), 1))
        return out

    def credit(self) -> str:
        rng = self.rng
        a, b = rng.sample(NAMES, 2)
        return rng.choice(CREDITS).format(y=rng.randint(2019, 2021), a=a, b=b,
                                          c=rng.choice(DATELINES).title())


def rng_lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * pow(2.718281828459045, rng.gauss(0.0, sigma))


def generate(material: Material, n: int, seed: int, out: Path, truth: Path | None) -> dict:
    g = Generator(material, n, seed)
    rng = g.rng
    kinds, weights = zip(*KINDS, strict=True)
    cum = [sum(weights[: i + 1]) for i in range(len(weights))]
    texts: dict[int, tuple[list[str], str, datetime]] = {}
    pool: list[int] = []
    buffer: list[str] = []
    counts: Counter[str] = Counter()
    lengths: list[int] = []
    out.parent.mkdir(parents=True, exist_ok=True)
    tf = truth.open("w", encoding="utf-8") if truth else None
    if tf:
        tf.write("id\tparent\tkind\n")
    t0 = time.time()
    with out.open("w", encoding="utf-8") as f:
        for idx in range(n):
            aid = f"a{idx:07d}"
            if pool and rng.random() < COPY_SHARE:
                parent = pool[-WINDOW:][rng.randrange(min(WINDOW, len(pool)))]
                ptext, ptitle, pdate = texts[parent]
                kind = kinds[bisect.bisect(cum, rng.random() * cum[-1])]
                if kind == "exact":
                    paras = ptext
                elif kind == "near":
                    paras = g.near(ptext)
                elif kind == "lead":
                    paras = g.lead(ptext)
                else:
                    paras = g.version(ptext)
                title = ptitle if kind != "version" or rng.random() < 0.5 else g.title()
                date = pdate + timedelta(minutes=rng.randint(0, 72 * 60))
                pool.append(parent)
                if tf:
                    tf.write(f"{aid}\ta{parent:07d}\t{kind}\n")
            else:
                kind = "original"
                paras = g.base_text()
                title = g.title()
                date = START + timedelta(days=SPAN_DAYS * idx / max(1, n),
                                         minutes=rng.randint(0, 24 * 60))
            counts[kind] += 1
            texts[idx] = (paras, title, date)
            pool.append(idx)
            text = "\n\n".join(paras)
            lengths.append(len(text.split()))
            rec = {"id": aid, "source": rng.choice(OUTLETS),
                   "published": date.isoformat(timespec="seconds"), "title": title, "text": text}
            buffer.append(json.dumps(rec, ensure_ascii=False))
            if len(buffer) >= 2000:        # crawl order: roughly by time, locally shuffled
                rng.shuffle(buffer)
                f.write("\n".join(buffer) + "\n")
                buffer.clear()
            if idx % 20000 == 19999:       # forget articles that can no longer be parents
                pool = pool[-WINDOW:]
                keep = set(pool)
                texts = {k: v for k, v in texts.items() if k in keep}
                print(f"  {idx + 1:,} articles, {time.time() - t0:.0f}s", file=sys.stderr)
        if buffer:
            rng.shuffle(buffer)
            f.write("\n".join(buffer) + "\n")
    if tf:
        tf.close()
    copies = n - counts["original"]
    return {
        "n": n, "seed": seed, "version": VERSION, "path": str(out),
        "source_sentences": len(material.sentences), "source_words": material.source_words,
        "median_words": statistics.median(lengths) if lengths else 0,
        "mean_words": round(statistics.fmean(lengths), 1) if lengths else 0,
        "copy_share": round(copies / n, 4) if n else 0,
        "kinds": dict(counts),
        "seconds": round(time.time() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, required=True, help="number of articles")
    ap.add_argument("--out", type=Path, required=True, help="output JSONL path")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--source", type=Path, action="append",
                    help="source articles.jsonl (repeatable; default basil + neus-dev)")
    ap.add_argument("--no-truth", action="store_true", help="do not write <out>.truth.tsv")
    args = ap.parse_args(argv)
    material = Material(args.source or DEFAULT_SOURCES)
    truth = None if args.no_truth else args.out.with_name(args.out.name + ".truth.tsv")
    stats = generate(material, args.n, args.seed, args.out, truth)
    args.out.with_name(args.out.name + ".stats.json").write_text(json.dumps(stats, indent=2))
    print(json.dumps(stats), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
