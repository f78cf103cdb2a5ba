#!/usr/bin/env python3
"""caseflow benchmark runner: p50/p95 latency and throughput of the main endpoints on a seeded database.

    .venv/bin/python -m benchmarks.seed --cases 100000                 # once (CASEFLOW_DATABASE_URL)
    .venv/bin/python benchmarks/run.py --database-url URL [--requests 200] [--http] [--json out.json]

In-process (default): the Flask test client, logged in as the generator's personas (an NPO worker, a
coordinator, an auditor), runs each endpoint --requests times after a warm-up, one request at a time;
every request goes through the whole stack (session lookup, authorization, validation, the sharing
engine, serialisation and the audit event written in the request's transaction).

Also measured in-process:
  * the authorization + sharing decision alone (casbin check, visibility, relations, legal bases);
  * the raw-SQL and bare-Flask baselines of the case list and case detail (benchmarks/baseline.py),
    and the ratio caseflow / baseline.

--http: the same app under gunicorn on 127.0.0.1, --clients concurrent clients (default 16) for
--seconds (default 60) over a mix of the read endpoints; prints errors, throughput and latencies.

An endpoint the build does not serve yet is skipped with a SKIP line (not an error).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, Result, case_persons, endpoints, make_app, personas, prepare, samples, table  # noqa: E402

from caseflow import freeze_startup_objects  # noqa: E402

TARGETS_MS = {"case list, NPO (page 1)": 50, "case list, coordinator, filtered": 50,
              "case detail, NPO (redacted)": 30, "referral accept, NPO (write+audit)": 50}


def run_inprocess(app, clients, sm, args, rng) -> tuple[list[Result], dict]:
    results, extra = [], {}
    for ep in endpoints(app):
        if args.only and not any(o in ep.name for o in args.only):
            continue
        if args.skip and any(ep.name.startswith(o) for o in args.skip):
            print(f"SKIP {ep.name}: --skip", flush=True)
            results.append(Result(ep.name, note="skipped (--skip)"))
            continue
        n = min(args.requests, ep.requests or args.requests)
        state: dict = {}
        why = prepare(app, ep, sm, clients, n + (0 if ep.writes else 0), state)
        if why:
            print(f"SKIP {ep.name}: {why}", flush=True)
            results.append(Result(ep.name, note=why))
            continue
        if ep.writes and state.get("create_times"):
            extra["referral create, coordinator (write+audit)"] = state["create_times"]
        client = clients[ep.persona]
        res = Result(ep.name)
        warm = 0 if ep.writes else min(args.warmup, n)
        for i in range(warm):
            method, url, body = ep.make(i, sm, rng, state)
            client.request(method, url, body)
        t_all = time.perf_counter()
        for i in range(n):
            if time.perf_counter() - t_all > args.budget and res.n >= 5:
                res.note = f"stopped after {res.n} requests (--budget {args.budget:.0f} s)"
                print(f"  ({ep.name}: {res.note})", flush=True)
                break
            method, url, body = ep.make(i, sm, rng, state)
            t0 = time.perf_counter()
            r = client.request(method, url, body)
            res.latencies.append(time.perf_counter() - t0)
            res.n += 1
            if r.status_code >= 400:
                res.errors += 1
                if res.errors <= 3:
                    print(f"  ! {ep.name}: {r.status_code} {r.get_data(as_text=True)[:200]}", flush=True)
        res.wall = time.perf_counter() - t_all
        results.append(res)
        target = TARGETS_MS.get(ep.name)
        flag = "" if target is None else (f"  (target p95 <= {target} ms: {'met' if res.p95 <= target else 'NOT met'})")
        print(f"  {ep.name:<40} p50 {res.p50:7.1f} ms  p95 {res.p95:7.1f} ms  {res.rps:6.1f} req/s{flag}", flush=True)
    for name, times in extra.items():
        r = Result(name, n=len(times), latencies=times, wall=sum(times))
        results.append(r)
        print(f"  {name:<40} p50 {r.p50:7.1f} ms  p95 {r.p95:7.1f} ms", flush=True)
    return results, extra


# --- the decision alone -----------------------------------------------------------------------------

def decision_timings(app, sm, n: int) -> dict:
    """Median cost of the authorization + sharing decision, outside the HTTP stack.

    detail: the casbin check (uncached), the case visibility check with the viewer's relations to the
    case (get_visible_case_and_relations, as GET /cases/{id} does it), the legal bases of every person of the household and the case-notes basis:
    everything caseflow decides for GET /cases/{id} before it formats the answer (loading the persons'
    rows is data access, not decision, and is done beforehand).
    list page: relations and legal bases for the 50 cases / primary persons of the NPO's first page
    (the visibility filter itself is part of the page query; see explain.py).
    """
    from flask import g
    from sqlalchemy import select

    from benchmarks.seed import PERSONAS
    from caseflow.access import authz
    from caseflow.access.sharing import Viewer, bases_for_persons, case_notes_basis, relations_to_cases
    from caseflow.accounts.models import User
    from caseflow.cases import rules as case_domain
    from caseflow.cases import search as case_search
    from caseflow.cases.models import Person
    from caseflow.core import db

    with app.test_request_context():
        s = db.session()
        user = s.scalar(select(User).where(User.email == PERSONAS["npo"]))
        v = Viewer.of(user)
        details = case_persons(sm.npo_case_ids[:100])  # (case id, {person id: collector})
        page = s.execute(case_search.case_list_query(v, {}).limit(50)).scalars().all()
        page_ids = [c.id for c in page]
        page_persons = dict(s.execute(select(Person.id, Person.collected_by_org_id).where(
            Person.id.in_([c.primary_person_id for c in page if c.primary_person_id]))).all())
        # authz.can needs only these; a snapshot keeps the timing free of ORM refreshes after rollback
        who = types.SimpleNamespace(id=user.id, roles=list(user.roles), is_authenticated=True,
                                    org=types.SimpleNamespace(code=user.org.code, active=user.org.active))
        s.rollback()
        t_authz, t_detail, t_page = [], [], []
        for i in range(n):
            case_id, collectors = details[i % len(details)]
            g.pop("authz_cache", None)
            t0 = time.perf_counter()
            ok = authz.can("read", "cases", who)
            t1 = time.perf_counter()
            case, _relations = case_domain.get_visible_case_and_relations(v, case_id)
            bases = bases_for_persons(v, collectors)
            case_notes_basis(v, case, bases.get(case.primary_person_id))
            t2 = time.perf_counter()
            bases_for_persons(v, page_persons)
            relations_to_cases(v, page_ids)
            t3 = time.perf_counter()
            assert ok
            t_authz.append(t1 - t0)
            t_detail.append(t2 - t1)
            t_page.append(t3 - t2)
            # One transaction per "request", ended as a request ends it: with a COMMIT (every read that
            # shows personal data commits its audit event). A ROLLBACK would also make psycopg drop every
            # prepared statement of the connection, which real requests do not pay.
            s.commit()
        return {"authz (casbin, uncached)": t_authz, "sharing: case detail": t_detail,
                "sharing: list page (50)": t_page,
                "authz + sharing: case detail": [a + b for a, b in zip(t_authz, t_detail)]}


# --- HTTP under gunicorn ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, workers: int, port: int, threads: int):
    env = {**os.environ, "CASEFLOW_DATABASE_URL": url}
    gunicorn = REPO / ".venv" / "bin" / "gunicorn"
    cmd = [str(gunicorn) if gunicorn.exists() else "gunicorn", "--workers", str(workers), "--threads", str(threads),
           "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120", "caseflow.wsgi:app"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/v1/health")
            if c.getresponse().status == 200:
                return proc, cmd
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not come up")


def stop_gunicorn(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # our own process group (start_new_session)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def run_http(url, app, clients, sm, args, rng) -> tuple[list[Result], dict]:
    port = free_port()
    proc, cmd = start_gunicorn(url, args.workers, port, args.threads)
    print(f"gunicorn: {' '.join(cmd[1:])} (pid {proc.pid})", flush=True)
    mix = [ep for ep in endpoints(app) if ep.http_mix and not ep.missing(app)]
    cookies = {role: f"caseflow_session={c.cookie.value}" for role, c in clients.items()}
    weights = [ep.http_mix for ep in mix]
    per_ep: dict[str, Result] = {ep.name: Result(ep.name) for ep in mix}
    lock = threading.Lock()
    stop_at = time.perf_counter() + args.seconds
    errors_seen: list[str] = []
    total = Result("all (mix)")

    def worker(k: int):
        r = random.Random(args.seed * 1000 + k)
        i = k
        while time.perf_counter() < stop_at:
            ep = r.choices(mix, weights)[0]
            method, path, body = ep.make(i, sm, r, {})
            i += args.clients
            t0 = time.perf_counter()
            status = 0
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request(method, path, headers={"Cookie": cookies[ep.persona]})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                conn.close()
            except OSError as exc:
                status = -1
                with lock:
                    errors_seen.append(f"{ep.name}: {exc}")
            dt = time.perf_counter() - t0
            with lock:
                res = per_ep[ep.name]
                res.n += 1
                res.latencies.append(dt)
                total.n += 1
                total.latencies.append(dt)
                if status != 200:
                    res.errors += 1
                    total.errors += 1
                    if len(errors_seen) < 5 and status > 0:
                        errors_seen.append(f"{ep.name}: HTTP {status}")

    try:
        t0 = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        stop_gunicorn(proc)
    for res in [*per_ep.values(), total]:
        res.wall = wall
    for e in errors_seen[:5]:
        print(f"  ! {e}")
    out = [*per_ep.values(), total]
    print(f"  {args.clients} clients x {wall:.0f} s: {total.n} requests, {total.errors} errors, "
          f"{total.n / wall:.1f} req/s; p50 {total.p50:.1f} ms, p95 {total.p95:.1f} ms", flush=True)
    return out, {"workers": args.workers, "threads": args.threads, "clients": args.clients, "seconds": wall}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=os.environ.get("CASEFLOW_DATABASE_URL"),
                    help="a database seeded by `python -m benchmarks.seed` (default: CASEFLOW_DATABASE_URL)")
    ap.add_argument("--label", default=None, help="name of this run in the output (e.g. sqlite-100k)")
    ap.add_argument("--requests", type=int, default=200, help="timed requests per endpoint (in-process)")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", action="append", help="run only benchmarks whose name contains this (repeatable)")
    ap.add_argument("--skip", action="append", help="skip benchmarks whose name starts with this (repeatable)")
    ap.add_argument("--budget", type=float, default=120, help="seconds at most per in-process benchmark")
    ap.add_argument("--no-inprocess", action="store_true")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--http", action="store_true", help="also run the gunicorn load test")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    ap.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    ap.add_argument("--json", default=None, help="write the figures to this file")
    args = ap.parse_args(argv)
    if not args.database_url:
        ap.error("--database-url or CASEFLOW_DATABASE_URL is required")
    url = args.database_url
    label = args.label or url.split("/")[-1]
    rng = random.Random(args.seed)
    app = make_app(url)
    clients = personas(app)
    sm = samples(app, rng)
    freeze_startup_objects()  # the samples too: they belong to the client side, not to the requests timed
    engine = url.split(":")[0].split("+")[0]
    print(f"# {label}: {engine}, {sm.cases:,} cases, {sm.events:,} audit events; "
          f"NPO sees {len(sm.npo_case_ids):,}{'+' if len(sm.npo_case_ids) >= 2000 else ''} cases", flush=True)
    report: dict = {"label": label, "engine": engine, "cases": sm.cases, "events": sm.events,
                    "when": time.strftime("%Y-%m-%d %H:%M"), "load": os.getloadavg()[0]}
    md = []
    if not args.no_inprocess:
        results, _extra = run_inprocess(app, clients, sm, args, rng)
        report["inprocess"] = [r.as_json() for r in results]
        md.append(table(results, f"{label} — in-process (Flask test client), {args.requests} requests each"))
        dec = decision_timings(app, sm, max(100, args.requests))
        report["decision"] = {k: {"median_ms": round(statistics.median(v) * 1000, 3),
                                  "p95_ms": round(sorted(v)[int(len(v) * .95)] * 1000, 3)} for k, v in dec.items()}
        lines = ["", "| decision | median ms | p95 ms |", "|---|--:|--:|"]
        for k, v in report["decision"].items():
            lines.append(f"| {k} | {v['median_ms']:.3f} | {v['p95_ms']:.3f} |")
            print(f"  decision: {k:<34} median {v['median_ms']:.3f} ms  p95 {v['p95_ms']:.3f} ms", flush=True)
        md.append("\n".join(lines))
        if not args.no_baseline:
            import baseline

            base = baseline.compare(app, clients, sm, args.requests, rng)
            report["baseline"] = base
            md.append(baseline.markdown(base))
    if args.http:
        results, meta = run_http(url, app, clients, sm, args, rng)
        report["http"] = {"results": [r.as_json() for r in results], **meta}
        md.append(table(results, f"{label} — gunicorn {args.workers}x{args.threads} on 127.0.0.1, "
                                 f"{args.clients} clients, {meta['seconds']:.0f} s"))
    print()
    print("\n\n".join(md))
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1))
        print(f"\n(figures written to {args.json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
