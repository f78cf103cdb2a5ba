#!/usr/bin/env python3
"""Audit trail benchmark: filtered search pages (p50/p95), reports, and chain verification.

    python -m benchmarks.audit_events --events 1000000          # once, into CASEFLOW_DATABASE_URL
    .venv/bin/python benchmarks/bench_audit.py [--runs 40] [--skip-verify]

Requests go through the whole stack (Flask test client, authorization, marshmallow, and the audit
event every auditor request writes), as an auditor user it creates if missing. Search values
(persons, users, cases …) are sampled from the data, so each run hits a different part of the
index. Prints Markdown tables (see benchmarks/audit.md).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from caseflow.organizations import rules as org_rules

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EMAIL = "bench-auditor@example.jp"
PASSWORD = "walnut-orchard-silver-72"


def _auditor_client(app):
    from caseflow.accounts import rules as accounts
    from caseflow.accounts.models import User
    from caseflow.core import db
    from caseflow.organizations.models import Organization

    with app.app_context():
        s = db.session()
        if s.query(User).filter_by(email=EMAIL).first() is None:
            org = s.query(Organization).filter_by(code="bench-audit").first() or org_rules.create_organization(
                code="bench-audit", name="ベンチマーク 監査担当", kind="department")
            accounts.create_user(org=org, email=EMAIL, password=PASSWORD, display_name="監査 ベンチ",
                                 roles=["auditor"])
            s.commit()
    client = app.test_client()
    r = client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 200, r.get_json()
    return client, {"X-CSRF-Token": r.get_json()["csrf_token"]}


def _samples(app, rng: random.Random, n: int) -> dict:
    from sqlalchemy import func, select

    from caseflow.audit.models import AuditEvent as E
    from caseflow.audit.models import AuditSubject as S
    from caseflow.core import db

    out = {"users": [], "orgs": [], "persons": [], "cases": [], "times": [], "seqs": []}
    with app.app_context():
        s = db.session()
        top = s.execute(select(func.max(E.seq))).scalar()
        while len(out["users"]) < n:
            seq = rng.randint(1, top)
            ev = s.get(E, seq)
            if ev is None or ev.actor_user_id is None:
                continue
            out["users"].append(ev.actor_user_id)
            out["orgs"].append(ev.actor_org_id)
            out["times"].append(ev.occurred_at)
            out["seqs"].append(seq)
        while len(out["persons"]) < n:
            row = s.execute(select(S.person_id).where(S.event_seq >= rng.randint(1, top)).limit(1)).first()
            if row:
                out["persons"].append(row[0])
        while len(out["cases"]) < n:
            row = s.execute(select(E.resource_id).where(E.seq >= rng.randint(1, top), E.resource_type == "cases",
                                                        E.resource_id.is_not(None)).limit(1)).first()
            if row:
                out["cases"].append(row[0])
        out["top"] = top
        out["first_at"] = s.execute(select(func.min(E.occurred_at))).scalar()
        # The newest sampled event, not the newest event: runs of this script append "now" events.
        out["last_at"] = max(out["times"])
    return out


def _t(dt: datetime) -> str:
    return quote(dt.astimezone(UTC).isoformat())


def _window(sample_time: datetime, days: float) -> str:
    start = sample_time - timedelta(days=days / 2)
    return f"since={_t(start)}&until={_t(start + timedelta(days=days))}"


SEARCHES = {
    # name: (description, query builder(sample dict, i))
    "person": ("one person's disclosures", lambda s, i: f"person_id={s['persons'][i]}"),
    "actor": ("one user, all time", lambda s, i: f"actor_user_id={s['users'][i]}"),
    "actor_month": ("one user, 30 days", lambda s, i: f"actor_user_id={s['users'][i]}&{_window(s['times'][i], 30)}"),
    "org_week": ("one organisation, 7 days", lambda s, i: f"actor_org_id={s['orgs'][i]}&{_window(s['times'][i], 7)}"),
    "case": ("one case (resource or detail.case_id)", lambda s, i: f"case_id={s['cases'][i]}"),
    "area_day": ("action cases.* in one day", lambda s, i: f"action=cases.*&{_window(s['times'][i], 1)}"),
    "rare_action": ("action emergency.open, newest first", lambda s, i: "action=emergency.open&order=desc"),
    "basis_kind": ("basis kind emergency", lambda s, i: "legal_basis=emergency"),
    "consent_month": ("basis kind consent, 30 days", lambda s, i: f"legal_basis=consent&{_window(s['times'][i], 30)}"),
    "denied": ("outcome denied, from a random point", lambda s, i: f"outcome=denied&after_seq={s['seqs'][i]}"),
    "flagged_open": ("flagged and not reviewed", lambda s, i: "flagged=true&reviewed=false"),
    "hour": ("everything in one hour", lambda s, i: _window(s["times"][i], 1 / 24)),
    "org_denied": ("one organisation's refusals", lambda s, i: f"actor_org_id={s['orgs'][i]}&outcome=denied"),
    "newest": ("newest page, no filter", lambda s, i: "order=desc"),
}


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def bench_search(client, headers, samples, runs: int, limit: int) -> list[tuple]:
    rows, everything = [], []
    for name, (desc, build) in SEARCHES.items():
        times = []
        for i in range(runs):
            url = f"/api/v1/audit-events?limit={limit}&{build(samples, i)}"
            t0 = time.perf_counter()
            r = client.get(url, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (url, r.get_json())
        everything += times
        rows.append((name, desc, statistics.median(times), _pct(times, 95), max(times)))
    rows.append(("all", "all of the above", statistics.median(everything), _pct(everything, 95), max(everything)))
    return rows


def bench_reports(client, headers, samples) -> list[tuple]:
    last = samples["last_at"]
    month = f"since={_t(last - timedelta(days=31))}&until={_t(last + timedelta(seconds=1))}"
    urls = {
        "person report": f"/api/v1/audit-events/persons/{samples['persons'][0]}/report",
        "anomalies/emergency (31 d)": f"/api/v1/audit-events/anomalies/emergency?{month}",
        "anomalies/denied (31 d)": f"/api/v1/audit-events/anomalies/denied?{month}",
        "anomalies/bulk (31 d)": f"/api/v1/audit-events/anomalies/bulk?{month}",
        "anomalies/after-hours (31 d)": f"/api/v1/audit-events/anomalies/after-hours?{month}",
        "report.pdf (31 d)": f"/api/v1/audit-events/report.pdf?{month}",
        "export.csv (7 d)": f"/api/v1/audit-events/export.csv?since={_t(last - timedelta(days=7))}",
    }
    out = []
    for name, url in urls.items():
        times, size = [], 0
        for _ in range(3):
            t0 = time.perf_counter()
            r = client.get(url, headers=headers)
            size = len(r.get_data())
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (url, r.get_data()[:300])
        out.append((name, statistics.median(times), size))
    return out


def bench_verify(app) -> list[tuple]:
    from caseflow.audit import verification as audit_verification
    from caseflow.core import db

    out = []
    with app.app_context():
        key = audit_verification.checkpoint_key(app.config)
        for incremental in (False, True):
            s = db.session()
            run = audit_verification.run_verification(key, incremental=incremental)
            s.commit()
            assert run.ok, run.problem
            out.append((run.mode, run.checked, run.seconds, run.events_per_second))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--runs", type=int, default=40, help="requests per search kind")
    ap.add_argument("--limit", type=int, default=50, help="page size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-verify", action="store_true")
    args = ap.parse_args(argv)

    from caseflow import create_app

    cfg = {"PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024}
    if args.database_url:
        cfg["DATABASE_URL"] = args.database_url
    app = create_app(cfg)
    client, headers = _auditor_client(app)
    samples = _samples(app, random.Random(args.seed), args.runs)
    print(f"database: {app.config['DATABASE_URL'].split('@')[-1]}; {samples['top']:,} events "
          f"({samples['first_at']:%Y-%m-%d} .. {samples['last_at']:%Y-%m-%d})\n")
    # Warm the page cache like a running server would be.
    for name, (_, build) in SEARCHES.items():
        client.get(f"/api/v1/audit-events?limit={args.limit}&{build(samples, 0)}", headers=headers)

    print(f"### Search pages (limit={args.limit}, {args.runs} requests each, ms)\n")
    print("| search | what | p50 | p95 | max |\n|---|---|---:|---:|---:|")
    for name, desc, p50, p95, mx in bench_search(client, headers, samples, args.runs, args.limit):
        print(f"| {name} | {desc} | {p50:.1f} | {p95:.1f} | {mx:.1f} |")
    print("\n### Reports (median of 3, ms)\n")
    print("| report | ms | bytes |\n|---|---:|---:|")
    for name, ms, size in bench_reports(client, headers, samples):
        print(f"| {name} | {ms:.0f} | {size:,} |")
    if not args.skip_verify:
        print("\n### Chain verification\n")
        print("| mode | events | seconds | events/s |\n|---|---:|---:|---:|")
        for mode, n, secs, eps in bench_verify(app):
            print(f"| {mode} | {n:,} | {secs:.2f} | {eps:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
