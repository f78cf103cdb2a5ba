"""Append N synthetic audit events to the configured database, for benchmarks and load tests.

    .venv/bin/python -m benchmarks.audit_events --events 1000000      # CASEFLOW_DATABASE_URL or the default

The events go through the product's one writer (caseflow.access.trail.record), committed in batches: each
commit takes the chain head as a request does, hashes and inserts the events and their audit_subjects rows,
and moves the head; `caseflow audit verify` passes afterwards.
The world is invented and deterministic for a seed: 300 organisations, 1,000 users, 100,000 persons,
60,000 cases, two years of working days (Japan time, a little evening and weekend work), the
action/basis mix of a busy municipality, plus a few planted anomalies (bulk reads, break-glass
openings, repeated refusals) for the reports to find. Refused in production.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

from caseflow.access import trail
from caseflow.core import db

JST = timezone(timedelta(hours=9))
CATEGORIES = ["identity", "contact", "sensitive", "case_notes"]


class World:
    def __init__(self, rng: random.Random, orgs=300, users=1000, persons=100_000, cases=60_000):
        u = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
        self.orgs = [u() for _ in range(orgs)]
        self.users = [(u(), self.orgs[min(int(rng.paretovariate(1.2)) - 1, orgs - 1) if rng.random() < 0.5
                                      else rng.randrange(orgs)]) for _ in range(users)]
        self.persons = [u() for _ in range(persons)]
        self.cases = [(u(), rng.sample(self.persons, rng.choice((1, 1, 2, 3)))) for _ in range(cases)]
        self.consents = [u() for _ in range(40_000)]
        self.meetings = [u() for _ in range(600)]
        self.referrals = [u() for _ in range(30_000)]
        self.u = u


def _basis(rng: random.Random, w: World) -> str:
    r = rng.random()
    if r < 0.45:
        return "own_collection"
    if r < 0.80:
        return f"consent:{rng.choice(w.consents)}"
    if r < 0.995:
        return f"support_meeting:{rng.choice(w.meetings)}"
    return f"emergency:{w.u()}"


def _event(rng: random.Random, w: World, at: datetime) -> dict:
    user, org = rng.choice(w.users)
    ev = {"occurred_at": at, "actor_user_id": user, "actor_org_id": org, "outcome": "allowed",
          "legal_basis": None, "disclosures": [], "detail": {}, "flagged": False, "resource_id": None,
          "request_id": f"{rng.getrandbits(64):016x}"}
    r = rng.random()
    case_id, members = rng.choice(w.cases)
    if r < 0.30:
        basis = _basis(rng, w)
        ev.update(action="cases.read", resource_type="cases", resource_id=str(case_id), legal_basis=basis,
                  flagged=basis.startswith("emergency:"),
                  disclosures=[{"person": str(p), "basis": basis,
                                "categories": sorted(rng.sample(CATEGORIES, rng.randint(1, 3)))} for p in members])
    elif r < 0.45:
        basis = _basis(rng, w)
        p = rng.choice(members)
        ev.update(action="persons.read", resource_type="persons", resource_id=str(p), legal_basis=basis,
                  flagged=basis.startswith("emergency:"), detail={"case_id": str(case_id)},
                  disclosures=[{"person": str(p), "basis": basis, "categories": ["contact", "identity"]}])
    elif r < 0.55:
        ev.update(action="cases.list", resource_type="cases", detail={"count": rng.randint(0, 50)})
    elif r < 0.63:
        ev.update(action="auth.login", resource_type="users", resource_id=str(user))
    elif r < 0.64:
        ev.update(action="auth.login", resource_type="users", resource_id=str(user), outcome="denied",
                  actor_user_id=None, actor_org_id=None, detail={"reason": "bad_password"})
    elif r < 0.69:
        ev.update(action="progress.create", resource_type="cases", resource_id=str(case_id))
    elif r < 0.74:
        ev.update(action=rng.choice(("referrals.read", "referrals.create", "referrals.accept")),
                  resource_type="referrals", resource_id=str(rng.choice(w.referrals)), detail={"case_id": str(case_id)})
    elif r < 0.79:
        ev.update(action="meetings.read", resource_type="meetings", resource_id=str(rng.choice(w.meetings)))
    elif r < 0.82:
        ev.update(action="consents.create", resource_type="consents", resource_id=str(rng.choice(w.consents)),
                  detail={"case_id": str(case_id)})
    elif r < 0.84:
        ev.update(action=rng.choice(("cases.read", "persons.read", "cases.update")), resource_type="cases",
                  resource_id=str(case_id), outcome="denied")
    elif r < 0.8405:
        grant = w.u()
        ev.update(action="emergency.open", resource_type="emergency_accesses", resource_id=str(grant),
                  legal_basis=f"emergency:{grant}", flagged=True, detail={"case_id": str(case_id)})
    elif r < 0.90:
        ev.update(action=rng.choice(("cases.update", "cases.transition", "households.read", "plans.read")),
                  resource_type="cases", resource_id=str(case_id))
    else:
        ev.update(action=rng.choice(("organizations.read", "directory.read", "codes.read", "reports.read")),
                  resource_type="organizations", resource_id=str(rng.choice(w.orgs)))
    return ev


def _bulk_burst(rng: random.Random, w: World, at: datetime, n: int) -> list[dict]:
    """One user reading n different persons in a few minutes: what the bulk report must find."""
    user, org = rng.choice(w.users)
    out = []
    for i, p in enumerate(rng.sample(w.persons, n)):
        out.append({"occurred_at": at + timedelta(seconds=4 * i), "actor_user_id": user, "actor_org_id": org,
                    "action": "persons.read", "resource_type": "persons", "resource_id": str(p),
                    "outcome": "allowed", "legal_basis": "own_collection", "flagged": False,
                    "request_id": f"{rng.getrandbits(64):016x}", "detail": {},
                    "disclosures": [{"person": str(p), "basis": "own_collection", "categories": ["identity"]}]})
    return out


def _times(rng: random.Random, n: int, days: int, end: datetime):
    """n timestamps over `days` days before `end`, in order: weekdays 08:30-18:00 JST mostly."""
    start_day = (end.astimezone(JST) - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    weights = [1.0 if (start_day + timedelta(days=d)).weekday() < 5 else 0.08 for d in range(days)]
    total = sum(weights)
    made, carry = 0, 0.0
    for d, wgt in enumerate(weights):
        carry += n * wgt / total
        k = int(carry) - made if d < days - 1 else n - made
        day = start_day + timedelta(days=d)
        secs = []
        for _ in range(k):
            if rng.random() < 0.96:
                secs.append(rng.uniform(8.5 * 3600, 18 * 3600))
            else:
                secs.append(rng.uniform(0, 86400))
        secs.sort()
        for s in secs:
            yield (day + timedelta(seconds=s)).astimezone(UTC)
        made += k


# The tenant the events belong to (audit_events.municipality_id); benchmarks.seed sets it to its city.
MUNICIPALITY_ID = None


def generate(n: int, *, batch: int, seed: int, days: int, end: datetime, echo=print) -> None:
    rng = random.Random(seed)
    world = World(rng)
    started = time.perf_counter()
    pending: list[dict] = []
    done = 0
    bursts = max(1, n // 200_000)
    burst_at = set(rng.sample(range(n), bursts))

    def flush(rows: list[dict]) -> None:
        """One commit of the product's writer: the hook hashes the events onto the chain."""
        s = db.session()
        for row in rows:
            seen, disclosures = set(), []
            for d in row["disclosures_list"]:
                if (d["person"], d["basis"]) not in seen:  # one subject row per person and basis
                    seen.add((d["person"], d["basis"]))
                    disclosures.append(trail.Disclosure(uuid.UUID(d["person"]), d["basis"], d["categories"]))
            actor = SimpleNamespace(id=row["actor_user_id"], org_id=row["actor_org_id"],
                                    municipality_id=MUNICIPALITY_ID) if row["actor_user_id"] else None
            trail.record(s, action=row["action"], resource_type=row["resource_type"], resource_id=row["resource_id"],
                         actor=actor, outcome=row["outcome"], legal_basis=row["legal_basis"], disclosures=disclosures,
                         detail=row["detail"], flagged=row["flagged"], request_id=row["request_id"],
                         occurred_at=row["occurred_at"], municipality_id=MUNICIPALITY_ID)
        s.commit()

    for i, at in enumerate(_times(rng, n, days, end)):
        if i in burst_at and done + len(pending) + 60 < n:
            group = _bulk_burst(rng, world, at, 60)
        else:
            group = [_event(rng, world, at)]
        for ev in group:
            ev["disclosures_list"] = ev.pop("disclosures")
            pending.append(ev)
        if len(pending) >= batch:
            flush(pending)
            done += len(pending)
            pending = []
            elapsed = time.perf_counter() - started
            echo(f"  {done:>10,} / {n:,} events  {elapsed:7.1f} s  {done / elapsed:8,.0f} events/s")
        if done + len(pending) >= n:
            break
    if pending:
        flush(pending)
        done += len(pending)
    elapsed = time.perf_counter() - started
    echo(f"generated {done:,} audit events in {elapsed:.1f} s ({done / elapsed:,.0f} events/s)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--days", type=int, default=730, help="spread over this many days before --end")
    ap.add_argument("--end", default=None, help="ISO time of the newest event (default: now)")
    ap.add_argument("--database-url", default=None, help="default: CASEFLOW_DATABASE_URL")
    args = ap.parse_args(argv)
    if os.environ.get("CASEFLOW_ENV") == "production":
        print("refused: synthetic audit events are never written to a production database", file=sys.stderr)
        return 2
    from caseflow import create_app

    overrides = {"DATABASE_URL": args.database_url} if args.database_url else None
    app = create_app(overrides)
    end = datetime.fromisoformat(args.end) if args.end else datetime.now(UTC)
    if end.tzinfo is None:
        ap.error("--end needs a timezone, e.g. 2026-11-01T00:00:00+09:00")
    with app.app_context():
        print(f"appending {args.events:,} events to {app.config['DATABASE_URL'].split('@')[-1]} "
              f"in batches of {args.batch:,}")
        generate(args.events, batch=args.batch, seed=args.seed, days=args.days, end=end)
    return 0


if __name__ == "__main__":
    sys.exit(main())
