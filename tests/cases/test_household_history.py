"""Households over time (issue 24, part 1): memberships with joined/left and why, per household and per person;
relationships between two members (a directed graph), written by the collecting organisation with audit and
shown -- on the case, in the agenda JSON and PDF -- only where the viewer has an identity basis for both persons.
A three-generation young-carer household: the grandmother (the 8050 parent), her daughter (the carer's mother)
and the young carer, the case's primary person."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.core import db

from support import council_for, now, run, today_jst, without_spaces

CARER = {"name": "木村 葵", "name_kana": "キムラ アオイ", "birth_date": "2010-05-05", "gender": "female"}
MOTHER = {"name": "木村 恵", "name_kana": "キムラ メグミ", "birth_date": "1982-02-02", "gender": "female"}
GRANDMA = {"name": "木村 トメ", "name_kana": "キムラ トメ", "birth_date": "1948-03-03", "gender": "female"}
FATHER = {"name": "木村 剛", "name_kana": "キムラ ツヨシ", "birth_date": "1978-07-07", "gender": "male"}
BROTHER = {"name": "木村 蓮", "name_kana": "キムラ レン", "birth_date": "2016-09-09", "gender": "male"}
NAMES = [p["name"] for p in (CARER, MOTHER, GRANDMA, FATHER, BROTHER)]


def _consent(coord, person_id, org_id, categories=("identity",)):
    r = coord.post("/api/v1/consents", json={
        "person_id": person_id, "purpose": "support_coordination", "method": "written",
        "recipients": [{"org_id": str(org_id)}], "categories": list(categories), "form_reference": "同意書",
        "obtained_at": now().isoformat()})
    assert r.status_code == 201, r.get_json()


def _rel(client, household_id, src, dst, relation, **extra):
    return client.post(f"/api/v1/households/{household_id}/relationships",
                       json={"from_person_id": src, "to_person_id": dst, "relation": relation, **extra})


@pytest.fixture
def family(basic):
    """The carer's case (owner 地域共生課, which collected everyone); the father left the household (separation),
    the brother joined later; the NPO works on the case through an accepted referral."""
    coord = basic.client("coord@example.jp")
    r = coord.post("/api/v1/cases", json={
        "intake_channel": "school", "issues": ["young_carer", "h8050"], "summary": "祖母の介護を担うヤングケアラー",
        "household": {"address": "鎌倉市腰越三丁目1-1", "district": "koshigoe", "members": [
            {"person": CARER, "relationship": "self", "in_need": True, "since": "2010-05-05"},
            {"person": MOTHER, "relationship": "parent", "since": "2008-04-01"},
            {"person": GRANDMA, "relationship": "grandparent", "since": "2008-04-01"},
            {"person": FATHER, "relationship": "parent", "since": "2008-04-01"}]}})
    assert r.status_code == 201, r.get_json()
    case = r.get_json()
    hid = case["household"]["id"]
    ids = {p["name"]: p["id"] for p in case["persons"]}
    members = {m["id"]: m["member_id"] for m in coord.get(f"/api/v1/households/{hid}").get_json()["members"]}
    r = coord.post(f"/api/v1/households/{hid}/members/{members[ids[FATHER['name']]]}/end",
                   json={"until": "2023-03-31", "reason_code": "separation", "reason": "両親の別居"})
    assert r.status_code == 200, r.get_json()
    r = coord.post(f"/api/v1/households/{hid}/members",
                   json={"person": BROTHER, "relationship": "sibling", "since": "2016-09-09"})
    assert r.status_code == 201, r.get_json()
    ids[BROTHER["name"]] = next(m["id"] for m in r.get_json()["members"] if m.get("name") == BROTHER["name"])
    r = coord.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(basic.orgs["kmm-npo"]),
                                              "reason": "家事支援", "requested_support": "家事援助", "urgency": "normal"})
    assert r.status_code == 201, r.get_json()
    assert basic.client("npo@example.jp").post(f"/api/v1/referrals/{r.get_json()['id']}/accept").status_code == 200
    basic.case, basic.hid, basic.ids, basic.members = case, hid, ids, members
    return basic


def _graph(family):
    """母 (mother → carer), 母 (grandmother → mother: the mother is the 8050 parent's daughter), 孫."""
    coord, hid, ids = family.client("coord@example.jp"), family.hid, family.ids
    carer, mother, grandma = ids[CARER["name"]], ids[MOTHER["name"]], ids[GRANDMA["name"]]
    out = {}
    for key, src, dst, relation in (("m", mother, carer, "mother"), ("g", grandma, mother, "mother"),
                                    ("c", carer, grandma, "grandchild")):
        r = _rel(coord, hid, src, dst, relation, since="2010-05-05")
        assert r.status_code == 201, r.get_json()
        out[key] = r.get_json()
    return out


def test_membership_history_per_household_and_per_person(app, family):
    coord, hid, ids = family.client("coord@example.jp"), family.hid, family.ids
    father = ids[FATHER["name"]]
    current = coord.get(f"/api/v1/households/{hid}").get_json()
    assert FATHER["name"] not in [m.get("name") for m in current["members"]]  # the household view: current only

    r = coord.get(f"/api/v1/households/{hid}/history")
    assert r.status_code == 200, r.get_json()
    by_name = {m["name"]: m for m in r.get_json()["memberships"]}
    assert set(by_name) == set(NAMES)
    left = by_name[FATHER["name"]]
    assert (left["current"], left["joined_on"], left["left_on"]) == (False, "2008-04-01", "2023-03-31")
    assert (left["left_reason_code"], left["left_reason_label"], left["left_reason"]) == \
        ("separation", "別居・離婚", "両親の別居")
    assert by_name[BROTHER["name"]]["joined_on"] == "2016-09-09" and by_name[BROTHER["name"]]["current"]
    assert r.get_json()["memberships"][-1]["name"] == FATHER["name"]  # the past after the present
    assert all(m["basis"] == "own_collection" for m in by_name.values())

    r = coord.get(f"/api/v1/persons/{father}/households")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["withheld"] is False
    [m] = body["memberships"]
    assert (m["household_id"], m["district"], m["left_reason_code"], m["current"]) == \
        (hid, "koshigoe", "separation", False)

    # refusals: leaving twice, an unknown reason, a day before joining
    url = f"/api/v1/households/{hid}/members/{family.members[father]}/end"
    assert coord.post(url, json={"until": "2024-01-01"}).status_code == 409
    mother_member = family.members[ids[MOTHER["name"]]]
    r = coord.post(f"/api/v1/households/{hid}/members/{mother_member}/end",
                   json={"until": "2024-01-01", "reason_code": "vanished"})
    assert r.status_code == 422 and "reason_code" in r.get_json()["errors"]
    r = coord.post(f"/api/v1/households/{hid}/members/{mother_member}/end", json={"until": "2001-01-01"})
    assert r.status_code == 422 and "until" in r.get_json()["errors"]

    with app.app_context():
        events = {e.action: e for e in db.session().scalars(select(AuditEvent).where(AuditEvent.action.in_(
            ["households.end_member", "households.history_read", "persons.households_read"])))}
        assert json.loads(events["households.end_member"].detail)["reason_code"] == "separation"
        assert events["households.history_read"].legal_basis == "own_collection"
        disclosed = json.loads(events["persons.households_read"].disclosures)
        assert disclosed == [{"person": father, "basis": "own_collection", "categories": ["identity"]}]


def test_relationships_written_by_the_collector_with_audit_and_refusals(app, family):
    coord, hid, ids = family.client("coord@example.jp"), family.hid, family.ids
    carer, mother, grandma = ids[CARER["name"]], ids[MOTHER["name"]], ids[GRANDMA["name"]]
    graph = _graph(family)
    assert graph["g"]["phrase"] == f"{GRANDMA['name']}は{MOTHER['name']}の母"
    assert graph["g"]["relation_label"] == "母" and graph["g"]["active"] is True

    r = coord.get(f"/api/v1/cases/{family.case['id']}/relationships")
    assert r.status_code == 200
    assert {(x["from_person"]["id"], x["to_person"]["id"], x["relation"]) for x in r.get_json()["relationships"]} \
        == {(mother, carer, "mother"), (grandma, mother, "mother"), (carer, grandma, "grandchild")}

    # refusals: codes, oneself, non-members (one who left, one of another household), duplicates
    r = _rel(coord, hid, mother, carer, "aunt")
    assert r.status_code == 422 and "relation" in r.get_json()["errors"]
    r = _rel(coord, hid, mother, mother, "mother")
    assert r.status_code == 422 and "to_person_id" in r.get_json()["errors"]
    r = _rel(coord, hid, ids[FATHER["name"]], carer, "father")  # he left the household
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["from_person_id"]
    stranger = coord.post("/api/v1/persons", json={"name": "他人 太郎"}).get_json()["id"]
    r = _rel(coord, hid, carer, stranger, "sibling")
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["to_person_id"]
    assert _rel(coord, hid, mother, carer, "mother").status_code == 409
    r = _rel(coord, hid, mother, carer, "child", since="2999-01-01")
    assert r.status_code == 422 and "since" in r.get_json()["errors"]

    # another organisation that works on the case: 403; one that does not see it: 404; another city: 404
    npo = family.client("npo@example.jp")
    assert _rel(npo, hid, ids[BROTHER["name"]], carer, "sibling").status_code == 403
    family.org("kmk-kourei", "department")
    family.user("kourei@example.jp", "kmk-kourei", "coordinator")
    assert _rel(family.client("kourei@example.jp"), hid, ids[BROTHER["name"]], carer, "sibling").status_code == 404
    family.municipality("zushi", "逗子市")
    family.org("zs-chiiki", "department", municipality="zushi")
    family.user("zushi@example.jp", "zs-chiiki", "coordinator")
    zushi = family.client("zushi@example.jp")
    assert _rel(zushi, hid, ids[BROTHER["name"]], carer, "sibling").status_code == 404
    assert zushi.get(f"/api/v1/households/{hid}/history").status_code == 404
    assert zushi.get(f"/api/v1/persons/{carer}/households").status_code == 404
    assert zushi.get(f"/api/v1/cases/{family.case['id']}/relationships").status_code == 404
    end = f"/api/v1/households/{hid}/relationships/{graph['c']['id']}/end"
    assert npo.post(end, json={"reason": "誤登録"}).status_code == 403
    assert zushi.post(end, json={"reason": "誤登録"}).status_code == 404

    # ending: a reason is required; then the relationship leaves the case view and stays in the history
    r = coord.post(end, json={})
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = coord.post(end, json={"reason": "誤登録のため", "until": today_jst().isoformat()})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["active"], r.get_json()["end_reason"]) == (False, "誤登録のため")
    assert coord.post(end, json={"reason": "二度目"}).status_code == 409
    assert coord.post(f"/api/v1/households/{hid}/relationships/{uuid.uuid4()}/end",
                      json={"reason": "x"}).status_code == 404
    case_rels = coord.get(f"/api/v1/cases/{family.case['id']}/relationships").get_json()["relationships"]
    assert graph["c"]["id"] not in [x["id"] for x in case_rels] and len(case_rels) == 2
    history = coord.get(f"/api/v1/households/{hid}/history").get_json()["relationships"]
    assert [x["active"] for x in history] == [True, True, False]

    with app.app_context():
        events = list(db.session().scalars(select(AuditEvent).where(AuditEvent.action.like("households.relationship%"))
                                           .order_by(AuditEvent.seq)))
        assert [e.action for e in events] == ["households.relationship_add"] * 3 + ["households.relationship_end"]
        assert all(e.actor_user_id == family.users["coord@example.jp"] for e in events)
        assert json.loads(events[-1].detail) == {"relationship_id": graph["c"]["id"]}
        denied = db.session().scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert denied  # the refused writes are on the trail


def test_a_relationship_is_shown_only_with_a_basis_for_both_persons(app, family):
    coord, hid, ids = family.client("coord@example.jp"), family.hid, family.ids
    carer, mother, grandma = ids[CARER["name"]], ids[MOTHER["name"]], ids[GRANDMA["name"]]
    graph = _graph(family)
    npo = family.client("npo@example.jp")
    case_url = f"/api/v1/cases/{family.case['id']}/relationships"

    # no consent at all: every relationship withheld, no name in the responses
    for url in (case_url, f"/api/v1/households/{hid}/history", f"/api/v1/persons/{carer}/households"):
        r = npo.get(url)
        assert r.status_code == 200, (url, r.get_json())
        assert not [n for n in NAMES if n in r.get_data(as_text=True)], url
    rels = npo.get(case_url).get_json()["relationships"]
    assert rels and all(x["withheld"] and x["withheld_reason"] == "no_basis" and "relation" not in x for x in rels)
    assert npo.get(f"/api/v1/persons/{carer}/households").get_json()["withheld_reason"] == "no_basis"
    memberships = npo.get(f"/api/v1/households/{hid}/history").get_json()["memberships"]
    assert all(m["withheld"] and "left_on" not in m and "person_id" not in m for m in memberships)

    # the carer's consent only: the carer's own membership shows, her relationships to others do not
    _consent(coord, carer, family.orgs["kmm-npo"])
    rels = {x["id"]: x for x in npo.get(case_url).get_json()["relationships"]}
    assert all(x["withheld"] for x in rels.values())
    history = npo.get(f"/api/v1/households/{hid}/history").get_json()
    assert [m["name"] for m in history["memberships"] if not m["withheld"]] == [CARER["name"]]
    assert MOTHER["name"] not in json.dumps(history, ensure_ascii=False)

    # and the mother's: mother → carer shows (both bases), grandmother → mother and carer → grandmother do not
    _consent(coord, mother, family.orgs["kmm-npo"])
    rels = {x["id"]: x for x in npo.get(case_url).get_json()["relationships"]}
    shown = rels[graph["m"]["id"]]
    assert not shown["withheld"] and shown["phrase"] == f"{MOTHER['name']}は{CARER['name']}の母"
    assert shown["bases"]["from_person"].startswith("consent:") and shown["bases"]["to_person"].startswith("consent:")
    assert rels[graph["g"]["id"]]["withheld"] and rels[graph["c"]["id"]]["withheld"]
    assert GRANDMA["name"] not in npo.get(case_url).get_data(as_text=True)
    mine = npo.get(f"/api/v1/persons/{carer}/households").get_json()
    assert [x["withheld"] for x in mine["relationships"]] == [False, True]
    with app.app_context():
        e = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "cases.relationships_read",
                                                          AuditEvent.actor_user_id == family.users["npo@example.jp"])
                                 .order_by(AuditEvent.seq.desc())).first()
        assert {d["person"] for d in json.loads(e.disclosures)} == {carer, mother}

    # 住所秘匿 of the mother, not naming the NPO: her relationships and membership vanish, her consent nothwithstanding
    sup = family.client("super@example.jp")
    r = sup.post(f"/api/v1/persons/{mother}/secrecy", json={"reason": "支援措置", "recipient_org_ids": []})
    assert r.status_code == 201, r.get_json()
    assert npo.get(case_url).get_json()["relationships"] == [{"id": graph["c"]["id"], "withheld": True,
                                                             "withheld_reason": "no_basis"}]
    history = npo.get(f"/api/v1/households/{hid}/history").get_json()
    assert mother not in [m.get("person_id") for m in history["memberships"]]
    assert len(history["memberships"]) == len(NAMES) - 1 and len(history["relationships"]) == 1
    r = npo.get(f"/api/v1/persons/{mother}/households").get_json()
    assert (r["withheld_reason"], r["memberships"], r["relationships"]) == ("secrecy", [], [])
    assert grandma  # the deciding organisation still sees the whole graph
    assert len(coord.get(case_url).get_json()["relationships"]) == 3


def test_the_agenda_shows_relationships_to_pledged_members_only(app, family, tmp_path):
    family.user("chair@example.jp", "kmk-chiiki", "supervisor")
    family.user("pledged@example.jp", "kmm-npo", "npo_staff")
    family.user("unpledged@example.jp", "kmm-npo", "npo_staff")
    graph = _graph(family)
    chair = family.client("chair@example.jp")
    starts = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    r = chair.post("/api/v1/meetings", json={
        "council_id": council_for(chair, [family.orgs["kmm-npo"]]), "title": "第1回 支援会議",
        "starts_at": starts.isoformat(), "place": "鎌倉市役所", "chair_user_id": str(family.users["chair@example.jp"]),
        "attendee_user_ids": [str(family.users["pledged@example.jp"]), str(family.users["unpledged@example.jp"])]})
    assert r.status_code == 201, r.get_json()
    mid = r.get_json()["id"]
    assert chair.post(f"/api/v1/meetings/{mid}/agenda", json={"case_id": family.case["id"]}).status_code == 201
    pledged = family.client("pledged@example.jp")
    assert pledged.post(f"/api/v1/meetings/{mid}/pledge").status_code == 201

    [item] = pledged.get(f"/api/v1/meetings/{mid}/agenda").get_json()["items"]
    assert {x["id"] for x in item["relationships"] if not x["withheld"]} == {g["id"] for g in graph.values()}
    assert all(x["bases"]["from_person"] == f"support_meeting:{mid}" for x in item["relationships"])
    r = pledged.get(f"/api/v1/meetings/{mid}/agenda.pdf")
    assert r.status_code == 200
    (tmp_path / "a.pdf").write_bytes(r.data)
    text = without_spaces(run(["pdftotext", str(tmp_path / "a.pdf"), "-"]))
    assert "続柄" in text and without_spaces(f"{GRANDMA['name']}は{MOTHER['name']}の母") in text

    unpledged = family.client("unpledged@example.jp")
    [item] = unpledged.get(f"/api/v1/meetings/{mid}/agenda").get_json()["items"]
    assert item["relationships"] and all(x["withheld"] for x in item["relationships"])
    r = unpledged.get(f"/api/v1/meetings/{mid}/agenda.pdf")
    (tmp_path / "b.pdf").write_bytes(r.data)
    text = without_spaces(run(["pdftotext", str(tmp_path / "b.pdf"), "-"]))
    # no 続柄 line, only the redaction note saying it is withheld (issue 21)
    assert text.count("続柄") == 1 and "続柄を表示していません" in text
    assert not [n for n in NAMES if without_spaces(n) in text]
