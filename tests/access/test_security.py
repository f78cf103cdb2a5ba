"""Security hardening (issue 11), through the HTTP API against the real database.

Passwords and their hashing, login throttling, session cookies, CSRF on every cookie-authenticated write,
token expiry and revocation, security headers on every response, no personal data in the application's logs,
IDOR on every id in every path, and request limits. Route walks come from `app.url_map`, so routes added later
are covered without editing this file; `tests/support.py` seeds one real record per path parameter.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import traceback
import unicodedata
import uuid
from datetime import timedelta
from urllib.parse import unquote, unquote_plus

import pytest
import requests
from sqlalchemy import select

from caseflow import create_app
from caseflow.access import authz
from caseflow.core import db
from caseflow.core.config import DEV_SECRET_KEY, ConfigError

from conftest import PASSWORD, TEST_CONFIG
from support import (
    HANAKO,
    ORG_A_NPO,
    ORG_B,
    ORG_B_NPO,
    WRITE_METHODS,
    YAMADA,
    Http,
    api_routes,
    fill,
    guard,
    live_server,
    new_uuid,
    now,
    path_params,
    personal_values,
    race,
    role_users,
    roles_allowed,
    seed_records,
    today_jst,
    without_spaces,
)

CASE_WORK_ROLES = ("coordinator", "supervisor", "staff", "npo_staff")


def _problem(r, status, type_=None):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/problem+json"
    if type_:
        assert r.get_json()["type"].endswith("/" + type_), r.get_json()


# --- passwords ---------------------------------------------------------------------------------

def _argon2_params(encoded: str) -> dict:
    m = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$", encoded)
    assert m, encoded
    def size(b64: str) -> int:  # bytes in unpadded base64
        return len(b64) * 3 // 4

    return {"m": int(m[1]), "t": int(m[2]), "p": int(m[3]), "salt": size(m[4]), "hash": size(m[5])}


def test_production_hashing_parameters_are_argon2id_at_rfc9106_strength(db_url, monkeypatch):
    """Without the test overrides the app hashes with Argon2id, 64 MiB, 3 passes (RFC 9106's second
    recommendation; above OWASP's 19 MiB / 2 passes), a 16-byte salt and a 32-byte tag."""
    for var in ("CASEFLOW_PASSWORD_TIME_COST", "CASEFLOW_PASSWORD_MEMORY_COST"):
        monkeypatch.delenv(var, raising=False)
    app = create_app({"DATABASE_URL": db_url})
    from caseflow.access import sessions

    with app.app_context():
        encoded = sessions.hash_password("a-long-enough-passphrase")
    p = _argon2_params(encoded)
    assert p["m"] >= 64 * 1024 and p["t"] >= 3 and p["p"] >= 1
    assert p["salt"] >= 16 and p["hash"] >= 32
    assert app.config["PASSWORD_MIN_LENGTH"] >= 12


def test_stored_credentials_are_hashes_only(app, basic):
    admin = basic.client("admin@example.jp")
    secret = "kamakura-ofuna-2026-spring"
    r = admin.post("/api/v1/users", json={"org_code": "kmm-npo", "email": "new.staff@example.jp",
                                          "display_name": "新規 職員", "password": secret, "roles": ["npo_staff"]})
    assert r.status_code == 201, r.get_json()
    assert secret not in r.get_data(as_text=True)
    token = basic.client("coord@example.jp").post("/api/v1/auth/tokens", json={"name": "t"}).get_json()["token"]
    from caseflow.accounts.models import ApiToken, User
    with app.app_context():
        user = db.session().scalar(select(User).where(User.email == "new.staff@example.jp"))
        assert user.password_hash.startswith("$argon2id$") and secret not in user.password_hash
        stored = db.session().scalars(select(ApiToken)).all()
        assert all(t.token_hash != token and token not in t.token_hash and len(t.prefix) <= 10 for t in stored)


def test_login_upgrades_a_hash_made_with_weaker_parameters(app, basic, db_url):
    """Users hashed with old (here: the tests' weak) parameters are re-hashed at their next login."""
    stronger = create_app({**TEST_CONFIG, "DATABASE_URL": db_url, "PASSWORD_MEMORY_COST": 2048, "PASSWORD_TIME_COST": 2})
    r = stronger.test_client().post("/api/v1/auth/login", json={"email": "coord@example.jp", "password": PASSWORD})
    assert r.status_code == 200
    from caseflow.accounts.models import User
    with app.app_context():
        encoded = db.session().scalar(select(User.password_hash).where(User.email == "coord@example.jp"))
    p = _argon2_params(encoded)
    assert (p["m"], p["t"]) == (2048, 2)
    assert basic.client().post("/api/v1/auth/login", json={"email": "coord@example.jp",
                                                           "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize("password,problem", [
    ("short-pw", "12文字以上"),
    ("aaaaaaaaaaaaaaaaaaaa", "繰り返し"),
    ("abababababababab", "繰り返し"),
    ("new.staff-is-my-password", "メールアドレス"),
    ("", "12文字以上"),
])
def test_password_policy_on_create_and_change(basic, password, problem):
    admin = basic.client("admin@example.jp")
    body = {"org_code": "kmm-npo", "email": "new.staff@example.jp", "display_name": "新規", "roles": ["npo_staff"]}
    r = admin.post("/api/v1/users", json={**body, "password": password})
    _problem(r, 422, "validation")
    assert any(problem in m for m in r.get_json()["errors"]["password"]), r.get_json()
    assert password not in r.get_data(as_text=True) or not password
    uid = basic.users["npo@example.jp"]
    r = admin.patch(f"/api/v1/users/{uid}", json={"password": password.replace("new.staff", "npo")})
    _problem(r, 422, "validation")
    assert "password" in r.get_json()["errors"]


def test_password_change_ends_the_users_sessions(basic):
    npo = basic.client("npo@example.jp")
    admin = basic.client("admin@example.jp")
    r = admin.patch(f"/api/v1/users/{basic.users['npo@example.jp']}", json={"password": "a-brand-new-passphrase"})
    assert r.status_code == 200, r.get_json()
    _problem(npo.get("/api/v1/auth/me"), 401)
    assert basic.client().post("/api/v1/auth/login", json={"email": "npo@example.jp",
                                                           "password": "a-brand-new-passphrase"}).status_code == 200


def test_oversized_password_is_refused_before_hashing(basic):
    r = basic.client().post("/api/v1/auth/login", json={"email": "coord@example.jp", "password": "x" * 100_000})
    _problem(r, 422, "validation")


# --- login throttling --------------------------------------------------------------------------

def test_lockout_is_audited_expires_and_a_success_resets_the_count(app, basic):
    c = basic.client()
    wrong = {"email": "npo@example.jp", "password": "wrong-password-x"}
    for _ in range(4):
        _problem(c.post("/api/v1/auth/login", json=wrong), 401, "invalid-credentials")
    assert c.post("/api/v1/auth/login", json={"email": "npo@example.jp", "password": PASSWORD}).status_code == 200
    for _ in range(4):  # the success reset the count: four more failures do not lock
        _problem(c.post("/api/v1/auth/login", json=wrong), 401, "invalid-credentials")
    assert c.post("/api/v1/auth/login", json={"email": "npo@example.jp", "password": PASSWORD}).status_code == 200
    for _ in range(5):
        c.post("/api/v1/auth/login", json=wrong)
    r = c.post("/api/v1/auth/login", json={"email": "npo@example.jp", "password": PASSWORD})
    _problem(r, 429, "account-locked")
    assert 14 * 60 < int(r.headers["Retry-After"]) <= 15 * 60 + 1
    reasons = [e["detail"]["reason"] for e in basic.client("auditor@example.jp").get(
        "/api/v1/audit-events?action=auth.login&outcome=denied&limit=200").get_json()["items"]]
    assert reasons.count("bad_password") == 13 and reasons.count("locked") == 1
    from caseflow.accounts.models import User
    with app.app_context():  # the lock runs out
        user = db.session().scalar(select(User).where(User.email == "npo@example.jp"))
        user.locked_until = db.utcnow() - timedelta(seconds=1)
        db.session().commit()
    assert c.post("/api/v1/auth/login", json={"email": "npo@example.jp", "password": PASSWORD}).status_code == 200


def test_parallel_guesses_cannot_get_past_the_lockout(app, basic):
    """Twenty wrong passwords at the same moment must not slip past the limit of five (a read-modify-write
    counter loses concurrent increments); the right password is then refused too."""
    with live_server(app) as base:
        guesses = race([lambda i=i: requests.post(f"{base}/api/v1/auth/login", timeout=60, json={
            "email": "coord@example.jp", "password": f"guess-number-{i:04d}"}) for i in range(20)])
        assert all(not isinstance(g, Exception) for g in guesses), guesses
        assert {g.status_code for g in guesses} <= {401, 429}
        assert sum(g.status_code == 401 for g in guesses) <= 5
        r = requests.post(f"{base}/api/v1/auth/login", json={"email": "coord@example.jp", "password": PASSWORD},
                          timeout=60)
        assert r.status_code == 429, r.text


# --- session cookies, production mode -----------------------------------------------------------

@pytest.fixture
def production(db_url, monkeypatch, basic):
    monkeypatch.setenv("CASEFLOW_ENV", "production")
    monkeypatch.setenv("CASEFLOW_SECRET_KEY", secrets.token_hex(32))
    return create_app({**TEST_CONFIG, "DATABASE_URL": db_url})


def test_production_session_cookie_is_secure_httponly_samesite(production):
    r = production.test_client().post("/api/v1/auth/login", json={"email": "coord@example.jp", "password": PASSWORD})
    assert r.status_code == 200
    cookies = r.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("caseflow_session=")
    attrs = {a.strip().split("=")[0].lower(): a.strip() for a in cookies[0].split(";")[1:]}
    assert "secure" in attrs and "httponly" in attrs
    assert attrs["samesite"].lower() in ("samesite=lax", "samesite=strict")
    assert "expires" not in attrs and "max-age" not in attrs  # a browser-session cookie; the server ends it
    assert r.headers["Strict-Transport-Security"].startswith("max-age=") and \
        int(r.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 180 * 24 * 3600


def test_development_cookie_is_secure_only_when_asked(db_url, monkeypatch, basic):
    monkeypatch.delenv("CASEFLOW_ENV", raising=False)
    monkeypatch.setenv("CASEFLOW_SECURE_COOKIES", "1")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": db_url})
    r = app.test_client().post("/api/v1/auth/login", json={"email": "coord@example.jp", "password": PASSWORD})
    assert "Secure" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in r.headers


def test_production_refuses_a_missing_or_development_secret_key(db_url, monkeypatch):
    monkeypatch.setenv("CASEFLOW_ENV", "production")
    monkeypatch.delenv("CASEFLOW_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"DATABASE_URL": db_url})
    monkeypatch.setenv("CASEFLOW_SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(ConfigError):
        create_app({"DATABASE_URL": db_url})


def test_a_forged_or_expired_session_cookie_is_refused(app, basic):
    c = basic.client("coord@example.jp")
    cookie = c.http.get_cookie("caseflow_session").value
    forged = basic.client()
    forged.http.set_cookie("caseflow_session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))
    _problem(forged.get("/api/v1/auth/me"), 401)
    from caseflow.accounts.models import LoginSession
    with app.app_context():
        for ls in db.session().scalars(select(LoginSession)):
            ls.expires_at = db.utcnow() - timedelta(seconds=1)
        db.session().commit()
    _problem(c.get("/api/v1/auth/me"), 401)


# --- CSRF ----------------------------------------------------------------------------------------

def test_every_cookie_authenticated_write_needs_the_sessions_csrf_token(app, basic):
    """Every non-public write route, with real ids in its path: no token, a wrong token, or another session's
    token is refused (403 csrf) and changes nothing; a bearer header does not switch the check off."""
    seeded = seed_records(basic)
    ids = seeded["ids"]
    other = basic.client(seeded["users"]["supervisor"])  # a second session with its own token
    checked = 0
    clients = {}  # one signed-in client per role: the refusal must not depend on a fresh session
    audit_before = _audit_count(app)
    for rule, method, endpoint in api_routes(app):
        if method not in WRITE_METHODS or authz.endpoint_is_public(app, endpoint):
            continue
        g = guard(app, endpoint)
        role = next((r for r in CASE_WORK_ROLES + ("admin", "auditor") if r in roles_allowed(app, *g)), "coordinator")
        c = clients.get(role) or clients.setdefault(role, basic.client(seeded["users"][role]))
        url = fill(rule, ids)
        for headers in ({}, {"X-CSRF-Token": "forged-" + secrets.token_urlsafe(16)}, {"X-CSRF-Token": other.csrf},
                        {"Authorization": "Bearer cf_not-a-real-token"}):
            r = c.http.open(url, method=method, json={}, headers=headers)
            _problem(r, 403, "csrf")
        checked += 1
    assert checked >= 40
    # Refused before any view ran: nothing was written, not even an audit event (apart from the logins).
    from caseflow.audit.models import AuditEvent
    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.seq > audit_before)).all()
    assert set(actions) <= {"auth.login"}, set(actions)


def _audit_count(app) -> int:
    from sqlalchemy import func

    from caseflow.audit.models import AuditEvent
    with app.app_context():
        return db.session().scalar(select(func.coalesce(func.max(AuditEvent.seq), 0)))


# --- tokens ----------------------------------------------------------------------------------------

def test_token_lifetime_is_bounded(basic):
    c = basic.client("coord@example.jp")
    for days in (0, -1, 366, 10_000):
        _problem(c.post("/api/v1/auth/tokens", json={"name": "t", "days": days}), 422, "validation")
    issued = c.post("/api/v1/auth/tokens", json={"name": "t", "days": 365}).get_json()
    from datetime import datetime

    lifetime = datetime.fromisoformat(issued["expires_at"]) - now()
    assert timedelta(days=364) < lifetime <= timedelta(days=365)


def test_token_expiry_revocation_and_owner_deactivation(app, basic):
    c = basic.client("coord@example.jp")
    a = c.post("/api/v1/auth/tokens", json={"name": "a"}).get_json()
    b = c.post("/api/v1/auth/tokens", json={"name": "b"}).get_json()
    anon = basic.client()
    bearer = lambda t: {"Authorization": f"Bearer {t['token']}"}
    assert anon.get("/api/v1/auth/me", headers=bearer(a)).status_code == 200
    # revoked: refused at once, for reads and writes
    assert c.delete(f"/api/v1/auth/tokens/{a['id']}").status_code == 204
    _problem(anon.get("/api/v1/auth/me", headers=bearer(a)), 401)
    _problem(anon.post("/api/v1/cases", json={"intake_channel": "chat", "anonymous_label": "x"}, headers=bearer(a)), 401)
    # expired one second ago: refused
    from caseflow.accounts.models import ApiToken
    with app.app_context():
        tok = db.session().get(ApiToken, uuid.UUID(b["id"]))
        tok.expires_at = db.utcnow() - timedelta(seconds=1)
        db.session().commit()
    _problem(anon.get("/api/v1/cases", headers=bearer(b)), 401)
    # a token is not a session cookie, and a session id is not a token
    anon.http.set_cookie("caseflow_session", a["token"])
    _problem(anon.get("/api/v1/auth/me"), 401)
    # the owner deactivated: every token of theirs stops
    live = c.post("/api/v1/auth/tokens", json={"name": "live"}).get_json()
    assert anon.get("/api/v1/auth/me", headers=bearer(live)).status_code == 200
    r = basic.client("admin@example.jp").patch(f"/api/v1/users/{basic.users['coord@example.jp']}", json={"active": False})
    assert r.status_code == 200
    _problem(basic.client().get("/api/v1/auth/me", headers=bearer(live)), 401)


def test_logout_ends_the_session_and_its_csrf_token(basic):
    c = basic.client("coord@example.jp")
    cookie, token = c.http.get_cookie("caseflow_session").value, c.csrf
    assert c.post("/api/v1/auth/logout").status_code == 204
    replay = basic.client()
    replay.http.set_cookie("caseflow_session", cookie)
    r = replay.http.post("/api/v1/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token})
    _problem(r, 401)


# --- security headers -------------------------------------------------------------------------------

def _check_headers(r, where, production=False):
    h = r.headers
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    if not where.startswith("/api/docs"):
        assert "default-src 'none'" in csp, where
    assert "no-store" in h.get("Cache-Control", ""), (where, h.get("Cache-Control"))
    assert h.get("Referrer-Policy") == "no-referrer", where
    assert h.get("X-Request-ID"), where
    if production:
        assert h.get("Strict-Transport-Security", "").startswith("max-age="), where


def _boom_route(app):
    @app.route("/api/v1/test-boom")
    @authz.public
    def test_boom():  # an unexpected error whose message holds personal data
        raise RuntimeError(f"{YAMADA['name']} {YAMADA['phone']} {HANAKO['name']}")


def test_security_headers_on_every_response(app, basic):
    """Every route with real ids, as a user who may use it (GET) and as one refused (writes without CSRF), plus
    every kind of error: 401, 404, 405, 413, 415, 422, 500, the OpenAPI document and the docs page."""
    _boom_route(app)
    seeded = seed_records(basic)
    ids = seeded["ids"]
    seen = 0
    clients = {}  # one signed-in client per role (a sign-in per route would hash the password each time)
    for rule, method, endpoint in api_routes(app):
        g = guard(app, endpoint)
        role = "coordinator" if g is None else next(
            (r for r in CASE_WORK_ROLES + ("auditor", "admin") if r in roles_allowed(app, *g)), "coordinator")
        c = clients.get(role) or clients.setdefault(role, basic.client(seeded["users"][role]))
        url = fill(rule, ids)
        if method == "GET":
            r = c.get(url, query_string={"fiscal_year": 2026} if "/reports/" in url else None)
        else:
            r = c.http.open(url, method=method, json={})
        _check_headers(r, f"{method} {url} -> {r.status_code}")
        seen += 1
    anon = basic.client()
    c = basic.client(seeded["users"]["coordinator"])
    extra = [
        anon.get("/api/v1/cases"),
        anon.get("/api/v1/no-such-thing"),
        c.http.put("/api/v1/auth/me"),
        c.post("/api/v1/cases", data="x" * (app.config["MAX_CONTENT_LENGTH"] + 1), content_type="application/json"),
        c.post("/api/v1/cases", data="intake_channel=chat", content_type="application/x-www-form-urlencoded"),
        c.post("/api/v1/cases", json={"intake_channel": "telepathy"}),
        anon.get("/api/v1/test-boom"),
        anon.get("/api/openapi.json"),
        anon.get("/api/docs"),
    ]
    statuses = [r.status_code for r in extra]
    assert statuses == [401, 404, 405, 413, 415, 422, 500, 200, 200], statuses
    for r, where in zip(extra, ["401", "404", "405", "413", "415", "422", "500", "/api/openapi.json", "/api/docs"]):
        _check_headers(r, where)
    assert seen >= 80


def test_hsts_and_headers_on_every_response_in_production(production):
    c = production.test_client()
    login = c.post("/api/v1/auth/login", json={"email": "coord@example.jp", "password": PASSWORD})
    _check_headers(login, "login", production=True)
    csrf = login.get_json()["csrf_token"]
    for rule, method, endpoint in api_routes(production):
        url = fill(rule, {n: new_uuid() if n != "seq" and n != "list_name" else ("1" if n == "seq" else "district")
                          for n in path_params(rule)})
        r = c.open(url, method=method, json={}, headers={"X-CSRF-Token": csrf})
        _check_headers(r, f"{method} {url} -> {r.status_code}", production=True)
    _check_headers(c.get("/api/v1/nothing"), "404", production=True)


# --- no personal data in the logs ------------------------------------------------------------------

def _log_texts(records):
    for rec in records:
        parts = [rec.getMessage(), rec.name]
        if rec.exc_info:
            parts.append("".join(traceback.format_exception(*rec.exc_info)))
        if rec.exc_text:
            parts.append(rec.exc_text)
        if rec.stack_info:
            parts.append(rec.stack_info)
        text = "\n".join(parts)
        yield rec, text, unquote(text), unquote_plus(text)


CLIENT_LOGGERS = ("urllib3", "requests", "charset_normalizer")


def _squash(s: str) -> str:
    return without_spaces(unicodedata.normalize("NFKC", s))


def test_no_personal_data_in_application_logs(app, basic, caplog):
    """A full day's scenario on a live server (so werkzeug's access log runs too), every log record captured at
    DEBUG, then scanned for every personal value of the scenario's persons — raw, URL-decoded, NFKC, unspaced."""
    _boom_route(app)
    caplog.set_level(logging.DEBUG)
    for name in ("caseflow", "werkzeug", "flask.app"):
        caplog.set_level(logging.DEBUG, logger=name)
    seeded = seed_records(basic)
    ids, users = seeded["ids"], seeded["users"]
    with live_server(app) as base:
        coord = Http(base, users["coordinator"])
        npo = Http(base, users["npo_staff"])
        sup = Http(base, users["supervisor"])
        auditor = Http(base, users["auditor"])
        steps = []

        def step(r, *ok):
            steps.append(r.status_code)
            assert r.status_code in ok, (r.status_code, r.text[:300])
            return r

        case = step(coord.post("/api/v1/cases", {
            "intake_channel": "counter", "issues": ["hikikomori"], "summary": "8050世帯の相談",
            "household": {"address": "鎌倉市大船一丁目2-3", "district": "ofuna",
                          "members": [{"person": YAMADA, "relationship": "self", "in_need": True},
                                      {"person": HANAKO, "relationship": "parent"}]}}), 201).json()
        step(coord.get(f"/api/v1/cases/{case['id']}"), 200)
        step(coord.get("/api/v1/cases", params={"q": YAMADA["name"]}), 200)
        step(coord.get("/api/v1/cases", params={"q": YAMADA["name_kana"]}), 200)
        step(coord.get("/api/v1/persons", params={"q": "やまだ"}), 200)
        primary = next(p for p in case["persons"] if p["is_primary"])
        step(coord.post("/api/v1/consents", {
            "person_id": primary["id"], "purpose": "support_coordination", "method": "written",
            "recipients": [{"org_id": str(basic.orgs[ORG_A_NPO])}], "categories": ["identity", "contact"],
            "obtained_at": now().isoformat()}), 201)
        step(npo.get(f"/api/v1/cases/{ids['case_id']}"), 200)
        step(npo.post(f"/api/v1/cases/{ids['case_id']}/emergency-access", {
            "person_id": ids["person_id"],
            "justification": f"{YAMADA['name']}さん（{YAMADA['phone']}）から自殺をほのめかす連絡があり安否確認が必要"}), 201)
        tag = coord.get(f"/api/v1/cases/{case['id']}").headers["ETag"]
        step(coord.patch(f"/api/v1/cases/{case['id']}", {"summary": f"{YAMADA['name']}の件 8050世帯の相談"},
                         headers={"If-Match": tag}), 200)
        step(coord.patch(f"/api/v1/cases/{case['id']}", {"summary": "古い版"}, headers={"If-Match": tag}), 412)
        step(coord.post(f"/api/v1/cases/{ids['case_id']}/progress", {
            "kind": "visit", "occurred_on": today_jst().isoformat(), "body": f"{YAMADA['name']}宅を訪問。本人メモ"}), 201)
        step(sup.get(f"/api/v1/meetings/{ids['meeting_id']}/agenda.pdf"), 200)
        step(auditor.get("/api/v1/audit-events/export.csv"), 200)
        step(auditor.get(f"/api/v1/audit-events/persons/{ids['person_id']}/report"), 200)
        # errors carrying personal data in their input
        step(coord.post("/api/v1/persons", {**YAMADA, "birth_date": "2999-01-01"}), 422)
        step(coord.post("/api/v1/persons", {**YAMADA, "no_such_field": YAMADA["name"]}), 422)
        step(coord.post("/api/v1/cases", {"intake_channel": "counter", "anonymous_label": "\x00" + YAMADA["name"]}), 422)
        step(coord.session.post(base + "/api/v1/persons", data=json.dumps(YAMADA, ensure_ascii=False)[:-3],
                                headers={"Content-Type": "application/json", "X-CSRF-Token": coord.csrf}), 400)
        step(coord.session.post(base + "/api/v1/persons", headers={"X-CSRF-Token": coord.csrf,
                                "Content-Type": "application/json"},
                                data=json.dumps({"notes": YAMADA["name"] * 200_000}, ensure_ascii=False)), 413)
        step(coord.session.post(base + "/api/v1/persons", json=YAMADA), 403)  # no CSRF header
        step(requests.post(base + "/api/v1/auth/login", json={"email": YAMADA["email"], "password": YAMADA["phone"]}), 401)
        step(requests.get(base + "/api/v1/test-boom"), 500)
        step(Http(base, users["coordinator"]).get(f"/api/v1/persons/{primary['id']}"), 200)
    assert len(steps) >= 20
    values = personal_values() + [YAMADA["sensitive"]["health"], YAMADA["line_id"], YAMADA["notes"]]
    records = caplog.records
    assert any(r.name == "werkzeug" for r in records), "the access log was not captured"
    assert any("unhandled RuntimeError" in r.getMessage() for r in records)
    leaks = []
    # The test's own HTTP client (requests/urllib3) logs the URLs it calls: not the application's logs.
    app_records = [r for r in records if not r.name.startswith(CLIENT_LOGGERS)]
    for rec, *texts in _log_texts(app_records):
        for text in texts:
            squashed = _squash(text)
            leaks += [(rec.name, v, text[:200]) for v in values if v in text or _squash(v) in squashed]
    assert leaks == [], leaks


# --- IDOR ---------------------------------------------------------------------------------------

# Path parameters that are platform-wide by design, not one organisation's records.
SHARED_BY_DESIGN = {
    "org_id": "the organisation directory is the platform's own, readable by every user",
    "list_name": "managed code lists are reference data",
    "event_id": "a municipality's events are its platform's own (no personal data); the municipality bound is "
                "tested in tests/events/test_events.py",
    "code": "plan indicators are the municipality's, not one organisation's (caseflow.indicators)",
    "fiscal_year": "plan indicators are the municipality's, not one organisation's (caseflow.indicators)",
}
# Resources whose only permitted roles administer or audit a municipality: its secretariat (organisations,
# users, memberships, directory entries, code lists), an organisation's admin (its users), auditors (the
# municipality's trail), the secretariat's intake apps (府中市). There is no "other organisation" for them; their
# municipality bound is tested in tests/test_insider_attacks.py (intake apps: tests/intake/test_app_intake.py).
PLATFORM_RESOURCES = {"users": {"admin", "secretariat"}, "organizations": {"secretariat"},
                      "directory": {"secretariat"}, "audit": {"auditor"}, "codes": {"secretariat"},
                      "memberships": {"secretariat"}, "intake_clients": {"secretariat"}}


def _idor_bodies(ids, b_org):
    """Valid bodies, so that only visibility can be the reason for a refusal."""
    today = today_jst().isoformat()
    return {
        "cases.update_case": {"urgency": "high"},
        "cases.transition_case": {"to": "referral", "reason": "紹介"},
        "cases.add_progress": {"kind": "visit", "occurred_on": today, "body": "訪問"},
        "cases.open_emergency_access": {"person_id": ids["person_id"], "justification": "安否確認が必要な緊急の状況のため" * 2},
        "plans.create_assessment": {"assessed_on": today, "strengths": "料理が得意"},
        "plans.add_contribution": {"domain": "health", "risk_level": "low", "note": "所見"},
        "plans.create_plan": {"policy": "方針"},
        "plans.update_plan": {"policy": "方針"},
        "plans.add_goal": {"text": "目標"},
        "plans.update_goal": {"text": "目標"},
        "plans.create_task": {"owner_org_id": str(b_org), "title": "訪問", "due_on": today},
        "households.update_household": {"address": "鎌倉市"},
        "households.add_member": {"person": {"name": "山田 次郎"}, "relationship": "child"},
        "households.end_member": {"until": today, "reason_code": "moved_out"},
        "households.add_relationship": {"from_person_id": ids["person_id"], "to_person_id": str(uuid.uuid4()),
                                        "relation": "child"},
        "households.end_relationship": {"reason": "誤登録"},
        "persons.update_person": {"phone": "090-1111-2222"},
        "consents.revoke_consent": {"reason": "撤回"},
        "referrals.decline_referral": {"reason": "受入枠なし"},
        "referrals.withdraw_referral": {"reason": "取り下げ"},
        "referrals.complete_referral": {"reason": "完了"},
        "meetings.update_meeting": {"title": "変更"},
        "meetings.add_agenda_item": {"topic": "議題"},
        "meetings.update_agenda_item": {"points": "協議事項"},
        "meetings.write_minutes": {"body": "記録"},
        "meetings.correct_minutes": {"body": "記録", "reason": "誤記"},
        "meetings.reorder_agenda": {"item_ids": [ids["item_id"]]},
        "meetings.record_decision": {"agenda_item_id": ids["item_id"], "title": "決定", "owner_org_id": str(b_org),
                                     "due_on": today},
        "meetings.transition_meeting": {"to": "held"},
        "tasks.update_task": {"title": "変更"},
        "tasks.transition_task": {"to": "in_progress"},
        "duty.set_duty": {"user_id": str(uuid.uuid4())},
    }


def _snapshot(app, ids):
    """What org A's records look like, to prove the other organisation's calls changed nothing."""
    from caseflow.accounts.models import ApiToken
    from caseflow.cases.models import Case, Household, Person, ProgressRecord
    from caseflow.consents.models import Consent, EmergencyAccess
    from caseflow.meetings.models import Meeting
    from caseflow.plans.models import PlanTask
    from caseflow.referrals.models import Referral
    with app.app_context():
        s = db.session()
        get = lambda m, k: s.get(m, uuid.UUID(ids[k]))
        return {
            "case": (get(Case, "case_id").version, get(Case, "case_id").stage),
            "progress": len(s.scalars(select(ProgressRecord.id).where(ProgressRecord.case_id == uuid.UUID(ids["case_id"]))).all()),
            "person": get(Person, "person_id").version,
            "household": get(Household, "household_id").version,
            "consent": get(Consent, "consent_id").revoked_at,
            "access": get(EmergencyAccess, "access_id").closed_at,
            "referral": get(Referral, "referral_id").state,
            "meeting": (get(Meeting, "meeting_id").version, get(Meeting, "meeting_id").status),
            "task": (get(PlanTask, "task_id").status, get(PlanTask, "task_id").title),
            "token": get(ApiToken, "token_id").revoked_at,
        }


def test_another_organisations_ids_answer_404_on_every_route(app, basic):
    """For every route with an id in its path and every method: a user of another organisation, in a role that
    may use the route, sending organisation A's real id gets 404 — exactly what a random id gets — never a 403
    or 412/428 that would confirm the record exists, and nothing changes."""
    seeded = seed_records(basic)
    ids = seeded["ids"]
    b_users = role_users(basic, "b", ORG_B, ORG_B_NPO)
    bodies = _idor_bodies(ids, basic.orgs[ORG_B])
    before = _snapshot(app, ids)
    clients, checked, shared = {}, [], []
    for rule, method, endpoint in api_routes(app):
        params = path_params(rule)
        if not params or authz.endpoint_is_public(app, endpoint):
            continue
        missing = [p for p in params if p not in ids]
        assert not missing, f"{rule.rule}: seed a record for {missing} in tests/support.py seed_records"
        if set(params) <= set(SHARED_BY_DESIGN):
            shared.append((method, rule.rule))
            continue
        resource, action = guard(app, endpoint)
        allowed = roles_allowed(app, resource, action)
        role = next((r for r in CASE_WORK_ROLES if r in allowed), None)
        if role is None:
            assert set(allowed) <= PLATFORM_RESOURCES.get(resource, set()), \
                f"{method} {rule.rule}: only {allowed} may use it; classify {resource!r} in PLATFORM_RESOURCES"
            shared.append((method, rule.rule))
            continue
        if role not in clients:
            clients[role] = basic.client(b_users[role])
        c = clients[role]
        body = bodies.get(endpoint, {})
        headers = {"If-Match": '"1"'} if method in ("PATCH", "PUT") else {}
        real = c.http.open(fill(rule, ids), method=method, json=body, headers=c._headers(headers))
        fake_ids = {k: (new_uuid() if k.endswith("_id") else v) for k, v in ids.items()}
        fake_ids["seq"] = 10**9
        fake = c.http.open(fill(rule, fake_ids), method=method, json=body, headers=c._headers(headers))
        where = f"{method} {rule.rule} as {role} of {ORG_B}"
        assert real.status_code == fake.status_code, (where, real.status_code, real.get_json(), fake.status_code)
        if endpoint in bodies or real.status_code != 422:
            assert real.status_code == 404, (where, real.status_code, real.get_json())
        assert real.mimetype == "application/problem+json", where
        assert real.get_json()["type"] == fake.get_json()["type"], where
        text = real.get_data(as_text=True)
        assert not [v for v in personal_values() if v in text], where
        checked.append((method, rule.rule))
    assert len(checked) >= 40, checked
    assert _snapshot(app, ids) == before
    # the exemptions are few and each is justified above
    # (an event's participants are kept by its organiser, its recorder and the secretariat: 403 for others,
    # tested in tests/events/test_events.py)
    assert all(m == "GET" or "organizations" in r or "users" in r or "codes" in r or "audit-events" in r
               or "municipalities" in r or "role-requests" in r or "events" in r or "intake-clients" in r
               or "indicators" in r for m, r in shared), shared


# --- request limits ------------------------------------------------------------------------------

def _write_routes(app, ids):
    for rule, method, endpoint in api_routes(app):
        if method in ("POST", "PUT", "PATCH"):
            yield fill(rule, ids), method, endpoint


def test_every_write_route_refuses_an_oversized_body(app, basic):
    seeded = seed_records(basic)
    c = basic.client(seeded["users"]["coordinator"])
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit <= 1024 * 1024
    big = json.dumps({"summary": "あ" * (limit // 3 + 10)}, ensure_ascii=False)
    n = 0
    for url, method, _ in _write_routes(app, seeded["ids"]):
        r = c.http.open(url, method=method, data=big, content_type="application/json",
                        headers={"X-CSRF-Token": c.csrf})
        _problem(r, 413)
        n += 1
    assert n >= 40


def test_hostile_bodies_are_4xx_on_every_write_route(app, basic):
    """Nesting past the parser's limit, NUL characters and lone surrogates: refused as bad input, never a 500
    (PostgreSQL cannot store NUL; a lone surrogate cannot be encoded)."""
    seeded = seed_records(basic)
    c = basic.client(seeded["users"]["coordinator"])
    bodies = {
        "deep nesting": ("[" * 100_000 + "]" * 100_000, 400),
        "NUL": (json.dumps({"name": "山田\u0000太郎", "title": "\u0000", "summary": "x\u0000",
                            "reason": "\u0000", "body": "\u0000"}), 422),
        "lone surrogate": ('{"name": "\\ud800", "title": "\\udfff", "summary": "\\ud800x", "body": "\\udc00"}', 422),
        "NUL in a key": ('{"a\\u0000b": 1}', 422),
    }
    for url, method, _ in _write_routes(app, seeded["ids"]):
        for label, (data, status) in bodies.items():
            r = c.http.open(url, method=method, data=data, content_type="application/json",
                            headers={"X-CSRF-Token": c.csrf})
            assert r.status_code == status, (label, method, url, r.status_code, r.get_data(as_text=True)[:200])
            assert r.mimetype == "application/problem+json"


def test_nul_in_query_strings_and_paths_is_4xx_on_every_route(app, basic):
    seeded = seed_records(basic)
    c = basic.client(seeded["users"]["coordinator"])
    for rule, method, endpoint in api_routes(app):
        if method != "GET":
            continue
        url = fill(rule, seeded["ids"])
        r = c.get(url + "?q=%00&district=%00&field=a%00b&kind=%00&status=%00")
        assert 400 <= r.status_code < 500, (url, r.status_code)
    r = c.get("/api/v1/codes/dist%00rict")
    assert 400 <= r.status_code < 500


def test_a_streamed_oversized_body_is_refused(app, basic):
    """Chunked transfer has no Content-Length to check up front; the limit still holds (413)."""
    with live_server(app) as base:
        h = Http(base, "coord@example.jp")

        def chunks():
            for _ in range(3 * 1024):
                yield b"x" * 1024

        r = h.session.post(base + "/api/v1/cases", data=chunks(), timeout=60,
                           headers={"Content-Type": "application/json", "X-CSRF-Token": h.csrf})
        assert r.status_code == 413, r.text[:300]
        assert r.headers["Content-Type"].startswith("application/problem+json")
