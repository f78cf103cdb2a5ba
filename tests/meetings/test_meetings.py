"""支援会議 and other case conferences (issue 7): lifecycle, pledges, agenda-driven sharing, minutes,
decisions that become plan tasks, locking and corrections. Through the HTTP API against a real database."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from support import HANAKO, YAMADA, council_for, open_case, personal_values

SATO = {"name": "佐藤 一郎", "name_kana": "サトウ イチロウ", "birth_date": "1990-06-01", "phone": "080-9999-0000"}
CASE_POINTS = "長男の就労に向けた段階的な支援と母親の介護負担について協議する"
TOPIC_POINTS = "地区の居場所づくり事業の進め方"


def now():
    return datetime.now(timezone.utc)


@pytest.fixture
def mtg(basic):
    """basic + a chair, two NPO attendees (one will pledge), and an organisation outside the meeting."""
    basic.user("chair@example.jp", "kmk-chiiki", "supervisor", name="高橋 恵子")
    basic.user("pledged@example.jp", "kmm-npo", "npo_staff", name="中村 修")
    basic.user("unpledged@example.jp", "kmm-npo", "npo_staff", name="小林 由美")
    basic.org("kmk-kodomo", "department", "鎌倉市 こども支援課")
    basic.user("outsider@example.jp", "kmk-kodomo", "staff", name="外部 職員")
    basic.user("outsider-super@example.jp", "kmk-kodomo", "supervisor", name="外部 SV")
    return basic


def meeting_body(w, client=None, **overrides):
    """A meeting of a council of the chair's organisation; `kind`, `member_org_ids` and `pledge_scope` choose
    the council (one per combination), the rest are the meeting's fields."""
    council = {"kind": overrides.pop("kind", "support_meeting"),
               "org_ids": overrides.pop("member_org_ids", [str(w.orgs["kmm-npo"])]),
               "pledge_scope": overrides.pop("pledge_scope", "meeting")}
    body = {
        "council_id": council_for(client or w.client("chair@example.jp"), **council),
        "title": "第3回 鎌倉市支援会議", "starts_at": (now() + timedelta(days=2)).isoformat(),
        "place": "鎌倉市役所 本庁舎 第1会議室", "chair_user_id": str(w.users["chair@example.jp"]),
        "attendee_user_ids": [str(w.users[e]) for e in ("pledged@example.jp", "unpledged@example.jp")],
    }
    body.update(overrides)
    return body


def create_meeting(client, w, **overrides):
    r = client.post("/api/v1/meetings", json=meeting_body(w, client, **overrides))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def add_item(client, meeting_id, **body):
    """Add an item; the response is the created item (Location: the item); returns the whole agenda after it."""
    r = client.post(f"/api/v1/meetings/{meeting_id}/agenda", json=body)
    assert r.status_code == 201, r.get_json()
    item = r.get_json()
    assert r.headers["Location"].endswith(f"/api/v1/meetings/{meeting_id}/agenda/{item['id']}")
    assert client.get(r.headers["Location"]).get_json() == item
    agenda = client.get(f"/api/v1/meetings/{meeting_id}/agenda").get_json()
    assert item in agenda["items"]
    return agenda


def case_item(agenda, case_id):
    return next(i for i in agenda["items"] if i["case"] and i["case"]["id"] == case_id)


def names_in(agenda) -> set[str]:
    return {p["name"] for i in agenda["items"] for p in i["persons"] if p.get("name")}


def no_personal_data(text: str, values) -> None:
    squashed = "".join(text.split())
    for value in values:
        assert "".join(value.split()) not in squashed, value


def patch(client, url, body):
    tag = client.get(url).headers["ETag"]
    return client.patch(url, json=body, headers={"If-Match": tag})


def put(client, url, body, headers=None):
    return client.http.put(url, json=body, headers=client._headers(headers))


def transition(client, meeting_id, to):
    return client.post(f"/api/v1/meetings/{meeting_id}/transitions", json={"to": to})


def audit_events(app, action, outcome="allowed"):
    """The events of one action (refused attempts are recorded too: outcome="denied")."""
    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    with app.app_context():
        return [{"actor": e.actor_user_id, "basis": e.legal_basis, "disclosures": json.loads(e.disclosures),
                 "resource_id": e.resource_id, "detail": json.loads(e.detail)}
                for e in db.session().scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                                       AuditEvent.outcome == outcome)
                                              .order_by(AuditEvent.seq))]


# --- lifecycle and who may do what ------------------------------------------------------------

def test_meeting_lifecycle(mtg):
    chair = mtg.client("chair@example.jp")
    m = create_meeting(chair, mtg)
    assert m["status"] == "planned" and m["kind_label"] == "支援会議" and m["shares_without_consent"] is True
    assert {o["code"] for o in m["members"]} == {"kmk-chiiki", "kmm-npo"}  # the organiser is always a member
    assert m["attendees"][0]["display_name"] == "高橋 恵子" and m["attendees"][0]["is_chair"]  # chair attends
    assert {a["display_name"] for a in m["attendees"]} == {"高橋 恵子", "中村 修", "小林 由美"}
    starts = datetime.fromisoformat(m["starts_at"])
    assert datetime.fromisoformat(m["window_end"]) - starts == timedelta(days=14)
    assert datetime.fromisoformat(m["window_start"]) <= now() and m["window_open"]
    assert m["allowed_transitions"] == ["held"] and m["can_manage"]
    url = f"/api/v1/meetings/{m['id']}"

    assert chair.patch(url, json={"title": "変更"}).status_code == 428
    r = patch(chair, url, {"title": "第3回 鎌倉市支援会議 変更版", "sharing_days_after": 30})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["title"] == "第3回 鎌倉市支援会議 変更版"
    assert datetime.fromisoformat(r.get_json()["window_end"]) - starts == timedelta(days=30)

    r = transition(chair, m["id"], "minutes_approved")
    assert r.status_code == 409 and r.get_json()["allowed"] == ["held"]
    assert r.get_json()["type"].endswith("illegal-transition")
    r = transition(chair, m["id"], "held")  # not before it starts ...
    assert r.status_code == 409 and r.get_json()["type"].endswith("meeting-not-started")
    # ... so the meeting is moved to a time that has come (the date may change while planned), then held
    starts = now() - timedelta(minutes=5)
    r = patch(chair, url, {"starts_at": starts.isoformat()})
    assert r.status_code == 200, r.get_json()
    assert transition(chair, m["id"], "held").status_code == 200
    for illegal in ("held", "planned"):
        assert transition(chair, m["id"], illegal).status_code == 409
    assert patch(chair, url, {"starts_at": now().isoformat()}).status_code == 409  # date fixed once held
    # Another supervisor of the organiser may run the meeting, but only the chair approves the minutes.
    other = mtg.client("super@example.jp")
    r = transition(other, m["id"], "minutes_approved")
    assert r.status_code == 403
    r = transition(chair, m["id"], "minutes_approved")
    assert r.status_code == 200 and r.get_json()["status"] == "minutes_approved"
    assert r.get_json()["minutes_approved_by"]["display_name"] == "高橋 恵子"
    assert r.get_json()["allowed_transitions"] == []
    for to in ("planned", "held", "minutes_approved"):
        assert transition(chair, m["id"], to).status_code == 409
    assert patch(chair, url, {"title": "承認後の変更"}).status_code == 409
    # The sharing window is access control: it may still be tightened.
    assert patch(chair, url, {"sharing_days_after": 0}).status_code == 200
    actions = [e["detail"] for e in audit_events(mtg.app, "meetings.transition")]
    assert [(d["from"], d["to"]) for d in actions] == [("planned", "held"), ("held", "minutes_approved")]


def test_who_manages_and_who_sees_a_meeting(mtg):
    chair = mtg.client("chair@example.jp")
    m = create_meeting(chair, mtg)
    url = f"/api/v1/meetings/{m['id']}"
    # Case workers read and pledge but do not convene.
    assert mtg.client("coord@example.jp").post("/api/v1/meetings", json=meeting_body(mtg)).status_code == 403
    npo = mtg.client("unpledged@example.jp")
    assert npo.get(url).status_code == 200
    assert [x["id"] for x in npo.get("/api/v1/meetings").get_json()["items"]] == [m["id"]]
    assert npo.get(url).get_json()["can_manage"] is False
    assert patch(npo, url, {"title": "x"}).status_code == 403
    # Outside the member organisations the meeting does not exist.
    outsider = mtg.client("outsider@example.jp")
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"{url}/agenda").status_code == 404
    assert outsider.get(f"{url}/agenda.pdf").status_code == 404
    assert outsider.get(f"{url}/minutes.pdf").status_code == 404
    assert outsider.post(f"{url}/pledge").status_code == 404
    assert outsider.get("/api/v1/meetings").get_json()["items"] == []
    outsider_sv = mtg.client("outsider-super@example.jp")
    assert outsider_sv.post(f"{url}/transitions", json={"to": "held"}).status_code == 404
    assert outsider_sv.post(f"{url}/agenda", json={"topic": "x"}).status_code == 404
    # A supervisor of the organiser who is not the chair may manage; auditors may not even read.
    assert patch(mtg.client("super@example.jp"), url, {"place": "第2会議室"}).status_code == 200
    assert mtg.client("auditor@example.jp").get(url).status_code == 403


def test_meeting_validation(mtg):
    chair = mtg.client("chair@example.jp")

    def errors(**overrides):
        r = chair.post("/api/v1/meetings", json={**meeting_body(mtg, chair), **overrides})
        assert r.status_code == 422, r.get_json()
        return r.get_json()["errors"]

    assert "council_id" in errors(council_id="00000000-0000-4000-8000-000000000000")
    assert "kind" in errors(kind="support_meeting")  # a meeting's kind is its council's
    assert "chair_user_id" in errors(chair_user_id=str(mtg.users["coord@example.jp"]))  # not a supervisor
    assert "chair_user_id" in errors(chair_user_id=str(mtg.users["outsider-super@example.jp"]))  # not a member
    assert "attendee_user_ids" in errors(attendee_user_ids=[str(mtg.users["outsider@example.jp"])])
    assert "member_org_ids" in errors(member_org_ids=[str(mtg.orgs["kmm-npo"])])  # members are the council's
    r = chair.post("/api/v1/councils", json={"kind": "secret_meeting", "name": "x"})
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]
    r = chair.post("/api/v1/councils", json={"kind": "support_meeting", "name": "x",
                                             "member_org_ids": ["00000000-0000-4000-8000-000000000000"]})
    assert r.status_code == 422 and "member_org_ids" in r.get_json()["errors"]
    assert "place" in errors(place=None)
    assert "online_url" in errors(place=None, online_url="javascript:alert(1)")
    assert "sharing_days_after" in errors(sharing_days_after=365)
    assert "starts_at" in errors(starts_at="2026-11-26T10:00:00")  # naive
    assert "window_start" in errors(window_start=(now() + timedelta(days=5)).isoformat())
    assert "surprise" in errors(surprise=True)
    r = chair.post("/api/v1/meetings", json=meeting_body(mtg, place=None, online_url="https://meet.example.jp/abc"))
    assert r.status_code == 201 and r.get_json()["online_url"] == "https://meet.example.jp/abc"


def test_upcoming_meetings_of_my_organisation(mtg):
    chair = mtg.client("chair@example.jp")
    later = create_meeting(chair, mtg, title="後の会議", starts_at=(now() + timedelta(days=20)).isoformat())
    soon = create_meeting(chair, mtg, title="次の会議", starts_at=(now() + timedelta(days=1)).isoformat())
    past = create_meeting(chair, mtg, title="前回", starts_at=(now() - timedelta(days=20)).isoformat())
    own_only = create_meeting(chair, mtg, title="庁内のみ", member_org_ids=[], attendee_user_ids=[])
    npo = mtg.client("pledged@example.jp")
    r = npo.get("/api/v1/meetings", query_string={"upcoming": "true"})
    assert [x["title"] for x in r.get_json()["items"]] == ["次の会議", "後の会議"]
    all_ids = [x["id"] for x in npo.get("/api/v1/meetings").get_json()["items"]]
    assert all_ids == [later["id"], soon["id"], past["id"]]  # newest first; not the internal meeting
    assert own_only["id"] in [x["id"] for x in chair.get("/api/v1/meetings").get_json()["items"]]
    page = npo.get("/api/v1/meetings", query_string={"limit": 2}).get_json()
    assert len(page["items"]) == 2 and page["has_more"]
    r = npo.get("/api/v1/meetings", query_string={"kind": "regular"})
    assert r.get_json()["items"] == []
    assert npo.get("/api/v1/meetings", query_string={"status": "adjourned"}).status_code == 422


# --- pledges ----------------------------------------------------------------------------------

def test_pledge_once_per_meeting_by_attendees(mtg):
    chair = mtg.client("chair@example.jp")
    m = create_meeting(chair, mtg)
    url = f"/api/v1/meetings/{m['id']}/pledge"
    # A user of a member organisation who does not attend cannot sign.
    mtg.user("npo-other@example.jp", "kmm-npo", "npo_staff")
    assert mtg.client("npo-other@example.jp").post(url).status_code == 403
    npo = mtg.client("pledged@example.jp")
    info = npo.get(url).get_json()
    assert info["signed"] is False and info["required"] is True and "秘密を漏らしてはならない" in info["text"]
    r = npo.post(url)
    assert r.status_code == 201 and r.get_json()["pledge"]["scope"] == "meeting"
    again = npo.post(url)
    assert again.status_code == 200 and again.get_json()["pledge"]["id"] == r.get_json()["pledge"]["id"]
    assert npo.get(url).get_json()["signed"] is True
    detail = chair.get(f"/api/v1/meetings/{m['id']}").get_json()
    assert {a["display_name"]: a["pledged"] for a in detail["attendees"]} == {
        "高橋 恵子": False, "中村 修": True, "小林 由美": False}
    assert npo.get(f"/api/v1/meetings/{m['id']}").get_json()["my_pledge"]["signed"] is True
    assert npo.post(url, json={"unexpected": 1}).status_code == 422
    assert len(audit_events(mtg.app, "meetings.pledge")) == 1
    assert len(audit_events(mtg.app, "meetings.pledge", outcome="denied")) == 1  # the non-attendee's attempt
    # A per-meeting pledge does not cover the next meeting.
    m2 = create_meeting(chair, mtg, title="第4回")
    assert npo.get(f"/api/v1/meetings/{m2['id']}/pledge").get_json()["signed"] is False


def test_fiscal_year_pledge_covers_the_years_meetings(mtg):
    coord = mtg.client("coord@example.jp")
    case = open_case(coord)
    chair = mtg.client("chair@example.jp")
    starts = now() + timedelta(days=1)
    yearly = create_meeting(chair, mtg, pledge_scope="fiscal_year", starts_at=starts.isoformat())
    npo = mtg.client("pledged@example.jp")
    r = npo.post(f"/api/v1/meetings/{yearly['id']}/pledge")
    assert r.status_code == 201 and r.get_json()["pledge"]["scope"] == "fiscal_year"
    assert r.get_json()["pledge"]["fiscal_year"] == yearly["fiscal_year"]
    other = create_meeting(chair, mtg, title="同年度の別の会議", pledge_scope="fiscal_year",
                           starts_at=(starts + timedelta(hours=1)).isoformat())
    assert other["fiscal_year"] == yearly["fiscal_year"] and other["council"]["id"] == yearly["council"]["id"]
    add_item(chair, other["id"], case_id=case["id"])
    mine = npo.get(f"/api/v1/meetings/{other['id']}").get_json()["my_pledge"]
    assert mine == {"signed": True, "signed_at": mine["signed_at"], "scope": "fiscal_year"}
    assert names_in(npo.get(f"/api/v1/meetings/{other['id']}/agenda").get_json()) == {YAMADA["name"], HANAKO["name"]}
    # Signing "again" on the other meeting returns the covering fiscal-year pledge.
    assert npo.post(f"/api/v1/meetings/{other['id']}/pledge").status_code == 200
    # Another council's meeting in the same year, same members, same case: the pledge does not cross over.
    elsewhere = create_meeting(chair, mtg, title="別の会議体の会議", kind="isolation_council", pledge_scope="fiscal_year",
                               starts_at=(starts + timedelta(hours=2)).isoformat())
    assert elsewhere["council"]["id"] != yearly["council"]["id"]
    add_item(chair, elsewhere["id"], case_id=case["id"])
    assert npo.get(f"/api/v1/meetings/{elsewhere['id']}").get_json()["my_pledge"]["signed"] is False
    assert names_in(npo.get(f"/api/v1/meetings/{elsewhere['id']}/agenda").get_json()) == set()


# --- the agenda and the sharing it opens ------------------------------------------------------

def test_agenda_opens_names_to_pledged_members_for_agenda_cases_only(mtg):
    coord = mtg.client("coord@example.jp")
    on_agenda = open_case(coord)
    elsewhere = open_case(coord, person=SATO, with_parent=False, summary="別世帯の相談")
    chair = mtg.client("chair@example.jp")
    m = create_meeting(chair, mtg)
    mid = m["id"]
    agenda = add_item(chair, mid, case_id=on_agenda["id"], presenting_org_id=str(mtg.orgs["kmk-chiiki"]),
                      points=CASE_POINTS, minutes_allotted=20)
    agenda = add_item(chair, mid, topic="地域の居場所づくりについて", points=TOPIC_POINTS, minutes_allotted=10)
    assert [i["kind"] for i in agenda["items"]] == ["case", "topic"]
    # The organiser sees its own collection.
    assert names_in(agenda) == {YAMADA["name"], HANAKO["name"]}

    # A member who has not pledged: case facts and topics, no names, no case discussion points.
    unpledged = mtg.client("unpledged@example.jp")
    r = unpledged.get(f"/api/v1/meetings/{mid}/agenda")
    assert r.status_code == 200
    view = r.get_json()
    item = case_item(view, on_agenda["id"])
    assert item["case"]["case_number"] == on_agenda["case_number"] and item["case"]["issues"] == ["h8050", "hikikomori"]
    assert item["case"]["district"] == "ofuna" and item["case"]["age_band"] == "40代"
    assert item["case"]["district_label"] == "大船"
    assert [p["redacted"] for p in item["persons"]] == [True, True]
    assert [p["relationship_label"] for p in item["persons"]] == ["本人", "親"]
    assert item["points"] is None and item["points_withheld"] is True and item["minutes_allotted"] == 20
    topic = view["items"][1]
    assert topic["topic"] == "地域の居場所づくりについて" and topic["points"] == TOPIC_POINTS
    assert view["pledged"] is False and view["window_open"] is True
    no_personal_data(r.get_data(as_text=True), personal_values() + [CASE_POINTS])
    # The case itself is visible de-identified to the member organisation, during the window.
    r = unpledged.get(f"/api/v1/cases/{on_agenda['id']}")
    assert r.status_code == 200 and all(p["redacted"] for p in r.get_json()["persons"])
    no_personal_data(r.get_data(as_text=True), personal_values())

    # After the pledge: names of the agenda case (both household members), in that case's context.
    pledged = mtg.client("pledged@example.jp")
    assert pledged.post(f"/api/v1/meetings/{mid}/pledge").status_code == 201
    view = pledged.get(f"/api/v1/meetings/{mid}/agenda").get_json()
    item = case_item(view, on_agenda["id"])
    assert [p["name"] for p in item["persons"]] == [YAMADA["name"], HANAKO["name"]]
    assert {p["basis"] for p in item["persons"]} == {f"support_meeting:{mid}"}
    assert item["points"] == CASE_POINTS
    detail = pledged.get(f"/api/v1/cases/{on_agenda['id']}").get_json()
    assert {p["name"] for p in detail["persons"]} == {YAMADA["name"], HANAKO["name"]}
    assert detail["relation"] == ["meeting"]
    # ... but never of a case that is not on the agenda.
    assert pledged.get(f"/api/v1/cases/{elsewhere['id']}").status_code == 404
    assert SATO["name"] not in pledged.get("/api/v1/cases").get_data(as_text=True)
    # Still nothing for the colleague without a pledge.
    no_personal_data(unpledged.get(f"/api/v1/meetings/{mid}/agenda").get_data(as_text=True), personal_values())

    # Each view is an audited disclosure naming the basis.
    events = [e for e in audit_events(mtg.app, "meetings.agenda.read") if e["actor"] == mtg.users["pledged@example.jp"]]
    assert events[-1]["basis"] == f"support_meeting:{mid}"
    assert {d["person"] for d in events[-1]["disclosures"]} == {p["id"] for p in item["persons"]}
    assert all(d["categories"] == ["case_notes", "identity"] or d["categories"] == ["identity"]
               for d in events[-1]["disclosures"])
    unpledged_events = [e for e in audit_events(mtg.app, "meetings.agenda.read")
                        if e["actor"] == mtg.users["unpledged@example.jp"]]
    assert unpledged_events and all(e["disclosures"] == [] for e in unpledged_events)


def test_other_cases_of_the_same_household_get_no_names(mtg):
    coord = mtg.client("coord@example.jp")
    on_agenda = open_case(coord)
    hanako_id = next(p["id"] for p in on_agenda["persons"] if p["name"] == HANAKO["name"])
    # The mother's own case, in the same household, discussed only at a 定例会 (which shares nothing).
    r = coord.post("/api/v1/cases", json={"intake_channel": "counter", "issues": ["elderly"],
                                          "household_id": on_agenda["household"]["id"],
                                          "primary_person_id": hanako_id})
    assert r.status_code == 201, r.get_json()
    mother_case = r.get_json()
    chair = mtg.client("chair@example.jp")
    support = create_meeting(chair, mtg)
    add_item(chair, support["id"], case_id=on_agenda["id"])
    regular = create_meeting(chair, mtg, kind="regular", title="地域ケア定例会")
    add_item(chair, regular["id"], case_id=mother_case["id"], points="母親の介護サービス調整")
    pledged = mtg.client("pledged@example.jp")
    assert pledged.post(f"/api/v1/meetings/{support['id']}/pledge").status_code == 201
    assert pledged.post(f"/api/v1/meetings/{regular['id']}/pledge").status_code == 201  # meaningless there

    assert names_in(pledged.get(f"/api/v1/meetings/{support['id']}/agenda").get_json()) == {
        YAMADA["name"], HANAKO["name"]}
    r = pledged.get(f"/api/v1/meetings/{regular['id']}/agenda")
    assert names_in(r.get_json()) == set()
    no_personal_data(r.get_data(as_text=True), [HANAKO["name"], HANAKO["name_kana"], "母親の介護サービス調整"])
    # The mother's case is visible (de-identified) through the 定例会, without her name.
    r = pledged.get(f"/api/v1/cases/{mother_case['id']}")
    assert r.status_code == 200 and all(p["redacted"] for p in r.get_json()["persons"])
    no_personal_data(r.get_data(as_text=True), [HANAKO["name"], YAMADA["name"]])


def test_after_the_window_nothing_personal(mtg):
    coord = mtg.client("coord@example.jp")
    case = open_case(coord)
    chair = mtg.client("chair@example.jp")
    # A meeting three days ago, recorded now: the window runs from now to 14 days after it.
    m = create_meeting(chair, mtg, starts_at=(now() - timedelta(days=3)).isoformat())
    add_item(chair, m["id"], case_id=case["id"], points=CASE_POINTS)
    pledged = mtg.client("pledged@example.jp")
    assert pledged.post(f"/api/v1/meetings/{m['id']}/pledge").status_code == 201
    assert names_in(pledged.get(f"/api/v1/meetings/{m['id']}/agenda").get_json()) == {YAMADA["name"], HANAKO["name"]}
    # Sharing ends one day after the meeting: that is already past.
    assert patch(chair, f"/api/v1/meetings/{m['id']}", {"sharing_days_after": 1}).status_code == 200
    r = pledged.get(f"/api/v1/meetings/{m['id']}/agenda")
    view = r.get_json()
    assert view["window_open"] is False and names_in(view) == set()
    item = case_item(view, case["id"])
    assert item["case"]["case_number"] == case["case_number"] and item["points_withheld"]
    no_personal_data(r.get_data(as_text=True), personal_values() + [CASE_POINTS])
    assert pledged.get(f"/api/v1/cases/{case['id']}").status_code == 404
    r = pledged.get(f"/api/v1/meetings/{m['id']}/minutes")
    no_personal_data(r.get_data(as_text=True), personal_values() + [CASE_POINTS])


def test_multilayer_meeting_shares_nothing_without_consent(mtg):
    coord = mtg.client("coord@example.jp")
    case = open_case(coord)
    chair = mtg.client("chair@example.jp")
    m = create_meeting(chair, mtg, kind="multilayer_meeting", title="重層的支援会議")
    assert m["shares_without_consent"] is False
    add_item(chair, m["id"], case_id=case["id"], points=CASE_POINTS)
    pledged = mtg.client("pledged@example.jp")
    assert pledged.post(f"/api/v1/meetings/{m['id']}/pledge").status_code == 201
    r = pledged.get(f"/api/v1/meetings/{m['id']}/agenda")
    assert names_in(r.get_json()) == set() and case_item(r.get_json(), case["id"])["points_withheld"]
    no_personal_data(r.get_data(as_text=True), personal_values() + [CASE_POINTS])
    # With 本人同意 naming the NPO (identity only), the person's own name appears on that basis.
    yamada = next(p for p in case["persons"] if p["is_primary"])
    r = coord.post("/api/v1/consents", json={
        "person_id": yamada["id"], "purpose": "support_coordination",
        "recipients": [{"org_id": str(mtg.orgs["kmm-npo"])}], "categories": ["identity"], "method": "written",
        "obtained_at": now().isoformat()})
    assert r.status_code == 201, r.get_json()
    view = pledged.get(f"/api/v1/meetings/{m['id']}/agenda").get_json()
    persons = case_item(view, case["id"])["persons"]
    assert persons[0]["name"] == YAMADA["name"] and persons[0]["basis"] == f"consent:{r.get_json()['id']}"
    assert persons[1]["redacted"] is True and "name" not in persons[1]  # the mother did not consent


def test_agenda_editing_rules(mtg):
    coord = mtg.client("coord@example.jp")
    case = open_case(coord)
    npo = mtg.client("npo@example.jp")
    npo_case = open_case(npo, person=SATO, with_parent=False)
    chair = mtg.client("chair@example.jp")
    m = create_meeting(chair, mtg)
    url = f"/api/v1/meetings/{m['id']}/agenda"
    # Only cases the organiser's organisation can see.
    r = chair.post(url, json={"case_id": npo_case["id"]})
    assert r.status_code == 422 and "case_id" in r.get_json()["errors"]
    r = chair.post(url, json={"case_id": "00000000-0000-4000-8000-000000000000"})
    assert r.status_code == 422
    assert chair.post(url, json={"case_id": case["id"], "topic": "両方"}).status_code == 422
    assert chair.post(url, json={}).status_code == 422
    r = chair.post(url, json={"case_id": case["id"], "presenting_org_id": str(mtg.orgs["kmk-kodomo"])})
    assert r.status_code == 422 and "presenting_org_id" in r.get_json()["errors"]
    first = add_item(chair, m["id"], case_id=case["id"])["items"][0]
    assert chair.post(url, json={"case_id": case["id"]}).status_code == 409
    add_item(chair, m["id"], topic="報告事項")
    agenda = add_item(chair, m["id"], topic="その他", position=1)
    assert [i["topic"] or i["case"]["case_number"] for i in agenda["items"]] == [
        "その他", case["case_number"], "報告事項"]
    assert [i["position"] for i in agenda["items"]] == [1, 2, 3]
    ids = [i["id"] for i in agenda["items"]]
    r = chair.post(f"{url}/order", json={"item_ids": list(reversed(ids))})
    assert r.status_code == 200 and [i["id"] for i in r.get_json()["items"]] == list(reversed(ids))
    assert chair.post(f"{url}/order", json={"item_ids": ids[:2]}).status_code == 422
    r = chair.patch(f"{url}/{first['id']}", json={"points": CASE_POINTS, "minutes_allotted": 15, "position": 1})
    assert r.status_code == 200 and r.get_json()["items"][0]["points"] == CASE_POINTS
    assert chair.patch(f"{url}/{first['id']}", json={"topic": "件名"}).status_code == 422
    assert chair.delete(f"{url}/{ids[0]}").status_code == 204
    assert len(chair.get(url).get_json()["items"]) == 2
    assert chair.delete(f"{url}/{ids[0]}").status_code == 404
    # Members who do not organise cannot edit; nor can the organiser's case workers.
    assert mtg.client("pledged@example.jp").post(url, json={"topic": "x"}).status_code == 403
    assert coord.post(url, json={"topic": "x"}).status_code == 403


# --- minutes, decisions, locking, corrections -------------------------------------------------

def _plan_task(app, task_id):
    """The plan task a decision became (caseflow.plans.rules.add_task)."""
    from caseflow.core import db
    from caseflow.plans.models import PlanTask

    with app.app_context():
        task = db.session().get(PlanTask, task_id)
        return None if task is None else {"title": task.title, "owner_org_id": task.owner_org_id,
                                          "due_on": task.due_on.isoformat(), "source": task.source,
                                          "case_id": task.case_id}


def test_minutes_decisions_locking_and_corrections(mtg):
    coord = mtg.client("coord@example.jp")
    case = open_case(coord)
    chair = mtg.client("chair@example.jp")
    m = create_meeting(chair, mtg, starts_at=(now() - timedelta(hours=1)).isoformat())  # held only once started
    mid = m["id"]
    agenda = add_item(chair, mid, case_id=case["id"], points=CASE_POINTS)
    agenda = add_item(chair, mid, topic="報告事項")
    item_id, topic_id = agenda["items"][0]["id"], agenda["items"][1]["id"]
    minutes_url = f"/api/v1/meetings/{mid}/agenda/{item_id}/minutes"
    due = (now() + timedelta(days=30)).date().isoformat()
    decision = {"agenda_item_id": item_id, "title": "就労準備支援事業への同行", "owner_org_id": str(mtg.orgs["kmm-npo"]),
                "due_on": due}

    # Nothing is recorded before the meeting is held.
    assert put(chair, minutes_url, {"body": "早すぎる記録"}).status_code == 409
    assert chair.post(f"/api/v1/meetings/{mid}/decisions", json=decision).status_code == 409
    assert transition(chair, mid, "held").status_code == 200

    r = put(chair, minutes_url, {"body": "本人の状況を共有した。"})
    assert r.status_code == 201, r.get_json()
    tag = r.headers["ETag"]
    assert put(chair, minutes_url, {"body": "上書き"}).status_code == 428
    r = put(chair, minutes_url, {"body": "本人の状況を共有し、就労準備から始める方針とした。"}, headers={"If-Match": tag})
    assert r.status_code == 200 and r.headers["ETag"] != tag
    assert put(chair, minutes_url, {"body": "古い版から"}, headers={"If-Match": tag}).status_code == 412
    assert put(chair, f"/api/v1/meetings/{mid}/agenda/{topic_id}/minutes", {"body": "次回は1月。"}).status_code == 201
    assert put(mtg.client("pledged@example.jp"), minutes_url, {"body": "x"}).status_code == 403

    # A decision becomes a plan task of the case in one step.
    r = chair.post(f"/api/v1/meetings/{mid}/decisions", json=decision)
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert made["task_id"] and made["case_id"] == case["id"] and made["owner_org"]["code"] == "kmm-npo"
    assert made["title"] == decision["title"] and made["due_on"] == due
    import uuid

    assert _plan_task(mtg.app, uuid.UUID(made["task_id"])) == {
        "title": decision["title"], "owner_org_id": mtg.orgs["kmm-npo"], "due_on": due,
        "source": f"meeting_decision:{made['id']}", "case_id": uuid.UUID(case["id"])}
    r = chair.post(f"/api/v1/meetings/{mid}/decisions", json={**decision, "agenda_item_id": topic_id})
    assert r.status_code == 422 and "agenda_item_id" in r.get_json()["errors"]
    r = chair.post(f"/api/v1/meetings/{mid}/decisions", json={**decision, "owner_org_id": str(mtg.orgs["kmk-kodomo"])})
    assert r.status_code == 422 and "owner_org_id" in r.get_json()["errors"]
    assert chair.post(f"/api/v1/meetings/{mid}/decisions", json={**decision, "due_on": None}).status_code == 422
    # Items with a record cannot be removed.
    assert chair.delete(f"/api/v1/meetings/{mid}/agenda/{item_id}").status_code == 409

    # Corrections are for approved minutes only.
    corr_url = f"{minutes_url}/corrections"
    assert chair.post(corr_url, {"body": "x", "reason": "y"}).status_code == 409
    assert transition(chair, mid, "minutes_approved").status_code == 200

    # Locked: no edits, no new decisions, no agenda changes.
    r = put(chair, minutes_url, {"body": "承認後の書き換え"}, headers={"If-Match": r.headers.get("ETag", '"2"')})
    assert r.status_code == 409 and r.get_json()["type"].endswith("minutes-locked")
    assert chair.post(f"/api/v1/meetings/{mid}/decisions", json=decision).status_code == 409
    assert chair.post(f"/api/v1/meetings/{mid}/agenda", json={"topic": "追加"}).status_code == 409
    assert chair.patch(f"/api/v1/meetings/{mid}/agenda/{item_id}", json={"points": "x"}).status_code == 409
    assert chair.post(f"/api/v1/meetings/{mid}/agenda/order", json={"item_ids": [topic_id, item_id]}).status_code == 409

    # Later corrections are new records, linked to the item and to each other.
    first = chair.post(corr_url, {"body": "本人の状況を共有し、就労準備支援から始める方針とした。", "reason": "事業名の誤記"})
    assert first.status_code == 201 and first.get_json()["previous_id"] is None
    second = chair.post(corr_url, {"body": "本人と母親の状況を共有し、就労準備支援から始める方針とした。",
                                        "reason": "出席者からの指摘"})
    assert second.status_code == 201 and second.get_json()["previous_id"] == first.get_json()["id"]
    assert chair.post(corr_url, {"body": "理由なし"}).status_code == 422
    minutes = chair.get(f"/api/v1/meetings/{mid}/minutes").get_json()
    assert minutes["locked"] is True and minutes["approved_by"]["display_name"] == "高橋 恵子"
    item = minutes["items"][0]
    assert item["original_text"] == "本人の状況を共有し、就労準備から始める方針とした。"
    assert item["text"] == "本人と母親の状況を共有し、就労準備支援から始める方針とした。"
    assert [c["reason"] for c in item["corrections"]] == ["事業名の誤記", "出席者からの指摘"]
    assert [d["title"] for d in item["decisions"]] == [decision["title"]]
    assert minutes["items"][1]["text"] == "次回は1月。"

    # Members: the topic's minutes, but the case's text and decisions only on a basis.
    unpledged = mtg.client("unpledged@example.jp")
    r = unpledged.get(f"/api/v1/meetings/{mid}/minutes")
    view = r.get_json()
    assert view["items"][0]["text"] is None and view["items"][0]["text_withheld"] is True
    assert view["items"][0]["decisions"][0]["title"] is None and view["items"][0]["decisions"][0]["title_withheld"]
    assert view["items"][0]["decisions"][0]["due_on"] == due
    assert view["items"][1]["text"] == "次回は1月。"
    no_personal_data(r.get_data(as_text=True), personal_values() + ["就労準備", decision["title"], CASE_POINTS])
    pledged = mtg.client("pledged@example.jp")
    pledged.post(f"/api/v1/meetings/{mid}/pledge")
    assert pledged.get(f"/api/v1/meetings/{mid}/minutes").get_json()["items"][0]["text"].startswith("本人と母親")
    decisions = unpledged.get(f"/api/v1/meetings/{mid}/decisions").get_json()
    assert len(decisions) == 1 and decisions[0]["title"] is None
    assert pledged.get(f"/api/v1/meetings/{mid}/decisions").get_json()[0]["title"] == decision["title"]


def test_cases_discussed_and_a_cases_meeting_history(mtg):
    coord = mtg.client("coord@example.jp")
    case = open_case(coord)
    other = open_case(coord, person=SATO, with_parent=False)
    chair = mtg.client("chair@example.jp")
    first = create_meeting(chair, mtg, title="第1回", starts_at=(now() + timedelta(days=1)).isoformat())
    second = create_meeting(chair, mtg, title="第2回", starts_at=(now() + timedelta(days=8)).isoformat())
    internal = create_meeting(chair, mtg, title="庁内ケース会議", kind="case_conference", member_org_ids=[],
                              attendee_user_ids=[], starts_at=(now() + timedelta(hours=1)).isoformat())
    for meeting in (first, second, internal):
        add_item(chair, meeting["id"], case_id=case["id"])
    add_item(chair, first["id"], case_id=other["id"])
    cases = chair.get(f"/api/v1/meetings/{first['id']}/cases").get_json()
    assert [c["case_number"] for c in cases] == [case["case_number"], other["case_number"]]
    assert all(c["decisions"] == 0 for c in cases)
    listed = chair.get("/api/v1/meetings").get_json()["items"]
    assert {x["title"]: x["cases_discussed"] for x in listed}["第1回"] == 2

    history = coord.get(f"/api/v1/cases/{case['id']}/meetings").get_json()
    assert [h["meeting"]["title"] for h in history] == ["第2回", "第1回", "庁内ケース会議"]
    # The NPO is a member of two of them only, and sees the case through them.
    npo = mtg.client("pledged@example.jp")
    assert [h["meeting"]["title"] for h in npo.get(f"/api/v1/cases/{case['id']}/meetings").get_json()] == [
        "第2回", "第1回"]
    assert mtg.client("outsider@example.jp").get(f"/api/v1/cases/{case['id']}/meetings").status_code == 404
