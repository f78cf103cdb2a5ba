"""Organisations and users through the API: who may manage them, and what others see."""


def test_admin_creates_organisation_and_user(basic):
    admin = basic.client("admin@example.jp")
    r = admin.post("/api/v1/organizations", json={"code": "kmm-minori", "name": "一般社団法人 minori", "kind": "association"})
    assert r.status_code == 201, r.get_json()
    org = r.get_json()
    assert org["name"] == "一般社団法人 minori" and org["kind"] == "association"
    r = admin.post("/api/v1/users", json={"org_code": "kmm-minori", "email": "Staff@Minori.example.jp",
                                          "display_name": "佐藤 花子", "password": "a-long-enough-passphrase",
                                          "roles": ["npo_staff"]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["email"] == "staff@minori.example.jp"
    login = basic.client().post("/api/v1/auth/login", json={"email": "staff@minori.example.jp",
                                                             "password": "a-long-enough-passphrase"})
    assert login.status_code == 200


def test_duplicate_codes_and_emails_conflict(basic):
    admin = basic.client("admin@example.jp")
    r = admin.post("/api/v1/organizations", json={"code": "kmm-npo", "name": "重複", "kind": "npo"})
    assert r.status_code == 409 and "code" in r.get_json()["errors"]
    r = admin.post("/api/v1/users", json={"org_code": "kmm-npo", "email": "npo@example.jp", "display_name": "x",
                                          "password": "a-long-enough-passphrase", "roles": ["npo_staff"]})
    assert r.status_code == 409 and "email" in r.get_json()["errors"]


def test_non_admins_cannot_manage_accounts_and_the_attempt_is_audited(basic):
    coord = basic.client("coord@example.jp")
    r = coord.post("/api/v1/organizations", json={"code": "evil", "name": "x", "kind": "npo"})
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    assert coord.get("/api/v1/users").status_code == 403
    events = basic.client("auditor@example.jp").get("/api/v1/audit-events?outcome=denied").get_json()["items"]
    assert {(e["action"], e["actor_user_id"]) for e in events} >= {
        ("organizations.create", str(basic.users["coord@example.jp"])),
        ("users.read", str(basic.users["coord@example.jp"])),
    }


def test_supervisor_sees_only_own_organisation_users(basic):
    sup = basic.client("super@example.jp")
    emails = {u["email"] for u in sup.get("/api/v1/users").get_json()["items"]}
    assert emails == {"coord@example.jp", "super@example.jp"}
    npo_id = basic.users["npo@example.jp"]
    assert sup.get(f"/api/v1/users/{npo_id}").status_code == 404
    assert sup.patch(f"/api/v1/users/{npo_id}", json={"active": False}).status_code == 403


def test_organisation_directory_is_readable_by_every_user_and_paginated(basic):
    npo = basic.client("npo@example.jp")
    page1 = npo.get("/api/v1/organizations?limit=2").get_json()
    page2 = npo.get("/api/v1/organizations?limit=2&offset=2").get_json()
    codes = [o["code"] for o in page1["items"] + page2["items"]]
    assert codes == sorted(codes) and len(set(codes)) == 4
    assert page1["has_more"] is True and page2["has_more"] is False
    assert npo.get("/api/v1/organizations?q=テスト").get_json()["items"][0]["code"] == "kmm-npo"


def test_admin_cannot_deactivate_itself(basic):
    admin = basic.client("admin@example.jp")
    r = admin.patch(f"/api/v1/users/{basic.users['admin@example.jp']}", json={"active": False})
    assert r.status_code == 409
