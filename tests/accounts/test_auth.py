"""Login, sessions, CSRF, lockout and API tokens, through the HTTP API."""
from datetime import timedelta

from conftest import PASSWORD


def test_wrong_password_is_a_problem_and_audited(basic):
    c = basic.client()
    r = c.post("/api/v1/auth/login", json={"email": "coord@example.jp", "password": "nope-nope-nope"})
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["status"] == 401 and body["type"].endswith("invalid-credentials")
    assert "coord@example.jp" not in r.get_data(as_text=True)
    auditor = basic.client("auditor@example.jp")
    events = auditor.get("/api/v1/audit-events?action=auth.login&outcome=denied").get_json()["items"]
    assert [e["detail"]["reason"] for e in events] == ["bad_password"]


def test_unknown_email_answers_like_a_wrong_password(basic):
    r = basic.client().post("/api/v1/auth/login", json={"email": "ghost@example.jp", "password": PASSWORD})
    assert r.status_code == 401
    assert r.get_json()["type"].endswith("invalid-credentials")


def test_repeated_failures_lock_the_account(basic):
    c = basic.client()
    for _ in range(5):
        assert c.post("/api/v1/auth/login", json={"email": "npo@example.jp", "password": "wrong-password-x"}).status_code == 401
    r = c.post("/api/v1/auth/login", json={"email": "npo@example.jp", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 60
    assert r.get_json()["type"].endswith("account-locked")


def test_login_rotates_the_session_cookie_and_logout_revokes_it_server_side(basic):
    c = basic.client()
    c.login("coord@example.jp")
    first = c.http.get_cookie("caseflow_session").value
    c.login("coord@example.jp")
    second = c.http.get_cookie("caseflow_session").value
    assert first != second
    # Replay the old cookie after logout: the server-side session is gone.
    assert c.post("/api/v1/auth/logout").status_code == 204
    replay = basic.client()
    replay.http.set_cookie("caseflow_session", second)
    assert replay.get("/api/v1/auth/me").status_code == 401


def test_session_cookie_flags(basic):
    r = basic.client().http.post("/api/v1/auth/login", json={"email": "coord@example.jp", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_cookie_writes_need_the_csrf_header(basic):
    c = basic.client("admin@example.jp")
    token = c.csrf
    c.csrf = None
    r = c.post("/api/v1/auth/tokens", json={"name": "x"})
    assert r.status_code == 403 and r.get_json()["type"].endswith("csrf")
    c.csrf = "forged"
    assert c.post("/api/v1/auth/tokens", json={"name": "x"}).status_code == 403
    c.csrf = token
    assert c.post("/api/v1/auth/tokens", json={"name": "x"}).status_code == 201


def test_bearer_token_lifecycle(basic):
    c = basic.client("coord@example.jp")
    r = c.post("/api/v1/auth/tokens", json={"name": "連携システム", "days": 30})
    assert r.status_code == 201
    issued = r.get_json()
    raw = issued["token"]
    assert raw.startswith("cf_") and issued["prefix"] == raw[:10]
    bearer = basic.client()
    auth = {"Authorization": f"Bearer {raw}"}
    me = bearer.get("/api/v1/auth/me", headers=auth)
    assert me.status_code == 200 and me.get_json()["auth_method"] == "token"
    # Token requests need no CSRF header (no cookie is involved) ...
    r = bearer.post("/api/v1/cases", json={"intake_channel": "chat", "anonymous_label": "連携テスト"}, headers=auth)
    assert r.status_code == 201, r.get_json()
    # ... but a token cannot mint tokens (tests/test_attacks_hardening.py): only a login session can.
    assert bearer.post("/api/v1/auth/tokens", json={"name": "second"}, headers=auth).status_code == 403
    c.post("/api/v1/auth/tokens", json={"name": "second"})
    listed = c.get("/api/v1/auth/tokens").get_json()
    assert {t["name"] for t in listed} == {"連携システム", "second"}
    assert all("token" not in t for t in listed)
    assert c.delete(f"/api/v1/auth/tokens/{issued['id']}").status_code == 204
    assert bearer.get("/api/v1/auth/me", headers=auth).status_code == 401
    assert bearer.get("/api/v1/auth/me", headers={"Authorization": "Bearer cf_not-a-token"}).status_code == 401


def test_expired_token_is_refused(basic, app):
    c = basic.client("coord@example.jp")
    issued = c.post("/api/v1/auth/tokens", json={"name": "short"}).get_json()
    from caseflow.accounts.models import ApiToken
    from caseflow.core import db

    with app.app_context():
        tok = db.session().get(ApiToken, __import__("uuid").UUID(issued["id"]))
        tok.expires_at = db.utcnow() - timedelta(seconds=1)
        db.session().commit()
    r = basic.client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {issued['token']}"})
    assert r.status_code == 401


def test_another_users_token_cannot_be_revoked(basic):
    mine = basic.client("coord@example.jp").post("/api/v1/auth/tokens", json={"name": "t"}).get_json()
    other = basic.client("npo@example.jp")
    assert other.delete(f"/api/v1/auth/tokens/{mine['id']}").status_code == 404


def test_deactivating_a_user_ends_their_sessions_and_tokens(basic):
    npo = basic.client("npo@example.jp")
    raw = npo.post("/api/v1/auth/tokens", json={"name": "t"}).get_json()["token"]
    admin = basic.client("admin@example.jp")
    uid = str(basic.users["npo@example.jp"])
    r = admin.patch(f"/api/v1/users/{uid}", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert npo.get("/api/v1/auth/me").status_code == 401
    assert basic.client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    r = basic.client().post("/api/v1/auth/login", json={"email": "npo@example.jp", "password": PASSWORD})
    assert r.status_code == 401


def test_weak_password_is_refused_with_the_field_named(basic):
    admin = basic.client("admin@example.jp")
    r = admin.post("/api/v1/users", json={"org_code": "kmm-npo", "email": "new@example.jp", "display_name": "新規",
                                          "password": "short", "roles": ["npo_staff"]})
    assert r.status_code == 422
    assert "password" in r.get_json()["errors"]
