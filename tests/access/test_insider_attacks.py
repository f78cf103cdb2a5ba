"""Trust boundaries against insiders (issue 16), each attack reproduced through the HTTP API or the CLI and
refused: self-granted consent, role escalation, accounts in other organisations and municipalities, reading
across municipalities, revocation by an uninvolved organisation. Both engines (the suite's fixtures).

The world: 鎌倉市 (kamakura, the `world` fixture's municipality) and 熊本市 (kumamoto), each with a coordinator's
department, an auditor and a secretariat of two; 鎌倉市 also has a 社協, an NPO with its own admin, and a
prefecture-wide NPO that 熊本市 admitted as a member."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from caseflow.accounts.models import RoleRequest, User
from caseflow.audit.models import AuditEvent
from caseflow.consents.models import Consent
from caseflow.core import db

from conftest import PASSWORD
from support import HANAKO, YAMADA, council_row, open_case, personal_values

NOW = datetime.now(timezone.utc)


@pytest.fixture
def cities(world):
    w = world
    w.municipality("kumamoto", "熊本市", districts=[("kumamoto-chuo", "中央区"), ("kumamoto-kita", "北区")])
    # 鎌倉市
    w.org("kmk-somu", "department", "鎌倉市 福祉総務課")
    w.org("kmk-chiiki", "department", "鎌倉市 地域共生課")
    w.org("kmk-shakyo", "shakyo", "鎌倉市社会福祉協議会")
    w.org("kmk-npo", "npo", "NPO法人 かまくら支援")
    w.org("kmk-audit", "department", "鎌倉市 監査担当")
    w.org("pref-npo", "npo", "NPO法人 県域ネット")
    w.secretariat("kamakura", "kmk-somu")
    w.user("sec1.kmk@example.jp", "kmk-somu", "secretariat")
    w.user("sec2.kmk@example.jp", "kmk-somu", "secretariat")
    w.user("coord.kmk@example.jp", "kmk-chiiki", "coordinator")
    w.user("super.kmk@example.jp", "kmk-chiiki", "supervisor")
    w.user("staff.shakyo@example.jp", "kmk-shakyo", "npo_staff")
    w.user("admin.npo@example.jp", "kmk-npo", "admin")
    w.user("staff.npo@example.jp", "kmk-npo", "npo_staff")
    w.user("aud.kmk@example.jp", "kmk-audit", "auditor")
    w.user("staff.pref@example.jp", "pref-npo", "npo_staff")
    # 熊本市
    w.org("kmm-kvoad", "npo", "KVOAD", municipality="kumamoto")
    w.org("kmm-dept", "department", "熊本市 健康福祉政策課", municipality="kumamoto")
    w.org("kmm-audit", "department", "熊本市 監査担当", municipality="kumamoto")
    w.secretariat("kumamoto", "kmm-kvoad")
    w.user("sec1.kmm@example.jp", "kmm-kvoad", "secretariat")
    w.user("coord.kmm@example.jp", "kmm-dept", "coordinator")
    w.user("aud.kmm@example.jp", "kmm-audit", "auditor")
    w.membership("kumamoto", "pref-npo")
    return w


def _refer(coord, case_id, to_org_id):
    r = coord.post("/api/v1/referrals", json={"case_id": case_id, "to_org_id": str(to_org_id),
                                              "reason": "地域での見守りが必要", "requested_support": "訪問による見守り"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _primary(case):
    return next(p["id"] for p in case["persons"] if p["is_primary"])


def _consent_body(person_id, org_id, **extra):
    # obtained "now": never before the day the case was opened, even a second after midnight in Tokyo
    return {"person_id": person_id, "purpose": "support_coordination", "method": "oral",
            "recipients": [{"org_id": str(org_id)}], "categories": ["identity", "contact", "sensitive", "case_notes"],
            "obtained_at": datetime.now(timezone.utc).isoformat(), **extra}


def _events(app, **where):
    """Audit events (as plain rows) matching column values, oldest first."""
    with app.app_context():
        stmt = select(*AuditEvent.__table__.c)
        for k, v in where.items():
            stmt = stmt.where(getattr(AuditEvent, k) == v)
        return db.session().execute(stmt.order_by(AuditEvent.seq)).all()


def _no_personal_values(response):
    text = response.get_data(as_text=True)
    leaked = [v for v in personal_values() if v in text]
    assert not leaked, leaked


# --- consent nobody can grant to itself ----------------------------------------------------------------------

def test_a_pending_referral_cannot_record_consent_for_itself(app, cities):
    coord = cities.client("coord.kmk@example.jp")
    case = open_case(coord)
    _refer(coord, case["id"], cities.orgs["kmk-shakyo"])
    shakyo = cities.client("staff.shakyo@example.jp")
    r = shakyo.post("/api/v1/consents", json=_consent_body(_primary(case), cities.orgs["kmk-shakyo"],
                                                           form_reference="同意書"))
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Consent)) == 0
    view = shakyo.get(f"/api/v1/cases/{case['id']}")
    assert view.status_code == 200
    _no_personal_values(view)
    refused = _events(app, actor_user_id=cities.users["staff.shakyo@example.jp"], outcome="denied")
    assert [e.action for e in refused] == ["consents.create"]


def test_a_meeting_seat_cannot_record_consent(app, cities):
    from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember

    coord = cities.client("coord.kmk@example.jp")
    case = open_case(coord)
    with app.app_context():
        s = db.session()
        council = council_row(s, municipality_id=cities.municipalities["kamakura"], kind="case_conference",
                              secretariat_org_id=cities.orgs["kmk-chiiki"],
                              chair_user_id=cities.users["super.kmk@example.jp"], member_org_ids=[cities.orgs["kmk-npo"]])
        m = Meeting(municipality_id=cities.municipalities["kamakura"], council_id=council.id, kind="case_conference",
                    title="ケース会議",
                    starts_at=NOW, chair_user_id=cities.users["super.kmk@example.jp"],
                    organizer_org_id=cities.orgs["kmk-chiiki"], fiscal_year=2026, window_start=NOW - timedelta(days=1),
                    window_end=NOW + timedelta(days=7))
        s.add(m)
        s.flush()
        s.add_all([MeetingMember(meeting_id=m.id, org_id=cities.orgs["kmk-npo"]),
                   AgendaItem(meeting_id=m.id, position=1, case_id=uuid.UUID(case["id"]))])
        s.commit()
    npo = cities.client("staff.npo@example.jp")
    assert npo.get(f"/api/v1/cases/{case['id']}").status_code == 200  # it sees the case (de-identified) …
    r = npo.post("/api/v1/consents", json=_consent_body(_primary(case), cities.orgs["kmk-npo"], form_reference="x"))
    assert r.status_code == 403  # … but never met the person


def test_a_self_benefiting_consent_needs_evidence_and_is_flagged(app, cities):
    coord = cities.client("coord.kmk@example.jp")
    case = open_case(coord)
    ref = _refer(coord, case["id"], cities.orgs["kmk-shakyo"])
    shakyo = cities.client("staff.shakyo@example.jp")
    assert shakyo.post(f"/api/v1/referrals/{ref['id']}/accept", json={}).status_code == 200
    body = _consent_body(_primary(case), cities.orgs["kmk-shakyo"])
    r = shakyo.post("/api/v1/consents", json=body)
    assert r.status_code == 422 and "form_reference" in r.get_json()["errors"]
    r = shakyo.post("/api/v1/consents", json={**body, "obtained_place": "本人宅（訪問時）"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["self_recipient"] is True
    report = cities.client("aud.kmk@example.jp").get("/api/v1/audit-events/anomalies/consents").get_json()
    assert [(i["kind"], i["consent_id"]) for i in report["items"]] == [("self_recipient", r.get_json()["id"])]
    assert report["items"][0]["actor_org_code"] == "kmk-shakyo"
    # the same by kind (the recorder's own kind) is self-benefiting too
    kind_body = {**body, "recipients": [{"org_kind": "shakyo"}]}
    assert shakyo.post("/api/v1/consents", json=kind_body).status_code == 422


@pytest.mark.parametrize("when", ["future", "before_the_case"])
def test_consent_cannot_be_dated_in_the_future_or_before_the_case(cities, when):
    coord = cities.client("coord.kmk@example.jp")
    case = open_case(coord)
    at = NOW + timedelta(hours=2) if when == "future" else NOW - timedelta(days=40)
    r = coord.post("/api/v1/consents", json=_consent_body(_primary(case), cities.orgs["kmk-shakyo"],
                                                          obtained_at=at.isoformat()))
    assert r.status_code == 422 and "obtained_at" in r.get_json()["errors"]


def test_a_consent_counts_only_for_its_purpose(app, cities):
    coord = cities.client("coord.kmk@example.jp")
    case = open_case(coord)
    ref = _refer(coord, case["id"], cities.orgs["kmk-shakyo"])
    shakyo = cities.client("staff.shakyo@example.jp")
    assert shakyo.post(f"/api/v1/referrals/{ref['id']}/accept", json={}).status_code == 200
    for purpose in ("statistics", "support_meeting"):
        r = coord.post("/api/v1/consents", json=_consent_body(_primary(case), cities.orgs["kmk-shakyo"],
                                                              purpose=purpose))
        assert r.status_code == 201, r.get_json()
    view = shakyo.get(f"/api/v1/cases/{case['id']}")
    _no_personal_values(view)  # neither purpose is case work
    r = coord.post("/api/v1/consents", json=_consent_body(_primary(case), cities.orgs["kmk-shakyo"]))
    assert r.status_code == 201
    assert YAMADA["name"] in shakyo.get(f"/api/v1/cases/{case['id']}").get_data(as_text=True)


def test_revocation_by_an_uninvolved_organisation_is_refused(app, cities):
    coord = cities.client("coord.kmk@example.jp")
    case = open_case(coord)
    ref = _refer(coord, case["id"], cities.orgs["kmk-shakyo"])
    consent = coord.post("/api/v1/consents", json=_consent_body(_primary(case), cities.orgs["kmk-shakyo"])).get_json()
    shakyo = cities.client("staff.shakyo@example.jp")
    # pending referral only: sees the consent record, may not revoke it
    r = shakyo.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "いたずら"})
    assert r.status_code == 403
    with app.app_context():
        assert db.session().get(Consent, uuid.UUID(consent["id"])).revoked_at is None
    # once it works with the person it may (revocation only restricts), and the recorder is shown
    assert shakyo.post(f"/api/v1/referrals/{ref['id']}/accept", json={}).status_code == 200
    r = shakyo.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "本人から撤回の申し出"})
    assert r.status_code == 200 and r.get_json()["revoked_by_org_id"] == str(cities.orgs["kmk-shakyo"])
    shown = coord.get("/api/v1/consents?revoked_by_other_org=true").get_json()["items"]
    assert [c["id"] for c in shown] == [consent["id"]]
    report = cities.client("aud.kmk@example.jp").get("/api/v1/audit-events/anomalies/consents").get_json()
    assert [i["kind"] for i in report["items"]] == ["revoked_by_other_org"]


# --- administration with a scope and a second pair of eyes -------------------------------------------------------

def test_an_admin_cannot_change_its_own_roles(app, cities):
    admin = cities.client("admin.npo@example.jp")
    me = cities.users["admin.npo@example.jp"]
    r = admin.patch(f"/api/v1/users/{me}", json={"roles": ["admin", "auditor", "supervisor"]})
    assert r.status_code == 403
    with app.app_context():
        assert db.session().get(User, me).roles == ["admin"]
        assert db.session().scalar(select(func.count()).select_from(RoleRequest)) == 0
    # nor can a secretariat
    sec = cities.client("sec1.kmk@example.jp")
    assert sec.patch(f"/api/v1/users/{cities.users['sec1.kmk@example.jp']}", json={"roles": ["auditor"]}).status_code == 403


@pytest.mark.parametrize("roles", [["auditor"], ["admin"], ["supervisor"], ["secretariat"]])
def test_an_organisation_admin_cannot_grant_privileged_roles(app, cities, roles):
    admin = cities.client("admin.npo@example.jp")
    r = admin.post("/api/v1/users", json={"org_code": "kmk-npo", "email": "new@example.jp", "display_name": "新人",
                                          "password": PASSWORD, "roles": roles})
    assert r.status_code == 403
    staff = cities.users["staff.npo@example.jp"]
    assert admin.patch(f"/api/v1/users/{staff}", json={"roles": ["npo_staff", *roles]}).status_code == 403
    with app.app_context():
        assert db.session().scalar(select(User).where(User.email == "new@example.jp")) is None
        assert db.session().get(User, staff).roles == ["npo_staff"]


def test_an_organisation_admin_manages_its_own_organisation_only(app, cities):
    admin = cities.client("admin.npo@example.jp")
    r = admin.post("/api/v1/users", json={"org_code": "kmk-chiiki", "email": "mole@example.jp",
                                          "display_name": "内通者", "password": PASSWORD, "roles": ["coordinator"]})
    assert r.status_code == 403
    login = cities.client().http.post("/api/v1/auth/login", json={"email": "mole@example.jp", "password": PASSWORD})
    assert login.status_code == 401
    # another organisation's user: invisible, not editable
    coord = cities.users["coord.kmk@example.jp"]
    assert admin.get(f"/api/v1/users/{coord}").status_code == 404
    assert admin.patch(f"/api/v1/users/{coord}", json={"active": False}).status_code == 404
    # its own staff: yes, with basic roles
    r = admin.post("/api/v1/users", json={"org_code": "kmk-npo", "email": "helper@example.jp", "display_name": "支援員",
                                          "password": PASSWORD, "roles": ["npo_staff"]})
    assert r.status_code == 201 and r.get_json()["roles"] == ["npo_staff"]


def test_an_admin_cannot_take_over_a_privileged_account(app, cities):
    """Setting another user's password is an account takeover: refused for holders of anything but basic roles."""
    sec = cities.client("sec1.kmk@example.jp")
    r = sec.patch(f"/api/v1/users/{cities.users['super.kmk@example.jp']}", json={"password": "takeover-pass-9876"})
    assert r.status_code == 403
    r = sec.patch(f"/api/v1/users/{cities.users['sec2.kmk@example.jp']}", json={"password": "takeover-pass-9876"})
    assert r.status_code == 403
    login = cities.client().http.post("/api/v1/auth/login", json={"email": "super.kmk@example.jp",
                                                                  "password": "takeover-pass-9876"})
    assert login.status_code == 401


def test_a_secretariat_administers_its_own_municipality_only(app, cities):
    sec = cities.client("sec1.kmk@example.jp")
    r = sec.post("/api/v1/users", json={"org_code": "kmm-dept", "email": "mole@example.jp", "display_name": "内通者",
                                        "password": PASSWORD, "roles": ["coordinator"]})
    assert r.status_code == 403
    assert sec.get(f"/api/v1/users/{cities.users['coord.kmm@example.jp']}").status_code == 404
    assert sec.patch(f"/api/v1/organizations/{cities.orgs['kmm-dept']}", json={"active": False}).status_code == 404
    r = sec.post("/api/v1/organizations", json={"code": "kmk-new", "name": "鎌倉市 新設課", "kind": "department"})
    assert r.status_code == 201 and r.get_json()["municipality_id"] == str(cities.municipalities["kamakura"])
    # an organisation admin creates no organisations
    assert cities.client("admin.npo@example.jp").post(
        "/api/v1/organizations", json={"code": "x-new", "name": "新組織", "kind": "npo"}).status_code == 403


def test_privileged_roles_take_a_second_approver(app, cities):
    sec1, sec2 = cities.client("sec1.kmk@example.jp"), cities.client("sec2.kmk@example.jp")
    r = sec1.post("/api/v1/users", json={"org_code": "kmk-audit", "email": "aud2.kmk@example.jp",
                                         "display_name": "監査 二郎", "password": PASSWORD, "roles": ["auditor"]})
    assert r.status_code == 201 and r.get_json()["roles"] == []  # requested, not granted
    new_user = r.get_json()["id"]
    (req,) = sec1.get("/api/v1/role-requests").get_json()["items"]
    assert (req["user_id"], req["role"], req["state"]) == (new_user, "auditor", "pending")
    # who is concerned and who asked, by name and organisation (a reviewer needs no read of users)
    assert req["user"]["display_name"] == "監査 二郎" and req["requested_by"]["id"] == req["requested_by_user_id"]
    assert req["requested_by"]["organization"]["id"] and req["decided_by"] is None
    # the requester cannot approve its own request; the user concerned cannot either (it has no right anyway)
    assert sec1.post(f"/api/v1/role-requests/{req['id']}/approve", json={}).status_code == 403
    aud2 = cities.client("aud2.kmk@example.jp")
    assert aud2.get("/api/v1/audit-events").status_code == 403
    assert aud2.post(f"/api/v1/role-requests/{req['id']}/approve", json={}).status_code == 403
    # another municipality's secretariat does not even see it
    assert cities.client("sec1.kmm@example.jp").post(
        f"/api/v1/role-requests/{req['id']}/approve", json={}).status_code == 404
    r = sec2.post(f"/api/v1/role-requests/{req['id']}/approve", json={"note": "監査担当の増員（決裁済み）"})
    assert r.status_code == 200 and r.get_json()["state"] == "approved"
    assert aud2.get("/api/v1/audit-events").status_code == 200
    # and the auditor sees every step in the role-change report
    report = aud2.get("/api/v1/audit-events/anomalies/role-changes").get_json()
    steps = [(i["action"], i["target_user_id"]) for i in report["items"] if i["target_user_id"] == new_user]
    assert steps == [("users.create", new_user), ("roles.request", new_user), ("roles.approve", new_user)]
    approve = next(i for i in report["items"] if i["action"] == "roles.approve")
    assert approve["actor_email"] == "sec2.kmk@example.jp" and approve["requested"] == ["auditor"]


def test_role_changes_are_audited_before_and_after(app, cities):
    admin = cities.client("admin.npo@example.jp")
    staff = cities.users["staff.npo@example.jp"]
    assert admin.patch(f"/api/v1/users/{staff}", json={"roles": ["npo_staff", "staff"]}).status_code == 200
    report = cities.client("aud.kmk@example.jp").get("/api/v1/audit-events/anomalies/role-changes").get_json()
    change = next(i for i in report["items"] if i["action"] == "users.roles")
    assert (change["roles_before"], change["roles_after"]) == (["npo_staff"], ["npo_staff", "staff"])
    assert change["actor_email"] == "admin.npo@example.jp"


# --- municipalities are separate worlds --------------------------------------------------------------------------

def test_a_kpi_report_is_one_municipality_s(app, cities):
    kmk, kmm = cities.client("coord.kmk@example.jp"), cities.client("coord.kmm@example.jp")
    open_case(kmk)
    open_case(kmm, district="kumamoto-chuo")
    open_case(kmm, district="kumamoto-kita")
    year = NOW.year if NOW.month >= 4 else NOW.year - 1
    r = kmk.get(f"/api/v1/reports/kpi?fiscal_year={year}&org_id={cities.orgs['kmm-dept']}")
    assert r.status_code == 422 and "org_id" in r.get_json()["errors"]
    mine = kmk.get(f"/api/v1/reports/kpi?fiscal_year={year}&audience=shared")
    assert mine.status_code == 200
    data = cities.client("coord.kmm@example.jp").get(f"/api/v1/reports/kpi?fiscal_year={year}").get_json()
    assert set(data["new_consultations"]["by_district"]) <= {"kumamoto-chuo", "kumamoto-kita"}
    assert "kumamoto" not in mine.get_data(as_text=True)


def test_an_auditor_sees_its_own_municipality_s_trail_only(app, cities):
    kmk = cities.client("coord.kmk@example.jp")
    case = open_case(kmk)
    kmk.get(f"/api/v1/cases/{case['id']}")
    aud_kmm = cities.client("aud.kmm@example.jp")
    events = aud_kmm.get("/api/v1/audit-events?limit=200").get_json()["items"]
    assert events and all(e["actor_org_id"] not in {str(cities.orgs["kmk-chiiki"])} for e in events)
    report = aud_kmm.get(f"/api/v1/audit-events/persons/{_primary(case)}/report").get_json()
    assert report["total_disclosures"] == 0
    kmk_event = _events(app, action="cases.read")[-1]
    assert aud_kmm.get(f"/api/v1/audit-events/{kmk_event.seq}").status_code == 404
    assert aud_kmm.post(f"/api/v1/audit-events/{kmk_event.seq}/reviews", json={"comment": "確認"}).status_code == 404
    csv_text = aud_kmm.get("/api/v1/audit-events/export.csv").get_data(as_text=True)
    assert str(cities.users["coord.kmk@example.jp"]) not in csv_text
    mine = cities.client("aud.kmk@example.jp").get(f"/api/v1/audit-events/persons/{_primary(case)}/report").get_json()
    assert mine["total_disclosures"] >= 1


def test_a_case_cannot_be_referred_across_municipalities(app, cities):
    kmm = cities.client("coord.kmm@example.jp")
    case = open_case(kmm, district="kumamoto-chuo")
    r = kmm.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(cities.orgs["kmk-shakyo"]),
                                            "reason": "r", "requested_support": "s"})
    assert r.status_code == 422 and "to_org_id" in r.get_json()["errors"]
    # nor can a plan task be given to another municipality's organisation
    r = kmm.post(f"/api/v1/cases/{case['id']}/plan/tasks",
                 json={"owner_org_id": str(cities.orgs["kmk-shakyo"]), "title": "訪問",
                       "due_on": (NOW + timedelta(days=7)).date().isoformat()})
    assert r.status_code == 422
    # a member organisation of 熊本市 is a valid receiver there
    assert kmm.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(cities.orgs["pref-npo"]),
                                               "reason": "r", "requested_support": "s"}).status_code == 201


def test_the_directory_and_the_organisations_are_one_municipality_s(cities):
    kmk = cities.client("coord.kmk@example.jp")
    codes = {o["code"] for o in kmk.get("/api/v1/organizations?limit=200").get_json()["items"]}
    assert "kmm-dept" not in codes and "kmk-shakyo" in codes
    assert kmk.get(f"/api/v1/organizations/{cities.orgs['kmm-dept']}").status_code == 404
    kmm = cities.client("coord.kmm@example.jp")
    codes = {o["code"] for o in kmm.get("/api/v1/organizations?limit=200").get_json()["items"]}
    assert codes == {"kmm-kvoad", "kmm-dept", "kmm-audit", "pref-npo"}  # pref-npo: a member
    districts = {c["code"] for c in kmm.get("/api/v1/codes/district").get_json()}
    assert districts == {"kumamoto-chuo", "kumamoto-kita"}


def test_acting_in_a_municipality_takes_a_membership(app, cities):
    pref = cities.client("staff.pref@example.jp")
    me = pref.get("/api/v1/auth/me").get_json()
    assert [m["code"] for m in me["municipalities"]] == ["kamakura", "kumamoto"]
    kmm = cities.client("coord.kmm@example.jp")
    case = open_case(kmm, district="kumamoto-chuo")
    _refer(kmm, case["id"], cities.orgs["pref-npo"])
    assert pref.get("/api/v1/referrals?box=inbox").get_json()["items"] == []  # at home (鎌倉市)
    pref.act_in("kumamoto")
    assert len(pref.get("/api/v1/referrals?box=inbox").get_json()["items"]) == 1
    # a 鎌倉市 coordinator cannot act in 熊本市 by naming it
    kmk = cities.client("coord.kmk@example.jp").act_in("kumamoto")
    assert kmk.get("/api/v1/cases").status_code == 403
    assert _events(app, actor_user_id=cities.users["coord.kmk@example.jp"], outcome="denied")[-1].action == \
        "municipalities.act"
    # the membership ends: from the next request on, nothing
    sec = cities.client("sec1.kmm@example.jp")
    (ms,) = sec.get(f"/api/v1/municipalities/{cities.municipalities['kumamoto']}/memberships").get_json()["items"]
    r = sec.post(f"/api/v1/municipalities/{cities.municipalities['kumamoto']}/memberships/{ms['id']}/end", json={})
    assert r.status_code == 200
    assert r.get_json()["ended_by"]["id"] == str(cities.users["sec1.kmm@example.jp"]), r.get_json()
    assert r.get_json()["ended_by"]["organization"]["name"]
    assert pref.get("/api/v1/referrals?box=inbox").status_code == 403
    # and another municipality's secretariat cannot grant one for 熊本市
    other = cities.client("sec1.kmk@example.jp")
    r = other.post(f"/api/v1/municipalities/{cities.municipalities['kumamoto']}/memberships",
                   json={"org_id": str(cities.orgs["kmk-npo"])})
    assert r.status_code == 404


def test_a_transfer_moves_a_case_only_when_the_receiving_side_accepts(app, cities):
    kmk = cities.client("coord.kmk@example.jp")
    case = open_case(kmk)
    # 熊本市 already has a case with the same number (numbers are per municipality): the moved case is renumbered
    there = open_case(cities.client("coord.kmm@example.jp"), district="kumamoto-chuo")
    assert there["case_number"] == case["case_number"]
    person = _primary(case)
    body = {"to_municipality": "kumamoto", "to_org_id": str(cities.orgs["kmm-dept"]), "reason": "熊本市へ転居"}
    # only the owner asks; an organisation of the same municipality is not a transfer
    assert cities.client("staff.shakyo@example.jp").post(f"/api/v1/cases/{case['id']}/transfers",
                                                         json=body).status_code == 404
    bad = kmk.post(f"/api/v1/cases/{case['id']}/transfers", json={**body, "to_org_id": str(cities.orgs["kmk-shakyo"])})
    assert bad.status_code == 422
    t = kmk.post(f"/api/v1/cases/{case['id']}/transfers", json=body)
    assert t.status_code == 201, t.get_json()
    kmm = cities.client("coord.kmm@example.jp")
    inbox = kmm.get("/api/v1/transfers?box=inbox")
    assert [i["id"] for i in inbox.get_json()["items"]] == [t.get_json()["id"]]
    _no_personal_values(inbox)  # the de-identified view until accepted
    assert kmm.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert kmm.post(f"/api/v1/transfers/{t.get_json()['id']}/accept", json={}).status_code == 200
    moved = kmm.get(f"/api/v1/cases/{case['id']}")
    assert moved.status_code == 200 and moved.get_json()["owner_org"]["id"] == str(cities.orgs["kmm-dept"])
    assert moved.get_json()["case_number"] != there["case_number"]
    _no_personal_values(moved)  # no basis of its own yet
    assert kmk.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert case["id"] not in kmk.get("/api/v1/cases").get_data(as_text=True)
    # both trails record it
    assert [e.action for e in _events(app, action="cases.transferred_out")] == ["cases.transferred_out"]
    kmk_trail = cities.client("aud.kmk@example.jp").get("/api/v1/audit-events?action=cases.transferred_out")
    kmm_trail = cities.client("aud.kmm@example.jp").get("/api/v1/audit-events?action=transfers.accept")
    assert len(kmk_trail.get_json()["items"]) == 1 and len(kmm_trail.get_json()["items"]) == 1
    # the person's record stays with its collector in 鎌倉市
    assert kmk.get(f"/api/v1/persons/{person}").status_code == 200
    assert HANAKO["name"] not in moved.get_data(as_text=True)


def test_a_transfer_is_accepted_once(app, cities):
    kmk = cities.client("coord.kmk@example.jp")
    case = open_case(kmk)
    t = kmk.post(f"/api/v1/cases/{case['id']}/transfers", json={
        "to_municipality": "kumamoto", "to_org_id": str(cities.orgs["kmm-dept"]), "reason": "転居"}).get_json()
    assert kmk.post(f"/api/v1/transfers/{t['id']}/withdraw", json={}).status_code == 200
    r = cities.client("coord.kmm@example.jp").post(f"/api/v1/transfers/{t['id']}/accept", json={})
    assert r.status_code == 409


def test_a_secretariat_keeps_to_its_own_lists(app, cities):
    sec = cities.client("sec1.kmk@example.jp")
    assert sec.post("/api/v1/codes/issue_category", json={"code": "new_issue", "label": "新しい課題"}).status_code == 403
    r = sec.post("/api/v1/codes/district", json={"code": "kamakura-nishi", "label": "西", "scope": "kumamoto"})
    assert r.status_code == 422
    r = sec.post("/api/v1/codes/district", json={"code": "kamakura-nishi", "label": "西"})
    assert r.status_code == 201 and r.get_json()["scope"] == "kamakura"
    kmm = {c["code"] for c in cities.client("coord.kmm@example.jp").get("/api/v1/codes/district").get_json()}
    assert "kamakura-nishi" not in kmm


# --- the CLI: the operator's tool ------------------------------------------------------------------------------

def test_the_cli_creates_municipalities_and_requires_one_when_there_are_several(app, cities):
    from caseflow.cli import main

    runner = app.test_cli_runner()
    r = runner.invoke(main, ["orgs", "create", "--code", "x-org", "--name", "新組織", "--kind", "npo"])
    assert r.exit_code != 0 and "--municipality" in r.output
    r = runner.invoke(main, ["municipalities", "create", "--code", "suzaka", "--name", "須坂市"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["orgs", "create", "--code", "szk-dept", "--name", "須坂市 福祉課", "--kind", "department",
                             "--municipality", "suzaka"])
    assert r.exit_code == 0 and "suzaka" in r.output
    r = runner.invoke(main, ["users", "create", "--org", "szk-dept", "--role", "secretariat", "--email",
                             "sec.szk@example.jp", "--password", PASSWORD])
    assert r.exit_code == 0, r.output  # the operator grants any role at once …
    events = _events(app, action="users.create")
    assert events[-1].actor_user_id is None  # … and it is on the record as the operator's act
    with app.app_context():
        assert events[-1].municipality_id is not None


def test_the_first_organisation_of_an_empty_deployment_creates_its_municipality(tmp_path, monkeypatch):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/fresh.sqlite3"
    env = {"CASEFLOW_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "caseflow"]
    assert subprocess.run(run + ["db", "upgrade"], env=env, capture_output=True, text=True).returncode == 0
    r = subprocess.run(run + ["orgs", "create", "--code", "first-org", "--name", "最初の組織", "--kind", "department"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "created municipality default" in r.stdout
