"""主担当と副担当 (issue 18, part 2): a co-lead works on the case like the lead; the lead is handed over by an
offer the receiving organisation accepts, race-safe, with history. Through the HTTP API, both engines."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select

from support import YAMADA, Http, audit_verify, live_server, make_plan, open_case, race


@pytest.fixture
def team(basic):
    """鎌倉市: the lead department (coord), an NPO (npo), a second department (coord2, 社協 role); 熊本市 apart."""
    basic.org("kmk-shakyo", "npo", "鎌倉市社会福祉協議会")
    basic.user("shakyo@example.jp", "kmk-shakyo", "npo_staff")
    basic.municipality("kumamoto", "熊本市", districts=[("chuo", "中央区")])
    basic.org("kmt-dept", "department", "熊本市 福祉課", municipality="kumamoto")
    return basic


def _events(app, action):
    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    with app.app_context():
        return [json.loads(e.detail) for e in
                db.session().scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


def test_a_co_lead_works_on_the_case_and_sees_personal_data_only_on_a_basis(app, team):
    coord, npo = team.client("coord@example.jp"), team.client("npo@example.jp")
    case = open_case(coord)
    cid, npo_id = case["id"], str(team.orgs["kmm-npo"])
    assert npo.get(f"/api/v1/cases/{cid}").status_code == 404  # not involved yet

    r = coord.post(f"/api/v1/cases/{cid}/co-leads", json={"org_id": npo_id})
    assert r.status_code == 201, r.get_json()
    assert [c["org"]["id"] for c in r.get_json()["co_leads"]] == [npo_id]
    assert r.get_json()["lead"]["id"] == str(team.orgs["kmk-chiiki"])

    detail = npo.get(f"/api/v1/cases/{cid}")
    assert detail.status_code == 200
    assert YAMADA["name"] not in detail.get_data(as_text=True)  # involvement is not a basis for personal data
    assert cid in [c["id"] for c in npo.get("/api/v1/cases").get_json()["items"]]
    r = npo.post(f"/api/v1/cases/{cid}/progress", json={"kind": "visit", "occurred_on": "2026-11-01",
                                                        "body": "副担当として訪問"})
    assert r.status_code == 201, r.get_json()
    make_plan(coord, cid, team.orgs["kmk-chiiki"])
    r = npo.post(f"/api/v1/cases/{cid}/plan/goals", json={"text": "就労体験に参加する"})
    assert r.status_code == 201, r.get_json()  # the co-lead edits the plan
    r = npo.patch(f"/api/v1/cases/{cid}/plan", json={"policy": "副担当が見直し"},
                  headers={"If-Match": npo.get(f"/api/v1/cases/{cid}/plan").headers["ETag"]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["policy"] == "副担当が見直し"
    stale = npo.get("/api/v1/followup/stale-cases?days=0").get_json()["items"]
    assert cid in [c["case"]["id"] for c in stale]  # in the co-lead's follow-up lists
    assert _events(app, "cases.co_lead_add") == [{"org_id": npo_id}]


def test_only_the_lead_adds_a_co_lead_of_its_own_municipality(app, team):
    coord, npo, shakyo = (team.client(e) for e in ("coord@example.jp", "npo@example.jp", "shakyo@example.jp"))
    cid = open_case(coord)["id"]
    npo_id = str(team.orgs["kmm-npo"])
    assert coord.post(f"/api/v1/cases/{cid}/co-leads", json={"org_id": npo_id}).status_code == 201
    # the co-lead cannot name further co-leads: that is the lead's
    r = npo.post(f"/api/v1/cases/{cid}/co-leads", json={"org_id": str(team.orgs["kmk-shakyo"])})
    assert r.status_code == 403
    # an organisation of another municipality, the lead itself, an unknown id: 422 naming the field
    for org_id in (str(team.orgs["kmt-dept"]), str(team.orgs["kmk-chiiki"]), "00000000-0000-4000-8000-000000000000"):
        r = coord.post(f"/api/v1/cases/{cid}/co-leads", json={"org_id": org_id})
        assert r.status_code == 422 and "org_id" in r.get_json()["errors"], r.get_json()
    assert coord.post(f"/api/v1/cases/{cid}/co-leads", json={"org_id": npo_id}).status_code == 409
    # nor may the co-lead hand the lead to itself or to anyone: that too is the lead's; nothing is stored
    for to in (npo_id, str(team.orgs["kmk-shakyo"])):
        r = npo.post(f"/api/v1/cases/{cid}/lead-handovers", json={"to_org_id": to, "reason": "引き取りたい"})
        assert r.status_code == 403, r.get_json()
    leads = coord.get(f"/api/v1/cases/{cid}/leads").get_json()
    assert leads["handovers"] == [] and [c["org"]["id"] for c in leads["co_leads"]] == [npo_id]
    assert npo.get("/api/v1/lead-handovers?box=outbox").get_json()["items"] == []
    # an uninvolved organisation does not even see the case
    assert shakyo.post(f"/api/v1/cases/{cid}/co-leads/{npo_id}/end").status_code == 404
    # the co-lead ends its own part and the case is gone from it
    r = npo.post(f"/api/v1/cases/{cid}/co-leads/{npo_id}/end")
    assert r.status_code == 200 and r.get_json()["co_leads"] == []
    assert npo.get(f"/api/v1/cases/{cid}").status_code == 404
    assert coord.post(f"/api/v1/cases/{cid}/co-leads/{npo_id}/end").status_code == 404  # nothing open any more
    assert _events(app, "cases.co_lead_end") == [{"org_id": npo_id}]


def test_the_lead_is_handed_over_by_an_accepted_offer(app, team):
    coord, npo = team.client("coord@example.jp"), team.client("npo@example.jp")
    cid = open_case(coord)["id"]
    chiiki, npo_id = str(team.orgs["kmk-chiiki"]), str(team.orgs["kmm-npo"])
    r = npo.post(f"/api/v1/cases/{cid}/lead-handovers", json={"to_org_id": npo_id, "reason": "自分で"})
    assert r.status_code == 404  # not involved: it does not see the case
    r = coord.post(f"/api/v1/cases/{cid}/lead-handovers", json={"to_org_id": npo_id, "reason": "就労支援が中心に"})
    assert r.status_code == 201, r.get_json()
    offer = r.get_json()
    assert offer["state"] == "pending" and offer["previous_lead_stays"] is True
    assert coord.post(f"/api/v1/cases/{cid}/lead-handovers",
                      json={"to_org_id": npo_id, "reason": "二重"}).status_code == 409

    inbox = npo.get("/api/v1/lead-handovers?box=inbox").get_json()["items"]
    assert [h["id"] for h in inbox] == [offer["id"]]
    assert YAMADA["name"] not in str(inbox) and inbox[0]["case"]["issues"]  # de-identified before acceptance
    assert coord.post(f"/api/v1/lead-handovers/{offer['id']}/accept").status_code == 403  # not the receiver
    assert npo.post(f"/api/v1/lead-handovers/{offer['id']}/decline", json={}).status_code == 422  # reason needed

    r = npo.post(f"/api/v1/lead-handovers/{offer['id']}/accept")
    assert r.status_code == 200 and r.get_json()["state"] == "accepted", r.get_json()
    assert npo.post(f"/api/v1/lead-handovers/{offer['id']}/accept").status_code == 409
    leads = npo.get(f"/api/v1/cases/{cid}/leads").get_json()
    assert leads["lead"]["id"] == npo_id
    assert [c["org"]["id"] for c in leads["co_leads"]] == [chiiki]  # the old lead stays as 副担当
    assert [(h["from_org"]["id"], h["to_org"]["id"], h["state"]) for h in leads["handovers"]] == \
        [(chiiki, npo_id, "accepted")]
    assert npo.get(f"/api/v1/cases/{cid}").get_json()["owner_org"]["id"] == npo_id
    # an organisation that only has a pending referral sees who leads, not the hand-overs' reasons
    shakyo = team.client("shakyo@example.jp")
    r = npo.post("/api/v1/referrals", json={"case_id": cid, "to_org_id": str(team.orgs["kmk-shakyo"]),
                                            "reason": "見守り", "requested_support": "訪問"})
    assert r.status_code == 201, r.get_json()
    seen = shakyo.get(f"/api/v1/cases/{cid}/leads").get_json()
    assert seen["lead"]["id"] == npo_id and seen["handovers"] == [] and "就労支援" not in str(seen)
    # the new lead edits the case; the old one, now co-lead, no longer may
    etag = npo.get(f"/api/v1/cases/{cid}").headers["ETag"]
    assert npo.patch(f"/api/v1/cases/{cid}", json={"urgency": "high"}, headers={"If-Match": etag}).status_code == 200
    etag = coord.get(f"/api/v1/cases/{cid}").headers["ETag"]
    assert coord.patch(f"/api/v1/cases/{cid}", json={"urgency": "low"}, headers={"If-Match": etag}).status_code == 403
    assert [d["to_org_id"] for d in _events(app, "cases.handover_accept")] == [npo_id]
    audit_verify(team.app.config["DATABASE_URL"])


def test_an_offer_can_be_declined_or_withdrawn_and_the_old_lead_may_leave(app, team):
    coord, npo, shakyo = (team.client(e) for e in ("coord@example.jp", "npo@example.jp", "shakyo@example.jp"))
    cid = open_case(coord)["id"]
    npo_id, shakyo_id = str(team.orgs["kmm-npo"]), str(team.orgs["kmk-shakyo"])
    first = coord.post(f"/api/v1/cases/{cid}/lead-handovers", json={"to_org_id": npo_id, "reason": "相談"}).get_json()
    r = npo.post(f"/api/v1/lead-handovers/{first['id']}/decline", json={"reason": "受入枠が満員"})
    assert r.status_code == 200 and r.get_json()["state"] == "declined"
    second = coord.post(f"/api/v1/cases/{cid}/lead-handovers",
                        json={"to_org_id": npo_id, "reason": "再度", "previous_lead_stays": False}).get_json()
    assert npo.post(f"/api/v1/lead-handovers/{second['id']}/withdraw").status_code == 403  # the offerer's act
    assert coord.post(f"/api/v1/lead-handovers/{second['id']}/withdraw").get_json()["state"] == "withdrawn"
    third = coord.post(f"/api/v1/cases/{cid}/lead-handovers",
                       json={"to_org_id": shakyo_id, "reason": "社協へ", "previous_lead_stays": False}).get_json()
    assert shakyo.post(f"/api/v1/lead-handovers/{third['id']}/accept").status_code == 200
    leads = shakyo.get(f"/api/v1/cases/{cid}/leads").get_json()
    assert leads["lead"]["id"] == shakyo_id and leads["co_leads"] == []
    assert [h["state"] for h in leads["handovers"]] == ["declined", "withdrawn", "accepted"]
    assert coord.get(f"/api/v1/cases/{cid}").status_code == 404  # the old lead left the case


def test_two_organisations_accepting_at_once_leave_one_winner(app, team):
    coord = team.client("coord@example.jp")
    receivers = {"npo@example.jp": "kmm-npo", "shakyo@example.jp": "kmk-shakyo"}
    with live_server(app) as base:
        clients = {e: Http(base, e) for e in receivers}
        for round_no in range(5):
            cid = open_case(coord, summary=f"交代の競合 {round_no}")["id"]
            offers = {e: coord.post(f"/api/v1/cases/{cid}/lead-handovers",
                                    json={"to_org_id": str(team.orgs[code]), "reason": "どちらかへ"}).get_json()["id"]
                      for e, code in receivers.items()}
            results = race([lambda e=e: clients[e].post(f"/api/v1/lead-handovers/{offers[e]}/accept")
                            for e in receivers])
            codes = Counter(r.status_code for r in results)
            assert codes == Counter({200: 1, 409: 1}), [(r.status_code, r.text[:200]) for r in results]
            winner = next(e for e, r in zip(receivers, results) if r.status_code == 200)
            leads = clients[winner].get(f"/api/v1/cases/{cid}/leads").json()
            assert leads["lead"]["id"] == str(team.orgs[receivers[winner]])
            assert sorted(h["state"] for h in leads["handovers"]) == ["accepted", "lapsed"]
    audit_verify(app.config["DATABASE_URL"])


def test_the_kpi_report_counts_a_case_once_by_lead_and_breaks_down_by_co_lead(app, team):
    from support import today_jst

    coord = team.client("coord@example.jp")
    shared = [open_case(coord, summary=f"共同支援 {i}")["id"] for i in range(2)]
    open_case(coord, summary="単独")
    for cid in shared:
        for code in ("kmm-npo", "kmk-shakyo"):
            assert coord.post(f"/api/v1/cases/{cid}/co-leads", json={"org_id": str(team.orgs[code])}).status_code == 201
    today = today_jst().isoformat()
    app.config["REPORT_LEAD_ORGS"] = ["kmk-chiiki"]  # exact counts for the lead department
    sup = team.client("super@example.jp")
    k = sup.get(f"/api/v1/reports/kpi?from={today}&to={today}&audience=internal").get_json()
    assert k["new_consultations"]["total"] == 3  # each case once, by its lead
    assert k["new_consultations"]["by_co_lead"] == {"NPO法人 テスト支援会": 2, "鎌倉市社会福祉協議会": 2}
    by_lead = sup.get(f"/api/v1/reports/kpi?from={today}&to={today}&audience=internal"
                      f"&org_id={team.orgs['kmk-chiiki']}").get_json()
    assert by_lead["new_consultations"]["total"] == 3
    csv = sup.get(f"/api/v1/reports/kpi.csv?from={today}&to={today}&audience=internal").get_data(as_text=True)
    assert "新規相談（副担当別）,鎌倉市社会福祉協議会,2" in csv
