#!/usr/bin/env python3
"""The SQL behind each benchmarked endpoint: statements, their time, and the plan of the costly ones.

    .venv/bin/python benchmarks/explain.py --database-url URL [--top 3] [--only "case list"] [--runs 5]

Each endpoint is requested once to warm up, then --runs times with every statement captured
(SQLAlchemy cursor events); per endpoint it prints the number of statements, their summed median
time against the request's median time (the rest is Python: ORM, schemas, sharing logic, audit hashing),
and for the --top slowest statements the plan: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS)
on PostgreSQL, run with the captured parameters. A full scan of a big table shows up as `SCAN <table>`
(SQLite) or `Seq Scan on <table>` (PostgreSQL).
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import endpoints, make_app, personas, prepare, samples  # noqa: E402


class Capture:
    def __init__(self, engine):
        from sqlalchemy import event

        self.on = False
        self.stmts: list[list] = []  # [statement, parameters, seconds]
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.stmts.append([statement, parameters, time.perf_counter() - conn.info.pop("_t0", time.perf_counter())])


def _shape(statement: str) -> str:
    """A statement with its literal lists folded, to group repeats."""
    s = re.sub(r"\(\s*(\?|%\(\w+\)s|:\w+)(\s*,\s*(\?|%\(\w+\)s|:\w+))*\s*\)", "(…)", statement)
    return re.sub(r"\s+", " ", s).strip()


def plan(engine, statement: str, parameters, analyze: bool = True) -> str:
    pg = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        prefix = ("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if analyze else "EXPLAIN ") if pg else "EXPLAIN QUERY PLAN "
        cur.execute(prefix + statement, parameters)
        rows = cur.fetchall()
        raw.rollback()
    finally:
        raw.close()
    if pg:
        return "\n".join(r[0] for r in rows)
    # SQLite: (id, parent, notused, detail) -> an indented tree
    depth = {0: -1}
    out = []
    for rid, parent, _n, detail in rows:
        depth[rid] = depth.get(parent, -1) + 1
        out.append("  " * depth[rid] + detail)
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--top", type=int, default=2, help="plans of the N slowest statements per endpoint")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", action="append")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sql", action="store_true", help="print the full SQL of the planned statements")
    ap.add_argument("--no-analyze", action="store_true", help="PostgreSQL: EXPLAIN without running the statement")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    app = make_app(args.database_url)
    clients = personas(app)
    sm = samples(app, rng)
    from caseflow.core import db

    with app.app_context():
        engine = db.engine()
    cap = Capture(engine)
    print(f"# SQL per endpoint ({engine.dialect.name}, {sm.cases:,} cases, {sm.events:,} audit events)\n")
    for ep in endpoints(app):
        if args.only and not any(o in ep.name for o in args.only):
            continue
        if ep.writes:
            continue  # plans of reads only; writes are a handful of keyed statements
        state: dict = {}
        why = prepare(app, ep, sm, clients, 1, state)
        if why:
            print(f"## {ep.name}\nSKIP: {why}\n")
            continue
        client = clients[ep.persona]
        method, url, body = ep.make(0, sm, rng, state)
        client.request(method, url, body)
        per_run_sql, per_run_req, n_stmts = [], [], []
        by_shape: dict[str, list] = defaultdict(list)
        for i in range(args.runs):
            method, url, body = ep.make(i, sm, random.Random(args.seed + i), state)
            cap.stmts = []
            cap.on = True
            t0 = time.perf_counter()
            r = client.request(method, url, body)
            per_run_req.append(time.perf_counter() - t0)
            cap.on = False
            assert r.status_code < 400, (url, r.status_code)
            per_run_sql.append(sum(s[2] for s in cap.stmts))
            n_stmts.append(len(cap.stmts))
            for st, params, dt in cap.stmts:
                by_shape[_shape(st)].append((dt, st, params))
        req_ms = statistics.median(per_run_req) * 1000
        sql_ms = statistics.median(per_run_sql) * 1000
        print(f"## {ep.name}\n{statistics.median(n_stmts):.0f} statements; request {req_ms:.1f} ms, of which SQL "
              f"{sql_ms:.1f} ms (median of {args.runs})\n")
        ranked = sorted(by_shape.items(), key=lambda kv: -sum(x[0] for x in kv[1]) / args.runs)
        for shape, hits in ranked[:8]:
            per = sum(x[0] for x in hits) / args.runs * 1000
            print(f"  {per:7.2f} ms  x{len(hits) / args.runs:.0f}  {shape[:150]}")
        print()
        for shape, hits in ranked[:args.top]:
            dt, st, params = max(hits, key=lambda x: x[0])
            if not st.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            print(f"plan of: {_shape(st)[:200]}{' …' if len(_shape(st)) > 200 else ''}")
            if args.sql:
                print(st)
            print(plan(engine, st, params, analyze=not args.no_analyze))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
