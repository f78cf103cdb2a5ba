def test_health_is_public(app):
    r = app.test_client().get("/api/v1/health")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok"}


def test_login_me_logout(basic):
    c = basic.client("coord@example.jp")
    r = c.get("/api/v1/auth/me")
    assert r.status_code == 200
    body = r.get_json()
    assert body["email"] == "coord@example.jp"
    assert body["roles"] == ["coordinator"]
    assert body["org"]["code"] == "kmk-chiiki"
    assert "read" in body["permissions"]["cases"]
    assert body["permissions"]["audit"] == []
    r = c.post("/api/v1/auth/logout")
    assert r.status_code == 204
    assert c.get("/api/v1/auth/me").status_code == 401
