"""Shared by the benchmark scripts: the app on a seeded database, the personas, samples, the endpoints.

A benchmark whose endpoint the application does not serve (yet) is not an error: `Endpoint.missing(app)`
names the route, and the scripts print a SKIP line for it.
"""
from __future__ import annotations

import logging
import os
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's caseflow

from benchmarks.seed import BENCH_PASSWORD, PERSONAS  # noqa: E402


def make_app(url: str):
    from caseflow import create_app, freeze_startup_objects

    os.environ.setdefault("CASEFLOW_DATABASE_URL", url)
    app = create_app({"DATABASE_URL": url})
    logging.getLogger("caseflow").setLevel(logging.WARNING)
    freeze_startup_objects()  # as caseflow.wsgi does in a serving process
    return app


def case_persons(case_ids) -> list[tuple]:
    """(case id, {person id: organisation that collected the person}) for each case: the persons a case
    detail shows (the primary person and the household's current members). Needs an app context."""
    from sqlalchemy import select

    from caseflow.cases.models import Case, HouseholdMember, Person
    from caseflow.core import db

    s = db.session()
    out = []
    for case_id in case_ids:
        case = s.get(Case, case_id)
        pids = set(s.scalars(select(HouseholdMember.person_id).where(
            HouseholdMember.household_id == case.household_id, HouseholdMember.until.is_(None)))) \
            if case.household_id else set()
        if case.primary_person_id:
            pids.add(case.primary_person_id)
        out.append((case_id, dict(s.execute(select(Person.id, Person.collected_by_org_id)
                                            .where(Person.id.in_(pids))).all()) if pids else {}))
    return out


class Client:
    """A logged-in Flask test client (cookie session + CSRF header), timing every request."""

    def __init__(self, app, email: str):
        self.http = app.test_client()
        r = self.http.post("/api/v1/auth/login", json={"email": email, "password": BENCH_PASSWORD})
        if r.status_code != 200:
            raise SystemExit(f"cannot log in as {email} ({r.status_code}): was the database seeded with "
                             "`python -m benchmarks.seed`?")
        self.me = r.get_json()
        self.headers = {"X-CSRF-Token": self.me["csrf_token"]}
        self.cookie = self.http.get_cookie("caseflow_session")

    def request(self, method: str, url: str, body=None):
        return self.http.open(url, method=method, json=body, headers=self.headers)


def personas(app) -> dict[str, Client]:
    return {role: Client(app, email) for role, email in PERSONAS.items()}


# --- samples from the data --------------------------------------------------------------------------

@dataclass
class Samples:
    npo_org: uuid.UUID
    npo_kind: str
    npo_user: uuid.UUID
    coord_org: uuid.UUID
    coord_user: uuid.UUID
    npo_case_ids: list[uuid.UUID]
    referable_case_ids: list[uuid.UUID]
    kana_queries: list[str]
    agenda_meeting: uuid.UUID | None
    audit_person_ids: list[uuid.UUID]
    audit_user_ids: list[uuid.UUID]
    issues: list[str]
    fiscal_year: int
    cases: int
    events: int


def samples(app, rng: random.Random) -> Samples:
    """What the requests vary over, drawn from the database itself."""
    from sqlalchemy import func, select

    from caseflow.access.sharing import Viewer, visible_case_ids
    from caseflow.accounts.models import User
    from caseflow.audit.models import AuditEvent, AuditSubject
    from caseflow.cases.models import Case
    from caseflow.core import db
    from caseflow.core.jpdate import fiscal_year
    from caseflow.core.text import fold_kana
    from caseflow.demo import world
    from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember
    from caseflow.referrals.models import Referral

    with app.app_context():
        s = db.session()
        users = {u.email: u for u in s.scalars(select(User).where(User.email.in_(list(PERSONAS.values()))))}
        npo, coord = users[PERSONAS["npo"]], users[PERSONAS["coordinator"]]
        viewer = Viewer.of(npo)
        visible = list(s.scalars(select(Case.id).where(Case.id.in_(visible_case_ids(viewer)))
                                 .order_by(Case.opened_on.desc(), Case.id).limit(2000)))
        pending_to_npo = select(Referral.case_id).where(Referral.to_org_id == npo.org_id,
                                                        Referral.state == "pending")
        referable = list(s.scalars(select(Case.id).where(Case.owner_org_id == coord.org_id,
                                                         Case.stage != "closed",
                                                         Case.id.not_in(pending_to_npo))
                                   .order_by(Case.opened_on.desc(), Case.id).limit(5000)))
        from caseflow.core.db import utcnow

        meeting = s.scalar(select(Meeting.id).join(MeetingMember, MeetingMember.meeting_id == Meeting.id)
                           .where(MeetingMember.org_id == npo.org_id, Meeting.starts_at > utcnow())
                           .order_by(Meeting.starts_at.desc()).limit(1))
        if meeting is not None and not s.scalar(select(func.count()).where(AgendaItem.meeting_id == meeting)):
            meeting = None
        top = s.execute(select(func.max(AuditEvent.seq))).scalar() or 0
        persons, actors = [], []
        for _ in range(60):
            seq = rng.randint(1, max(1, top))
            p = s.scalar(select(AuditSubject.person_id).where(AuditSubject.event_seq >= seq).limit(1))
            a = s.scalar(select(AuditEvent.actor_user_id).where(AuditEvent.seq >= seq,
                                                                AuditEvent.actor_user_id.is_not(None)).limit(1))
            if p:
                persons.append(p)
            if a:
                actors.append(a)
        n_cases = s.scalar(select(func.count()).select_from(Case)) or 0
        newest = s.scalar(select(func.max(Case.opened_on))) or date.today()
        kana = []
        for sur, _reading in world.SURNAMES:
            reading = fold_kana(_reading)
            kana.append(reading)
        for _ in range(40):
            sur = rng.choice(world.SURNAMES)[1]
            given = rng.choice(world.GIVEN_NAMES_F + world.GIVEN_NAMES_M)[1]
            kana.append(f"{fold_kana(sur)} {fold_kana(given)}")  # "やまだ たろう"
        rng.shuffle(kana)
        return Samples(
            npo_org=npo.org_id, npo_kind=npo.org.kind, npo_user=npo.id, coord_org=coord.org_id, coord_user=coord.id,
            npo_case_ids=visible, referable_case_ids=referable, kana_queries=kana, agenda_meeting=meeting,
            audit_person_ids=persons or [uuid.uuid4()], audit_user_ids=actors or [uuid.uuid4()],
            issues=["poverty", "isolation", "hikikomori", "elderly", "mental_health", "employment", "h8050"],
            fiscal_year=fiscal_year(newest) - 1, cases=n_cases, events=top)


# --- endpoints ----------------------------------------------------------------------------------------

@dataclass
class Endpoint:
    name: str
    persona: str
    rule: str                      # the Flask route it needs, e.g. /api/v1/cases/<uuid:case_id>
    make: Callable                 # (i, samples, rng, state) -> (method, url, body)
    methods: tuple = ("GET",)
    writes: bool = False           # consumes data (referral accept): requests limited by supply
    requests: int | None = None    # override of the run's request count (slow PDFs)
    list_endpoint: bool = False    # counts for the scaling target
    http_mix: int = 0              # weight in the gunicorn load mix (0: not in it)
    alternatives: tuple = ()       # other rules that would serve it (reports may land under another name)

    def missing(self, app) -> str | None:
        """None when the app serves the endpoint; otherwise why it is skipped."""
        rules = {(r.rule, m) for r in app.url_map.iter_rules() for m in r.methods}
        for rule in (self.rule, *self.alternatives):
            if all((rule, m) in rules for m in self.methods):
                self.rule = rule
                return None
        return f"endpoint {' '.join(self.methods)} {self.rule} is not served by this build (not implemented yet)"


def _reports_url(app, fy: int) -> str | None:
    """The KPI report route, whatever its final name (issue 9 is being built in parallel)."""
    candidates = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/reports")
                  and "GET" in r.methods and "<" not in r.rule and not r.rule.endswith((".pdf", ".csv"))]
    if not candidates:
        return None
    best = sorted(candidates, key=lambda r: (("kpi" not in r), len(r)))[0]
    return f"{best}?fiscal_year={fy}"


def endpoints(app) -> list[Endpoint]:
    def case_list(i, sm, rng, st):
        return "GET", "/api/v1/cases?limit=50", None

    def case_list_filtered(i, sm, rng, st):
        return "GET", f"/api/v1/cases?stage=assessment&stage=support&issue={rng.choice(sm.issues)}&limit=50", None

    def case_detail(i, sm, rng, st):
        return "GET", f"/api/v1/cases/{rng.choice(sm.npo_case_ids)}", None

    def search(i, sm, rng, st):
        from urllib.parse import quote

        return "GET", f"/api/v1/cases?q={quote(sm.kana_queries[i % len(sm.kana_queries)])}&limit=50", None

    def inbox(i, sm, rng, st):
        return "GET", "/api/v1/referrals?box=inbox&limit=50", None

    def accept(i, sm, rng, st):
        return "POST", f"/api/v1/referrals/{st['pending'][i]}/accept", None

    def agenda_pdf(i, sm, rng, st):
        return "GET", f"/api/v1/meetings/{sm.agenda_meeting}/agenda.pdf", None

    def audit_search(i, sm, rng, st):
        k = i % 3
        if k == 0:
            return "GET", f"/api/v1/audit-events?person_id={rng.choice(sm.audit_person_ids)}&limit=100", None
        if k == 1:
            actor = rng.choice(sm.audit_user_ids)
            return "GET", f"/api/v1/audit-events?actor_user_id={actor}&order=desc&limit=100", None
        return "GET", "/api/v1/audit-events?action=cases.read&order=desc&limit=100", None

    def kpi(i, sm, rng, st):
        return "GET", st["reports_url"], None

    return [
        Endpoint("case list, NPO (page 1)", "npo", "/api/v1/cases", case_list, list_endpoint=True, http_mix=25),
        Endpoint("case list, coordinator, filtered", "coordinator", "/api/v1/cases", case_list_filtered,
                 list_endpoint=True, http_mix=10),
        Endpoint("case detail, NPO (redacted)", "npo", "/api/v1/cases/<uuid:case_id>", case_detail, http_mix=25),
        Endpoint("search by kana, coordinator", "coordinator", "/api/v1/cases", search, list_endpoint=True,
                 http_mix=15),
        Endpoint("referral inbox, NPO", "npo", "/api/v1/referrals", inbox, list_endpoint=True, http_mix=15),
        Endpoint("referral accept, NPO (write+audit)", "npo", "/api/v1/referrals/<uuid:referral_id>/accept",
                 accept, methods=("POST",), writes=True),
        Endpoint("agenda PDF, NPO (30 cases)", "npo", "/api/v1/meetings/<uuid:meeting_id>/agenda.pdf", agenda_pdf,
                 requests=20),
        Endpoint("audit search, auditor", "auditor", "/api/v1/audit-events", audit_search, list_endpoint=True,
                 http_mix=10),
        Endpoint("KPI report, fiscal year", "coordinator", "/api/v1/reports", kpi, requests=20),
    ]


def prepare(app, ep: Endpoint, sm: Samples, clients: dict, n: int, state: dict) -> str | None:
    """Per-endpoint set-up; returns a reason to skip, or None."""
    why = ep.missing(app)
    if ep.name.startswith("KPI"):
        state["reports_url"] = _reports_url(app, sm.fiscal_year)
        why = None if state["reports_url"] else ("no GET /api/v1/reports… route in this build "
                                                 "(issue 9, KPI reports, not implemented yet)")
    if why:
        return why
    if ep.name.startswith("agenda") and sm.agenda_meeting is None:
        return "no upcoming meeting with an agenda for the NPO persona in this database"
    if ep.writes:
        # Referrals to accept: the coordinator sends them first (itself timed as "referral create").
        coord = clients["coordinator"]
        made, times = [], []
        for case_id in sm.referable_case_ids:
            if len(made) >= n:
                break
            t0 = time.perf_counter()
            r = coord.request("POST", "/api/v1/referrals", {
                "case_id": str(case_id), "to_org_id": str(sm.npo_org), "reason": "居場所づくりの支援が必要なため",
                "requested_support": "週1回の居場所への参加支援", "urgency": "normal"})
            times.append(time.perf_counter() - t0)
            if r.status_code == 201:
                made.append(r.get_json()["id"])
        state["pending"] = made
        state["create_times"] = times
        if len(made) < n:
            return f"only {len(made)} referrals could be created for the accept benchmark (wanted {n})"
    return None


# --- statistics -----------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (values in seconds or ms; any unit)."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


@dataclass
class Result:
    name: str
    n: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds
    wall: float = 0.0
    note: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p95(self) -> float:
        return pct(self.latencies, 95) * 1000

    @property
    def rps(self) -> float:
        return self.n / self.wall if self.wall else float("nan")

    def as_json(self) -> dict:
        return {"name": self.name, "n": self.n, "errors": self.errors, "p50_ms": round(self.p50, 2),
                "p95_ms": round(self.p95, 2), "rps": round(self.rps, 1), "note": self.note}


def table(results: list[Result], title: str) -> str:
    lines = [f"### {title}", "", "| benchmark | n | errors | p50 ms | p95 ms | req/s | note |",
             "|---|--:|--:|--:|--:|--:|---|"]
    for r in results:
        if r.note and not r.latencies:
            lines.append(f"| {r.name} | – | – | – | – | – | SKIP: {r.note} |")
        else:
            lines.append(f"| {r.name} | {r.n} | {r.errors} | {r.p50:.1f} | {r.p95:.1f} | {r.rps:.1f} | {r.note} |")
    return "\n".join(lines)
