"""Load test of ``storyline serve``: N concurrent clients for a fixed time, loopback only.

    python bench/serve_load.py                      # starts its own server on a temp database
    python bench/serve_load.py --url http://127.0.0.1:8000 --clients 50 --duration 60

Each client alternates GET /api/stories and GET /stories/{id} (the story pages in turn) as
fast as it can. The run stops by itself after ``--duration`` seconds (plus at most one request
timeout), then prints p50/p99 latency per endpoint and the error count (non-200 or failed).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stats:
    """Latencies of successful requests and the count of failed ones, per endpoint."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, seconds: float, ok: bool) -> None:
        if ok:
            self.latencies.setdefault(name, []).append(seconds)
        else:
            self.errors[name] = self.errors.get(name, 0) + 1


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def _own_server() -> Iterator[str]:
    """A temporary database with the sample corpus (and gm-psa when present), served."""
    import storyline
    from storyline.serve import open_repository, rebuild, serving

    inputs = [ROOT / "sample"]
    gm_psa = ROOT.parent / "shared" / "samples" / "gm-psa"
    if gm_psa.exists():
        inputs.append(gm_psa)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.db"
        repo = open_repository(db)
        try:
            rebuild(repo, storyline.read(inputs))
        finally:
            repo.close()
        with serving(db) as base:
            yield base


async def _client(http: httpx.AsyncClient, paths: list[tuple[str, str]], offset: int,
                  deadline: float, stats: Stats) -> None:
    i = offset
    while time.monotonic() < deadline:
        name, path = paths[i % len(paths)]
        i += 1
        start = time.perf_counter()
        try:
            response = await http.get(path)
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        stats.add(name, time.perf_counter() - start, ok)


async def _run(base: str, clients: int, duration: float, timeout: float) -> Stats:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as http:
        listing = (await http.get("/api/stories", params={"limit": 100})).json()["items"]
        if not listing:
            raise SystemExit("serve_load: the server has no stories")
        paths: list[tuple[str, str]] = []
        for item in listing:
            paths += [("GET /api/stories", "/api/stories"), ("GET /stories/{id}", item["url"])]
        stats = Stats()
        deadline = time.monotonic() + duration
        tasks = [_client(http, paths, 2 * n, deadline, stats) for n in range(clients)]
        # Hard stop: every client ends at the deadline, or one timeout after it at worst.
        await asyncio.wait_for(asyncio.gather(*tasks), duration + timeout + 5)
        return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (loopback only); default: start one")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.url and not _loopback(args.url):
        parser.error("--url must be a loopback address: this tool never loads other hosts")
    if not 1 <= args.clients <= 1000 or not 0 < args.duration <= 3600:
        parser.error("--clients must be 1..1000 and --duration 0..3600 s")

    def run(base: str) -> Stats:
        return asyncio.run(_run(base, args.clients, args.duration, args.timeout))

    if args.url:
        stats = run(args.url.rstrip("/"))
    else:
        with _own_server() as base:
            stats = run(base)
    report: dict[str, dict[str, float]] = {}
    names = sorted(set(stats.latencies) | set(stats.errors))
    every = [x for v in stats.latencies.values() for x in v]
    for name, values in [(n, stats.latencies.get(n, [])) for n in names] + [("all", every)]:
        errors = stats.errors.get(name, 0) if name != "all" else sum(stats.errors.values())
        report[name] = {
            "requests": len(values) + errors,
            "per_second": round((len(values) + errors) / args.duration, 1),
            "p50_ms": round(_percentile(values, 50) * 1000, 1),
            "p99_ms": round(_percentile(values, 99) * 1000, 1),
            "errors": errors,
        }
    print(f"{args.clients} clients, {args.duration:g} s")
    for name, r in report.items():
        print(f"  {name:<20} {r['requests']:>7} requests {r['per_second']:>8} /s  "
              f"p50 {r['p50_ms']:>7} ms  p99 {r['p99_ms']:>7} ms  errors {r['errors']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"clients": args.clients, "duration": args.duration,
                                         "results": report}, indent=2))
    return 1 if report["all"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
