"""Attacks on the holes found after issue 11, each reproduced through the HTTP API (and the CLI or the real
development server where that is where it happens), on both engines.

- login timing: an unknown email must cost what a wrong password costs, or the answer time enumerates accounts;
- a bearer token minting further tokens;
- a non-ASCII or malformed X-CSRF-Token header (was a 500);
- request lines whose query string defeats the access log's redaction (a raw `"`, U+00A0, spaces, tabs,
  percent-encoded Japanese), scanned in the captured log of `caseflow run`;
- reads of consents, a case's stage history and a meeting's cases that wrote no audit event;
- writes with no body at all that created empty records;
- zero-width and bidi-control characters stored in names.
"""
from __future__ import annotations

import http.client
import json
import logging
import socket
import statistics
import subprocess
import sys
import time
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select

from caseflow import create_app
from caseflow.cli import main
from caseflow.core import db

from conftest import PASSWORD, TEST_CONFIG
from support import (
    INTAKE_ENDPOINT,
    WRITE_METHODS,
    YAMADA,
    IntakeAppClient,
    ServerProcess,
    api_routes,
    fill,
    guard,
    live_server,
    roles_allowed,
    seed_records,
)


def _problem(r, status, type_=None):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/problem+json"
    if type_:
        assert r.get_json()["type"].endswith("/" + type_), r.get_json()
    return r.get_json()


def _events(app, action: str, after: int = 0) -> list:
    from caseflow.audit.models import AuditEvent

    with app.app_context():
        return [{"resource_id": e.resource_id, "detail": json.loads(e.detail), "outcome": e.outcome}
                for e in db.session().scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                                       AuditEvent.seq > after)
                                              .order_by(AuditEvent.seq))]


def _head(app) -> int:
    from caseflow.audit.models import AuditEvent

    with app.app_context():
        return db.session().scalar(select(func.coalesce(func.max(AuditEvent.seq), 0)))


# --- login timing -----------------------------------------------------------------------------------

PRODUCTION_HASHING = {"PASSWORD_TIME_COST": 3, "PASSWORD_MEMORY_COST": 64 * 1024}  # caseflow.core.config defaults


@pytest.fixture
def timing_app(db_url, basic):
    """The app with the production Argon2 parameters, and a user whose hash was made with them. The lockout is
    raised out of the way (it is tested in test_security): here every wrong password must be checked."""
    app = create_app({**TEST_CONFIG, **PRODUCTION_HASHING, "DATABASE_URL": db_url, "LOGIN_MAX_FAILURES": 10_000})
    from caseflow.access import sessions
    from caseflow.accounts.models import User

    with app.app_context():
        user = db.session().scalar(select(User).where(User.email == "coord@example.jp"))
        user.password_hash = sessions.hash_password(PASSWORD)
        db.session().commit()
    yield app
    with app.app_context():
        db.engine().dispose()


def _login(client, email):
    started = time.perf_counter()
    r = client.post("/api/v1/auth/login", json={"email": email, "password": "not-the-password-0"})
    elapsed = time.perf_counter() - started
    assert r.status_code == 401, r.get_json()
    return elapsed


def test_login_answers_unknown_and_wrong_password_in_the_same_time(timing_app):
    """Medians of 15 interleaved logins each, unknown email vs a real account's wrong password, within 20 %."""
    c = timing_app.test_client()
    _login(c, "nobody@example.jp"), _login(c, "coord@example.jp")  # warm-up (first request, caches)
    unknown, wrong = [], []
    for i in range(15):
        pair = [("unknown", f"nobody-{i}@example.jp"), ("wrong", "coord@example.jp")]
        for kind, email in (pair if i % 2 == 0 else pair[::-1]):
            (unknown if kind == "unknown" else wrong).append(_login(c, email))
    a, b = statistics.median(unknown), statistics.median(wrong)
    assert max(a, b) / min(a, b) <= 1.2, {"unknown": a, "wrong password": b}


def test_both_failed_login_paths_do_the_same_work(app, basic, monkeypatch):
    """By design, not only on average: one password hash verified, none computed, and the same number of
    database statements (the attempt counter runs for an unknown email too, on no row)."""
    from argon2 import PasswordHasher

    calls = {"hash": 0, "verify": 0}
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counting(name, real):
        def wrapper(self, *args, **kwargs):
            calls[name] += 1
            return real(self, *args, **kwargs)
        return wrapper

    c = app.test_client()
    c.post("/api/v1/auth/login", json={"email": "nobody@example.jp", "password": "x" * 12})  # warm-up
    monkeypatch.setattr(PasswordHasher, "hash", counting("hash", real_hash))
    monkeypatch.setattr(PasswordHasher, "verify", counting("verify", real_verify))
    statements = []
    with app.app_context():
        engine = db.engine()
    listen = lambda conn, cursor, stmt, *rest: statements.append(stmt)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        work = {}
        for kind, email in (("unknown", "nobody@example.jp"), ("wrong", "coord@example.jp")):
            calls.update(hash=0, verify=0)
            statements.clear()
            assert c.post("/api/v1/auth/login", json={"email": email, "password": "x" * 12}).status_code == 401
            work[kind] = (dict(calls), list(statements))
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert work["unknown"][0] == work["wrong"][0] == {"hash": 0, "verify": 1}, work
    assert work["unknown"][1] == work["wrong"][1], work


# --- tokens -----------------------------------------------------------------------------------------

def test_a_bearer_token_cannot_mint_tokens(app, basic):
    coord = basic.client("coord@example.jp")
    issued = coord.post("/api/v1/auth/tokens", json={"name": "連携システム"})
    assert issued.status_code == 201
    bearer = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    anon = basic.client()
    assert anon.get("/api/v1/auth/me", headers=bearer).status_code == 200
    r = anon.http.post("/api/v1/auth/tokens", json={"name": "子トークン", "days": 365}, headers=bearer)
    body = _problem(r, 403, "session-required")
    assert "token" not in body
    assert len(coord.get("/api/v1/auth/tokens").get_json()) == 1
    # The token still does its job, and may revoke itself.
    assert anon.get("/api/v1/cases", headers=bearer).status_code == 200
    tid = issued.get_json()["id"]
    assert anon.http.delete(f"/api/v1/auth/tokens/{tid}", headers=bearer).status_code == 204


# --- CSRF header --------------------------------------------------------------------------------------

@pytest.mark.parametrize("sent", ["トークン", "é" * 43, "\u00a0", "x" * 10_000, " ", "\t" + "a" * 40])
def test_non_ascii_or_malformed_csrf_header_is_403(basic, sent):
    c = basic.client("coord@example.jp")
    r = c.http.post("/api/v1/auth/tokens", json={"name": "t"}, headers={"X-CSRF-Token": sent})
    _problem(r, 403, "csrf")


def test_raw_utf8_csrf_header_on_a_live_server_is_403(app, basic):
    """Over a real socket: the header's UTF-8 bytes reach the app as latin-1 text (the old code: 500)."""
    with live_server(app) as base:
        host, port = base.removeprefix("http://").split(":")
        login = http.client.HTTPConnection(host, int(port), timeout=30)
        login.request("POST", "/api/v1/auth/login", body=json.dumps({"email": "coord@example.jp",
                                                                     "password": PASSWORD}),
                      headers={"Content-Type": "application/json"})
        resp = login.getresponse()
        cookie = resp.getheader("Set-Cookie").split(";")[0]
        resp.read()
        for raw in ("トークン".encode(), b"\xff\xfe", b"\xc2\xa0" + b"a" * 40):
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.putrequest("POST", "/api/v1/auth/tokens")
            conn.putheader("Cookie", cookie)
            conn.putheader("Content-Type", "application/json")
            conn.putheader("X-CSRF-Token", raw)
            body = b'{"name": "t"}'
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            data = json.loads(r.read())
            assert r.status == 403 and data["type"].endswith("/csrf"), (raw, r.status, data)


# --- the access log's query redaction -------------------------------------------------------------------

SECRET_NAME = "山田太郎"
# Each line has the marker SECRET after something that stopped the old redaction (a quote, U+00A0, a space,
# a tab) or in a request line the server cannot parse (then its error message quotes the line).
REQUEST_LINES = [
    'GET /api/v1/health?q="SECRET-QUOTE{name}" HTTP/1.1',
    "GET /api/v1/health?q=SECRET-NBSP\u00a0{name} HTTP/1.1",
    "GET /api/v1/health?q={name}\u00a0SECRET-NBSP2 HTTP/1.1",
    "GET /api/v1/persons?q=%E5%B1%B1%E7%94%B0%22SECRET-PCT HTTP/1.1",
    "GET /api/v1/persons?q=%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E HTTP/1.1",
    'GET /api/v1/health?q=a"b SECRET-SPACE {name} HTTP/1.1',
    "GET /api/v1/health?q=a\tSECRET-TAB{name} HTTP/1.1",
    "GET /api/v1/health?q=SECRET-VERSION {name}",
    "GET /api/v1/health?q=x SECRET-VERSION2",
    "GET /api/v1/health?q={name}'SECRET-APOS HTTP/1.0",
]


def _leaks(text: str) -> list[str]:
    utf8 = SECRET_NAME.encode()
    forms = ["SECRET", SECRET_NAME, SECRET_NAME[:2], "%E5%B1%B1", "%e5%b1%b1", utf8[:3].decode("latin-1"),
             "".join(f"\\x{b:02x}" if b < 0xa0 else chr(b) for b in utf8)[:6]]
    return [f for f in forms if f in text]


def test_development_server_log_keeps_no_query_strings(tmp_path):
    """`caseflow run` (the real werkzeug server) on a database migrated by `caseflow db upgrade`; raw request
    lines over a socket; the captured stdout/stderr must not hold any part of the queries."""
    db_url = "sqlite:///" + str(tmp_path / "devserver.sqlite3")
    server = ServerProcess(db_url, kind="run", log_path=tmp_path / "server.log")
    upgrade = subprocess.run([sys.executable, "-m", "caseflow", "db", "upgrade"], env=server.env(),
                             capture_output=True, text=True, timeout=300)
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]
    base = server.start()
    try:
        port = int(base.rsplit(":", 1)[1])
        for line in REQUEST_LINES:
            raw = line.format(name=SECRET_NAME).encode("utf-8") + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(raw)
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            assert answer, line  # a status line, or (for a line the server reads as HTTP/0.9) only a body
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text(encoding="utf-8", errors="backslashreplace")
    assert log.count("[query omitted]") >= len(REQUEST_LINES), log[-3000:]
    leaks = [(f, ln) for ln in log.splitlines() for f in _leaks(ln)]
    assert leaks == [], leaks


def _record(msg, *args):
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, msg, args, None)


@pytest.mark.parametrize("line", [
    'GET /api/v1/persons?q="山田"太郎 HTTP/1.1',
    "GET /api/v1/persons?q=山田\u00a0太郎 HTTP/1.1",
    "GET /api/v1/persons?q=山田 太郎 HTTP/1.1",
    "GET /api/v1/persons?q=山田\t太郎 HTTP/1.1",
    "GET /api/v1/persons?q=%E5%B1%B1%E7%94%B0 HTTP/1.1",
    "GET /api/v1/persons?q=山田 HTTP/1.1 太郎 HTTP/1.1",
    "\x1b[31m\x1b[1mGET /api/v1/persons?q=山田\u00a0太郎 HTTP/1.1\x1b[0m",
    "GET /api/v1/persons?q=山田 太郎",
])
def test_the_log_filter_on_werkzeug_records(app, line):
    """The filter on the records werkzeug makes: the access line, and the error for a line it cannot parse."""
    from caseflow.core.http import NoQueryStrings as _NoQueryStrings

    f = _NoQueryStrings()
    access = _record('%s - - [%s] "%s" %s %s', "127.0.0.1", "01/Dec/2026 10:00:00", line, "200", "-")
    error = _record("%s - - [%s] code %d, message %s", "127.0.0.1", "01/Dec/2026 10:00:00", 400,
                    f"Bad request syntax ({line!r})")
    version = _record("%s - - [%s] code %d, message %s", "127.0.0.1", "01/Dec/2026 10:00:00", 400,
                      "Bad request version ('太郎')")
    plain = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, f'127.0.0.1 - - "{line}" 200 -', None, None)
    for rec in (access, error, version, plain):
        assert f.filter(rec)
        message = rec.getMessage()
        assert "山田" not in message and "太郎" not in message and "%E5" not in message, message
    assert access.getMessage().startswith('127.0.0.1 - - [01/Dec/2026 10:00:00] "')
    assert "GET /api/v1/persons?[query omitted]" in access.getMessage()


# --- reads that wrote no audit event ----------------------------------------------------------------------

def test_reads_of_consents_history_meeting_cases_and_emergencies_are_audited(app, basic):
    seeded = seed_records(basic)
    ids = seeded["ids"]
    coord = basic.client(seeded["users"]["coordinator"])
    person = ids["person_id"]
    reads = [
        ("/api/v1/consents", "consents.list", None),
        (f"/api/v1/consents?person_id={person}", "consents.list", None),
        (f"/api/v1/consents/{ids['consent_id']}", "consents.read", ids["consent_id"]),
        (f"/api/v1/cases/{ids['case_id']}/history", "cases.history.read", ids["case_id"]),
        (f"/api/v1/meetings/{ids['meeting_id']}/cases", "meetings.cases.read", ids["meeting_id"]),
        ("/api/v1/emergency-accesses?include_closed=true", "emergency.list", None),  # justifications: free text
    ]
    for url, action, resource in reads:
        before = _head(app)
        r = coord.get(url)
        assert r.status_code == 200, (url, r.get_json())
        events = _events(app, action, before)
        assert len(events) == 1, (url, action, events)
        assert events[0]["resource_id"] == resource, (url, events)
        detail = json.dumps(events[0]["detail"], ensure_ascii=False)
        assert not [v for v in YAMADA.values() if isinstance(v, str) and v in detail], detail
        assert all(isinstance(v, (int, type(None))) or _is_id(v) for v in events[0]["detail"].values()), detail


def _is_id(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


# --- writes with no body ----------------------------------------------------------------------------------

# Routes whose body is optional by design: actions that take no input, or only an optional reason.
OPTIONAL_BODY = {
    "auth.logout": "ends the session; takes nothing",
    "meetings.sign_pledge": "the pledge text is fixed",
    "meetings.end_council_member": "ends the membership; takes nothing",
    "emergency.close_emergency_access": "ends the access; takes nothing",
    "plans.agree_to_roles": "the agreement is to the organisation's current tasks",
    "referrals.accept_referral": "reason optional",
    "referrals.withdraw_referral": "reason optional",
    "referrals.complete_referral": "reason optional",
    "transfers.accept_transfer": "note optional",
    "transfers.withdraw_transfer": "reason optional",
    "role_requests.approve_role_request": "note optional",
    "role_requests.reject_role_request": "note optional",
    "deletion_requests.approve": "approval takes nothing (the reviewer is the caller)",
    "role_requests.withdraw_role_request": "note optional",
    "municipalities.end_membership": "ends the membership; takes nothing",
    "leads.end_co_lead": "ends the co-lead's part; takes nothing",
    "leads.accept_handover": "note optional",
    "leads.withdraw_handover": "reason optional",
    "intake_clients.revoke_client": "revokes the token; takes nothing",
    "directory.import_directory": "takes a file (multipart/form-data), not JSON; without one a 422 naming `file` "
                                  "(tests/organizations/test_directory_import.py)",
}


def _body_required(app, endpoint) -> bool | None:
    """What the OpenAPI document says of the route's JSON body: required, optional, or no body (None)."""
    params = getattr(app.view_functions[endpoint], "_apidoc", {}).get("arguments", {}).get("parameters", [])
    body = [p for p in params if p.get("in") == "json"]
    return body[0]["required"] if body else None


def test_every_write_route_refuses_a_request_without_a_body(app, basic):
    """No body at all (and an empty one with a JSON Content-Type) is refused like `{}` would be when fields are
    required -- 422 naming `json` -- on every POST/PUT/PATCH route except the optional-body actions above."""
    seeded = seed_records(basic)
    ids = seeded["ids"]
    from caseflow.cases.models import Household, Person

    def counts():
        with app.app_context():
            s = db.session()
            return s.scalar(select(func.count(Person.id))), s.scalar(select(func.count(Household.id)))

    before = counts()
    checked, optional = [], set()
    for rule, method, endpoint in api_routes(app):
        if method not in WRITE_METHODS - {"DELETE"}:
            continue
        required = _body_required(app, endpoint)
        if required is not True:
            optional.add(endpoint)
            continue
        g = guard(app, endpoint)
        role = "coordinator" if g is None else next(
            (r for r in ("coordinator", "supervisor", "staff", "npo_staff", "admin", "secretariat", "auditor")
             if r in roles_allowed(app, *g)), "coordinator")
        c = IntakeAppClient(app, seeded["intake_token"]) if endpoint == INTAKE_ENDPOINT else \
            basic.client(seeded["users"][role])
        url = fill(rule, ids)
        for extra in ({}, {"content_type": "application/json"}):
            r = c.http.open(url, method=method, headers=c._headers(None), **extra)
            body = _problem(r, 422, "validation")
            assert "json" in body["errors"], (method, url, body)
        checked.append(endpoint)
    assert optional == set(OPTIONAL_BODY), optional ^ set(OPTIONAL_BODY)
    assert len(checked) >= 35, checked
    # Creates among them (issue 25: POST /persons and other creates accepted a request with no body).
    creates = {e for _r, m, e in api_routes(app) if m == "POST" and e.rsplit(".", 1)[-1].startswith("create_")}
    assert {"persons.create_person", "cases.create_case", "referrals.create_referral",
            "consents.create_consent"} <= creates, creates
    assert creates <= set(checked), creates - set(checked)
    assert counts() == before
    # `{}` where the schema requires nothing is an explicit choice and still accepted.
    coord = basic.client(seeded["users"]["coordinator"])
    assert coord.post("/api/v1/households", json={}).status_code == 201


# --- zero-width and bidi-control characters ------------------------------------------------------------------

FORMAT_CHARACTERS = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
                     "\u202e", "\u2060", "\u2061", "\u2062", "\u2063", "\u2064", "\u2066", "\u2067", "\u2068",
                     "\u2069", "\ufeff", "\u00ad", "\u061c", "\u180e", "\U000e0001", "\U000e0041"]


def test_format_characters_are_refused_in_names(app, basic):
    admin = basic.client("admin@example.jp")
    coord = basic.client("coord@example.jp")
    from caseflow.accounts.models import User
    from caseflow.cases.models import Person
    from caseflow.organizations.models import Organization

    def count(model):
        with app.app_context():
            return db.session().scalar(select(func.count()).select_from(model))

    before = (count(Person), count(Organization), count(User))
    uid = basic.users["npo@example.jp"]
    for ch in FORMAT_CHARACTERS:
        for body, field in (({"name": f"山田{ch}太郎"}, "name"), ({"name_kana": f"ヤマダ{ch}タロウ"}, "name_kana")):
            _assert_refused(coord.post("/api/v1/persons", json=body), field)
        _assert_refused(admin.post("/api/v1/organizations", json={
            "code": "zw-org", "name": f"鎌倉市{ch}地域共生課", "kind": "department"}), "name")
        _assert_refused(admin.post("/api/v1/users", json={
            "org_code": "kmm-npo", "email": "zw@example.jp", "display_name": f"中村{ch}修", "password": PASSWORD,
            "roles": ["npo_staff"]}), "display_name")
        _assert_refused(admin.patch(f"/api/v1/users/{uid}", json={"display_name": f"\u202e{ch}修"}), "display_name")
        # free text too: a case summary (multi-line) refuses them as well
        _assert_refused(coord.post("/api/v1/cases", json={"intake_channel": "counter", "anonymous_label": "相談",
                                                          "summary": f"相談内容{ch}\n二行目"}), "summary")
    assert (count(Person), count(Organization), count(User)) == before
    # 異体字 (ideographic variation sequences) and ordinary emoji are not format characters: kept.
    r = coord.post("/api/v1/persons", json={"name": "葛\U000e0100城 一郎", "notes": "面談 🙂"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["name"] == "葛\U000e0100城 一郎"


def _assert_refused(r, field):
    body = _problem(r, 422, "validation")
    assert field in body["errors"], body
    assert any("書式制御文字" in m for m in body["errors"][field]), body


@pytest.mark.parametrize("ch", ["\u200b", "\u202e", "\ufeff", "\x07"])
def test_the_cli_refuses_format_and_control_characters_in_names(app, basic, db_url, ch):
    env = {"CASEFLOW_DATABASE_URL": db_url, "CASEFLOW_PASSWORD_TIME_COST": "1", "CASEFLOW_PASSWORD_MEMORY_COST": "1024"}
    r = CliRunner().invoke(main, ["orgs", "create", "--code", "zw-org", "--name", f"鎌倉市{ch}福祉課",
                                  "--kind", "department"], env=env)
    assert r.exit_code != 0 and "name" in r.output, r.output
    r = CliRunner().invoke(main, ["users", "create", "--org", "kmm-npo", "--role", "npo_staff", "--email",
                                  "zw@example.jp", "--password", PASSWORD, "--name", f"中村{ch}修"], env=env)
    assert r.exit_code != 0 and "display_name" in r.output, r.output
    from caseflow.accounts.models import User
    from caseflow.organizations.models import Organization

    with app.app_context():
        s = db.session()
        assert s.scalar(select(Organization.id).where(Organization.code == "zw-org")) is None
        assert s.scalar(select(User.id).where(User.email == "zw@example.jp")) is None
