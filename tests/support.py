"""What the tests share: builders that go through the HTTP API (a case, a plan, a stage move), the people
the tests use, route walking and a world of real records whose ids fill every path parameter (fuzzing,
IDOR, headers and log scans use them, so routes added later are covered once their parameters are known
here), a live server and browser-like HTTP clients, the one way to run the audit verification, and the
readers of rendered PDFs (text, pages, grey pixels)."""
from __future__ import annotations

import contextlib
import re
import subprocess
import threading
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests
from click.testing import CliRunner
from werkzeug.serving import make_server

from caseflow.access import authz
from caseflow.cli import main as cli_main

from conftest import PASSWORD

TOKYO = timezone(timedelta(hours=9))



def today_jst() -> date:
    """Today as the service counts days (Asia/Tokyo): between 15:00 and 24:00 UTC it is already tomorrow."""
    return datetime.now(TOKYO).date()

YAMADA = {"name": "山田 太郎", "name_kana": "ヤマダ　タロウ", "birth_date": "1980-04-02", "gender": "male",
          "phone": "090-0000-1111", "email": "taro@example.invalid", "line_id": "yamada-line",
          "sensitive": {"health": "うつ病の通院歴"}, "notes": "本人メモ"}
HANAKO = {"name": "山田 花子", "name_kana": "ヤマダ ハナコ", "birth_date": "1950-01-01", "gender": "female",
          "phone": "0467-00-2222"}


def open_case(client, *, person=YAMADA, issues=("hikikomori", "h8050"), district="ofuna", summary="8050世帯の相談",
              urgency="normal", with_parent=True, **extra):
    members = [{"person": person, "relationship": "self", "in_need": True}]
    if with_parent:
        members.append({"person": HANAKO, "relationship": "parent"})
    body = {"intake_channel": "counter", "issues": list(issues), "urgency": urgency, "summary": summary,
            "household": {"address": "鎌倉市大船一丁目2-3", "district": district, "members": members}, **extra}
    r = client.post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def open_anonymous_case(client, label="LINE相談 #0042", **extra):
    r = client.post("/api/v1/cases", json={"intake_channel": "chat", "issues": ["isolation"],
                                           "anonymous_label": label, "summary": "匿名チャットでの相談", **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def make_plan(client, case_id, owner_org_id, title="週1回の訪問と本人との面談", days=14, **extra):
    """Give the case a support plan with one task owned by `owner_org_id` (the guard for assessment -> support)."""
    due = (today_jst() + timedelta(days=days)).isoformat()
    r = client.post(f"/api/v1/cases/{case_id}/plan/tasks",
                    json={"owner_org_id": str(owner_org_id), "title": title, "due_on": due, **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def council_for(client, org_ids=(), kind="support_meeting", pledge_scope="meeting", **extra) -> str:
    """The id of a council (会議体) of the caller's organisation (its secretariat, a supervisor calling) with
    these member organisations; the same (caller, kind, members, pledge scope, extra) reuse one council."""
    key = ((client.me or {}).get("id"), kind, tuple(sorted(str(o) for o in org_ids)), pledge_scope,
           tuple(sorted(extra.items())))
    cache = client.app.config.setdefault("_test_councils", {})
    if key not in cache:
        body = {"kind": kind, "name": f"会議体 {len(cache) + 1}", "member_org_ids": [str(o) for o in org_ids],
                "pledge_scope": pledge_scope, **extra}
        r = client.post("/api/v1/councils", json=body)
        assert r.status_code == 201, r.get_json()
        cache[key] = r.get_json()["id"]
    return cache[key]


def council_row(session, *, municipality_id, kind, secretariat_org_id, chair_user_id, member_org_ids=(),
                pledge_scope="meeting"):
    """A council written straight into the database (for tests that build meetings as rows)."""
    from caseflow.meetings.models import COUNCIL_KINDS, Council, CouncilMember

    council = Council(municipality_id=municipality_id, kind=kind, name=f"会議体 {uuid.uuid4().hex[:8]}",
                      legal_basis=COUNCIL_KINDS[kind][2], secretariat_org_id=secretariat_org_id,
                      chair_user_id=chair_user_id, pledge_scope=pledge_scope)
    session.add(council)
    session.flush()
    session.add_all([CouncilMember(council_id=council.id, org_id=o)
                     for o in dict.fromkeys([secretariat_org_id, *member_org_ids])])
    session.flush()
    return council


def move(client, case_id, to, **extra):
    return client.post(f"/api/v1/cases/{case_id}/transitions", json={"to": to, **extra})


def personal_values(person=YAMADA, others=(HANAKO,)):
    """Strings that must never reach a viewer without a basis."""
    values = []
    for p in (person, *others):
        for key in ("name", "name_kana", "birth_date", "phone", "email", "line_id"):
            if p.get(key):
                values.append(p[key])
    values += ["鎌倉市大船一丁目2-3", "うつ病の通院歴", "本人メモ", "8050世帯の相談"]
    return values


PARAM = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>[a-z_]+)>")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DOCS_ENDPOINTS = {"api-docs.openapi_json", "api-docs.openapi_redoc", "api-docs.redoc_script", "static"}

# Which role of which organisation acts where: organisation A owns every record, B is a stranger to all of it.
ORG_A, ORG_A_NPO = "kmk-chiiki", "kmm-npo"  # the owner department and the NPO the case is referred to
ORG_B, ORG_B_NPO = "zz-other", "zz-other-npo"  # another municipality department and another NPO
ROLES = ("coordinator", "staff", "supervisor", "npo_staff", "auditor", "admin", "secretariat")
OTHER_CITY, OTHER_CITY_DEPT = "zz-city", "zz-city-dept"  # another municipality, for memberships and transfers


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- routes ---------------------------------------------------------------------------------

def api_routes(app):
    """(rule, method, endpoint) for every API route and method (HEAD/OPTIONS aside), in a stable order."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in DOCS_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule, method, rule.endpoint))
    return sorted(out, key=lambda r: (r[0].rule, r[1]))


def path_params(rule) -> list[str]:
    return [m.group("name") for m in PARAM.finditer(rule.rule)]


def fill(rule, values: dict) -> str:
    """The rule's URL with each parameter taken from `values` (KeyError names a parameter nobody seeded)."""
    return PARAM.sub(lambda m: str(values[m.group("name")]), rule.rule)


def openapi_path(rule) -> str:
    return PARAM.sub(lambda m: "{" + m.group("name") + "}", rule.rule)


def guard(app, endpoint):
    """(resource, action) of a guarded view, None for public ones."""
    if authz.endpoint_is_public(app, endpoint):
        return None
    return getattr(app.view_functions[endpoint], authz.GUARD_ATTR)


def roles_allowed(app, resource: str, action: str) -> list[str]:
    enforcer = app.extensions["caseflow.enforcer"]
    return [r for r in ROLES if enforcer.enforce(r, "any-org", resource, action)]


# --- the world --------------------------------------------------------------------------------

def role_users(world, prefix: str, dept: str, npo: str) -> dict[str, str]:
    """One user per role: department roles in `dept`, npo_staff in `npo`, auditor and admin in `dept` too."""
    for code, kind in ((dept, "department"), (npo, "npo")):
        if code not in world.orgs:
            world.org(code, kind)
    emails = {}
    for role in ROLES:
        email = f"{prefix}-{role}@example.jp"
        if email not in world.users:
            world.user(email, npo if role == "npo_staff" else dept, role)
        emails[role] = email
    return emails


def seed_records(world) -> dict:
    """Real records of organisation A (kmk-chiiki) through the API: one of each kind, with the personal data of
    YAMADA (above). Returns {path parameter name: value}, plus the emails of A's users by role."""
    a = role_users(world, "a", ORG_A, ORG_A_NPO)
    coord = world.client(a["coordinator"])
    npo = world.client(a["npo_staff"])
    sup = world.client(a["supervisor"])
    case = open_case(coord)
    ids = {"case_id": case["id"], "household_id": case["household"]["id"]}
    primary = next(p for p in case["persons"] if p["is_primary"])
    ids["person_id"] = primary["id"]
    household = coord.get(f"/api/v1/households/{ids['household_id']}").get_json()
    ids["member_id"] = next(m["member_id"] for m in household["members"] if m["id"] != primary["id"])
    parent = next(m["id"] for m in household["members"] if m["id"] != primary["id"])
    r = coord.post(f"/api/v1/households/{ids['household_id']}/relationships",
                   json={"from_person_id": parent, "to_person_id": primary["id"], "relation": "mother"})
    assert r.status_code == 201, r.get_json()
    ids["relationship_id"] = r.get_json()["id"]
    r = coord.post("/api/v1/referrals", json={
        "case_id": case["id"], "to_org_id": str(world.orgs[ORG_A_NPO]), "reason": "就労に向けた伴走支援のため",
        "requested_support": "居場所活動への参加の声かけ", "urgency": "normal"})
    assert r.status_code == 201, r.get_json()
    ids["referral_id"] = r.get_json()["id"]
    assert npo.post(f"/api/v1/referrals/{ids['referral_id']}/accept").status_code == 200
    r = coord.post("/api/v1/consents", json={
        "person_id": primary["id"], "purpose": "support_coordination", "method": "written",
        "recipients": [{"org_id": str(world.orgs[ORG_A_NPO])}], "categories": ["identity", "contact"],
        "obtained_at": now().isoformat()})
    assert r.status_code == 201, r.get_json()
    ids["consent_id"] = r.get_json()["id"]
    r = npo.post(f"/api/v1/cases/{case['id']}/emergency-access", json={
        "person_id": primary["id"], "justification": "自殺をほのめかす連絡があり、本人と連絡が取れないため安否確認が必要"})
    assert r.status_code == 201, r.get_json()
    ids["access_id"] = r.get_json()["id"]
    r = coord.post(f"/api/v1/cases/{case['id']}/progress",
                   json={"kind": "visit", "occurred_on": today_jst().isoformat(), "body": "自宅訪問。本人と面会できた。"})
    assert r.status_code == 201, r.get_json()
    assert move(coord, case["id"], "assessment", reason="合同アセスメントへ").status_code == 200
    r = coord.post(f"/api/v1/cases/{case['id']}/assessments", json={
        "assessed_on": today_jst().isoformat(), "strengths": "料理が得意", "wishes": "外に出る練習をしたい",
        "domains": [{"domain": "health", "risk_level": "high", "note": "昼夜逆転、通院中断"}],
        "issue_codes": ["hikikomori"], "goals": ["居場所に週1回通う"]})
    assert r.status_code == 201, r.get_json()
    ids["assessment_id"] = r.get_json()["id"]
    task = make_plan(coord, case["id"], world.orgs[ORG_A_NPO])
    ids["task_id"] = task["id"]
    plan = coord.get(f"/api/v1/cases/{case['id']}/plan").get_json()
    ids["goal_id"] = _first_goal(coord, case["id"], plan)
    ids["council_id"] = council_for(sup, [world.orgs[ORG_A_NPO]], invites_non_members=True)
    r = sup.post("/api/v1/meetings", json={
        "council_id": ids["council_id"], "title": "第3回 鎌倉市支援会議", "starts_at": (now() - timedelta(hours=1)).isoformat(),
        "place": "鎌倉市役所 本庁舎 第1会議室", "chair_user_id": str(world.users[a["supervisor"]]),
        "attendee_user_ids": [str(world.users[a["npo_staff"]])]})
    assert r.status_code == 201, r.get_json()
    ids["meeting_id"] = r.get_json()["id"]
    r = sup.post(f"/api/v1/meetings/{ids['meeting_id']}/agenda", json={"case_id": case["id"]})
    assert r.status_code == 201, r.get_json()
    ids["item_id"] = r.get_json()["id"]
    r = coord.post("/api/v1/auth/tokens", json={"name": "連携システム"})
    assert r.status_code == 201, r.get_json()
    ids["token_id"] = r.get_json()["id"]
    r = coord.post("/api/v1/events", json={"kind": "study", "title": "ひきこもり支援勉強会", "held_on": today_jst().isoformat(),
                                           "organiser_org_id": str(world.orgs[ORG_A_NPO])})
    assert r.status_code == 201, r.get_json()
    ids["event_id"] = r.get_json()["id"]
    ids["user_id"] = str(world.users[a["coordinator"]])
    ids["org_id"] = str(world.orgs[ORG_A])
    ids["list_name"] = "district"
    audit = world.client(a["auditor"]).get("/api/v1/audit-events?action=cases.read&limit=1").get_json()["items"]
    ids["seq"] = audit[0]["seq"]
    # The tenant's own records: A is the municipality's secretariat; another city's department is a member
    # (a membership), a privileged role waits for its second approver, a second case is on its way there.
    world.secretariat("kamakura", ORG_A)
    if OTHER_CITY not in world.municipalities:
        world.municipality(OTHER_CITY, districts=[(f"{OTHER_CITY}-1", "一区")])
        world.org(OTHER_CITY_DEPT, "department", municipality=OTHER_CITY)
    sec = world.client(a["secretariat"])
    ids["municipality_id"] = str(world.municipalities["kamakura"])
    r = sec.post(f"/api/v1/municipalities/{ids['municipality_id']}/memberships",
                 json={"org_id": str(world.orgs[OTHER_CITY_DEPT]), "reason": "県域での連携"})
    assert r.status_code == 201, r.get_json()
    ids["membership_id"] = r.get_json()["id"]
    r = sec.post("/api/v1/users", json={"org_code": ORG_A, "email": "a-new-auditor@example.jp",
                                        "display_name": "監査 候補", "password": PASSWORD, "roles": ["auditor"]})
    assert r.status_code == 201, r.get_json()
    ids["request_id"] = sec.get("/api/v1/role-requests").get_json()["items"][0]["id"]
    # 住所秘匿: a decision on YAMADA naming the organisations that already see him (so nothing else changes)
    r = sup.post(f"/api/v1/persons/{ids['person_id']}/secrecy", json={
        "reason": "住民基本台帳事務における支援措置", "recipient_org_ids": [str(world.orgs[ORG_A_NPO])]})
    assert r.status_code == 201, r.get_json()
    ids["secrecy_id"] = r.get_json()["id"]
    r = coord.post(f"/api/v1/cases/{case['id']}/reporter", json={"name": "近隣の住民", "contact": "0467-00-0999",
                                                                  "relationship_to_household": "隣家"})
    assert r.status_code == 201, r.get_json()
    # 相談者: an anonymous LINE case's contact, linked to YAMADA and unlinked again (both acts on record)
    anonymous = open_anonymous_case(coord)
    ids["contact_id"] = next(c["id"] for c in coord.get("/api/v1/contacts").get_json()["items"]
                             if anonymous["id"] in {x["id"] for x in c["cases"]})
    r = coord.post(f"/api/v1/contacts/{ids['contact_id']}/link", json={"person_id": ids["person_id"], "reason": "本人と確認"})
    assert r.status_code == 200, r.get_json()
    r = coord.post(f"/api/v1/contacts/{ids['contact_id']}/unlink", json={"reason": "別人と判明"})
    assert r.status_code == 200, r.get_json()
    moving = open_case(coord)
    r = coord.post(f"/api/v1/cases/{moving['id']}/transfers", json={
        "to_municipality": OTHER_CITY, "to_org_id": str(world.orgs[OTHER_CITY_DEPT]), "reason": "転居のため"})
    assert r.status_code == 201, r.get_json()
    ids["transfer_id"] = r.get_json()["id"]
    r = coord.post(f"/api/v1/cases/{moving['id']}/lead-handovers", json={
        "to_org_id": str(world.orgs[ORG_A_NPO]), "reason": "主担当の交代"})
    assert r.status_code == 201, r.get_json()
    ids["handover_id"] = r.get_json()["id"]
    client_id, intake_token = _intake_client(world, world.orgs[ORG_A])
    ids["intake_client_id"] = str(client_id)
    # a plan indicator of the municipality (its path names the indicator's code and 年度)
    ids["code"], ids["fiscal_year"] = "soudan-basho", 2025
    r = sup.http.put("/api/v1/indicators/soudan-basho/years/2025", headers=sup._headers(None),
                     json={"name": "身近なところで相談できる人や場がある市民の割合", "unit": "%", "target": "70.0"})
    assert r.status_code == 201, r.get_json()
    return {"ids": ids, "users": a, "case": case, "intake_token": intake_token}


INTAKE_ENDPOINT = "intake.open_consultation"  # the one route an intake app's token opens (no user may call it)


class IntakeAppClient:
    """An external intake app (府中市): its bearer token on every request, no session and no CSRF token."""

    def __init__(self, app, token: str):
        self.http, self.token, self.csrf = app.test_client(), token, None

    def _headers(self, headers):
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}


def _intake_client(world, org_id) -> tuple[uuid.UUID, str]:
    """An intake app (府中市, issue 20) registered for the organisation, as its municipality's secretariat would;
    its id and its token."""
    import hashlib

    from caseflow.core import db
    from caseflow.intake.models import IntakeClient
    from caseflow.organizations.models import Organization

    with world.app.app_context():
        org = db.session().get(Organization, org_id)
        token = f"cfi_seed{uuid.uuid4().hex}"
        client = IntakeClient(municipality_id=org.municipality_id, org_id=org.id, name="相談アプリ",
                              token_hash=hashlib.sha256(token.encode()).hexdigest(), prefix="cfi_seed",
                              created_by_user_id=next(iter(world.users.values())))
        db.session().add(client)
        db.session().commit()
        return client.id, token


def _first_goal(coord, case_id, plan):
    goals = plan.get("goals") or []
    if goals:
        return goals[0]["id"]
    r = coord.post(f"/api/v1/cases/{case_id}/plan/goals", json={"text": "居場所に週1回通う"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


# --- a live server on loopback ------------------------------------------------------------------

@contextlib.contextmanager
def live_server(app):
    """The app in a threaded werkzeug server on 127.0.0.1 (a free port); stopped on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class Http:
    """One user's own browser-like session (cookie + CSRF header) against a live server."""

    def __init__(self, base: str, email: str, password: str = PASSWORD):
        self.base = base
        self.session = requests.Session()
        r = self.session.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password}, timeout=60)
        assert r.status_code == 200, r.text
        self.me = r.json()
        self.csrf = self.me["csrf_token"]

    def request(self, method, path, body=None, headers=None, timeout=60, params=None):
        h = {"X-CSRF-Token": self.csrf, **(headers or {})}
        return self.session.request(method, self.base + path, json=body, headers=h, timeout=timeout, params=params)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)


def race(calls, timeout=120):
    """Run the zero-argument callables at the same moment (a barrier); return their results in order.
    An exception in a call is returned in its place for the caller's assertions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=timeout)
            results[i] = fn()
        except Exception as exc:  # reported by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn), daemon=True) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results


def new_uuid() -> str:
    return str(uuid.uuid4())




# --- a server in its own process ----------------------------------------------------------------

SERVER_SECRET = "reliability-tests-secret-key-0123456789abcdef"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`gunicorn caseflow.wsgi:app` or `caseflow run` on a free port of 127.0.0.1, against `db_url`, in its own
    process group (so SIGKILL reaches gunicorn's workers too). Always stop() it (fixtures do, in finalizers)."""

    def __init__(self, db_url: str, kind: str = "gunicorn", workers: int = 2, threads: int = 4,
                 log_path=None, extra_env: dict | None = None):
        self.db_url, self.kind, self.workers, self.threads = db_url, kind, workers, threads
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.proc = None
        self.port = None
        self.base = None

    def command(self) -> list[str]:
        import sys

        if self.kind == "gunicorn":
            return [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers",
                    str(self.workers), "--threads", str(self.threads), "--graceful-timeout", "5",
                    "--timeout", "120", "caseflow.wsgi:app"]
        return [sys.executable, "-m", "caseflow", "run", "--host", "127.0.0.1", "--port", str(self.port),
                "--with-threads", "--no-reload", "--no-debugger"]

    def env(self) -> dict:
        import os

        env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEFLOW_", "FLASK_"))}
        env.update(CASEFLOW_DATABASE_URL=self.db_url, CASEFLOW_SECRET_KEY=SERVER_SECRET,
                   CASEFLOW_PASSWORD_TIME_COST="1", CASEFLOW_PASSWORD_MEMORY_COST="1024", **self.extra_env)
        return env

    def start(self, timeout: float = 60) -> str:
        import subprocess
        import time
        from pathlib import Path

        assert self.proc is None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.command(), env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     cwd=str(Path(__file__).resolve().parent.parent))
        if out is not subprocess.DEVNULL:
            out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode} (log: {self.log_path})")
            try:
                if requests.get(self.base + "/api/v1/health", timeout=2).status_code == 200:
                    return self.base
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} did not answer within {timeout}s (log: {self.log_path})")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hooks, no flush, like a power cut of the app server."""
        import os
        import signal

        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        import os
        import signal
        import subprocess

        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None


# --- the audit verification ------------------------------------------------------------------------------

def run_audit_verify(db_url: str, *args: str) -> tuple[int, str]:
    """`caseflow audit verify [args]` against the database, through the real command: (exit code, output)."""
    result = CliRunner().invoke(cli_main, ["audit", "verify", *args], env={"CASEFLOW_DATABASE_URL": db_url})
    return result.exit_code, result.output


def audit_verify(db_url: str, *args: str) -> str:
    """The same, for a chain that must be intact: asserts exit 0 and returns the output."""
    code, out = run_audit_verify(db_url, *args)
    assert code == 0, out
    return out


# --- rendered PDFs (poppler-utils) ---------------------------------------------------------------------

def run(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, timeout=60).stdout.decode("utf-8")


def page_text(path: Path, page: int) -> str:
    return run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"])


def page_count(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run(["pdfinfo", str(path)]), re.MULTILINE).group(1))


def collapse_spaces(text: str) -> str:
    """pdftotext -layout pads with spaces; compare with whitespace runs collapsed to one space."""
    return re.sub(r"\s+", " ", text)


def without_spaces(text: str) -> str:
    """Text with every whitespace removed (a name wrapped over two lines reads as one word)."""
    return re.sub(r"\s+", "", text)


def parse_pgm(data: bytes) -> tuple[int, int, bytes]:
    """A binary 8-bit PGM (P5) as written by `pdftoppm -gray`: (width, height, pixels)."""
    match = re.match(rb"P5\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(255)\s", data)
    assert match, data[:40]
    width, height = int(match.group(1)), int(match.group(2))
    pixels = data[match.end():match.end() + width * height]
    assert len(pixels) == width * height
    return width, height, pixels
