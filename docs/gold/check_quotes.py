#!/usr/bin/env python3
"""Check a hand-labelled quotation gold file against its corpus.

Usage:
    python docs/gold/check_quotes.py GOLD.jsonl ARTICLES.tsv CORPUS_DIR

GOLD.jsonl   one JSON object per span: corpus, article, start, end, sha1,
             kind, speaker, speaker_type, optional note.
ARTICLES.tsv one line per labelled article: corpus<TAB>article_id<TAB>split.
CORPUS_DIR   folder holding articles.jsonl (objects with at least id, text).

Checks (ERROR makes the exit status 1; WARN is informational):
  * record fields, corpus name, article listed in the tsv and present in corpus
  * 0 <= start < end <= len(text); sha1 = first 12 hex of sha1(text[start:end])
  * kind in {direct, scare, title}; speaker_type in {person, organization, null};
    speaker null <=> speaker_type null; scare/title have speaker null
  * duplicate spans, partially overlapping spans (nesting is allowed)
  * the character before start / after end is a quotation mark; exceptions
    are WARNed (a span ending at a paragraph end is the expected exception for
    quotations that run across paragraphs; others are listed for review)
  * every double quotation mark (" “ ”) in each listed article is adjacent to
    a labelled span boundary; an uncovered mark is an ERROR
  * tsv: split value valid and equal to the sha1 parity rule, no duplicates
Stdlib only.
"""
import hashlib
import json
import os
import sys
from collections import Counter, defaultdict

DOUBLE = '"\u201c\u201d'            # " “ ”
SINGLE = "'\u2018\u2019"            # ' ‘ ’
OPEN_OK = DOUBLE + SINGLE
KINDS = {"direct", "scare", "title"}
STYPES = {"person", "organization", None}
REQUIRED = ["corpus", "article", "start", "end", "sha1", "kind", "speaker", "speaker_type"]
OPTIONAL = {"note"}


def main(argv):
    if len(argv) != 4:
        print(__doc__)
        return 2
    gold_path, tsv_path, corpus_dir = argv[1:]
    errors, warns = [], []

    def err(msg):
        errors.append(msg)

    def warn(msg):
        warns.append(msg)

    # corpus
    corpus_file = os.path.join(corpus_dir, "articles.jsonl")
    texts = {}
    with open(corpus_file, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                a = json.loads(line)
                texts[a["id"]] = a["text"]

    # article list
    listed = {}
    corpus_names = set()
    with open(tsv_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            cols = line.split("\t")
            if len(cols) != 3:
                err(f"tsv line {n}: expected 3 tab-separated columns, got {len(cols)}")
                continue
            corp, aid, split = cols
            corpus_names.add(corp)
            if aid in listed:
                err(f"tsv line {n}: duplicate article {aid}")
            listed[aid] = split
            if aid not in texts:
                err(f"tsv line {n}: article {aid} not in corpus")
            want = "tune" if int(hashlib.sha1(aid.encode()).hexdigest(), 16) % 2 == 0 else "report"
            if split != want:
                err(f"tsv line {n}: {aid} split {split!r}, rule gives {want!r}")
    if len(corpus_names) > 1:
        err(f"tsv has several corpus names: {sorted(corpus_names)}")

    # gold records
    recs = []
    with open(gold_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                err(f"gold line {n}: bad JSON ({e})")
                continue
            r["_line"] = n
            recs.append(r)

    by_art = defaultdict(list)
    for r in recs:
        n = r["_line"]
        missing = [k for k in REQUIRED if k not in r]
        if missing:
            err(f"gold line {n}: missing fields {missing}")
            continue
        unknown = set(r) - set(REQUIRED) - OPTIONAL - {"_line"}
        if unknown:
            warn(f"gold line {n}: unknown fields {sorted(unknown)}")
        aid = r["article"]
        if corpus_names and r["corpus"] not in corpus_names:
            err(f"gold line {n}: corpus {r['corpus']!r} differs from tsv {sorted(corpus_names)}")
        if aid not in listed:
            err(f"gold line {n}: article {aid} not listed in tsv")
        if aid not in texts:
            err(f"gold line {n}: article {aid} not in corpus")
            continue
        t = texts[aid]
        s, e = r["start"], r["end"]
        if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(t)):
            err(f"gold line {n}: offsets {s}-{e} out of range (len {len(t)})")
            continue
        h = hashlib.sha1(t[s:e].encode("utf-8")).hexdigest()[:12]
        if h != r["sha1"]:
            err(f"gold line {n}: sha1 {r['sha1']} != {h} for {aid} {s}-{e}")
        if r["kind"] not in KINDS:
            err(f"gold line {n}: bad kind {r['kind']!r}")
        if r["speaker_type"] not in STYPES:
            err(f"gold line {n}: bad speaker_type {r['speaker_type']!r}")
        if (r["speaker"] is None) != (r["speaker_type"] is None):
            err(f"gold line {n}: speaker and speaker_type must both be null or both set")
        if r["kind"] in ("scare", "title") and r["speaker"] is not None:
            err(f"gold line {n}: kind {r['kind']} must have speaker null")
        if r["speaker"] is not None and (not isinstance(r["speaker"], str) or not r["speaker"].strip()):
            err(f"gold line {n}: speaker must be a non-empty string or null")
        # boundary characters
        before = t[s - 1] if s > 0 else ""
        after = t[e] if e < len(t) else ""
        if before not in OPEN_OK:
            warn(f"gold line {n}: {aid} {s}-{e}: char before start is {before!r}, not a quotation mark"
                 + (" (paragraph start)" if before in ("", "\n") else ""))
        if after not in OPEN_OK:
            para_end = after in ("", "\n")
            warn(f"gold line {n}: {aid} {s}-{e}: char after end is {after!r}, not a quotation mark"
                 + (" (paragraph end)" if para_end else ""))
        by_art[aid].append(r)

    # per-article: duplicates, overlaps, mark coverage
    n_marks = 0
    for aid in listed:
        if aid not in texts:
            continue
        t = texts[aid]
        rs = sorted(by_art.get(aid, []), key=lambda r: (r["start"], -r["end"]))
        seen = Counter((r["start"], r["end"]) for r in rs)
        for (s, e), c in seen.items():
            if c > 1:
                err(f"{aid}: span {s}-{e} labelled {c} times")
        for i, a in enumerate(rs):
            for b in rs[i + 1:]:
                if b["start"] >= a["end"]:
                    break
                if b["end"] > a["end"]:
                    err(f"{aid}: spans {a['start']}-{a['end']} and {b['start']}-{b['end']} partially overlap")
        starts = {r["start"] for r in rs}
        ends = {r["end"] for r in rs}
        for p, c in enumerate(t):
            if c not in DOUBLE:
                continue
            n_marks += 1
            if (p + 1) in starts or p in ends:
                continue
            lo, hi = max(0, p - 30), min(len(t), p + 30)
            ctx = t[lo:hi].replace("\n", "\\n")
            err(f"{aid}: quotation mark {c!r} at {p} not adjacent to any labelled span [..{ctx}..]")

    kinds = Counter(r.get("kind") for r in recs)
    direct = [r for r in recs if r.get("kind") == "direct"]
    named = sum(1 for r in direct if r.get("speaker"))
    zero = [a for a in listed if not by_art.get(a)]
    print(f"articles listed: {len(listed)} (zero-quote: {len(zero)})")
    print(f"spans: {len(recs)}  by kind: {dict(sorted(kinds.items()))}")
    print(f"direct: named speaker {named}, null speaker {len(direct) - named}")
    print(f"double quotation marks checked: {n_marks}")
    for w in warns:
        print("WARN ", w)
    for e in errors:
        print("ERROR", e)
    print(f"{len(errors)} error(s), {len(warns)} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
