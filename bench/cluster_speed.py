"""Speed and memory of the story clustering stage as the archive grows.

    .venv/bin/python bench/cluster_speed.py                       # 10k and 100k (default)
    .venv/bin/python bench/cluster_speed.py --sizes 10k,100k,1m --budget 1800
    .venv/bin/python bench/cluster_speed.py --sizes 10k --profile  # + cProfile top 10

What is measured: ``OnlineClusterer()`` (default config) fed one normalized
:class:`~storyline.model.Article` at a time with ``partial_fit``, features
included, in publication order. Titles' named entities (spaCy) are tagged as a feed
reader would, one poll of ``--batch`` articles at a time (``OnlineClusterer.annotate``),
and each article is charged its share of its batch's tagging time. Each size runs
in a **fresh child process**, so memory numbers start clean.

The stream (never written to disk): the shared corpora
(``../shared/corpora/basil/articles.jsonl`` and ``../shared/corpora/neus-dev/articles.jsonl``;
the gold files are never read) are read once with ``storyline.read`` and repeated.
Each repetition

* keeps the corpus's publication order, with its distinct publication dates
  spread evenly over ``--rep-days`` days (articles of one original date stay on
  one day, a minute apart), so one repetition is a burst of ~1000 articles;
* is shifted by ``rep_days + window_days + 1`` days from the previous one, so no
  story can span two repetitions (the last repetition ends on the corpus's last
  date, earlier ones go back in time, so no date is in the future);
* is lightly perturbed: a random ``--cap-share`` of the corpus's capitalised word
  types (names, places) and ``--low-share`` of its lower-case word types are
  replaced, consistently within the repetition, by random tokens, so every
  repetition's stories have their own distinctive terms;
* gets unique ids (``<id>~r<repetition>``), made with ``dataclasses.replace``.

Articles are generated lazily, so texts are not kept: the process's RSS growth
over the run is the clusterer's own memory (plus allocator slack). Generation
time is excluded from the clustering time (each ``partial_fit`` call is timed on
its own).
"""

from __future__ import annotations

import argparse
import array
import contextlib
import dataclasses
import gc
import json
import math
import os
import platform
import random
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _machine import commit, machine  # bench/ is on sys.path when run as a script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCES = [
    ROOT.parent / "shared" / "corpora" / "basil" / "articles.jsonl",
    ROOT.parent / "shared" / "corpora" / "neus-dev" / "articles.jsonl",
]
RESULTS = HERE / "results"
_NEVER = datetime.max.replace(tzinfo=UTC)


# --- sizes -------------------------------------------------------------------------------

def parse_size(s: str) -> int:
    s = s.strip().lower().replace("_", "")
    mult = 1
    if s.endswith("k"):
        mult, s = 1000, s[:-1]
    elif s.endswith("m"):
        mult, s = 1_000_000, s[:-1]
    return int(float(s) * mult)


def label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# --- the synthetic stream ------------------------------------------------------------------

_CAP = re.compile(r"\b[A-Z][a-z]{2,}\b")
_LOW = re.compile(r"\b[a-z]{4,}\b")
_ALPHA = re.compile(r"[A-Za-z]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class Stream:
    """Repetitions of the source corpora, shifted in time and perturbed (see module doc)."""

    def __init__(self, seed: int, rep_days: float, gap_days: float,
                 cap_share: float, low_share: float) -> None:
        import storyline

        arts = storyline.read([str(p) for p in SOURCES])  # normalized articles
        order = sorted(range(len(arts)), key=lambda i: (arts[i].published or _NEVER, i))
        self.base = [arts[i] for i in order]
        dates = sorted({a.published.date() for a in self.base if a.published})
        rank = {d: i for i, d in enumerate(dates)}
        n_dates = max(1, len(dates))
        # offset of each base article inside a repetition, in seconds
        self.offsets: list[float] = []
        prev, within = None, 0
        for a in self.base:
            r = rank[a.published.date()] if a.published else n_dates - 1
            within = within + 1 if r == prev else 0
            prev = r
            self.offsets.append(r / n_dates * rep_days * 86400.0 + within * 60.0)
        self.shift = timedelta(days=rep_days + gap_days)
        last = max((a.published for a in self.base if a.published),
                   default=datetime(2021, 1, 1, tzinfo=UTC))
        self.anchor = datetime(last.year, last.month, last.day, tzinfo=UTC) - timedelta(
            days=rep_days)
        cap: dict[str, int] = {}
        low: dict[str, int] = {}
        for a in self.base:
            for field_text in (a.title, a.text):
                for w in _CAP.findall(field_text):
                    cap[w] = cap.get(w, 0) + 1
                for w in _LOW.findall(field_text):
                    low[w] = low.get(w, 0) + 1
        self.cap_types = sorted(w for w, c in cap.items() if c >= 2)
        self.low_types = sorted(w for w, c in low.items() if c >= 2)
        self.seed = seed
        self.cap_share = cap_share
        self.low_share = low_share
        self.stats = {"base_articles": len(self.base), "base_dates": len(dates),
                      "cap_types": len(self.cap_types), "low_types": len(self.low_types)}

    def _mapping(self, rng: random.Random) -> dict[str, str]:
        def token() -> str:
            return "".join(rng.choices(_LETTERS, k=rng.randint(5, 9)))
        mp = {w: token().capitalize()
              for w in rng.sample(self.cap_types, int(len(self.cap_types) * self.cap_share))}
        mp.update({w: token()
                   for w in rng.sample(self.low_types, int(len(self.low_types) * self.low_share))})
        return mp

    def articles(self, n: int) -> Iterator[Any]:
        reps = math.ceil(n / len(self.base))
        emitted = 0
        for r in range(reps):
            rng = random.Random(self.seed * 1_000_003 + r)
            mp = self._mapping(rng)

            def sub(m: re.Match[str], get: Any = mp.get) -> str:
                w = m.group()
                return get(w, w)
            start = self.anchor - self.shift * (reps - 1 - r)
            for a, off in zip(self.base, self.offsets, strict=True):
                if emitted >= n:
                    return
                text = _ALPHA.sub(sub, a.text)
                title = _ALPHA.sub(sub, a.title)
                yield dataclasses.replace(
                    a, id=f"{a.id}~r{r}", text=text, title=title, original_text=text,
                    original_title=title, published=start + timedelta(seconds=off))
                emitted += 1


# --- memory helpers ------------------------------------------------------------------------

def rss_bytes() -> int:
    """Current resident set size of this process."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


_LEAF = (str, bytes, bytearray, int, float, complex, bool, type(None), range)
_SKIP = (type, type(len), type(rss_bytes), type(sys))  # classes, builtins, functions, modules


def _slot_names(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        names.extend(s for s in slots if s not in ("__dict__", "__weakref__"))
    return names


def deep_size(obj: Any, seen: set[int] | None = None) -> tuple[int, int]:
    """Bytes and object count reachable from ``obj`` (``sys.getsizeof`` each object once).

    Walks dicts (keys and values), lists, tuples, sets, ``array``\\ s, and the
    ``__dict__`` and ``__slots__`` of instances, iteratively (no recursion limit).
    Objects already in ``seen`` are not counted again, so several structures can
    be measured one after the other without double counting what they share.
    Classes, functions and modules are not followed.
    """
    seen = set() if seen is None else seen
    total = count = 0
    stack = [obj]
    getsize = sys.getsizeof
    while stack:
        o = stack.pop()
        i = id(o)
        if i in seen:
            continue
        seen.add(i)
        if isinstance(o, _SKIP):
            continue
        total += getsize(o)
        count += 1
        if isinstance(o, _LEAF):
            continue
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        elif isinstance(o, array.array):
            continue
        else:
            d = getattr(o, "__dict__", None)
            if isinstance(d, dict):
                stack.append(d)
            for name in _slot_names(type(o)):
                with contextlib.suppress(AttributeError):
                    stack.append(getattr(o, name))
    return total, count


def clusterer_memory(clusterer: Any) -> dict[str, Any]:
    """Deep size of each attribute of the clusterer (config excluded), in a fixed order."""
    attrs: dict[str, Any] = {}
    if hasattr(clusterer, "__dict__"):
        attrs.update(vars(clusterer))
    for name in _slot_names(type(clusterer)):
        if hasattr(clusterer, name):
            attrs[name] = getattr(clusterer, name)
    skip = {"config", "_features"}
    first = ["stories", "_postings", "_ids", "_vocab", "_df", "assignments"]
    names = [a for a in first if a in attrs] + sorted(a for a in attrs if a not in first)
    seen: set[int] = set()
    deep_size(clusterer.config, seen)  # shared constants are not the clusterer's growth
    out: dict[str, Any] = {}
    for name in names:
        if name in skip:
            continue
        b, c = deep_size(attrs[name], seen)
        out[name] = {"bytes": b, "objects": c,
                     "len": len(attrs[name]) if hasattr(attrs[name], "__len__") else None}
    return out


def structure_stats(clusterer: Any) -> dict[str, Any]:
    st: dict[str, Any] = {}
    stories = getattr(clusterer, "stories", None)
    if isinstance(stories, (list, dict)):
        values = list(stories.values()) if isinstance(stories, dict) else stories
        values = [s for s in values if s is not None]
        st["stories"] = len(values)
        cents = [len(s.centroid) for s in values if getattr(s, "centroid", None)]
        st["stories_with_centroid"] = len(cents)
        if cents:
            st["centroid_terms_total"] = sum(cents)
            st["centroid_terms_mean"] = round(statistics.fmean(cents), 1)
        # sanity: a story should never hold articles of two repetitions (ids end in ~r<k>)
        st["stories_spanning_repetitions"] = sum(
            1 for s in values
            if len({m.rsplit("~r", 1)[-1] for m in getattr(s, "members", ())}) > 1)
        sizes = sorted((getattr(s, "size", 0) for s in values), reverse=True)
        st["largest_stories"] = sizes[:5]
        st["singleton_stories"] = sum(1 for x in sizes if x == 1)
    postings = getattr(clusterer, "_postings", None)
    if isinstance(postings, dict):
        st["posting_terms"] = len(postings)
        lens = [len(v) for v in postings.values()]
        st["posting_entries"] = sum(lens)
        st["longest_posting"] = max(lens, default=0)
    vocabulary = getattr(clusterer, "_ids", getattr(clusterer, "_df", None))
    if isinstance(vocabulary, dict):
        st["df_terms"] = len(vocabulary)
    if isinstance(stories, list):
        held = [len(s.reports) for s in stories if getattr(s, "reports", None)]
        st["stories_holding_reports"] = len(held)  # young live stories (split check)
        st["reports_held"] = sum(held)
    return st


# --- one size, in a child process ------------------------------------------------------------

def _blocks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """What a feed reader hands the clusterer: the articles of one poll, in order."""
    block: list[Any] = []
    for item in items:
        block.append(item)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


def stream_warmup_article() -> Any:
    from storyline.model import Article
    return Article(id="warmup", text="", title="Warm-up title from Oslo")


def child(args: argparse.Namespace) -> None:
    from storyline.cluster import OnlineClusterer

    n = args.n
    t_gen0 = time.perf_counter()
    stream = Stream(args.seed, args.rep_days, args.gap_days, args.cap_share, args.low_share)
    setup_s = time.perf_counter() - t_gen0
    times = array.array("d", bytes(8 * n))
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    clusterer = OnlineClusterer()
    list(clusterer.annotate([stream_warmup_article()]))  # load models before the clock
    gen = stream.articles(n)
    gc.collect()
    rss0 = rss_bytes()
    maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    text_bytes = text_chars = 0
    done = 0
    capped = False
    clock = time.perf_counter
    wall0, cpu0 = clock(), time.process_time()
    gc0 = sum(s["collections"] for s in gc.get_stats())
    fit = clusterer.partial_fit
    step = max(1, n // 10)
    ner_s = 0.0
    a = None
    for block in _blocks(gen, args.batch):
        # title entities: one spaCy batch per block, its time shared by the block's articles
        if profiler is not None:
            profiler.enable()
        t0 = clock()
        tags = list(clusterer.annotate(block))
        t1 = clock()
        if profiler is not None:
            profiler.disable()
        ner_s += t1 - t0
        share = (t1 - t0) / len(block)
        for a, (entities, embedding) in zip(block, tags, strict=True):
            if profiler is not None:
                profiler.enable()
                t0 = clock()
                fit(a, entities, embedding)
                t1 = clock()
                profiler.disable()
            else:
                t0 = clock()
                fit(a, entities, embedding)
                t1 = clock()
            times[done] = t1 - t0 + share
            done += 1
            text_chars += len(a.text) + len(a.title)
            text_bytes += sys.getsizeof(a.text) + sys.getsizeof(a.title)
            if done % step == 0:
                el = clock() - wall0
                print(f"  [{label(n)}] {done:>9,} articles  {el:7.1f} s  "
                      f"rss {rss_bytes() / 2**20:7.0f} MB", file=sys.stderr, flush=True)
        if args.budget and clock() - wall0 > args.budget:
            capped = True
            break
    wall = clock() - wall0
    cpu = time.process_time() - cpu0
    gcs = sum(s["collections"] for s in gc.get_stats()) - gc0
    del gen, a
    rss1 = rss_bytes()
    gc.collect()
    rss1_gc = rss_bytes()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t_deep = time.perf_counter()
    mem = clusterer_memory(clusterer) if not args.no_deep else {}
    deep_s = time.perf_counter() - t_deep
    deep_total = sum(v["bytes"] for v in mem.values())

    t = times[:done]
    cluster_s = sum(t)
    deciles = []
    for d in range(10):
        lo, hi = d * done // 10, (d + 1) * done // 10
        seg = sorted(t[lo:hi])
        if not seg:
            continue
        deciles.append({
            "from": lo, "to": hi,
            "mean_ms": 1000 * sum(seg) / len(seg),
            "p50_ms": 1000 * seg[len(seg) // 2],
            "p99_ms": 1000 * seg[min(len(seg) - 1, int(len(seg) * 0.99))],
        })
    last = t[done - max(1, done // 10):]
    allsorted = sorted(t)
    result: dict[str, Any] = {
        "size": n,
        "articles": done,
        "capped": capped,
        "cluster_s": cluster_s,
        "loop_wall_s": wall,
        "loop_cpu_s": cpu,
        "generate_s": wall - cluster_s,
        "ner_s": ner_s,
        "ner_ms_per_article": 1000 * ner_s / done if done else None,
        "ner_batch": args.batch,
        "setup_s": setup_s,
        "deep_size_s": deep_s,
        "articles_per_s": done / cluster_s if cluster_s else None,
        "articles_per_s_last10": len(last) / sum(last) if sum(last) else None,
        "ms_per_article": 1000 * cluster_s / done if done else None,
        "ms_per_article_last10": 1000 * sum(last) / len(last) if last else None,
        "p50_ms": 1000 * allsorted[len(allsorted) // 2],
        "p99_ms": 1000 * allsorted[min(done - 1, int(done * 0.99))],
        "max_ms": 1000 * allsorted[-1],
        "deciles": deciles,
        "gc_collections": gcs,
        "rss_before_mb": rss0 / 2**20,
        "rss_after_mb": rss1 / 2**20,
        "rss_after_gc_mb": rss1_gc / 2**20,
        "peak_rss_mb": maxrss / 2**20,
        "peak_rss_before_mb": maxrss0 / 2**20,
        "rss_growth_per_article_bytes": (rss1_gc - rss0) / done if done else None,
        "text_chars": text_chars,
        "text_bytes": text_bytes,
        "text_bytes_per_article": text_bytes / done if done else None,
        "deep_bytes": deep_total,
        "deep_bytes_per_article": deep_total / done if done and mem else None,
        "deep": mem,
        "structures": structure_stats(clusterer),
        "stream": stream.stats,
        "loadavg_end": os.getloadavg(),
    }
    if profiler is not None:
        import pstats
        st = pstats.Stats(profiler)
        rows = []
        for func, (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
            fn, line, name = func
            where = f"{Path(fn).name}:{line}" if line else fn
            rows.append({"function": f"{where}({name})", "ncalls": nc, "tottime": tt,
                         "cumtime": ct})
        rows.sort(key=lambda r: -r["tottime"])
        result["profile_total_s"] = sum(r["tottime"] for r in rows)
        result["profile_top"] = rows[:15]
    json.dump(result, sys.stdout)


# --- parent: run the sizes, report ----------------------------------------------------------

def versions() -> dict[str, Any]:
    import importlib.metadata as m

    v: dict[str, Any] = {"python": sys.version.split()[0],
                         "implementation": platform.python_implementation()}
    for p in ("storyline", "scikit-learn", "numpy"):
        try:
            v[p] = m.version(p)
        except m.PackageNotFoundError:
            v[p] = None
    v["storyline commit"] = commit()
    return v


def project(res: dict[str, Any], n: int) -> dict[str, float]:
    """Seconds to cluster ``n`` articles, from one run's decile costs.

    ``flat``: the last decile's cost per article for every article. ``linear``:
    a least-squares line cost(k) = a + b*k through the decile means (k = articles
    already indexed), integrated from 0 to n; right if the cost keeps growing as
    it did.
    """
    ds = res["deciles"]
    xs = [(d["from"] + d["to"]) / 2 for d in ds]
    ys = [d["mean_ms"] / 1000 for d in ds]
    flat = n * ys[-1]
    if len(xs) < 2:
        return {"flat_s": flat, "linear_s": flat}
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    b = max(0.0, b)
    a = my - b * mx
    return {"flat_s": flat, "linear_s": max(flat, a * n + b * n * n / 2),
            "cost_intercept_ms": a * 1000, "cost_slope_ms_per_100k": b * 1000 * 100_000}


def run_child(n: int, args: argparse.Namespace, profile: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--n", str(n),
           "--seed", str(args.seed), "--rep-days", str(args.rep_days),
           "--gap-days", str(args.gap_days), "--cap-share", str(args.cap_share),
           "--low-share", str(args.low_share), "--budget", str(args.budget),
           "--batch", str(args.batch)]
    if profile:
        cmd.append("--profile")
    if args.no_deep:
        cmd.append("--no-deep")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"size": n, "failed": True, "exit": proc.returncode, "process_wall_s": wall}
    res = json.loads(proc.stdout)
    res["process_wall_s"] = wall
    return res


def fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def kib(b: float | None) -> str:
    return "-" if b is None else f"{b / 1024:.1f}"


def tables(results: list[dict[str, Any]]) -> list[str]:
    ok = [r for r in results if not r.get("failed")]
    out = ["| archive | articles | stories | cluster s | art/s (all) | art/s (last 10%) | "
           "ms/art (all) | ms/art (last 10%) | of which NER ms/art | p99 ms | peak RSS MB | "
           "RSS growth KB/art | deep size KB/art |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in ok:
        out.append(
            f"| {label(r['size'])}{' (capped)' if r['capped'] else ''} | {r['articles']:,} | "
            f"{r['structures'].get('stories', 0):,} | {r['cluster_s']:.1f} | "
            f"{fmt(r['articles_per_s'], ',.0f')} | {fmt(r['articles_per_s_last10'], ',.0f')} | "
            f"{fmt(r['ms_per_article'], '.2f')} | {fmt(r['ms_per_article_last10'], '.2f')} | "
            f"{fmt(r.get('ner_ms_per_article'), '.2f')} | {r['p99_ms']:.1f} | "
            f"{r['peak_rss_mb']:,.0f} | "
            f"{kib(r['rss_growth_per_article_bytes'])} | {kib(r['deep_bytes_per_article'])} |")
    for r in results:
        if r.get("failed"):
            out.append(f"| {label(r['size'])} | failed (exit {r['exit']}) |" + " |" * 11)
    out += ["", "Mean ms per article in each tenth of the stream (articles already indexed "
            "grow left to right):", "",
            "| archive | " + " | ".join(f"d{i + 1}" for i in range(10)) + " |",
            "|---|" + "---:|" * 10]
    for r in ok:
        out.append(f"| {label(r['size'])} | "
                   + " | ".join(f"{d['mean_ms']:.2f}" for d in r["deciles"]) + " |")
    out += ["", "Memory of the clusterer's structures (deep `sys.getsizeof`, each object once, "
            "in this order), bytes per article:", ""]
    names: list[str] = []
    for r in ok:  # attributes that hold more than a few bytes
        names += [k for k, v in r["deep"].items() if k not in names and v["bytes"] > 1000]
    if names:
        out += ["| archive | " + " | ".join(f"`{k}`" for k in names) + " | total |",
                "|---|" + "---:|" * (len(names) + 1)]
        for r in ok:
            cells = [fmt(r["deep"][k]["bytes"] / r["articles"], ",.0f") if k in r["deep"]
                     else "-" for k in names]
            out.append(f"| {label(r['size'])} | " + " | ".join(cells)
                       + f" | {r['deep_bytes'] / r['articles']:,.0f} |")
    out += ["", "Structures at the end of the run:", "",
            "| archive | " + " | ".join(["stories", "singletons", "largest",
                                         "with centroid", "terms/centroid",
                                         "posting terms", "posting entries", "longest posting",
                                         "df terms", "across repetitions"]) + " |",
            "|---|" + "---:|" * 10]
    for r in ok:
        s = r["structures"]
        out.append(f"| {label(r['size'])} | {s.get('stories', 0):,} | "
                   f"{s.get('singleton_stories', 0):,} | {s.get('largest_stories')} | "
                   f"{s.get('stories_with_centroid', 0):,} | "
                   f"{s.get('centroid_terms_mean', '-')} | {s.get('posting_terms', 0):,} | "
                   f"{s.get('posting_entries', 0):,} | {s.get('longest_posting', 0):,} | "
                   f"{s.get('df_terms', 0):,} | {s.get('stories_spanning_repetitions', 0):,} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,100k",
                    help="archive sizes, e.g. 10k,100k,1m (default: 10k,100k)")
    ap.add_argument("--budget", type=float, default=480.0,
                    help="seconds of clustering per size; the stream is cut (and the size "
                         "marked capped) once exceeded; 0 = none (default 480)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rep-days", type=float, default=7.0,
                    help="days one repetition of the corpora is spread over (default 7)")
    ap.add_argument("--gap-days", type=float, default=None,
                    help="silent days between repetitions (default: window_days + 1)")
    ap.add_argument("--cap-share", type=float, default=0.15,
                    help="share of capitalised word types replaced per repetition")
    ap.add_argument("--low-share", type=float, default=0.02,
                    help="share of lower-case word types replaced per repetition")
    ap.add_argument("--batch", type=int, default=256,
                    help="articles per poll: titles are tagged by spaCy one batch at a "
                         "time, the batch's time shared by its articles (default 256)")
    ap.add_argument("--profile", action="store_true",
                    help="also profile the smallest size with cProfile (a separate run)")
    ap.add_argument("--no-deep", action="store_true",
                    help="skip the deep-size walk (slow at 1M)")
    ap.add_argument("--out", default=None,
                    help="results stem (default bench/results/cluster-<date>)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.gap_days is None:
        from storyline.cluster import ClusterConfig
        args.gap_days = ClusterConfig.default().window_days + 1
    if args.child:
        child(args)
        return

    sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    command = " ".join(shlex.quote(x) for x in
                       [os.path.relpath(sys.executable, ROOT)
                        if sys.executable.startswith(str(ROOT)) else sys.executable,
                        os.path.relpath(Path(__file__).resolve(), ROOT)]
                       + sys.argv[1:])
    started = datetime.now(UTC)
    meta = {"date": started.isoformat(timespec="seconds"), "command": command,
            "machine": machine(), "versions": versions(),
            "settings": {k: getattr(args, k) for k in
                         ("sizes", "budget", "seed", "rep_days", "gap_days", "cap_share",
                          "low_share", "batch")}}
    print(f"cluster speed: sizes {', '.join(label(n) for n in sizes)}; "
          f"{meta['machine']['nproc']} cores, {meta['machine']['cpu_model']}", file=sys.stderr)
    results: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for n in sizes:
        prev = next((r for r in reversed(results) if not r.get("failed")), None)
        if prev is not None and args.budget:
            proj = project(prev, n)
            if proj["linear_s"] > 1.5 * args.budget:
                print(f"  {label(n)}: skipped, projected {proj['linear_s']:.0f} s "
                      f"(> 1.5 x budget {args.budget:.0f} s)", file=sys.stderr)
                skipped.append({"size": n, "projected": proj})
                continue
        print(f"  {label(n)}: running", file=sys.stderr)
        res = run_child(n, args)
        results.append(res)
        if not res.get("failed"):
            print(f"  {label(n)}: {res['articles']:,} articles, "
                  f"{res['articles_per_s']:,.0f} art/s "
                  f"(last 10% {res['articles_per_s_last10']:,.0f}), peak RSS "
                  f"{res['peak_rss_mb']:,.0f} MB, process {res['process_wall_s']:.0f} s",
                  file=sys.stderr)
    profile = None
    if args.profile:
        n = sizes[0]
        print(f"  profile at {label(n)}", file=sys.stderr)
        pres = run_child(n, args, profile=True)
        if not pres.get("failed"):
            profile = {"size": n, "cluster_s": pres["cluster_s"],
                       "profile_total_s": pres["profile_total_s"], "top": pres["profile_top"]}

    projections = {}
    last = next((r for r in reversed(results) if not r.get("failed")), None)
    if last is not None:
        for m in (1_000_000,):
            if m > last["articles"]:
                p = project(last, m)
                per_art = [b for b in (last["deep_bytes_per_article"],
                                       last["rss_growth_per_article_bytes"]) if b]
                p["memory_gb"] = max(per_art) * m / 2**30 if per_art else None
                p["from"] = label(last["size"])
                projections[label(m)] = p

    doc = {**meta, "results": results, "skipped": skipped, "projections": projections,
           "profile": profile,
           "finished": datetime.now(UTC).isoformat(timespec="seconds")}
    lines = tables(results)
    print("\n".join(lines))
    for k, p in projections.items():
        print(f"\n{k} projected from {p['from']}: {p['flat_s'] / 60:.0f} min at the last "
              f"decile's cost, {p['linear_s'] / 60:.0f} min if the cost keeps growing linearly; "
              f"memory ~{fmt(p['memory_gb'], '.1f')} GB")
    if profile:
        print(f"\ncProfile, {label(profile['size'])} articles (top 10 by own time):")
        for row in profile["top"][:10]:
            print(f"  {row['tottime']:7.2f} s  {row['ncalls']:>10,}  {row['function']}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = Path(args.out) if args.out else RESULTS / f"cluster-{started:%Y-%m-%d}"
    stem.with_suffix(".json").write_text(json.dumps(doc, indent=2) + "\n")
    base_n = results[0].get("stream", {}).get("base_articles", "?") if results else "?"
    md = [f"# Clustering speed, {meta['date']}", "",
          f"Command: `{command}`", "",
          f"Machine: {meta['machine']['nproc']} cores ({meta['machine']['affinity']} usable), "
          f"{meta['machine']['cpu_model']}, {meta['machine']['ram_gib']} GiB RAM, "
          f"{meta['machine']['os']}; load average at start "
          f"{', '.join(f'{x:.2f}' for x in meta['machine']['loadavg_start'])}.", "",
          "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()), "",
          f"Stream: the shared corpora ({base_n} "
          f"articles) repeated, each repetition spread over {args.rep_days:g} days, "
          f"{args.gap_days:g} silent days between repetitions, {args.cap_share:.0%} of "
          f"capitalised and {args.low_share:.0%} of lower-case word types replaced by random "
          "tokens per repetition. `OnlineClusterer()` (default config), `partial_fit` per "
          f"article, titles tagged by spaCy in batches of {args.batch} "
          "(each article charged its share); each size in a fresh process. Times are "
          "clustering only (each call timed); "
          "RSS growth = RSS after the run (after `gc.collect()`) minus before, per article "
          "(texts are generated lazily and not kept, so this is the clusterer's own memory); "
          "deep size = recursive `sys.getsizeof` of the clusterer's attributes.", ""]
    md += lines
    for k, p in projections.items():
        md += ["", f"**{k} projected** from the {p['from']} run: {p['flat_s'] / 60:.0f} min at "
               f"the last decile's cost per article, {p['linear_s'] / 60:.0f} min if the cost "
               f"keeps growing linearly as it did (slope "
               f"{p.get('cost_slope_ms_per_100k', 0):.2f} ms per 100k indexed); "
               f"memory ~{fmt(p['memory_gb'], '.1f')} GB."]
    for s in skipped:
        md += ["", f"{label(s['size'])} skipped: projected {s['projected']['linear_s']:.0f} s."]
    if profile:
        md += ["", f"cProfile at {label(profile['size'])} (clustering {profile['cluster_s']:.1f} s "
               "under the profiler), top 10 by own time:", "",
               "| own s | calls | cum s | function |", "|---:|---:|---:|---|"]
        for row in profile["top"][:10]:
            md.append(f"| {row['tottime']:.2f} | {row['ncalls']:,} | {row['cumtime']:.2f} | "
                      f"`{row['function']}` |")
    stem.with_suffix(".md").write_text("\n".join(md) + "\n")
    print(f"\nwrote {stem.with_suffix('.json')} and {stem.with_suffix('.md')}", file=sys.stderr)


if __name__ == "__main__":
    main()
