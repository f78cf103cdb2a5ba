"""Bad input never reaches a 500: every write endpoint answers problem+json 4xx, field named."""
import re

import pytest

from caseflow.access import authz

FAKE_ID = "00000000-0000-4000-8000-000000000000"


def _write_routes(app):
    for rule in app.url_map.iter_rules():
        if authz.endpoint_is_public(app, rule.endpoint) and rule.endpoint != "auth.login":
            continue
        for method in sorted(rule.methods & {"POST", "PATCH", "PUT"}):
            yield re.sub(r"<(?:[a-z]+:)?[a-z_]+>", FAKE_ID, rule.rule), method


BAD_BODIES = [
    ("malformed JSON", dict(data='{"name": ', content_type="application/json")),
    ("a JSON array", dict(json=[1, 2, 3])),
    ("wrong types", dict(json={"name": 123, "code": ["x"], "kind": {}, "email": 5, "password": 7, "roles": "admin",
                              "days": "many", "active": "yes", "display_name": 1.5, "org_code": None})),
    ("unknown field", dict(json={"no_such_field": 1, "name": "x"})),
    ("over-long strings", dict(json={k: "長" * 100_000 for k in ("name", "code", "email", "display_name", "org_code")})),
]


@pytest.mark.parametrize("label,kwargs", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_are_4xx_problems_on_every_write_endpoint(app, basic, label, kwargs):
    admin = basic.client("admin@example.jp")
    routes = list(_write_routes(app))
    assert len(routes) >= 5
    for url, method in routes:
        r = admin.http.open(url, method=method, headers={"X-CSRF-Token": admin.csrf}, **kwargs)
        assert 400 <= r.status_code < 500, (label, method, url, r.status_code)
        assert r.mimetype == "application/problem+json", (label, url)
        body = r.get_json()
        assert {"type", "title", "status", "detail"} <= set(body)
        assert "Traceback" not in r.get_data(as_text=True)


def test_validation_errors_name_the_fields(basic):
    admin = basic.client("admin@example.jp")
    r = admin.post("/api/v1/organizations", json={"code": "ok-code", "name": "x" * 201, "kind": "castle", "extra": 1})
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert set(errors) == {"name", "kind", "extra"}
    r = admin.post("/api/v1/organizations", data="{", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["type"].endswith("validation")


def test_routing_errors_are_problems(basic):
    c = basic.client("coord@example.jp")
    r = c.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    r = c.http.put("/api/v1/auth/me")
    assert r.status_code == 405 and r.mimetype == "application/problem+json"
    assert "GET" in r.headers["Allow"]
    r = c.get(f"/api/v1/organizations/{FAKE_ID}")
    assert r.status_code == 404 and r.get_json()["status"] == 404
    r = c.get("/api/v1/organizations/not-a-uuid")
    assert r.status_code == 404


def test_an_unexpected_error_is_a_500_problem_without_details(app, basic):
    @app.route("/api/v1/boom")
    @authz.public
    def boom():
        raise RuntimeError("secret value 山田太郎")

    r = app.test_client().get("/api/v1/boom")
    assert r.status_code == 500 and r.mimetype == "application/problem+json"
    text = r.get_data(as_text=True)
    assert "山田太郎" not in text and "RuntimeError" not in text and "Traceback" not in text
    assert r.get_json()["request_id"]


def test_oversized_request_is_413(basic):
    admin = basic.client("admin@example.jp")
    r = admin.post("/api/v1/organizations", data="x" * (2 * 1024 * 1024), content_type="application/json")
    assert r.status_code == 413 and r.mimetype == "application/problem+json"


def test_query_parameters_are_validated(basic):
    c = basic.client("coord@example.jp")
    r = c.get("/api/v1/organizations?limit=100000")
    assert r.status_code == 422 and "limit" in r.get_json()["errors"]
    r = c.get("/api/v1/organizations?kind=castle")
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]
