"""Referrals between agencies (issue 4): the workflow, who may do what, the de-identified view, inbox
ordering and counts, and suggestions -- all through the HTTP API against a real database."""
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from caseflow.cases.rules import today_tokyo
from caseflow.referrals.rules import reply_due_for

from support import HANAKO, YAMADA, move, open_case, personal_values

ACTIONS = ("accept", "decline", "withdraw", "complete")
# state -> the legal actions from it
LEGAL = {"pending": {"accept", "decline", "withdraw"}, "accepted": {"complete"}, "declined": set(),
         "withdrawn": set(), "completed": set()}
RESULT = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn", "complete": "completed"}
REASON = "世帯全体への継続的な見守りが必要なため"
REQUEST = "月1回程度の訪問と、居場所活動への参加の声かけをお願いしたい"


def refer(client, case_id, to_org_id, expect=201, **extra):
    body = {"case_id": case_id, "to_org_id": str(to_org_id), "reason": REASON, "requested_support": REQUEST,
            "urgency": "normal", **extra}
    r = client.post("/api/v1/referrals", json=body)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def act(client, referral_id, action, reason=None):
    return client.post(f"/api/v1/referrals/{referral_id}/{action}", json={"reason": reason} if reason else None)


@pytest.fixture
def setup(basic):
    """coord (kmk-chiiki) owns a case of the Yamada household and refers it to the NPO (kmm-npo)."""
    basic.user("npo2@example.jp", "kmm-npo", "npo_staff")
    basic.org("kmm-other", "npo", "NPO法人 ほかの会")
    basic.user("other@example.jp", "kmm-other", "npo_staff")
    coord, npo = basic.client("coord@example.jp"), basic.client("npo@example.jp")
    case = open_case(coord, person={**YAMADA, "languages": ["ja", "vi"]})
    return basic, coord, npo, case


def _drive_to(state, coord, npo, case, npo_org):
    ref = refer(coord, case["id"], npo_org)
    steps = {"pending": [], "accepted": [(npo, "accept")], "declined": [(npo, "decline")],
             "withdrawn": [(coord, "withdraw")], "completed": [(npo, "accept"), (npo, "complete")]}[state]
    for client, action in steps:
        r = act(client, ref["id"], action, reason="理由")
        assert r.status_code == 200, r.get_json()
    return ref


# --- creating ------------------------------------------------------------------------------------

def test_create_shows_the_sender_everything_it_collected(setup):
    basic, coord, npo, case = setup
    ref = refer(coord, case["id"], basic.orgs["kmm-npo"], urgency="high")
    assert ref["state"] == "pending" and ref["urgency"] == "high"
    assert ref["from_org"]["code"] == "kmk-chiiki" and ref["to_org"]["code"] == "kmm-npo"
    assert ref["reply_due"] == reply_due_for("high", today_tokyo()).isoformat()  # the next business day
    assert ref["allowed_actions"] == ["withdraw"] and ref["overdue"] is False
    assert ref["case"]["case_number"] == case["case_number"] and ref["case"]["languages_needed"] == ["vi"]
    assert {p["name"] for p in ref["case"]["persons"]} == {YAMADA["name"], HANAKO["name"]}
    assert [(e["from_state"], e["to_state"]) for e in ref["events"]] == [(None, "pending")]
    assert ref["events"][0]["actor_org"]["code"] == "kmk-chiiki"
    due = (today_tokyo() + timedelta(days=5)).isoformat()
    other = refer(coord, case["id"], basic.orgs["kmm-other"], reply_due=due)
    assert other["reply_due"] == due  # several referrals of one case may be open at once


def test_a_second_pending_referral_to_the_same_organisation_is_refused(setup):
    basic, coord, npo, case = setup
    first = refer(coord, case["id"], basic.orgs["kmm-npo"])
    r = coord.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(basic.orgs["kmm-npo"]),
                                              "reason": "再送", "requested_support": "再送"})
    assert r.status_code == 409 and r.get_json()["type"].endswith("duplicate-referral")
    assert r.get_json()["existing_referral_id"] == first["id"]
    assert act(npo, first["id"], "decline", reason="現在受入枠がありません").status_code == 200
    refer(coord, case["id"], basic.orgs["kmm-npo"])  # once answered, the case can be referred again


def test_the_database_refuses_duplicate_pending_referrals(setup, app):
    """The partial unique index holds even when the application check is bypassed."""
    from sqlalchemy.exc import IntegrityError

    from caseflow.core import db
    from caseflow.referrals.models import Referral

    basic, coord, npo, case = setup
    first = refer(coord, case["id"], basic.orgs["kmm-npo"])
    case_id, first_id = uuid.UUID(case["id"]), uuid.UUID(first["id"])
    with app.app_context():
        s = db.session()
        s.add(Referral(case_id=case_id, from_org_id=basic.orgs["kmk-chiiki"], to_org_id=basic.orgs["kmm-npo"],
                       created_by_user_id=basic.users["coord@example.jp"], reason="x", requested_support="x"))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
        # not pending: any number may exist
        s.execute(update(Referral).where(Referral.id == first_id).values(state="declined"))
        for state in ("declined", "completed", "pending"):
            s.add(Referral(case_id=case_id, from_org_id=basic.orgs["kmk-chiiki"], state=state,
                           to_org_id=basic.orgs["kmm-npo"], created_by_user_id=basic.users["coord@example.jp"],
                           reason="x", requested_support="x"))
            s.flush()
        s.rollback()


def test_create_validation(setup):
    basic, coord, npo, case = setup
    base = {"case_id": case["id"], "to_org_id": str(basic.orgs["kmm-npo"]), "reason": REASON,
            "requested_support": REQUEST}

    def errors(**change):
        body = {k: v for k, v in {**base, **change}.items() if v is not None}
        r = coord.post("/api/v1/referrals", json=body)
        assert r.status_code == 422, r.get_json()
        return r.get_json()["errors"]

    assert "to_org_id" in errors(to_org_id=str(basic.orgs["kmk-chiiki"]))  # not to oneself
    assert "to_org_id" in errors(to_org_id="00000000-0000-4000-8000-000000000000")
    assert "reply_due" in errors(reply_due=(today_tokyo() - timedelta(days=1)).isoformat())
    assert "urgency" in errors(urgency="someday")
    assert "reason" in errors(reason="")
    assert "requested_support" in errors(requested_support=None)
    assert "reason" in errors(reason="あ" * 4001)
    assert "surprise" in errors(surprise=1)
    assert "case_id" in errors(case_id="00000000-0000-4000-8000-000000000000")
    # a case the caller cannot see reads exactly like one that does not exist
    other = basic.client("other@example.jp")
    r = other.post("/api/v1/referrals", json={**base, "to_org_id": str(basic.orgs["kmm-npo"])})
    assert r.status_code == 422 and "case_id" in r.get_json()["errors"]
    # deactivated organisations receive nothing
    admin = basic.client("admin@example.jp")
    assert admin.patch(f"/api/v1/organizations/{basic.orgs['kmm-other']}", json={"active": False}).status_code == 200
    assert "to_org_id" in errors(to_org_id=str(basic.orgs["kmm-other"]))


def test_a_closed_case_cannot_be_referred(setup):
    basic, coord, npo, case = setup
    assert move(coord, case["id"], "closed", closure_reason="goal_achieved").status_code == 200
    r = coord.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(basic.orgs["kmm-npo"]),
                                              "reason": REASON, "requested_support": REQUEST})
    assert r.status_code == 409 and r.get_json()["current_stage"] == "closed"


def test_who_may_refer(setup):
    basic, coord, npo, case = setup
    ref = refer(coord, case["id"], basic.orgs["kmm-npo"])
    # pending only: the NPO sees the case, but is not yet involved in it
    r = npo.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(basic.orgs["kmm-other"]),
                                            "reason": REASON, "requested_support": REQUEST})
    assert r.status_code == 403
    assert act(npo, ref["id"], "accept").status_code == 200
    # involved now (accepted referral): it may refer onwards
    onward = refer(npo, case["id"], basic.orgs["kmm-other"])
    assert onward["from_org"]["code"] == "kmm-npo"
    # the case owner sees the onward referral, and cannot answer it for the receiver
    assert coord.get(f"/api/v1/referrals/{onward['id']}").status_code == 200
    assert act(coord, onward["id"], "accept").status_code == 403
    # auditors and admins do not do case work
    for email in ("auditor@example.jp", "admin@example.jp"):
        c = basic.client(email)
        assert c.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(basic.orgs["kmm-npo"]),
                                                 "reason": "x", "requested_support": "x"}).status_code == 403
        assert c.get("/api/v1/referrals").status_code == 403


# --- state changes -------------------------------------------------------------------------------

def test_accept_makes_the_organisation_involved_and_complete_ends_it(setup, app):
    basic, coord, npo, case = setup
    ref = refer(coord, case["id"], basic.orgs["kmm-npo"])
    assert npo.get(f"/api/v1/cases/{case['id']}").get_json()["relation"] == ["referral_pending"]
    r = act(npo, ref["id"], "accept", reason="担当者を決めて対応します")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["state"] == "accepted" and body["allowed_actions"] == ["complete"]
    assert body["responded_by"]["id"] == str(basic.users["npo@example.jp"]) and body["responded_at"]
    assert npo.get(f"/api/v1/cases/{case['id']}").get_json()["relation"] == ["referral"]
    # the NPO's staff can now record progress on the case
    assert npo.post(f"/api/v1/cases/{case['id']}/progress",
                    json={"kind": "visit", "occurred_on": today_tokyo().isoformat(), "body": "初回訪問"}).status_code == 201
    r = act(npo, ref["id"], "complete", reason="依頼された見守り支援を終えた")
    assert r.status_code == 200 and r.get_json()["state"] == "completed"
    assert r.get_json()["allowed_actions"] == []
    # involvement ended: the case is gone for the NPO, the referral (its own work) stays
    assert npo.get(f"/api/v1/cases/{case['id']}").status_code == 404
    done = npo.get(f"/api/v1/referrals/{ref['id']}").get_json()
    assert [(e["from_state"], e["to_state"], e["reason"]) for e in done["events"]] == [
        (None, "pending", None), ("pending", "accepted", "担当者を決めて対応します"),
        ("accepted", "completed", "依頼された見守り支援を終えた")]
    assert all(e["actor_user"]["display_name"] for e in done["events"])
    with app.app_context():
        from caseflow.audit.models import AuditEvent
        from caseflow.cases.models import CaseInvolvement
        from caseflow.core import db

        rows = db.session().scalars(select(CaseInvolvement).where(CaseInvolvement.source_id == uuid.UUID(ref["id"]))).all()
        assert len(rows) == 1 and rows[0].relation == "referral" and rows[0].until is not None
        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.resource_id == ref["id"],
                                                                        AuditEvent.outcome == "allowed")).all()
        assert {"referrals.create", "referrals.accept", "referrals.complete", "referrals.read"} <= set(actions)


def test_decline_needs_a_reason_and_ends_visibility_of_the_case(setup):
    basic, coord, npo, case = setup
    ref = refer(coord, case["id"], basic.orgs["kmm-npo"])
    for body in (None, {}, {"reason": ""}, {"reason": None}):
        r = npo.post(f"/api/v1/referrals/{ref['id']}/decline", json=body)
        assert r.status_code == 422, (body, r.get_json())
    r = act(npo, ref["id"], "decline", reason="対象年齢外のため")
    assert r.status_code == 200 and r.get_json()["state"] == "declined"
    assert r.get_json()["state_reason"] == "対象年齢外のため"
    assert npo.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert coord.get(f"/api/v1/referrals/{ref['id']}").get_json()["state_reason"] == "対象年齢外のため"


def test_withdraw_by_the_sender_with_or_without_reason(setup):
    basic, coord, npo, case = setup
    a = refer(coord, case["id"], basic.orgs["kmm-npo"])
    r = act(coord, a["id"], "withdraw")
    assert r.status_code == 200 and r.get_json()["state"] == "withdrawn" and r.get_json()["state_reason"] is None
    b = refer(coord, case["id"], basic.orgs["kmm-npo"])
    r = act(coord, b["id"], "withdraw", reason="本人が他の支援を希望")
    assert r.status_code == 200 and r.get_json()["state_reason"] == "本人が他の支援を希望"
    assert npo.get(f"/api/v1/cases/{case['id']}").status_code == 404


@pytest.mark.parametrize("start", list(LEGAL))
def test_every_action_from_every_state(setup, start):
    basic, coord, npo, case = setup
    for action in ACTIONS:
        ref = _drive_to(start, coord, npo, case, basic.orgs["kmm-npo"])
        actor = coord if action == "withdraw" else npo
        r = act(actor, ref["id"], action, reason="理由")
        if action in LEGAL[start]:
            assert r.status_code == 200, (start, action, r.get_json())
            assert r.get_json()["state"] == RESULT[action]
        else:
            assert r.status_code == 409, (start, action, r.get_json())
            body = r.get_json()
            assert body["type"].endswith("illegal-transition") and body["current_state"] == start
            assert set(body["allowed"]) <= LEGAL[start]
            assert coord.get(f"/api/v1/referrals/{ref['id']}").get_json()["state"] == start
        # leave no live (pending or accepted) referral behind, so the next one can be made
        current = coord.get(f"/api/v1/referrals/{ref['id']}").get_json()["state"]
        if current == "pending":
            assert act(coord, ref["id"], "withdraw").status_code == 200
        elif current == "accepted":
            assert act(npo, ref["id"], "complete").status_code == 200


def test_409_names_the_current_state_and_what_the_caller_may_do(setup):
    basic, coord, npo, case = setup
    ref = refer(coord, case["id"], basic.orgs["kmm-npo"])
    assert act(npo, ref["id"], "accept").status_code == 200
    r = act(npo, ref["id"], "decline", reason="やはり難しい")
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["current_state"] == "accepted" and body["allowed"] == ["complete"]
    assert "受諾済み" in body["detail"] and "完了" in body["detail"]


def test_only_the_receiver_answers_and_only_the_sender_withdraws(setup):
    basic, coord, npo, case = setup
    ref = refer(coord, case["id"], basic.orgs["kmm-npo"])
    for action in ("accept", "decline", "complete"):
        r = act(coord, ref["id"], action, reason="理由")
        assert r.status_code == 403 and r.get_json()["type"].endswith("forbidden"), action
    assert act(npo, ref["id"], "withdraw").status_code == 403
    # an organisation that neither sent, received nor works on the case: the referral does not exist for it
    other = basic.client("other@example.jp")
    assert other.get(f"/api/v1/referrals/{ref['id']}").status_code == 404
    for action in ACTIONS:
        assert act(other, ref["id"], action, reason="理由").status_code == 404
    assert other.get("/api/v1/referrals").get_json()["items"] == []
    assert act(npo, "00000000-0000-4000-8000-000000000000", "accept").status_code == 404
    # a second user of the receiving organisation may answer for it
    npo2 = basic.client("npo2@example.jp")
    assert act(npo2, ref["id"], "accept").status_code == 200
    assert coord.get(f"/api/v1/referrals/{ref['id']}").get_json()["state"] == "accepted"
    # refused attempts are in the audit trail
    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    with basic.app.app_context():
        denied = db.session().execute(select(AuditEvent.action, AuditEvent.actor_user_id).where(
            AuditEvent.outcome == "denied", AuditEvent.resource_id == ref["id"])).all()
    assert {(a, u) for a, u in denied} == {
        ("referrals.accept", basic.users["coord@example.jp"]), ("referrals.decline", basic.users["coord@example.jp"]),
        ("referrals.complete", basic.users["coord@example.jp"]), ("referrals.withdraw", basic.users["npo@example.jp"])}


# --- the de-identified view -----------------------------------------------------------------------

def test_receiver_without_a_basis_sees_only_the_de_identified_view(setup, app):
    basic, coord, npo, case = setup
    ref = refer(coord, case["id"], basic.orgs["kmm-npo"], urgency="high")
    secrets = personal_values() + ["ヤマダ", "山田", "taro@", "1980"]
    for url in (f"/api/v1/referrals/{ref['id']}", "/api/v1/referrals?box=inbox", "/api/v1/referrals",
                f"/api/v1/referrals?case_id={case['id']}"):
        r = npo.get(url)
        assert r.status_code == 200, url
        text = r.get_data(as_text=True)
        leaked = [v for v in secrets if v in text]
        assert leaked == [], (url, leaked)
    view = npo.get(f"/api/v1/referrals/{ref['id']}").get_json()
    c = view["case"]
    assert c["case_number"] == case["case_number"] and c["age_band"] == "40代" and c["district"] == "ofuna"
    assert c["issues"] == ["h8050", "hikikomori"] and c["languages_needed"] == ["vi"]
    assert view["urgency"] == "high" and view["reason"] == REASON and view["requested_support"] == REQUEST
    assert view["from_org"]["name"] == "鎌倉市 地域共生課"
    assert view["allowed_actions"] == ["accept", "decline"]
    assert all(p["redacted"] and p["bases"] == {} for p in c["persons"])
    assert {p["age_band"] for p in c["persons"]} == {"40代", "70代"}
    inbox = npo.get("/api/v1/referrals?box=inbox").get_json()["items"]
    assert inbox[0]["case"]["primary_person"] == {"id": c["persons"][0]["id"], "redacted": True}

    # consent naming the NPO for identity: the name appears, contact data still does not
    person_id = next(p["id"] for p in case["persons"] if p["is_primary"])
    r = coord.post("/api/v1/consents", json={
        "person_id": person_id, "purpose": "support_coordination", "recipients": [{"org_id": str(basic.orgs["kmm-npo"])}],
        "categories": ["identity"], "method": "written",
        "obtained_at": datetime.now(timezone.utc).isoformat()})
    assert r.status_code == 201, r.get_json()
    consent_id = r.get_json()["id"]
    r = npo.get(f"/api/v1/referrals/{ref['id']}")
    text = r.get_data(as_text=True)
    assert YAMADA["name"] in text and unicodedata.normalize("NFKC", YAMADA["name_kana"]) in text
    for value in (YAMADA["phone"], YAMADA["email"], HANAKO["name"], "鎌倉市大船一丁目2-3", "うつ病の通院歴"):
        assert value not in text, value
    primary = next(p for p in r.get_json()["case"]["persons"] if p["is_primary"])
    assert primary["bases"] == {"identity": f"consent:{consent_id}"} and "contact" in primary["withheld"]
    inbox = npo.get("/api/v1/referrals?box=inbox").get_json()["items"]
    assert inbox[0]["case"]["primary_person"]["name"] == YAMADA["name"]
    # the disclosure is audited with its basis
    with app.app_context():
        from caseflow.audit.models import AuditEvent, AuditSubject
        from caseflow.core import db

        rows = db.session().execute(
            select(AuditEvent.action, AuditSubject.basis, AuditSubject.categories)
            .join(AuditSubject, AuditSubject.event_seq == AuditEvent.seq)
            .where(AuditEvent.actor_user_id == basic.users["npo@example.jp"],
                   AuditEvent.action.in_(("referrals.read", "referrals.list")))).all()
        assert ("referrals.read", f"consent:{consent_id}", "identity") in rows
        assert ("referrals.list", f"consent:{consent_id}", "identity") in rows


# --- inbox, outbox, counts ------------------------------------------------------------------------

def test_inbox_orders_pending_and_overdue_first_and_counts(setup, app):
    basic, coord, npo, case = setup
    today = today_tokyo()
    cases = [case] + [open_case(coord, with_parent=False) for _ in range(4)]
    org = basic.orgs["kmm-npo"]
    a = refer(coord, cases[0]["id"], org, reply_due=(today + timedelta(days=7)).isoformat())  # normal: 7 at most
    b = refer(coord, cases[1]["id"], org, reply_due=(today + timedelta(days=2)).isoformat())
    c = refer(coord, cases[2]["id"], org, reply_due=(today + timedelta(days=1)).isoformat())
    d = refer(coord, cases[3]["id"], org)
    e = refer(coord, cases[4]["id"], org, urgency="critical")  # due today: critical replies the same day
    assert act(npo, d["id"], "accept").status_code == 200
    with app.app_context():  # time passes: c's reply date is now three days ago
        from caseflow.core import db
        from caseflow.referrals.models import Referral

        db.session().execute(update(Referral).where(Referral.id == uuid.UUID(c["id"])).values(reply_due=today - timedelta(days=3)))
        db.session().commit()
    inbox = npo.get("/api/v1/referrals?box=inbox").get_json()["items"]
    assert [x["id"] for x in inbox] == [c["id"], e["id"], b["id"], a["id"], d["id"]]
    assert [x["overdue"] for x in inbox] == [True, False, False, False, False]
    assert [x["id"] for x in npo.get("/api/v1/referrals?box=inbox&overdue=true").get_json()["items"]] == [c["id"]]
    assert [x["id"] for x in npo.get("/api/v1/referrals?box=inbox&state=accepted").get_json()["items"]] == [d["id"]]
    assert npo.get("/api/v1/referrals?box=outbox").get_json()["items"] == []
    outbox = coord.get("/api/v1/referrals?box=outbox").get_json()["items"]
    assert [x["id"] for x in outbox] == [c["id"], e["id"], b["id"], a["id"], d["id"]]
    assert coord.get("/api/v1/referrals?box=inbox").get_json()["items"] == []
    page = npo.get("/api/v1/referrals?box=inbox&limit=2&offset=2").get_json()
    assert [x["id"] for x in page["items"]] == [b["id"], a["id"]] and page["has_more"] is True
    assert npo.get("/api/v1/referrals/counts").get_json() == {
        "inbox": {"pending": 4, "overdue": 1, "accepted": 1}, "outbox": {"pending": 0, "overdue": 0, "accepted": 0}}
    assert coord.get("/api/v1/referrals/counts").get_json() == {
        "inbox": {"pending": 0, "overdue": 0, "accepted": 0}, "outbox": {"pending": 4, "overdue": 1, "accepted": 1}}
    assert npo.get("/api/v1/referrals?box=elsewhere").status_code == 422
    assert npo.get("/api/v1/referrals?state=lost").status_code == 422


# --- suggestions ----------------------------------------------------------------------------------

def _entry(admin, org_id, **values):
    body = {"fields": [], "service_area": ["ofuna", "kamakura"], "capacity": "accepting", **values}
    r = admin.http.put(f"/api/v1/organizations/{org_id}/directory", json=body, headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 201, r.get_json()


def test_suggestions_rank_organisations_by_fit_with_reasons(setup):
    basic, coord, npo, case = setup
    admin = basic.client("admin@example.jp")
    orgs = {code: basic.org(code, kind) for code, kind in (
        ("fit-best", "npo"), ("fit-paused", "npo"), ("fit-language", "other"), ("out-of-area", "npo"),
        ("too-young", "npo"), ("no-fit", "npo"), ("already", "npo"))}
    _entry(admin, orgs["fit-best"], fields=["hikikomori", "h8050"], takes_consultations=True, joint_support=True,
           age_min=18, age_max=64)
    _entry(admin, orgs["fit-paused"], fields=["hikikomori"], capacity="paused", takes_consultations=False)
    _entry(admin, orgs["fit-language"], fields=["foreign"], languages=["vi", "en"])
    _entry(admin, orgs["out-of-area"], fields=["hikikomori", "h8050"], service_area=["koshigoe"])
    _entry(admin, orgs["too-young"], fields=["hikikomori"], age_max=24)
    _entry(admin, orgs["no-fit"], fields=["dv"], service_area=[])
    _entry(admin, orgs["already"], fields=["hikikomori", "h8050"])
    _entry(admin, basic.orgs["kmk-chiiki"], fields=["hikikomori", "h8050"])  # the caller's own
    refer(coord, case["id"], orgs["already"])
    r = coord.get(f"/api/v1/referrals/suggestions?case_id={case['id']}")
    assert r.status_code == 200, r.get_json()
    items = r.get_json()["items"]
    codes = [x["org"]["code"] for x in items]
    assert codes == ["fit-best", "fit-language", "fit-paused"]
    best = items[0]
    assert best["reasons"] == ["活動分野が一致: 8050、ひきこもり", "対応地域内（大船）", "対象年齢に該当（18〜64歳）",
                               "現在受入可能", "個別相談を受け付けている", "他機関との協同支援が可能"]
    assert best["caveats"] == ["外国語対応の記載なし: ベトナム語"]
    assert best["score"] == 6 + 1 + 1 + 1 + 1 + 1
    assert best["directory"]["fields"] == ["hikikomori", "h8050"]
    assert "外国語対応: ベトナム語" in items[1]["reasons"]
    assert "現在、受入を停止中" in items[2]["caveats"] and items[2]["score"] < items[1]["score"]
    assert coord.get(f"/api/v1/referrals/suggestions?case_id={case['id']}&limit=1").get_json()["items"][0][
        "org"]["code"] == "fit-best"
    # only organisations working on the case ask for suggestions
    assert act(npo, refer(coord, case["id"], basic.orgs["kmm-npo"])["id"], "accept").status_code == 200
    assert npo.get(f"/api/v1/referrals/suggestions?case_id={case['id']}").status_code == 200
    other = basic.client("other@example.jp")
    assert other.get(f"/api/v1/referrals/suggestions?case_id={case['id']}").status_code == 404
    assert coord.get("/api/v1/referrals/suggestions").status_code == 422


def test_suggestions_need_involvement_not_just_a_pending_referral(setup):
    basic, coord, npo, case = setup
    refer(coord, case["id"], basic.orgs["kmm-npo"])
    assert npo.get(f"/api/v1/referrals/suggestions?case_id={case['id']}").status_code == 403


def test_lgbtq_expertise_counts_for_lgbtq_cases(setup):
    basic, coord, npo, case = setup
    admin = basic.client("admin@example.jp")
    young = open_case(coord, person={"name": "佐藤 空", "name_kana": "サトウ ソラ", "birth_date": "2008-05-05"},
                      issues=["lgbtq", "isolation"], with_parent=False)
    ally = basic.org("ally", "other")
    youth = basic.org("youth", "npo")
    _entry(admin, ally, fields=["isolation"], lgbtq=True, takes_consultations=True)
    _entry(admin, youth, fields=["isolation"], age_max=24)
    items = coord.get(f"/api/v1/referrals/suggestions?case_id={young['id']}").get_json()["items"]
    assert [x["org"]["code"] for x in items] == ["ally", "youth"]
    assert "LGBTQ+に関する専門性・対応あり" in items[0]["reasons"]
    assert "対象年齢に該当（24歳以下）" in items[1]["reasons"]
