"""府中市 (issue 20): an external app's intake API -- a scoped token that can only open anonymous consultations,
registered and revoked by the municipality's secretariat -- and the weekly summary to the city."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

TOKYO = timezone(timedelta(hours=9))
URL = "/api/v1/intake/consultations"


@pytest.fixture
def fuchu(basic):
    """basic's 鎌倉 platform (KVOAD its secretariat), with an app registered for 地域共生課."""
    admin = basic.client("admin@example.jp")
    r = admin.post("/api/v1/intake-clients", json={"name": "相談アプリ", "org_id": str(basic.orgs["kmk-chiiki"])})
    assert r.status_code == 201, r.get_json()
    return basic, admin, r.get_json()


def _app(world, token):
    http = world.app.test_client()

    def post(body, url=URL):
        return http.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    post.http = http
    return post


def _problem(r, status):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.content_type.startswith("application/problem+json")
    return r.get_json()


def test_the_app_opens_anonymous_consultations_and_can_do_nothing_else(fuchu):
    world, admin, client = fuchu
    token = client["token"]
    assert token.startswith("cfi_") and client["prefix"] == token[:10]
    listed = admin.get("/api/v1/intake-clients").get_json()
    assert [c["id"] for c in listed] == [client["id"]] and all("token" not in c for c in listed)
    app = _app(world, token)

    r = app({"handle": "アプリ #7f3a", "issues": ["bullying", "isolation"], "summary": "学校でいじめにあっている",
             "urgency": "high"})
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["urgency"] == "high" and first["escalated"] is False and first["case_number"]
    again = app({"handle": "アプリ #7f3a", "summary": "その後の相談"}).get_json()
    assert again["contact_id"] == first["contact_id"] and again["case_id"] != first["case_id"]

    # the receiving organisation sees an anonymous case of channel app, on the handle's contact
    coord = world.client("coord@example.jp")
    case = coord.get(f"/api/v1/cases/{first['case_id']}").get_json()
    assert case["intake_channel"] == "app" and case.get("primary_person") is None and not case.get("persons")
    assert case["anonymous_label"] == "アプリ #7f3a" and sorted(case["issues"]) == ["bullying", "isolation"]
    contact = coord.get(f"/api/v1/contacts/{first['contact_id']}").get_json()
    assert contact["channel"] == "app" and contact["contact_count"] == 2 and len(contact["cases"]) == 2
    # ... and nobody else does
    assert world.client("npo@example.jp").get(f"/api/v1/cases/{first['case_id']}").status_code in (403, 404)

    # it cannot name a person, and its values are checked field by field
    for extra in ({"person_id": first["case_id"]}, {"primary_person_id": first["case_id"]}, {"name": "山田 花子"},
                  {"household": {"members": []}}):
        assert set(_problem(app({"handle": "x", **extra}), 422)["errors"]) == set(extra)
    assert "issues" in _problem(app({"handle": "x", "issues": ["nope"]}), 422)["errors"]
    assert "urgency" in _problem(app({"handle": "x", "urgency": "panic"}), 422)["errors"]
    assert "handle" in _problem(app({"summary": "x"}), 422)["errors"]

    # the token reads nothing and writes nothing else
    http = app.http
    auth = {"Authorization": f"Bearer {token}"}
    for url in ("/api/v1/auth/me", "/api/v1/cases", f"/api/v1/cases/{first['case_id']}", "/api/v1/contacts",
                f"/api/v1/contacts/{first['contact_id']}", "/api/v1/persons", "/api/v1/organizations",
                "/api/v1/notifications", "/api/v1/intake-clients", "/api/v1/audit-events",
                "/api/v1/reports/intake-weekly?week=2026-W48"):
        _problem(http.get(url, headers=auth), 401)
    org = world.orgs["kmk-chiiki"]
    for method, url, body in (("post", "/api/v1/cases", {"intake_channel": "app", "anonymous_label": "x"}),
                              ("post", "/api/v1/intake-clients", {"name": "x", "org_id": str(org)}),
                              ("post", f"/api/v1/intake-clients/{client['id']}/revoke", None),
                              ("put", f"/api/v1/organizations/{org}/duty", {"user_id": str(org)}),
                              ("patch", f"/api/v1/cases/{first['case_id']}", {"urgency": "low"}),
                              ("post", "/api/v1/auth/tokens", {"name": "x", "days": 1})):
        _problem(getattr(http, method)(url, json=body, headers=auth), 401)

    # a user is not an app: no token 401, a logged-in worker 403 (audited)
    _problem(world.app.test_client().post(URL, json={"handle": "x"}), 401)
    _problem(coord.post(URL, json={"handle": "x"}), 403)

    # audited with the client as actor
    auditor = world.client("auditor@example.jp")
    events = auditor.get("/api/v1/audit-events", query_string={"action": "intake.consultations.create"}).get_json()
    assert {e["detail"]["intake_client_id"] for e in events["items"]} == {client["id"]}
    assert {e["actor_org_id"] for e in events["items"]} == {str(org)} and len(events["items"]) == 2
    assert all(e["actor_user_id"] is None for e in events["items"])

    # revoked: the token stops at once; a second revocation is a conflict
    r = admin.post(f"/api/v1/intake-clients/{client['id']}/revoke")
    assert r.status_code == 200 and r.get_json()["revoked_at"]
    _problem(app({"handle": "x"}), 401)
    _problem(admin.post(f"/api/v1/intake-clients/{client['id']}/revoke"), 409)


def test_only_the_municipalitys_secretariat_registers_apps_for_its_own_organisations(fuchu):
    world, admin, client = fuchu
    coord = world.client("coord@example.jp")
    _problem(coord.post("/api/v1/intake-clients", json={"name": "x", "org_id": str(world.orgs["kmk-chiiki"])}), 403)
    _problem(coord.get("/api/v1/intake-clients"), 403)
    world.municipality("fuchu", "府中市")
    world.org("fch-jimukyoku", "department", "府中市 事務局", municipality="fuchu")
    world.secretariat("fuchu", "fch-jimukyoku")
    world.user("fch-admin@example.jp", "fch-jimukyoku", "secretariat")
    other = world.client("fch-admin@example.jp")
    assert other.get("/api/v1/intake-clients").get_json() == []
    _problem(other.post(f"/api/v1/intake-clients/{client['id']}/revoke"), 404)
    assert "org_id" in _problem(other.post("/api/v1/intake-clients", json={
        "name": "x", "org_id": str(world.orgs["kmk-chiiki"])}), 422)["errors"]
    # a token is shown once: a bearer token of a user cannot register apps (a login session is needed)
    r = admin.post("/api/v1/auth/tokens", json={"name": "script", "days": 1})
    user_token = r.get_json()["token"]
    r = world.app.test_client().post("/api/v1/intake-clients", json={"name": "x", "org_id": str(world.orgs["kvoad"])},
                                     headers={"Authorization": f"Bearer {user_token}"})
    _problem(r, 403)
    # and a user's API token is no intake token
    _problem(_app(world, user_token)({"handle": "x"}), 403)


def _iso_week(d) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def test_weekly_summary_counts_by_urgency_and_issue_with_small_cells_suppressed(fuchu):
    world, _admin, client = fuchu
    app = _app(world, client["token"])
    for i, urgency in enumerate(["normal"] * 3 + ["high"] * 3 + ["critical"]):
        assert app({"handle": f"アプリ #{i}", "issues": ["bullying"], "urgency": urgency}).status_code == 201
    # a case opened at the window is not an app consultation
    coord = world.client("coord@example.jp")
    assert coord.post("/api/v1/cases", json={"intake_channel": "chat", "anonymous_label": "窓口", "issues": ["bullying"]}
                      ).status_code == 201
    week = _iso_week(datetime.now(TOKYO).date())
    r = coord.get("/api/v1/reports/intake-weekly", query_string={"week": week})
    assert r.status_code == 200, r.get_json()
    report = r.get_json()
    assert report["consultations"] == 7 and report["suppressed_below"] == 3
    # critical (1) is below 3; high (3) goes with it so it cannot be recovered from the total
    assert report["by_urgency"] == {"critical": None, "high": None, "normal": 3}
    assert report["by_issue"] == {"いじめ": 7}
    assert report["escalations"] == 0  # nobody on duty: nothing was sent (the refusal is in the audit trail)
    assert report["start"] <= datetime.now(TOKYO).date().isoformat() <= report["end"]
    last_year = coord.get("/api/v1/reports/intake-weekly", query_string={"week": "2025-W48"}).get_json()
    assert last_year["consultations"] == 0 and last_year["by_urgency"] == {}
    assert last_year["start"] == "2025-11-24" and last_year["end"] == "2025-11-30"
    assert "week" in _problem(coord.get("/api/v1/reports/intake-weekly", query_string={"week": "2026-48"}), 422)["errors"]
    assert "week" in _problem(coord.get("/api/v1/reports/intake-weekly", query_string={"week": "2025-W53"}), 422)["errors"]
    _problem(coord.get("/api/v1/reports/intake-weekly", query_string={"week": week, "audience": "internal"}), 403)
    _problem(world.client("npo@example.jp").get("/api/v1/reports/intake-weekly", query_string={"week": week}), 403)
