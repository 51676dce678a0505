"""Dedup speed: storyline against datasketch and rensa, whole processes, same corpus.

    .venv/bin/python bench/dedup_speed.py                       # 10k, 50k, 100k; 3 rounds
    .venv/bin/python bench/dedup_speed.py --sizes 2000,10000 --rounds 1
    .venv/bin/python bench/dedup_speed.py --sizes 10000,100000,1000000 --timeout 3600

Every run is a fresh child process that reads the JSONL corpus, dedups, groups and
writes one {"id", "group"} line per article. Tools run alternately (A B C D, then
B C D A, ...) so that drift on the machine hits all of them alike. Per run we take
the wall time, the child's CPU time and its peak RSS (os.wait4 rusage). Corpora are
built by bench/make_corpus.py into bench/data/ when missing; results go to
bench/results/dedup-<date>.{json,md}. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from _machine import commit, machine  # bench/ is on sys.path when run as a script
from make_corpus import VERSION as CORPUS_VERSION  # older corpora are rebuilt

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
STORYLINE = str(VENV_BIN / "storyline") if (VENV_BIN / "storyline").exists() \
    else (shutil.which("storyline") or "storyline")

NUM_PERM, THRESHOLD, SHINGLE = 128, 0.5, 5

# --- the baselines, as a user would write them -------------------------------------
# Word 5-grams of the lower-cased, whitespace-split text; 128 permutations; LSH at
# threshold 0.5; each document queries the index, then is inserted; LSH candidates
# are kept when their estimated Jaccard is >= 0.5 (what rensa's own deduplicator
# does; without it, LSH false positives chain whole groups together through
# union-find); union-find makes the groups.

DATASKETCH = r'''
import json, sys
from datasketch import MinHash, MinHashLSH

NUM_PERM, THRESHOLD, K = 128, 0.5, 5
src, dst = sys.argv[1], sys.argv[2]
ids = []

def shingle_sets():
    with open(src, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            ids.append(rec["id"])
            words = rec["text"].lower().split()
            yield {" ".join(words[i:i + K]).encode("utf-8")
                   for i in range(max(1, len(words) - K + 1))}

parent = []

def find(x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x

lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
sigs = []
# MinHash.generator: MinHash(num_perm=128) + update_batch per document, permutations shared
for i, m in enumerate(MinHash.generator(shingle_sets(), num_perm=NUM_PERM)):
    parent.append(i)
    for j in lsh.query(m):
        if m.jaccard(sigs[j]) >= THRESHOLD:
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    lsh.insert(i, m)
    sigs.append(m)

with open(dst, "w", encoding="utf-8") as out:
    for i, doc_id in enumerate(ids):
        out.write(json.dumps({"id": doc_id, "group": ids[find(i)]}) + "\n")
'''

# rensa: RMinHash signatures built in batches with RMinHash.from_token_sets (the bulk API
# its README recommends), RMinHashLSH with 32 bands x 4 rows (what RMinHashDeduplicator
# picks for threshold 0.5 and 128 permutations; num_bands must divide num_perm).
RENSA = r'''
import json, sys
from rensa import RMinHash, RMinHashLSH

NUM_PERM, THRESHOLD, K, BANDS, SEED, CHUNK = 128, 0.5, 5, 32, 42, 1000
src, dst = sys.argv[1], sys.argv[2]
ids, parent, sigs = [], [], []

def find(x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x

lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=BANDS)

def flush(token_sets):
    for m in RMinHash.from_token_sets(token_sets, num_perm=NUM_PERM, seed=SEED):
        i = len(sigs)
        parent.append(i)
        for j in lsh.query(m):
            if m.jaccard(sigs[j]) >= THRESHOLD:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        lsh.insert(i, m)
        sigs.append(m)

chunk = []
with open(src, encoding="utf-8") as f:
    for line in f:
        if not line.strip():
            continue
        rec = json.loads(line)
        ids.append(rec["id"])
        words = rec["text"].lower().split()
        chunk.append(list({" ".join(words[i:i + K]) for i in range(max(1, len(words) - K + 1))}))
        if len(chunk) == CHUNK:
            flush(chunk)
            chunk = []
if chunk:
    flush(chunk)

with open(dst, "w", encoding="utf-8") as out:
    for i, doc_id in enumerate(ids):
        out.write(json.dumps({"id": doc_id, "group": ids[find(i)]}) + "\n")
'''

STORYLINE_API = r'''
import json, sys
import storyline
from storyline.dedup import dedup

src, dst = sys.argv[1], sys.argv[2]
articles = storyline.read(src)
records = dedup(articles)
with open(dst, "w", encoding="utf-8") as out:
    for r in records:
        out.write(json.dumps({"id": r.id, "group": r.group}) + "\n")
'''

TOOLS = ["storyline", "storyline-api", "datasketch", "rensa"]


def tool_command(tool: str, corpus: Path, groups: Path) -> tuple[list[str], Path | None]:
    """argv, and the file stdout goes to (None: the child writes ``groups`` itself)."""
    if tool == "storyline":
        return [STORYLINE, "dedup", str(corpus), "--quiet"], groups
    script = {"storyline-api": STORYLINE_API, "datasketch": DATASKETCH, "rensa": RENSA}[tool]
    return [PYTHON, "-c", script, str(corpus), str(groups)], None


def show_command(tool: str) -> str:
    if tool == "storyline":
        return f"{STORYLINE} dedup CORPUS --quiet > GROUPS"
    return f"{PYTHON} -c \"$BENCH_{tool.upper().replace('-', '_')}_SCRIPT\" CORPUS GROUPS"


# --- running one child -------------------------------------------------------------

def run_child(argv: list[str], stdout_path: Path | None, stderr_path: Path,
              timeout: float) -> dict[str, Any]:
    out = stdout_path.open("wb") if stdout_path else subprocess.DEVNULL
    with stderr_path.open("wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill) if timeout > 0 else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout_path and not isinstance(out, int):
        out.close()
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "user_s": round(usage.ru_utime, 3),
        "sys_s": round(usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),   # ru_maxrss is in KiB on Linux
        "exit": proc.returncode,
        "timed_out": timed_out.is_set(),
    }


def read_truth(corpus: Path) -> list[tuple[str, str, str]]:
    path = corpus.with_name(corpus.name + ".truth.tsv")
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        next(f, None)
        return [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]  # type: ignore[misc]


def check_groups(groups_path: Path, n: int, truth: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Groups found, the biggest groups, and how many planted copies share their parent's group."""
    group_of: dict[str, str] = {}
    with groups_path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                group_of[rec["id"]] = str(rec["group"])
    sizes = Counter(group_of.values())
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for child, parent, kind in truth:
        total[kind] += 1
        g = group_of.get(child)
        if g is not None and g == group_of.get(parent):
            found[kind] += 1
    return {
        "articles_out": len(group_of),
        "groups": len(sizes),
        "grouped_articles": sum(c for c in sizes.values() if c > 1),
        "biggest_groups": [c for _, c in sizes.most_common(3)],
        "copies_found": {k: round(found[k] / total[k], 4) for k in sorted(total)},
        "copies_found_all": round(sum(found.values()) / max(1, sum(total.values())), 4),
        "complete": len(group_of) == n,
    }


# --- corpus, machine ------------------------------------------------------------------

def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def ensure_corpus(n: int, seed: int, data: Path) -> tuple[Path, dict[str, Any]]:
    path = data / (f"corpus-{label(n)}.jsonl" if seed == 1 else f"corpus-{label(n)}-s{seed}.jsonl")
    stats_path = path.with_name(path.name + ".stats.json")
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else None
    if not path.exists() or not stats or stats.get("n") != n or stats.get("seed") != seed \
            or stats.get("version") != CORPUS_VERSION:
        print(f"building {path.relative_to(ROOT)} ...", file=sys.stderr, flush=True)
        subprocess.run([PYTHON, str(BENCH / "make_corpus.py"), "--n", str(n), "--seed", str(seed),
                        "--out", str(path)], check=True, cwd=ROOT)
        stats = json.loads(stats_path.read_text())
    return path, stats


def warm(path: Path) -> None:
    """Read the corpus once so that every run finds it in the page cache."""
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


def versions() -> dict[str, str]:
    code = ("import json, sys, importlib.metadata as m\n"
            "v = {'python': sys.version.split()[0]}\n"
            "for p in ('storyline', 'datasketch', 'rensa', 'numpy'):\n"
            "    try: v[p] = m.version(p)\n"
            "    except m.PackageNotFoundError: v[p] = None\n"
            "print(json.dumps(v))")
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    found["storyline_commit"] = commit()
    return found


# --- summary --------------------------------------------------------------------------

def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(runs: list[dict[str, Any]], tools: list[str], sizes: list[int]) -> dict[str, Any]:
    rows = []
    ok = [r for r in runs if r["exit"] == 0 and not r["timed_out"]]
    for n in sizes:
        for tool in tools:
            rs = [r for r in ok if r["size"] == n and r["tool"] == tool]
            other = [r for r in runs if r["size"] == n and r["tool"] == tool and r not in rs]
            if not rs:
                status = other[0].get("status", "failed") if other else "not run"
                rows.append({"tool": tool, "size": n, "status": status})
                continue
            wall = med([r["wall_s"] for r in rs])
            cpu = med([r["cpu_s"] for r in rs])
            last = rs[-1]
            rows.append({
                "tool": tool, "size": n, "status": "ok", "rounds": len(rs),
                "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                "docs_per_s": round(n / wall, 1), "docs_per_cpu_s": round(n / cpu, 1),
                "ms_per_doc": round(1000 * wall / n, 3), "cpu_ms_per_doc": round(1000 * cpu / n, 3),
                "peak_rss_mb": round(med([r["peak_rss_mb"] for r in rs]), 1),
                "groups": last["groups"], "biggest_groups": last["biggest_groups"],
                "copies_found_all": last["copies_found_all"], "copies_found": last["copies_found"],
            })
    ratios = []
    for n in sizes:
        for sl in ("storyline", "storyline-api"):
            for base in ("datasketch", "rensa"):
                pairs = [(a, b) for a in ok for b in ok
                         if a["size"] == b["size"] == n and a["round"] == b["round"]
                         and a["tool"] == sl and b["tool"] == base]
                if not pairs:
                    continue
                ra = [n / a["wall_s"] for a, _ in pairs]
                rb = [n / b["wall_s"] for _, b in pairs]
                ca = [n / a["cpu_s"] for a, _ in pairs]
                cb = [n / b["cpu_s"] for _, b in pairs]
                ratios.append({"size": n, "tool": sl, "vs": base, "rounds": len(pairs),
                               "docs_per_s": round(med(ra) / med(rb), 3),
                               "docs_per_cpu_s": round(med(ca) / med(cb), 3)})
    growth = []
    for tool in tools:
        prev = None
        for row in rows:
            if row["tool"] != tool or row.get("status") != "ok":
                continue
            if prev is not None:
                growth.append({
                    "tool": tool, "from": prev["size"], "to": row["size"],
                    "size_x": round(row["size"] / prev["size"], 2),
                    "ms_per_doc_x": round(row["ms_per_doc"] / prev["ms_per_doc"], 2),
                    "cpu_ms_per_doc_x": round(row["cpu_ms_per_doc"] / prev["cpu_ms_per_doc"], 2),
                    "rss_x": round(row["peak_rss_mb"] / prev["peak_rss_mb"], 2),
                })
            prev = row
    return {"rows": rows, "ratios": ratios, "growth": growth}


def tables(result: dict[str, Any]) -> str:
    s = result["summary"]
    lines = ["| tool | size | wall s (median) | docs/s | docs/s per core | ms/doc | peak RSS MB "
             "| groups | biggest groups | copies found |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in s["rows"]:
        if r["status"] != "ok":
            lines.append(f"| {r['tool']} | {r['size']:,} | {r['status']} | | | | | | | |")
            continue
        lines.append(
            f"| {r['tool']} | {r['size']:,} | {r['wall_s']:.2f} | {r['docs_per_s']:,.0f} "
            f"| {r['docs_per_cpu_s']:,.0f} | {r['ms_per_doc']:.3f} | {r['peak_rss_mb']:,.0f} "
            f"| {r['groups']:,} | {', '.join(map(str, r['biggest_groups']))} "
            f"| {100 * r['copies_found_all']:.1f}% |")
    if s["ratios"]:
        lines += ["", "| size | ratio | docs/s | docs/s per core |", "|---:|---|---:|---:|"]
        for r in s["ratios"]:
            lines.append(f"| {r['size']:,} | {r['tool']} / {r['vs']} | {r['docs_per_s']:.3f} "
                         f"| {r['docs_per_cpu_s']:.3f} |")
    if s["growth"]:
        lines += ["", "| tool | size | x size | x wall time per article | x CPU time per article "
                  "| x peak RSS |", "|---|---|---:|---:|---:|---:|"]
        for g in s["growth"]:
            lines.append(f"| {g['tool']} | {g['from']:,} -> {g['to']:,} | {g['size_x']} "
                         f"| {g['ms_per_doc_x']} | {g['cpu_ms_per_doc_x']} | {g['rss_x']} |")
    return "\n".join(lines) + "\n"


def markdown(result: dict[str, Any]) -> str:
    m, v = result["machine"], result["versions"]
    corp = "; ".join(f"{label(int(k))}: median {c['median_words']:.0f} words, "
                     f"{100 * c['copy_share']:.1f}% copies" for k, c in result["corpora"].items())
    head = [f"# Dedup speed, {result['date']}", "",
            f"`{result['command']}`", "",
            f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gib']} GiB RAM, {m['os']}. "
            f"Python {v['python']}; storyline {v['storyline']}"
            + (f" (commit {v['storyline_commit']})" if v.get("storyline_commit") else "")
            + f", datasketch {v['datasketch']}, "
            f"rensa {v['rensa']}, numpy {v['numpy']}.", "",
            f"Corpus (bench/make_corpus.py, seed {result['seed']}): {corp}.", "",
            "docs/s = articles / median wall time; docs/s per core = articles / median CPU time "
            "(user + sys of the child); peak RSS = ru_maxrss of the child; copies found = share "
            "of the planted copies grouped with the article they were made from. Each run is a "
            "fresh process from JSONL to groups.", ""]
    return "\n".join(head) + "\n" + tables(result)


# --- main -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,50000,100000",
                    help="comma-separated corpus sizes (default 10000,50000,100000)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"subset of {','.join(TOOLS)}")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds per child run (0: none). A tool that timed out, or whose "
                         "linear projection from the previous size exceeds this, is skipped "
                         "at larger sizes.")
    ap.add_argument("--data", type=Path, default=BENCH / "data")
    ap.add_argument("--results", type=Path, default=BENCH / "results")
    ap.add_argument("--keep-groups", action="store_true", help="keep the groups files")
    args = ap.parse_args(argv)

    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    started = datetime.now().astimezone()
    tmp = args.data / "groups"
    tmp.mkdir(parents=True, exist_ok=True)
    args.results.mkdir(parents=True, exist_ok=True)

    result: dict[str, Any] = {
        "date": started.isoformat(timespec="seconds"), "command": command, "seed": args.seed,
        "machine": machine(), "versions": versions(),
        "params": {"num_perm": NUM_PERM, "threshold": THRESHOLD, "shingle": f"word {SHINGLE}-grams",
                   "rensa_bands": 32, "datasketch_bands": "auto (25 x 5)",
                   "timeout_s": args.timeout, "rounds": args.rounds},
        "commands": {t: show_command(t) for t in tools},
        "scripts": {"datasketch": DATASKETCH, "rensa": RENSA, "storyline-api": STORYLINE_API},
        "corpora": {}, "runs": [],
    }
    runs: list[dict[str, Any]] = result["runs"]
    # storyline's modules are compiled to bytecode, as pip does when it installs a
    # package (an editable install run with PYTHONDONTWRITEBYTECODE, as here, never
    # writes it, and every run would compile them again, where datasketch's and
    # rensa's are compiled); and its kernels are compiled by numba on the first run
    # after an install and cached on disk: both now, untimed
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "src" / "storyline")],
                   stdout=subprocess.DEVNULL, check=False)
    subprocess.run([STORYLINE, "dedup", str(ROOT / "sample" / "articles"), "--quiet"],
                   stdout=subprocess.DEVNULL, check=False)
    skip: dict[str, str] = {}
    last_wall: dict[str, tuple[int, float]] = {}

    for n in sizes:
        corpus, stats = ensure_corpus(n, args.seed, args.data)
        result["corpora"][str(n)] = stats
        truth = read_truth(corpus)
        warm(corpus)
        for tool in tools:
            if tool in last_wall and args.timeout > 0 and tool not in skip:
                pn, pw = last_wall[tool]
                if pw * n / pn > args.timeout:
                    skip[tool] = f"skipped (projected {pw * n / pn:.0f}s > timeout)"
        for rnd in range(args.rounds):
            order = tools[rnd % len(tools):] + tools[: rnd % len(tools)]
            for tool in order:
                rec: dict[str, Any] = {"tool": tool, "size": n, "round": rnd + 1}
                if tool in skip:
                    runs.append({**rec, "exit": None, "timed_out": False, "status": skip[tool]})
                    continue
                groups = tmp / f"{label(n)}-{tool}-r{rnd + 1}.jsonl"
                errf = tmp / f"{label(n)}-{tool}-r{rnd + 1}.stderr"
                groups.unlink(missing_ok=True)
                argv, stdout_path = tool_command(tool, corpus, groups)
                print(f"[{label(n)} r{rnd + 1}] {tool} ...", end=" ", file=sys.stderr, flush=True)
                rec.update(run_child(argv, stdout_path, errf, args.timeout))
                if rec["timed_out"]:
                    rec["status"] = f"timeout (>{args.timeout:.0f}s)"
                    skip[tool] = f"skipped (timed out at {n:,})"
                elif rec["exit"] != 0:
                    rec["status"] = f"failed (exit {rec['exit']})"
                    rec["stderr_tail"] = errf.read_text(errors="replace")[-2000:]
                else:
                    rec["status"] = "ok"
                    rec.update(check_groups(groups, n, truth))
                print(f"{rec['status']} {rec['wall_s']:.1f}s wall, {rec['cpu_s']:.1f}s cpu, "
                      f"{rec['peak_rss_mb']:.0f} MB"
                      + (f", {rec['groups']} groups" if "groups" in rec else ""),
                      file=sys.stderr, flush=True)
                runs.append(rec)
                if not args.keep_groups:
                    groups.unlink(missing_ok=True)
                    if rec["status"] == "ok":
                        errf.unlink(missing_ok=True)
        for tool in tools:
            walls = [r["wall_s"] for r in runs if r["tool"] == tool and r["size"] == n
                     and r.get("status") == "ok"]
            if walls:
                last_wall[tool] = (n, med(walls))

    result["finished"] = datetime.now().astimezone().isoformat(timespec="seconds")
    result["summary"] = summarise(runs, tools, sizes)
    stamp = started.strftime("%Y-%m-%d-%H%M")
    jpath, mpath = args.results / f"dedup-{stamp}.json", args.results / f"dedup-{stamp}.md"
    jpath.write_text(json.dumps(result, indent=2, default=str) + "\n")
    mpath.write_text(markdown(result))
    print()
    print(tables(result))
    print(f"\nwrote {jpath.relative_to(ROOT) if jpath.is_relative_to(ROOT) else jpath} and "
          f"{mpath.name}")
    by_tool: dict[str, list[str]] = defaultdict(list)
    for r in result["summary"]["rows"]:
        if r["status"] == "ok":
            by_tool[r["tool"]].append(f"{label(r['size'])}: {r['ms_per_doc']:.3f} ms")
    print("time per article (wall):")
    for tool, parts in by_tool.items():
        print(f"  {tool:14s} " + ", ".join(parts))
    return 1 if any(str(r.get("status", "")).startswith("failed") for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
