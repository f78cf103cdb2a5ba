"""住所秘匿 (issue 18, part 3): one member of a household is secret. A DV scenario through the HTTP API: the mother
is secret, the father -- on paper in the same household -- is the case's primary person. An organisation with the
father's consent, a 支援会議 member and a break-glass user see nothing of her address, phone, household or move;
the organisation the decision names sees them. And third-party reporters, visible to the receiving organisation
only."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from caseflow.consents.models import EmergencyAccess
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.meetings.models import AgendaItem, Meeting, MeetingAttendee, MeetingMember, Pledge

from support import council_row, now

FATHER = {"name": "鈴木 一郎", "name_kana": "スズキ イチロウ", "birth_date": "1975-05-05", "gender": "male",
          "phone": "090-1111-0001"}
MOTHER = {"name": "鈴木 秘子", "name_kana": "スズキ ヒミコ", "birth_date": "1985-08-08", "gender": "female",
          "phone": "080-7777-0002", "email": "himiko@example.invalid", "line_id": "himiko-line",
          "address": "横浜市港南区避難先一丁目9-9"}
HOME = "鎌倉市大船二丁目4-5"  # the household's address on paper (the father's)
SECRET_VALUES = [MOTHER["phone"], MOTHER["email"], MOTHER["line_id"], MOTHER["address"]]
REPORTER = {"name": "近所 通報者", "contact": "0467-99-9999", "relationship_to_household": "近隣住民",
            "note": "夜間に怒鳴り声が聞こえる", "wishes_anonymity": True}
NOT_NAMED = ("npo@example.jp", "kodomo@example.jp", "kourei@example.jp")  # consent / 支援会議 / break-glass


def _pdf_text(data: bytes) -> str:
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True).stdout


def _consent(coord, person_id, org_id, categories=("identity", "contact")):
    r = coord.post("/api/v1/consents", json={
        "person_id": person_id, "purpose": "support_coordination", "method": "written",
        "recipients": [{"org_id": str(org_id)}], "categories": list(categories), "form_reference": "同意書",
        "obtained_at": now().isoformat()})
    assert r.status_code == 201, r.get_json()


@pytest.fixture
def dv(app, basic):
    """The father's case (owner: 地域共生課) with the mother in the household; 女性相談 is named by the decision; an
    NPO with the father's consent (a co-lead), 子ども家庭課 at a 支援会議 on the case, 高齢課 with break-glass."""
    basic.org("kmk-josei", "department", "鎌倉市 女性相談室")
    basic.org("kmk-kodomo", "department", "鎌倉市 こども家庭相談課")
    basic.org("kmk-kourei", "department", "鎌倉市 高齢者いきいき課")
    basic.user("josei@example.jp", "kmk-josei", "staff")
    basic.user("josei-super@example.jp", "kmk-josei", "supervisor")
    basic.user("kodomo@example.jp", "kmk-kodomo", "staff")
    basic.user("kodomo-super@example.jp", "kmk-kodomo", "supervisor")
    basic.user("kourei@example.jp", "kmk-kourei", "staff")
    basic.user("npo-super@example.jp", "kmm-npo", "supervisor")
    coord = basic.client("coord@example.jp")
    r = coord.post("/api/v1/cases", json={
        "intake_channel": "counter", "issues": ["dv"], "summary": "DV相談（夫婦）",
        "household": {"address": HOME, "district": "ofuna", "members": [
            {"person": FATHER, "relationship": "self", "in_need": True},
            {"person": MOTHER, "relationship": "spouse"}]}})
    assert r.status_code == 201, r.get_json()
    case = r.get_json()
    father = next(p["id"] for p in case["persons"] if p["is_primary"])
    mother = next(p["id"] for p in case["persons"] if not p["is_primary"])
    for org in ("kmk-josei", "kmm-npo"):
        assert coord.post(f"/api/v1/cases/{case['id']}/co-leads", json={"org_id": str(basic.orgs[org])}).status_code == 201
    _consent(coord, father, basic.orgs["kmm-npo"])                  # the father's consent: not the mother's
    _consent(coord, mother, basic.orgs["kmk-josei"])                # the mother's consent to 女性相談
    t = utcnow()
    with app.app_context():
        s = db.session()
        council = council_row(s, municipality_id=basic.municipalities["kamakura"], kind="support_meeting",
                              secretariat_org_id=basic.orgs["kmk-chiiki"], chair_user_id=basic.users["super@example.jp"],
                              member_org_ids=[basic.orgs["kmk-kodomo"]])
        m = Meeting(municipality_id=basic.municipalities["kamakura"], council_id=council.id, kind="support_meeting",
                    title="支援会議（DV）",
                    starts_at=t, chair_user_id=basic.users["super@example.jp"], organizer_org_id=basic.orgs["kmk-chiiki"],
                    fiscal_year=2026, window_start=t - timedelta(days=1), window_end=t + timedelta(days=14))
        s.add(m)
        s.flush()
        s.add_all([MeetingMember(meeting_id=m.id, org_id=basic.orgs["kmk-chiiki"]),
                   MeetingMember(meeting_id=m.id, org_id=basic.orgs["kmk-kodomo"]),
                   AgendaItem(meeting_id=m.id, position=1, case_id=uuid.UUID(case["id"]),
                              presenting_org_id=basic.orgs["kmk-chiiki"], points="世帯の状況確認"),
                   MeetingAttendee(meeting_id=m.id, user_id=basic.users["kodomo@example.jp"]),
                   Pledge(user_id=basic.users["kodomo@example.jp"], meeting_id=m.id)])
        for person in (father, mother):  # break-glass on the father's case, for both of them
            s.add(EmergencyAccess(user_id=basic.users["kourei@example.jp"], org_id=basic.orgs["kmk-kourei"],
                                  person_id=uuid.UUID(person), case_id=uuid.UUID(case["id"]),
                                  justification="生命の危険があり本人の同意を得られないため", opened_at=t - timedelta(hours=1),
                                  expires_at=t + timedelta(hours=23)))
        meeting_id = m.id
        s.commit()
    return {"case": case, "father": father, "mother": mother, "meeting": meeting_id, "coord": coord}


def _decide(basic, dv, who="super@example.jp", named=("kmk-josei",), reason="住民基本台帳事務における支援措置（DV）"):
    return basic.client(who).post(f"/api/v1/persons/{dv['mother']}/secrecy", json={
        "reason": reason, "recipient_org_ids": [str(basic.orgs[o]) for o in named]})


def _views(client, dv) -> dict[str, str]:
    case_id = dv["case"]["id"]
    return {
        "case": client.get(f"/api/v1/cases/{case_id}"),
        "household": client.get(f"/api/v1/households/{dv['case']['household']['id']}"),
        "person": client.get(f"/api/v1/persons/{dv['mother']}"),
        "list": client.get("/api/v1/cases"),
        "search": client.get("/api/v1/cases", query_string={"q": "スズキ ヒミコ"}),
        "search_kanji": client.get("/api/v1/cases", query_string={"q": "秘子"}),
    }


def test_before_a_decision_the_scenario_shows_the_mother_to_each_basis(basic, dv):
    """The setup is meaningful: without secrecy each of these viewers sees her (the meeting and break-glass
    her address and phone, the father's consent at least her membership)."""
    for email in ("kodomo@example.jp", "kourei@example.jp"):
        body = basic.client(email).get(f"/api/v1/cases/{dv['case']['id']}").get_data(as_text=True)
        assert MOTHER["phone"] in body and MOTHER["address"] in body, email
    household = basic.client("npo@example.jp").get(f"/api/v1/households/{dv['case']['household']['id']}").get_json()
    assert dv["mother"] in [m["id"] for m in household["members"]]


def test_a_secret_member_is_withheld_from_every_organisation_not_named(basic, dv):
    r = _decide(basic, dv)
    assert r.status_code == 201, r.get_json()
    decision = r.get_json()
    assert decision["active"] and {o["code"] for o in decision["recipients"]} == {"kmk-chiiki", "kmk-josei"}
    for email in NOT_NAMED:
        c = basic.client(email)
        v = _views(c, dv)
        for name, resp in v.items():
            text = resp.get_data(as_text=True)
            for value in SECRET_VALUES:
                assert value not in text, (email, name, value)
        case = v["case"].get_json()
        assert dv["mother"] not in [p["id"] for p in case["persons"]], email   # not shown as a member
        assert case["household"]["address"] == HOME if "address" in case["household"] else True
        members = v["household"].get_json()["members"]
        assert dv["mother"] not in [m["id"] for m in members], email
        assert MOTHER["name"] not in v["household"].get_data(as_text=True)
        # her own record, where the viewer can reach it: contact withheld for secrecy, whatever the basis
        if v["person"].status_code == 200:
            person = v["person"].get_json()
            assert "contact" in person["withheld"] and person["withheld_reasons"]["contact"] == "secrecy"
            assert "address" not in person and "phone" not in person
        # a search by her name finds nothing
        assert v["search"].get_json()["items"] == [], email
        assert v["search_kanji"].get_json()["items"] == [], email
        assert c.get(f"/api/v1/persons/{dv['mother']}/secrecy").get_json() == []  # decisions: named orgs only
    # the named organisation (and the deciding one) see her as before
    for email in ("josei@example.jp", "coord@example.jp"):
        v = _views(basic.client(email), dv)
        person = v["person"].get_json()
        assert person["address"] == MOTHER["address"] and person["phone"] == MOTHER["phone"], email
        assert dv["mother"] in [p["id"] for p in v["case"].get_json()["persons"]]
        assert dv["mother"] in [m["id"] for m in v["household"].get_json()["members"]]
        assert [i["id"] for i in v["search"].get_json()["items"]] == [dv["case"]["id"]], email
    listed = basic.client("josei@example.jp").get(f"/api/v1/persons/{dv['mother']}/secrecy").get_json()
    assert [d["id"] for d in listed] == [decision["id"]]


def test_the_move_of_a_secret_member_cannot_be_inferred(basic, dv):
    assert _decide(basic, dv).status_code == 201
    npo = basic.client("npo@example.jp")
    hid = dv["case"]["household"]["id"]
    before = {e: basic.client(e).get(f"/api/v1/households/{hid}").get_json() for e in NOT_NAMED}
    coord = dv["coord"]
    household = coord.get(f"/api/v1/households/{hid}").get_json()
    member_id = next(m["member_id"] for m in household["members"] if m["id"] == dv["mother"])
    r = coord.post(f"/api/v1/households/{hid}/members/{member_id}/end", json={"until": "2026-12-01"})
    assert r.status_code == 200, r.get_json()
    for email in NOT_NAMED:
        after = basic.client(email).get(f"/api/v1/households/{hid}").get_json()
        strip = lambda h: [{k: v for k, v in m.items() if k != "version"} for m in h["members"]]  # noqa: E731
        assert strip(after) == strip(before[email]), email
    assert "2026-12-01" not in npo.get(f"/api/v1/cases/{dv['case']['id']}").get_data(as_text=True)


def test_agenda_and_minutes_and_their_pdfs_honour_secrecy(basic, dv):
    assert _decide(basic, dv).status_code == 201
    kodomo = basic.client("kodomo@example.jp")
    mid = dv["meeting"]
    for path in (f"/api/v1/meetings/{mid}/agenda", f"/api/v1/meetings/{mid}/minutes"):
        r = kodomo.get(path)
        assert r.status_code == 200, r.get_json()
        text = r.get_data(as_text=True)
        assert FATHER["name"] in text  # the case is discussed, the father named
        for value in SECRET_VALUES + [MOTHER["name"], dv["mother"]]:
            assert value not in text, (path, value)
    for path in (f"/api/v1/meetings/{mid}/agenda.pdf", f"/api/v1/meetings/{mid}/minutes.pdf"):
        r = kodomo.get(path)
        assert r.status_code == 200
        text = _pdf_text(r.data).replace(" ", "")
        assert FATHER["name"].replace(" ", "") in text
        for value in SECRET_VALUES + [MOTHER["name"]]:
            assert value.replace(" ", "") not in text, (path, value)


def test_withheld_values_are_not_recorded_as_disclosed(basic, dv):
    assert _decide(basic, dv).status_code == 201
    for email in NOT_NAMED:
        basic.client(email).get(f"/api/v1/cases/{dv['case']['id']}")
        basic.client(email).get(f"/api/v1/persons/{dv['mother']}")
    auditor = basic.client("auditor@example.jp")
    for email in NOT_NAMED:
        events = auditor.get(f"/api/v1/audit-events?person_id={dv['mother']}&actor_user_id={basic.users[email]}"
                             "&limit=200").get_json()["items"]
        cats = {c for e in events for d in e["disclosures"] if d["person"] == dv["mother"] for c in d["categories"]}
        assert "contact" not in cats, (email, cats)
    export = auditor.get("/api/v1/audit-events/export.csv").get_data(as_text=True)
    for value in SECRET_VALUES + [MOTHER["name"]]:
        assert value not in export
    decided = auditor.get("/api/v1/audit-events?action=persons.secrecy_decide").get_json()["items"]
    assert len(decided) == 1 and "支援措置" not in str(decided)  # the reason stays in the decision


def test_ending_a_decision_restores_the_other_bases(basic, dv):
    decision = _decide(basic, dv).get_json()
    end = f"/api/v1/persons/{dv['mother']}/secrecy/{decision['id']}/end"
    assert basic.client("josei-super@example.jp").post(end, json={"reason": "支援措置の終了"}).status_code == 403
    assert basic.client("super@example.jp").post(end, json={}).status_code == 422
    r = basic.client("super@example.jp").post(end, json={"reason": "支援措置の終了"})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert basic.client("super@example.jp").post(end, json={"reason": "再度"}).status_code == 409
    body = basic.client("kodomo@example.jp").get(f"/api/v1/cases/{dv['case']['id']}").get_data(as_text=True)
    assert MOTHER["phone"] in body  # the 支援会議 basis applies again
    # a new decision may be taken once the old one has ended
    assert _decide(basic, dv).status_code == 201


def test_secrecy_writes_are_refused_to_non_supervisors_and_unrelated_organisations(basic, dv):
    assert _decide(basic, dv, who="coord@example.jp").status_code == 403          # not a supervisor
    assert _decide(basic, dv, who="kodomo-super@example.jp").status_code == 403   # sees her (meeting), works not
    basic.org("kmk-other", "department", "鎌倉市 無関係課")
    basic.user("other-super@example.jp", "kmk-other", "supervisor")
    assert _decide(basic, dv, who="other-super@example.jp").status_code == 404    # cannot even see her
    assert _decide(basic, dv, reason="").status_code == 422
    r = _decide(basic, dv, named=("kmk-josei",))
    assert r.status_code == 201
    bad = basic.client("super@example.jp").post(f"/api/v1/persons/{dv['mother']}/secrecy", json={
        "reason": "重ねて", "recipient_org_ids": [str(uuid.uuid4())]})
    assert bad.status_code == 422 and "recipient_org_ids.0" in bad.get_json()["errors"]
    assert _decide(basic, dv).status_code == 409                                  # one in force at a time
    listed = basic.client("super@example.jp").get(f"/api/v1/persons/{dv['mother']}/secrecy").get_json()
    assert [d["id"] for d in listed] == [r.get_json()["id"]]                        # nothing else was stored


def test_a_reporter_is_visible_to_the_receiving_organisation_only(basic, dv):
    coord = dv["coord"]
    case_id = dv["case"]["id"]
    r = coord.post(f"/api/v1/cases/{case_id}/reporter", json=REPORTER)
    assert r.status_code == 201, r.get_json()
    assert [x["name"] for x in coord.get(f"/api/v1/cases/{case_id}/reporter").get_json()] == [REPORTER["name"]]
    # co-leads, meeting members, break-glass: 404, and nowhere else either
    for email in ("josei@example.jp", *NOT_NAMED):
        c = basic.client(email)
        assert c.get(f"/api/v1/cases/{case_id}/reporter").status_code == 404, email
        texts = [c.get(f"/api/v1/cases/{case_id}").get_data(as_text=True)]
        if email == "kodomo@example.jp":
            for path in ("agenda", "minutes"):
                texts.append(c.get(f"/api/v1/meetings/{dv['meeting']}/{path}").get_data(as_text=True))
                texts.append(_pdf_text(c.get(f"/api/v1/meetings/{dv['meeting']}/{path}.pdf").data))
        for text in texts:
            for value in (REPORTER["name"], REPORTER["contact"], REPORTER["note"]):
                assert value not in text.replace(" ", "") and value not in text, (email, value)
    ref = coord.post("/api/v1/referrals", json={"case_id": case_id, "to_org_id": str(basic.orgs["kvoad"]),
                                                "reason": "見守りの依頼", "requested_support": "訪問"})
    assert ref.status_code == 201, ref.get_json()
    body = coord.get(f"/api/v1/referrals/{ref.get_json()['id']}").get_data(as_text=True)
    assert REPORTER["name"] not in body and REPORTER["contact"] not in body
    export = basic.client("auditor@example.jp").get("/api/v1/audit-events/export.csv").get_data(as_text=True)
    assert REPORTER["name"] not in export and REPORTER["contact"] not in export
    reads = basic.client("auditor@example.jp").get("/api/v1/audit-events?action=cases.reporter_read").get_json()
    assert len(reads["items"]) == 1  # every read is audited
