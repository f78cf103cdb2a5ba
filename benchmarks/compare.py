#!/usr/bin/env python3
"""Scaling table: the same benchmarks on a small and a large database (JSON files of run.py --json).

    .venv/bin/python benchmarks/compare.py small.json large.json [--target 1.5]

Prints p50/p95 of every in-process benchmark at both sizes and the ratio large/small; list endpoints
are held to the target (p95 ratio <= 1.5 by default).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

LIST_ENDPOINTS = {"case list, NPO (page 1)", "case list, coordinator, filtered", "search by kana, coordinator",
                  "referral inbox, NPO", "audit search, auditor"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("small")
    ap.add_argument("large")
    ap.add_argument("--target", type=float, default=1.5)
    args = ap.parse_args(argv)
    a, b = (json.loads(Path(p).read_text()) for p in (args.small, args.large))
    sa, sb = f"{a['cases'] // 1000}k", f"{b['cases'] // 1000}k"
    print(f"### scaling, {b['engine']}: {a['cases']:,} vs {b['cases']:,} cases "
          f"({a['events']:,} vs {b['events']:,} audit events)\n")
    print(f"| benchmark | p50 {sa} | p95 {sa} | p50 {sb} | p95 {sb} | p50 ratio | p95 ratio | target |")
    print("|---|--:|--:|--:|--:|--:|--:|---|")
    small = {r["name"]: r for r in a.get("inprocess", [])}
    for r in b.get("inprocess", []):
        s = small.get(r["name"])
        if not s or not r["n"] or not s["n"]:
            print(f"| {r['name']} | | | | | | | skipped |")
            continue
        r50, r95 = r["p50_ms"] / s["p50_ms"], r["p95_ms"] / s["p95_ms"]
        target = ""
        if r["name"] in LIST_ENDPOINTS:
            target = f"≤ {args.target}: {'met' if r95 <= args.target else 'NOT met'}"
        print(f"| {r['name']} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
              f"{r50:.2f} | {r95:.2f} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
