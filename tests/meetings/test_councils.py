"""Councils (会議体) as standing bodies with their own boundary (issue 18, part 1), through the HTTP API:
who sets one up and runs it, membership over time, pledges that stop at a council's edge, 須坂市's 要綱 (quorum,
invited non-members), and disclosures that name the council."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from support import HANAKO, YAMADA, open_case, run, without_spaces

SATO = {"name": "佐藤 一郎", "name_kana": "サトウ イチロウ", "birth_date": "1990-06-01"}
SUZAKA_BYLAWS = ("第5条 会議は、会長が招集し、その議長となる。会議は委員の半数以上の出席がなければ開くことができない。\n"
                 "第6条 会長は、必要があると認めるときは、委員以外の者に出席を求め、説明又は意見を聴くことができる。")


def now():
    return datetime.now(timezone.utc)


@pytest.fixture
def cw(basic):
    """basic + three more member organisations with a user each, and a school outside the council."""
    basic.user("chair@example.jp", "kmk-chiiki", "supervisor", name="会長 太郎")
    for code, kind, email in (("kmk-hoken", "department", "hoken@example.jp"), ("kmk-shakyo", "shakyo", "shakyo@example.jp"),
                              ("kmk-hokatsu", "care_center", "hokatsu@example.jp")):
        basic.org(code, kind, f"組織 {code}")
        basic.user(email, code, "staff" if kind == "department" else "npo_staff")
    basic.user("npo-super@example.jp", "kmm-npo", "supervisor")
    basic.org("kmk-school", "department", "鎌倉市立 第一中学校")
    basic.user("teacher@example.jp", "kmk-school", "staff", name="担任 花子")
    return basic


def members(w, *codes):
    return [str(w.orgs[c]) for c in codes]


def create_council(client, w, **body):
    payload = {"kind": "support_meeting", "name": "須坂市支援会議", "member_org_ids": members(w, "kmm-npo", "kmk-hoken", "kmk-shakyo"),
               "chair_user_id": str(w.users["chair@example.jp"]), "quorum_percent": 50, "invites_non_members": True,
               "bylaws_title": "須坂市支援会議設置要綱", "bylaws_text": SUZAKA_BYLAWS, "schedule": "毎月第3火曜",
               "pledge_scope": "meeting", **body}
    r = client.post("/api/v1/councils", json=payload)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def create_meeting(client, w, council, **body):
    payload = {"council_id": council["id"], "title": "第1回", "starts_at": (now() - timedelta(hours=1)).isoformat(),
               "place": "市役所 第1会議室",
               "attendee_user_ids": [str(w.users[e]) for e in ("npo@example.jp", "hoken@example.jp", "shakyo@example.jp")],
               **body}
    r = client.post("/api/v1/meetings", json=payload)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def patch(client, url, body):
    tag = client.get(url).headers["ETag"]
    return client.patch(url, json=body, headers={"If-Match": tag})


def events(app, action):
    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    with app.app_context():
        return [(e.outcome, json.loads(e.detail), json.loads(e.disclosures))
                for e in db.session().scalars(select(AuditEvent).where(AuditEvent.action == action)
                                              .order_by(AuditEvent.seq))]


def names(agenda) -> set[str]:
    return {p["name"] for i in agenda["items"] for p in i["persons"] if p.get("name")}


# --- setting up and running a council ----------------------------------------------------------

def test_council_set_up_by_the_municipality_and_run_by_its_secretariat(cw):
    chair = cw.client("chair@example.jp")
    council = create_council(chair, cw)
    assert council["legal_basis"] == "社会福祉法第106条の6" and council["shares_without_consent"] is True
    assert council["quorum_rule"] == "構成機関の半数以上の出席" and council["quorum_now"] == 2  # 4 members
    assert council["secretariat_org"]["id"] == str(cw.orgs["kmk-chiiki"]) and council["can_manage"] is True
    assert {m["org"]["id"] for m in council["members"]} == set(members(cw, "kmk-chiiki", "kmm-npo", "kmk-hoken",
                                                                       "kmk-shakyo"))
    url = f"/api/v1/councils/{council['id']}"
    # An NPO may run a ケース会議 but not set up a council that shares without consent.
    npo_sv = cw.client("npo-super@example.jp")
    r = npo_sv.post("/api/v1/councils", json={"kind": "child_protection_council", "name": "要対協"})
    assert r.status_code == 403
    assert npo_sv.post("/api/v1/councils", json={"kind": "case_conference", "name": "NPOケース会議"}).status_code == 201
    # Case workers read; they do not set up councils.
    assert cw.client("coord@example.jp").post("/api/v1/councils", json={"kind": "regular", "name": "x"}).status_code == 403
    # Members see it; anyone else does not.
    assert cw.client("npo@example.jp").get(url).status_code == 200
    assert cw.client("teacher@example.jp").get(url).status_code == 404
    assert council["id"] not in [c["id"] for c in cw.client("teacher@example.jp").get("/api/v1/councils")
                                 .get_json()["items"]]
    # A member's supervisor is not the secretariat: it cannot edit or change the membership.
    assert patch(npo_sv, url, {"schedule": "毎週"}).status_code == 403
    assert npo_sv.post(f"{url}/members", json={"org_id": str(cw.orgs["kmk-hokatsu"])}).status_code == 403
    # The kind, and so the legal basis, never changes; a duplicate name is refused.
    r = patch(chair, url, {"kind": "case_conference"})
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]
    r = chair.post("/api/v1/councils", json={"kind": "case_conference", "name": "須坂市支援会議"})
    assert r.status_code == 422 and "name" in r.get_json()["errors"]
    assert patch(chair, url, {"quorum_percent": 75}).get_json()["quorum_now"] == 3
    assert chair.patch(url, json={"quorum_percent": 50}).status_code == 428
    # Every refused write left nothing; every write is audited.
    assert [o for o, _d, _x in events(cw.app, "councils.create")] == ["allowed", "allowed"]
    assert [o for o, _d, _x in events(cw.app, "councils.update")] == ["allowed"]
    # the NPO's 要対協, the case worker's council, the NPO's edit and member change
    assert [o for o, _d, _x in events(cw.app, "councils.manage")] == ["denied"] * 4


def test_membership_over_time_is_the_meetings_boundary(cw):
    chair = cw.client("chair@example.jp")
    coord = cw.client("coord@example.jp")
    case = open_case(coord)
    council = create_council(chair, cw)
    url = f"/api/v1/councils/{council['id']}"
    meeting = create_meeting(chair, cw, council)
    murl = f"/api/v1/meetings/{meeting['id']}"
    assert {m["id"] for m in meeting["members"]} == set(members(cw, "kmk-chiiki", "kmm-npo", "kmk-hoken", "kmk-shakyo"))
    assert meeting["council"]["name"] == "須坂市支援会議" and meeting["kind"] == "support_meeting"
    chair.post(f"{murl}/agenda", json={"case_id": case["id"]})
    shakyo = cw.client("shakyo@example.jp")
    assert shakyo.post(f"{murl}/pledge").status_code == 201
    assert names(shakyo.get(f"{murl}/agenda").get_json()) == {YAMADA["name"], HANAKO["name"]}
    # A new member joins the planned meetings.
    r = chair.post(f"{url}/members", json={"org_id": str(cw.orgs["kmk-hokatsu"])})
    assert r.status_code == 201 and r.get_json()["member_count"] == 5
    assert cw.client("hokatsu@example.jp").get(murl).status_code == 200
    assert chair.post(f"{url}/members", json={"org_id": str(cw.orgs["kmk-hokatsu"])}).status_code == 409
    # The chair's organisation and the secretariat stay.
    r = chair.post(f"{url}/members/{cw.orgs['kmk-chiiki']}/end")
    assert r.status_code == 422 and "org_id" in r.get_json()["errors"]
    # A member that leaves loses the meetings whose window is open: the meeting, the case, the names.
    r = chair.post(f"{url}/members/{cw.orgs['kmk-shakyo']}/end")
    assert r.status_code == 200
    body = r.get_json()
    assert str(cw.orgs["kmk-shakyo"]) in {m["org"]["id"] for m in body["former_members"]}
    assert shakyo.get(murl).status_code == 404
    assert shakyo.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert chair.post(f"{url}/members/{cw.orgs['kmk-shakyo']}/end").status_code == 404
    assert [d["meetings_left"] for o, d, _x in events(cw.app, "councils.member.end") if o == "allowed"] == [1]


def test_an_organisation_of_another_municipality_is_never_a_member(cw):
    """The municipality bounds a council: another city's organisation without a membership here is refused as a
    member, when the council is set up and when one is added, and nothing is stored."""
    cw.municipality("kumamoto", "熊本市")
    cw.org("kmm-city", "department", "熊本市 健康福祉政策課", municipality="kumamoto")
    chair = cw.client("chair@example.jp")
    r = chair.post("/api/v1/councils", json={"kind": "support_meeting", "name": "越境",
                                             "member_org_ids": [str(cw.orgs["kmm-city"])]})
    assert r.status_code == 422 and "member_org_ids" in r.get_json()["errors"]
    assert [c["name"] for c in chair.get("/api/v1/councils").get_json()["items"]] == []
    council = create_council(chair, cw)
    r = chair.post(f"/api/v1/councils/{council['id']}/members", json={"org_id": str(cw.orgs["kmm-city"])})
    assert r.status_code == 422 and "org_id" in r.get_json()["errors"]
    assert chair.get(f"/api/v1/councils/{council['id']}").get_json()["member_count"] == 4
    assert [o for o, _d, _x in events(cw.app, "councils.member.add")] == []


def test_a_pledge_for_one_council_does_not_open_another(cw):
    """Two councils with the same members discuss the same case; a fiscal-year pledge to one shows nothing in
    the other's papers, and a disclosure names the council whose meeting made it."""
    chair = cw.client("chair@example.jp")
    coord = cw.client("coord@example.jp")
    case = open_case(coord)
    a = create_council(chair, cw, name="支援会議", pledge_scope="fiscal_year")
    b = create_council(chair, cw, name="孤独・孤立対策地域協議会", kind="isolation_council", pledge_scope="fiscal_year")
    ma, mb = create_meeting(chair, cw, a), create_meeting(chair, cw, b)
    for m in (ma, mb):
        chair.post(f"/api/v1/meetings/{m['id']}/agenda", json={"case_id": case["id"]})
    npo = cw.client("npo@example.jp")
    r = npo.post(f"/api/v1/meetings/{ma['id']}/pledge")
    assert r.status_code == 201 and r.get_json()["pledge"]["council_id"] == a["id"]
    assert names(npo.get(f"/api/v1/meetings/{ma['id']}/agenda").get_json()) == {YAMADA["name"], HANAKO["name"]}
    agenda_b = npo.get(f"/api/v1/meetings/{mb['id']}/agenda").get_json()
    assert names(agenda_b) == set() and agenda_b["pledged"] is False
    pdf = npo.get(f"/api/v1/meetings/{mb['id']}/agenda.pdf")
    assert pdf.status_code == 200
    assert YAMADA["name"].replace(" ", "") not in without_spaces(_pdf_text(pdf.data, cw))
    # The case page (case work) may use council A's basis; the disclosure names A.
    detail = npo.get(f"/api/v1/cases/{case['id']}").get_json()
    assert any(p.get("name") == YAMADA["name"] for p in detail["persons"])
    shown = [d for _o, _d, ds in events(cw.app, "cases.read") for d in ds if d["basis"].startswith("support_meeting:")]
    assert shown and {d["council"] for d in shown} == {a["id"]}
    assert {d["basis"] for d in shown} == {f"support_meeting:{ma['id']}"}
    # The per-person disclosure report groups the 支援会議-basis disclosures by council.
    primary = next(p for p in detail["persons"] if p["is_primary"])
    report = cw.client("auditor@example.jp").get(f"/api/v1/audit-events/persons/{primary['id']}/report").get_json()
    assert [(c["council_name"], c["kind_label"], c["legal_basis"], c["meetings"]) for c in report["councils"]] == [
        ("支援会議", "支援会議", "社会福祉法第106条の6", 1)]
    assert report["councils"][0]["organisations"][0]["org_id"] == str(cw.orgs["kmm-npo"])


def _pdf_text(data: bytes, w) -> str:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "doc.pdf"
        path.write_bytes(data)
        return run(["pdftotext", str(path), "-"])


# --- 須坂市's 要綱: quorum and invited non-members ------------------------------------------------

def test_suzaka_bylaws_quorum_and_an_invited_non_member(cw):
    chair = cw.client("chair@example.jp")
    coord = cw.client("coord@example.jp")
    first, second = open_case(coord), open_case(coord, person=SATO, with_parent=False)
    council = create_council(chair, cw)
    meeting = create_meeting(chair, cw, council)
    murl = f"/api/v1/meetings/{meeting['id']}"
    item1 = chair.post(f"{murl}/agenda", json={"case_id": first["id"], "points": "登校状況と家庭の様子"}).get_json()["id"]
    item2 = chair.post(f"{murl}/agenda", json={"case_id": second["id"], "points": "就労に向けた支援"}).get_json()["id"]
    teacher_id = str(cw.users["teacher@example.jp"])
    teacher = cw.client("teacher@example.jp")
    # Before the invitation the school sees nothing of the meeting.
    assert teacher.get(murl).status_code == 404
    # Invitations: only a non-member, only by the organiser.
    r = chair.post(f"{murl}/agenda/{item1}/guests", json={"user_id": str(cw.users["npo@example.jp"])})
    assert r.status_code == 422 and "user_id" in r.get_json()["errors"]
    assert cw.client("npo-super@example.jp").post(f"{murl}/agenda/{item1}/guests",
                                                  json={"user_id": teacher_id}).status_code == 403
    r = chair.post(f"{murl}/agenda/{item1}/guests", json={"user_id": teacher_id})
    assert r.status_code == 201
    assert [g["display_name"] for g in next(i for i in r.get_json()["items"] if i["id"] == item1)["guests"]] == ["担任 花子"]
    assert chair.post(f"{murl}/agenda/{item1}/guests", json={"user_id": teacher_id}).status_code == 409
    # The invited teacher sees the meeting with their item only; names after an individual pledge.
    seen = teacher.get(f"{murl}/agenda").get_json()
    assert [i["id"] for i in seen["items"]] == [item1] and names(seen) == set()
    assert seen["meeting"]["my_role"] == "guest"
    r = teacher.post(f"{murl}/pledge")
    assert r.status_code == 201 and r.get_json()["pledge"]["scope"] == "meeting"
    seen = teacher.get(f"{murl}/agenda").get_json()
    assert [i["id"] for i in seen["items"]] == [item1]
    assert names(seen) == {YAMADA["name"], HANAKO["name"]} and seen["items"][0]["points"] == "登校状況と家庭の様子"
    assert teacher.get(f"/api/v1/cases/{first['id']}").status_code == 200
    assert teacher.get(f"/api/v1/cases/{second['id']}").status_code == 404
    assert [c["id"] for c in teacher.get(f"{murl}/cases").get_json()] == [first["id"]]
    pdf = teacher.get(f"{murl}/agenda.pdf")
    assert pdf.status_code == 200 and SATO["name"].replace(" ", "") not in without_spaces(_pdf_text(pdf.data, cw))
    # An item removed takes its guests' access with it.
    xid = chair.post(f"{murl}/agenda", json={"topic": "学校からの報告"}).get_json()["id"]
    assert chair.post(f"{murl}/agenda/{xid}/guests", json={"user_id": teacher_id}).status_code == 201
    assert len(teacher.get(f"{murl}/agenda").get_json()["items"]) == 2
    assert chair.delete(f"{murl}/agenda/{xid}").status_code == 204
    assert [i["id"] for i in teacher.get(f"{murl}/agenda").get_json()["items"]] == [item1]
    # A council whose 要綱 does not provide for it invites nobody.
    closed = create_council(chair, cw, name="閉じた会議体", invites_non_members=False)
    other = create_meeting(chair, cw, closed)
    oitem = chair.post(f"/api/v1/meetings/{other['id']}/agenda", json={"topic": "報告"}).get_json()["id"]
    assert chair.post(f"/api/v1/meetings/{other['id']}/agenda/{oitem}/guests",
                      json={"user_id": teacher_id}).status_code == 409

    # Held with one of the four member organisations present: the meeting stands, its decisions do not carry.
    r = chair.post(f"{murl}/transitions", json={"to": "held",
                                                "present_user_ids": [str(cw.users["chair@example.jp"])]})
    assert r.status_code == 200, r.get_json()
    quorum = r.get_json()["quorum"]
    assert (quorum["required"], quorum["present"], quorum["met"], quorum["decisions_carried"]) == (2, 1, False, False)
    assert {a["display_name"]: a["present"] for a in r.get_json()["attendees"]}["会長 太郎"] is True
    r = chair.post(f"{murl}/decisions", json={"agenda_item_id": item1, "title": "学校と家庭訪問を分担する",
                                              "owner_org_id": str(cw.orgs["kmk-hoken"]),
                                              "due_on": (now() + timedelta(days=14)).date().isoformat()})
    assert r.status_code == 201
    decision = r.get_json()
    assert decision["carried"] is False and decision["task_id"] is None and decision["carried_label"].startswith("不成立")
    plan = coord.get(f"/api/v1/cases/{first['id']}/plan")
    assert "学校と家庭訪問を分担する" not in plan.get_data(as_text=True)
    minutes = chair.get(f"{murl}/minutes").get_json()
    assert "決定は成立していません" in minutes["quorum"]["note"]
    text = without_spaces(_pdf_text(chair.get(f"{murl}/minutes.pdf").data, cw))
    assert "決定は成立していません" in text and "不成立" in text and "欠席" in text
    # The guest's minutes hold their item only.
    assert [i["id"] for i in teacher.get(f"{murl}/minutes").get_json()["items"]] == [item1]
    assert item2 not in json.dumps(teacher.get(f"{murl}/decisions").get_json())
    # Present attendees must be the meeting's; a quorate meeting's decisions carry and become tasks.
    again = create_meeting(chair, cw, council, title="第2回")
    aurl = f"/api/v1/meetings/{again['id']}"
    aitem = chair.post(f"{aurl}/agenda", json={"case_id": first["id"]}).get_json()["id"]
    r = chair.post(f"{aurl}/transitions", json={"to": "held", "present_user_ids": [teacher_id]})
    assert r.status_code == 422 and "present_user_ids" in r.get_json()["errors"]
    r = chair.post(f"{aurl}/transitions", json={"to": "held", "present_user_ids": [
        str(cw.users[e]) for e in ("chair@example.jp", "hoken@example.jp")]})
    assert r.get_json()["quorum"]["met"] is True
    r = chair.post(f"{aurl}/decisions", json={"agenda_item_id": aitem, "title": "週1回の訪問",
                                              "owner_org_id": str(cw.orgs["kmk-hoken"]),
                                              "due_on": (now() + timedelta(days=14)).date().isoformat()})
    assert r.get_json()["carried"] is True and r.get_json()["task_id"]
    held = [d for o, d, _x in events(cw.app, "meetings.transition") if o == "allowed" and d["to"] == "held"]
    assert [(d["quorum_required"], d["members_present"], d["quorum_met"]) for d in held] == [(2, 1, False), (2, 2, True)]


# --- the migration that gathers existing meetings into councils -----------------------------------

def test_migration_gathers_existing_meetings_into_councils(cw, db_url):
    """Meetings written before councils existed (0014) are gathered into one council per organiser and kind,
    with their members; a fiscal-year pledge follows the meetings its signer attended, so what a pledged
    member saw before the upgrade, it sees after."""
    from click.testing import CliRunner
    from sqlalchemy import create_engine

    from caseflow.cli import main
    from caseflow.core import db

    chair = cw.client("chair@example.jp")
    case = open_case(cw.client("coord@example.jp"))
    council = create_council(chair, cw, pledge_scope="fiscal_year")
    first = create_meeting(chair, cw, council)
    second = create_meeting(chair, cw, council, title="第2回")
    chair.post(f"/api/v1/meetings/{second['id']}/agenda", json={"case_id": case["id"]})
    npo = cw.client("npo@example.jp")
    assert npo.post(f"/api/v1/meetings/{first['id']}/pledge").status_code == 201
    before = names(npo.get(f"/api/v1/meetings/{second['id']}/agenda").get_json())
    assert before == {YAMADA["name"], HANAKO["name"]}
    with cw.app.app_context():
        db.engine().dispose()

    def run(*args):
        r = CliRunner().invoke(main, list(args), env={"CASEFLOW_DATABASE_URL": db_url})
        assert r.exit_code == 0, r.output

    run("db", "downgrade", "0014")
    run("db", "upgrade")
    eng = create_engine(db_url)
    with eng.connect() as conn:
        rows = conn.exec_driver_sql("SELECT kind, name, legal_basis FROM councils").all()
        council_of = {str(m) if not isinstance(m, str) else m: c for m, c in
                      conn.exec_driver_sql("SELECT id, council_id FROM meetings").all()}
        pledge_councils = conn.exec_driver_sql("SELECT council_id FROM pledges WHERE meeting_id IS NULL").all()
        member_count = conn.exec_driver_sql("SELECT COUNT(*) FROM council_members").scalar()
    eng.dispose()
    assert [(k, b) for k, _n, b in rows] == [("support_meeting", "社会福祉法第106条の6")]
    assert len(set(council_of.values())) == 1 and pledge_councils[0][0] is not None
    assert member_count == 4
    npo = cw.client("npo@example.jp")
    assert names(npo.get(f"/api/v1/meetings/{second['id']}/agenda").get_json()) == before
