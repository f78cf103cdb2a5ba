#!/usr/bin/env python3
"""Interleaved A/B of the sharing engine and case queries: the code of an earlier commit against the current one.

    .venv/bin/python benchmarks/ab.py --database-url URL [--rev 79ec615] [--n 60]

Loads caseflow/access/sharing.py and caseflow/cases/rules.py as they were at --rev (default: the commit
before the issue-10 work) beside the current modules, and times each operation with both, alternating,
in one process on one database (medians, ms). The original kana search on PostgreSQL scans every person
for every visible case (minutes at 100k) and is not run there.
"""
from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, case_persons, make_app, samples  # noqa: E402


def _load(name: str, rev: str, path: str):
    text = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=REPO, check=True, capture_output=True,
                          text=True).stdout
    tmp = Path(tempfile.mkdtemp()) / f"{name}.py"
    tmp.write_text(text)
    spec = importlib.util.spec_from_file_location(name, tmp)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--rev", default="79ec615")
    ap.add_argument("--n", type=int, default=60)
    args = ap.parse_args(argv)
    from sqlalchemy import func, select

    from benchmarks.seed import PERSONAS
    from caseflow.access import sharing as nsh
    from caseflow.accounts.models import User
    from caseflow.cases import rules as nca
    from caseflow.cases import search as ncs
    from caseflow.cases.models import Case, Person
    from caseflow.core import db

    app = make_app(args.database_url)
    sm = samples(app, random.Random(1))
    osh = _load("sharing_orig", args.rev, "caseflow/access/sharing.py")
    oca = _load("cases_orig", args.rev, "caseflow/cases/rules.py")
    pg = args.database_url.startswith("postgresql")
    N = args.n
    with app.test_request_context():
        s = db.session()
        users = {k: s.scalar(select(User).where(User.email == PERSONAS[k])) for k in ("npo", "coordinator")}
        new_v = {k: nsh.Viewer.of(u) for k, u in users.items()}
        old_v = {k: osh.Viewer.of(u) for k, u in users.items()}
        households = [persons for _case, persons in case_persons(sm.npo_case_ids[:100])]
        page = list(s.scalars(ncs.case_list_query(new_v["npo"], {}).limit(50)))
        page_persons = dict(s.execute(select(Person.id, Person.collected_by_org_id).where(
            Person.id.in_([c.primary_person_id for c in page if c.primary_person_id]))).all())
        page_ids = [c.id for c in page]
        coord_ids = list(s.scalars(select(Case.id).where(Case.owner_org_id == new_v["coordinator"].org_id).limit(100)))
        n_cases = s.scalar(select(func.count()).select_from(Case))
        s.rollback()

        def listing(module, who, filters):
            viewers = old_v if module is oca else new_v
            return lambda i: s.execute(module.case_list_query(viewers[who], filters).limit(51)).scalars().all()

        filtered = {"stage": ["assessment", "support"], "issue": ["poverty"]}
        tests = [
            ("legal bases, one household (NPO)", lambda i: osh.bases_for_persons(old_v["npo"], households[i % 100]),
             lambda i: nsh.bases_for_persons(new_v["npo"], households[i % 100])),
            ("legal bases, list page of 50 (NPO)", lambda i: osh.bases_for_persons(old_v["npo"], page_persons),
             lambda i: nsh.bases_for_persons(new_v["npo"], page_persons)),
            ("relations, list page of 50 (NPO)", lambda i: osh.relations_to_cases(old_v["npo"], page_ids),
             lambda i: nsh.relations_to_cases(new_v["npo"], page_ids)),
            ("get_visible_case (NPO)", lambda i: oca.get_visible_case(old_v["npo"], sm.npo_case_ids[i % 100]),
             lambda i: nca.get_visible_case(new_v["npo"], sm.npo_case_ids[i % 100])),
            ("get_visible_case (coordinator)", lambda i: oca.get_visible_case(old_v["coordinator"], coord_ids[i % 100]),
             lambda i: nca.get_visible_case(new_v["coordinator"], coord_ids[i % 100])),
            ("list query, NPO page 1", listing(oca, "npo", {}), listing(nca, "npo", {})),
            ("list query, coordinator page 1", listing(oca, "coordinator", {}), listing(nca, "coordinator", {})),
            ("list query, coordinator stage+issue", listing(oca, "coordinator", filtered),
             listing(nca, "coordinator", filtered)),
            ("search query, coordinator, rare full name", listing(oca, "coordinator", {"q": "かねこ なおき"}),
             listing(nca, "coordinator", {"q": "かねこ なおき"})),
            ("search query, coordinator, common surname", listing(oca, "coordinator", {"q": "わたなべ"}),
             listing(nca, "coordinator", {"q": "わたなべ"})),
        ]
        print(f"| operation ({'postgresql' if pg else 'sqlite'}, {n_cases:,} cases) | {args.rev} ms | now ms | ratio |")
        print("|---|--:|--:|--:|")
        for name, old, new in tests:
            slow = name.startswith("search")
            n = 20 if slow else N
            to, tn = [], []
            if slow and pg:
                for i in range(n):
                    t0 = time.perf_counter()
                    new(i)
                    tn.append(time.perf_counter() - t0)
                    s.rollback()
                    s.expunge_all()
                print(f"| {name} | (not run) | {statistics.median(tn) * 1000:.2f} | – |", flush=True)
                continue
            for i in range(n):
                for k, f in ((0, old), (1, new)) if i % 2 else ((1, new), (0, old)):
                    t0 = time.perf_counter()
                    f(i)
                    (to if k == 0 else tn).append(time.perf_counter() - t0)
                    s.rollback()
                    s.expunge_all()
            mo, mn = statistics.median(to) * 1000, statistics.median(tn) * 1000
            print(f"| {name} | {mo:.2f} | {mn:.2f} | {mo / mn:.1f}× |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
