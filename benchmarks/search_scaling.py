#!/usr/bin/env python3
"""The kana search's 100k ÷ 10k ratio, measured so that the machine's load hits both sizes alike.

    .venv/bin/python benchmarks/search_scaling.py URL_10K URL_100K [--requests 200]

Opens both seeded databases in one process and sends the coordinator persona's search requests (the same
128 kana queries as `run.py`, full request through the whole stack, audit event included) to the 10k and
the 100k app alternately. Prints p50 / p95 by wall clock and by this process's CPU time: on SQLite, which
runs in-process, CPU time leaves out the waiting for a core that other processes cause; on PostgreSQL
it is only the client's share, so read the wall clock there. Run `run.py` for the absolute figures on a
quiet machine.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Client, make_app, samples  # noqa: E402


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))] * 1000


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url_10k")
    ap.add_argument("url_100k")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    args = ap.parse_args(argv)
    from benchmarks.seed import PERSONAS

    sizes = {"10k": args.url_10k, "100k": args.url_100k}
    apps = {k: make_app(url) for k, url in sizes.items()}
    clients = {k: Client(app, PERSONAS["coordinator"]) for k, app in apps.items()}
    queries = {k: samples(app, random.Random(1)).kana_queries for k, app in apps.items()}
    wall: dict[str, list[float]] = {k: [] for k in sizes}
    cpu: dict[str, list[float]] = {k: [] for k in sizes}
    load_before = _load()
    for i in range(args.warmup + args.requests):
        for k in ("10k", "100k") if i % 2 else ("100k", "10k"):
            q = queries[k][i % len(queries[k])]
            t0, c0 = time.perf_counter(), time.process_time()
            r = clients[k].request("GET", f"/api/v1/cases?q={quote(q)}&limit=50")
            t1, c1 = time.perf_counter(), time.process_time()
            if r.status_code != 200:
                raise SystemExit(f"{k}: {r.status_code} {r.get_data(as_text=True)[:200]}")
            if i >= args.warmup:
                wall[k].append(t1 - t0)
                cpu[k].append(c1 - c0)
    print(f"search by kana, coordinator: {args.requests} requests per size, interleaved; "
          f"load average {load_before} -> {_load()}")
    print("| clock | 10k p50 / p95 ms | 100k p50 / p95 ms | 100k ÷ 10k p50 / p95 |")
    print("|---|--:|--:|--:|")
    for name, d in (("wall", wall), ("CPU (this process)", cpu)):
        a = (_pct(d["10k"], .5), _pct(d["10k"], .95))
        b = (_pct(d["100k"], .5), _pct(d["100k"], .95))
        print(f"| {name} | {a[0]:.1f} / {a[1]:.1f} | {b[0]:.1f} / {b[1]:.1f} | {b[0] / a[0]:.2f} / {b[1] / a[1]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
