"""Consent records and emergency access through the API (issue 5)."""
from datetime import datetime, timedelta, timezone

from caseflow.core import db
from caseflow.referrals.models import Referral

from support import YAMADA, open_case


def _refer(app, basic, case, to_org="kmm-npo", state="pending"):
    import uuid

    with app.app_context():
        db.session().add(Referral(case_id=uuid.UUID(case["id"]), from_org_id=basic.orgs["kmk-chiiki"],
                                  to_org_id=basic.orgs[to_org], created_by_user_id=basic.users["coord@example.jp"],
                                  reason="紹介", requested_support="支援", state=state))
        db.session().commit()


def _consent(coord, person_id, org_id=None, kind=None, categories=("identity",), **extra):
    now = datetime.now(timezone.utc)
    recipient = {"org_id": str(org_id)} if org_id else {"org_kind": kind}
    body = {"person_id": person_id, "purpose": "support_coordination", "method": "written",
            "recipients": [recipient], "categories": list(categories),
            "obtained_at": now.isoformat(), "form_reference": "同意書 第12号", **extra}
    return coord.post("/api/v1/consents", json=body)


def _primary(case):
    return next(p["id"] for p in case["persons"] if p["is_primary"])


def test_revoking_consent_hides_data_on_the_very_next_request(app, basic):
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    _refer(app, basic, case)
    npo = basic.client("npo@example.jp")
    url = f"/api/v1/cases/{case['id']}"
    assert YAMADA["name"] not in npo.get(url).get_data(as_text=True)
    r = _consent(coord, _primary(case), org_id=basic.orgs["kmm-npo"], categories=["identity", "contact"])
    assert r.status_code == 201, r.get_json()
    consent = r.get_json()
    assert consent["status"] == "active" and consent["categories"] == ["contact", "identity"]
    body = npo.get(url).get_data(as_text=True)
    assert YAMADA["name"] in body and YAMADA["phone"] in body and YAMADA["sensitive"]["health"] not in body
    r = coord.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "本人から撤回の申し出"})
    assert r.status_code == 200 and r.get_json()["status"] == "revoked"
    body = npo.get(url).get_data(as_text=True)
    assert YAMADA["name"] not in body and YAMADA["phone"] not in body
    assert coord.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "again"}).status_code == 409


def test_consent_for_an_organisation_kind(app, basic):
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    _refer(app, basic, case)
    npo = basic.client("npo@example.jp")
    assert _consent(coord, _primary(case), kind="department").status_code == 201
    assert YAMADA["name"] not in npo.get(f"/api/v1/cases/{case['id']}").get_data(as_text=True)
    assert _consent(coord, _primary(case), kind="npo").status_code == 201
    assert YAMADA["name"] in npo.get(f"/api/v1/cases/{case['id']}").get_data(as_text=True)


def test_consent_is_never_edited_a_change_supersedes(app, basic):
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    pid = _primary(case)
    first = _consent(coord, pid, org_id=basic.orgs["kmm-npo"]).get_json()
    second = _consent(coord, pid, org_id=basic.orgs["kmm-npo"], categories=["identity", "contact"],
                      supersedes_id=first["id"]).get_json()
    assert second["supersedes_id"] == first["id"]
    history = coord.get(f"/api/v1/consents?person_id={pid}").get_json()["items"]
    by_id = {c["id"]: c for c in history}
    assert by_id[first["id"]]["status"] == "revoked" and by_id[second["id"]]["status"] == "active"
    assert coord.http.patch(f"/api/v1/consents/{first['id']}", json={}, headers={"X-CSRF-Token": coord.csrf}).status_code == 405
    assert coord.http.delete(f"/api/v1/consents/{first['id']}", headers={"X-CSRF-Token": coord.csrf}).status_code == 405


def test_consent_validation(app, basic):
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    pid = _primary(case)
    now = datetime.now(timezone.utc)
    r = _consent(coord, pid, kind="castle")
    assert r.status_code == 422 and "recipients" in r.get_json()["errors"]
    r = _consent(coord, pid, org_id=basic.orgs["kmm-npo"], categories=["everything"])
    assert r.status_code == 422 and "categories" in r.get_json()["errors"]
    r = _consent(coord, pid, org_id=basic.orgs["kmm-npo"], obtained_at=(now + timedelta(days=1)).isoformat())
    assert r.status_code == 422 and "obtained_at" in r.get_json()["errors"]
    r = _consent(coord, pid, org_id=basic.orgs["kmm-npo"], valid_until=(now - timedelta(days=30)).isoformat())
    assert r.status_code == 422 and "valid_until" in r.get_json()["errors"]
    r = _consent(coord, pid, org_id=basic.orgs["kmm-npo"], given_by="representative")
    assert r.status_code == 422 and "representative_relationship" in r.get_json()["errors"]
    r = _consent(coord, pid, org_id=basic.orgs["kmm-npo"], purpose="marketing")
    assert r.status_code == 422 and "purpose" in r.get_json()["errors"]
    r = _consent(coord, pid, org_id=basic.orgs["kmm-npo"], obtained_at="2026-01-01T10:00:00")
    assert r.status_code == 422 and "obtained_at" in r.get_json()["errors"]  # naive datetimes refused
    # someone who cannot see the person cannot record consent for it
    r = _consent(basic.client("npo@example.jp"), pid, org_id=basic.orgs["kmm-npo"])
    assert r.status_code == 404


def test_expired_and_future_consents_give_nothing(app, basic):
    coord = basic.client("coord@example.jp")
    case = open_case(coord, opened_on=(datetime.now(timezone.utc) - timedelta(days=20)).date().isoformat())
    _refer(app, basic, case)
    now = datetime.now(timezone.utc)
    pid = _primary(case)
    _consent(coord, pid, org_id=basic.orgs["kmm-npo"], valid_from=(now - timedelta(days=9)).isoformat(),
             obtained_at=(now - timedelta(days=10)).isoformat(), valid_until=(now - timedelta(days=1)).isoformat())
    _consent(coord, pid, org_id=basic.orgs["kmm-npo"], valid_from=(now + timedelta(days=5)).isoformat())
    statuses = sorted(c["status"] for c in coord.get(f"/api/v1/consents?person_id={pid}").get_json()["items"])
    assert statuses == ["expired", "not_yet_valid"]
    assert YAMADA["name"] not in basic.client("npo@example.jp").get(f"/api/v1/cases/{case['id']}").get_data(as_text=True)


def test_emergency_access_is_time_boxed_justified_flagged_and_overseen(app, basic):
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    _refer(app, basic, case)
    npo = basic.client("npo@example.jp")
    url = f"/api/v1/cases/{case['id']}/emergency-access"
    pid = _primary(case)
    r = npo.post(url, json={"person_id": pid, "justification": "緊急"})
    assert r.status_code == 422 and "justification" in r.get_json()["errors"]
    r = npo.post(url, json={"person_id": pid, "justification": "自殺をほのめかす連絡があり、本人と連絡が取れないため安否確認が必要",
                            "hours": 500})
    assert r.status_code == 422 and "hours" in r.get_json()["errors"]
    r = npo.post(url, json={"person_id": pid, "justification": "自殺をほのめかす連絡があり、本人と連絡が取れないため安否確認が必要"})
    assert r.status_code == 201, r.get_json()
    access = r.get_json()
    opened = datetime.fromisoformat(access["opened_at"])
    assert datetime.fromisoformat(access["expires_at"]) - opened == timedelta(hours=24)
    detail = npo.get(f"/api/v1/cases/{case['id']}").get_json()
    primary = next(p for p in detail["persons"] if p["is_primary"])
    assert primary["name"] == YAMADA["name"] and primary["bases"]["identity"] == f"emergency:{access['id']}"
    other = next(p for p in detail["persons"] if not p["is_primary"])
    assert "name" not in other  # break-glass covers the named person only
    # supervisors of the owner organisation see open emergency accesses to their cases
    listed = basic.client("super@example.jp").get("/api/v1/emergency-accesses").get_json()["items"]
    assert [a["id"] for a in listed] == [access["id"]]
    assert basic.client("coord@example.jp").get("/api/v1/emergency-accesses").get_json()["items"] == []
    events = basic.client("auditor@example.jp").get("/api/v1/audit-events?flagged=true").get_json()["items"]
    assert {"emergency.open", "cases.read"} <= {e["action"] for e in events}
    assert npo.post(f"/api/v1/emergency-accesses/{access['id']}/close").status_code == 200
    assert YAMADA["name"] not in npo.get(f"/api/v1/cases/{case['id']}").get_data(as_text=True)


def test_emergency_access_needs_a_visible_case(app, basic):
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    npo = basic.client("npo@example.jp")
    r = npo.post(f"/api/v1/cases/{case['id']}/emergency-access",
                 json={"person_id": _primary(case), "justification": "あ" * 30})
    assert r.status_code == 404


def test_auditors_never_see_case_content(basic):
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    auditor = basic.client("auditor@example.jp")
    for url in (f"/api/v1/cases/{case['id']}", "/api/v1/cases", f"/api/v1/persons/{_primary(case)}",
                f"/api/v1/households/{case['household']['id']}", f"/api/v1/cases/{case['id']}/progress",
                f"/api/v1/consents?person_id={_primary(case)}"):
        r = auditor.get(url)
        assert r.status_code == 403, url
        assert YAMADA["name"] not in r.get_data(as_text=True)
