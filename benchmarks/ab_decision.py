#!/usr/bin/env python3
"""Interleaved A/B of the case-detail decision: the sharing engine of an earlier commit against the current one.

    .venv/bin/python benchmarks/ab_decision.py --database-url URL [--rev 0bacf01] [--n 400]

"Decision" = the casbin check (uncached) + what GET /cases/{id} decides before it formats the answer: may the
viewer see the case, as what (relations), on which basis each person of the household, and the case-notes basis.
--rev's version does it as that commit did (visibility statement, relations statement, bases statement); the
current code as `cases.get_visible_case_and_relations` + `sharing.bases_for_persons`. Both run alternately in one
process on one database, each iteration ending with COMMIT as a request does, so machine noise hits both alike.
Prints medians and p95 (ms) after 20 warm-up rounds.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ab import _load  # noqa: E402
from common import case_persons, make_app, samples  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--rev", default="0bacf01")
    ap.add_argument("--n", type=int, default=400)
    args = ap.parse_args(argv)
    from flask import g
    from sqlalchemy import select

    from benchmarks.seed import PERSONAS
    from caseflow.access import authz
    from caseflow.access import sharing as new_sharing
    from caseflow.accounts.models import User
    from caseflow.cases import rules as new_cases
    from caseflow.core import db
    from caseflow.core.db import utcnow

    app = make_app(args.database_url)
    sm = samples(app, random.Random(1))
    old_sharing = _load("sharing_at_rev", args.rev, "caseflow/access/sharing.py")
    with app.test_request_context():
        s = db.session()
        user = s.scalar(select(User).where(User.email == PERSONAS["npo"]))
        new_v, old_v = new_sharing.Viewer.of(user), old_sharing.Viewer.of(user)
        who = types.SimpleNamespace(id=user.id, roles=list(user.roles), is_authenticated=True,
                                    org=types.SimpleNamespace(code=user.org.code, active=user.org.active))
        details = case_persons(sm.npo_case_ids[:100])  # (case id, {person id: collector})
        s.commit()

        def old(i):
            case_id, collectors = details[i % len(details)]
            case = s.scalar(old_sharing.visible_case_statement(),
                            {**old_sharing.statement_params(old_v, utcnow()), "case_id": case_id})
            old_sharing.relations_to_cases(old_v, [case_id])
            bases = old_sharing.bases_for_persons(old_v, collectors)
            old_sharing.case_notes_basis(old_v, case, bases.get(case.primary_person_id))

        def new(i):
            case_id, collectors = details[i % len(details)]
            case, _relations = new_cases.get_visible_case_and_relations(new_v, case_id)
            bases = new_sharing.bases_for_persons(new_v, collectors)
            new_sharing.case_notes_basis(new_v, case, bases.get(case.primary_person_id))

        t_old, t_new = [], []
        for i in range(args.n + 20):
            for which, f in ((0, old), (1, new)) if i % 2 else ((1, new), (0, old)):
                g.pop("authz_cache", None)
                t0 = time.perf_counter()
                authz.can("read", "cases", who)
                f(i)
                if i >= 20:
                    (t_old if which == 0 else t_new).append(time.perf_counter() - t0)
                s.commit()

    def p95(xs):
        return sorted(xs)[int(len(xs) * .95)] * 1000

    mo, mn = statistics.median(t_old) * 1000, statistics.median(t_new) * 1000
    engine = args.database_url.split(":")[0].split("+")[0]
    print(f"| decision, case detail ({engine}, {sm.cases:,} cases) | {args.rev}: {mo:.3f} / {p95(t_old):.3f} "
          f"| now: {mn:.3f} / {p95(t_new):.3f} | {mo / mn:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
