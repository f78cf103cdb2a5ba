"""Contacts (相談者): an anonymous consultation is a record of its own, and becomes a person only by an audited,
reversible link act that keeps both histories (caseflow.contacts). Through the HTTP API, on both engines."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import create_engine, delete, select, text

from caseflow.audit.models import AuditEvent
from caseflow.cli import main
from caseflow.contacts.models import ContactCase
from caseflow.core import db

from support import YAMADA, audit_verify, move, open_anonymous_case, open_case

REASON = "来所時に本人が名乗り、LINEの相談内容と一致した"


def _events(app, action):
    with app.app_context():
        return [(e.actor_user_id, e.resource_id, json.loads(e.detail))
                for e in db.session().scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                                       AuditEvent.outcome == "allowed")
                                              .order_by(AuditEvent.seq))]


def _contact_of(client, case):
    items = client.get("/api/v1/contacts?limit=200").get_json()["items"]
    return next(c for c in items if case["id"] in {x["id"] for x in c["cases"]})


def _person(client, name="佐藤 次郎", kana="サトウ ジロウ"):
    r = client.post("/api/v1/persons", json={"name": name, "name_kana": kana, "estimated_age": 17})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_an_anonymous_case_makes_a_contact_and_further_contacts_move_the_last_time(basic):
    coord = basic.client("coord@example.jp")
    case = open_anonymous_case(coord)
    contact = _contact_of(coord, case)
    assert contact["channel"] == "chat" and contact["handle"] == "LINE相談 #0042" and contact["contact_count"] == 1
    assert contact["linked"] is False and contact["linked_person"] is None
    assert contact["owner_org_id"] == coord.me["org"]["id"]
    assert contact["cases"] == [{"id": case["id"], "case_number": case["case_number"], "stage": "intake"}]
    first = _at(contact["first_contact_at"])
    assert _at(contact["last_contact_at"]) == first
    assert _events(basic.app, "cases.create")[-1][2]["contact_id"] == contact["id"]

    url = f"/api/v1/contacts/{contact['id']}"
    r = coord.post(f"{url}/further-contacts", json={})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["contact_count"] == 2 and _at(r.get_json()["last_contact_at"]) > first
    earlier = (first - timedelta(days=3)).isoformat()
    r = coord.post(f"{url}/further-contacts", json={"at": earlier})
    assert _at(r.get_json()["first_contact_at"]) == _at(earlier) and r.get_json()["contact_count"] == 3
    r = coord.post(f"{url}/further-contacts", json={"at": (first + timedelta(days=3)).isoformat()})
    assert r.status_code == 422 and "at" in r.get_json()["errors"]

    # The same contact writes again weeks later: a second case of the same contact.
    r = coord.post("/api/v1/cases", json={"intake_channel": "chat", "contact_id": contact["id"], "summary": "再相談"})
    assert r.status_code == 201, r.get_json()
    second = r.get_json()
    assert second["anonymous_label"] == "LINE相談 #0042" and second["persons"] == []
    detail = coord.get(url).get_json()
    assert [c["id"] for c in detail["cases"]] == [case["id"], second["id"]] and detail["contact_count"] == 4
    r = coord.post("/api/v1/cases", json={"intake_channel": "counter", "contact_id": contact["id"],
                                          "household": {"members": [{"person": YAMADA, "relationship": "self"}]}})
    assert r.status_code == 422 and "contact_id" in r.get_json()["errors"]

    # A contact of its own (a LINE account that has not opened a case yet)
    r = coord.post("/api/v1/contacts", json={"channel": "chat", "handle": "LINE相談 #0043"})
    assert r.status_code == 201 and r.get_json()["cases"] == [] and r.get_json()["links"] == []
    for body, field in (({"channel": "telepathy", "handle": "x"}, "channel"), ({"channel": "chat"}, "handle"),
                        ({"channel": "chat", "handle": "x", "first_contact_at": "2099-01-01T00:00:00+09:00"},
                         "first_contact_at")):
        r = coord.post("/api/v1/contacts", json=body)
        assert r.status_code == 422 and field in r.get_json()["errors"], (body, r.get_json())
    listed = coord.get("/api/v1/contacts?linked=false").get_json()["items"]
    assert [c["handle"] for c in listed] == ["LINE相談 #0043", "LINE相談 #0042"]  # most recent contact first
    assert coord.get("/api/v1/contacts?linked=true").get_json()["items"] == []


def test_link_and_unlink_are_audited_acts_that_keep_both_histories(basic):
    coord = basic.client("coord@example.jp")
    case = open_anonymous_case(coord)
    contact = _contact_of(coord, case)
    url = f"/api/v1/contacts/{contact['id']}"
    jiro, other = _person(coord), _person(coord, "鈴木 三郎", "スズキ サブロウ")
    r = coord.post(f"{url}/link", json={"person_id": jiro})
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    npo_person = _person(basic.client("npo@example.jp"), "田中 四郎", "タナカ シロウ")
    r = coord.post(f"{url}/link", json={"person_id": npo_person, "reason": REASON})
    assert r.status_code == 422 and "person_id" in r.get_json()["errors"]

    r = coord.post(f"{url}/link", json={"person_id": jiro, "reason": REASON})
    assert r.status_code == 200, r.get_json()
    linked = r.get_json()
    assert linked["linked"] is True and linked["handle"] == "LINE相談 #0042"  # the contact remains
    assert linked["linked_person"] == {"id": jiro, "redacted": False, "name": "佐藤 次郎", "name_kana": "サトウ ジロウ"}
    assert linked["linked_by_user_id"] == coord.me["id"] and linked["linked_at"]
    assert [(x["act"], x["person"]["id"], x["reason"]) for x in linked["links"]] == [("link", jiro, REASON)]
    seen = coord.get(f"/api/v1/cases/{case['id']}")
    assert [p["name"] for p in seen.get_json()["persons"]] == ["佐藤 次郎"]
    actor, resource, detail = _events(basic.app, "contacts.link")[-1]
    assert str(actor) == coord.me["id"] and resource == contact["id"]
    assert detail == {"act": "link", "contact_id": contact["id"], "person_id": jiro, "case_ids": [case["id"]]}

    # No silent overwrite: neither a second link nor the case's edit
    r = coord.post(f"{url}/link", json={"person_id": other, "reason": "別人だった"})
    assert r.status_code == 409 and r.get_json()["type"].endswith("already-linked") and f"{url}/unlink" in r.get_json()["detail"]
    r = coord.patch(f"/api/v1/cases/{case['id']}", json={"primary_person_id": other},
                    headers={"If-Match": seen.headers["ETag"]})
    assert r.status_code == 409 and r.get_json()["contact_id"] == contact["id"]
    assert [p["name"] for p in coord.get(f"/api/v1/cases/{case['id']}").get_json()["persons"]] == ["佐藤 次郎"]

    r = coord.post(f"{url}/unlink", json={})
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = coord.post(f"{url}/unlink", json={"reason": "同姓同名の別人と判明"})
    assert r.status_code == 200, r.get_json()
    undone = r.get_json()
    assert undone["linked"] is False and undone["linked_person"] is None and undone["linked_at"] is None
    assert [(x["act"], x["person"]["id"]) for x in undone["links"]] == [("link", jiro), ("unlink", jiro)]
    back = coord.get(f"/api/v1/cases/{case['id']}").get_json()
    assert back["persons"] == [] and back["anonymous_label"] == "LINE相談 #0042"
    assert _events(basic.app, "contacts.unlink")[-1][2] == {"act": "unlink", "contact_id": contact["id"],
                                                            "person_id": jiro, "case_ids": [case["id"]]}
    r = coord.post(f"{url}/unlink", json={"reason": "もう一度"})
    assert r.status_code == 409 and r.get_json()["type"].endswith("not-linked")

    assert coord.post(f"{url}/link", json={"person_id": other, "reason": "本人確認済み"}).status_code == 200
    history = coord.get(url).get_json()["links"]
    assert [(x["act"], x["person"]["id"]) for x in history] == [("link", jiro), ("unlink", jiro), ("link", other)]
    assert [c["contact_count"] for c in coord.get("/api/v1/contacts?linked=true").get_json()["items"]] == [1]


def test_an_anonymous_case_linked_before_contacts_existed_is_not_overwritten(basic):
    """A case the old edit gave a person (no contact: migration 0019 makes none for it) keeps that person."""
    coord = basic.client("coord@example.jp")
    case = open_anonymous_case(coord)
    with basic.app.app_context():
        db.session().execute(delete(ContactCase).where(ContactCase.case_id == uuid.UUID(case["id"])))
        db.session().commit()
    first, second = _person(coord), _person(coord, "鈴木 三郎", "スズキ サブロウ")
    etag = coord.get(f"/api/v1/cases/{case['id']}").headers["ETag"]
    r = coord.patch(f"/api/v1/cases/{case['id']}", json={"primary_person_id": first}, headers={"If-Match": etag})
    assert r.status_code == 200, r.get_json()
    detail = _events(basic.app, "cases.update")[-1][2]
    assert detail["person_from"] is None and detail["person_to"] == first
    r = coord.patch(f"/api/v1/cases/{case['id']}", json={"primary_person_id": second},
                    headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 409 and r.get_json()["type"].endswith("already-linked")


def test_only_the_owner_organisation_here_works_with_its_contacts(basic):
    coord = basic.client("coord@example.jp")
    case = open_anonymous_case(coord)
    contact = _contact_of(coord, case)
    url = f"/api/v1/contacts/{contact['id']}"
    jiro = _person(coord)
    # A colleague of the same organisation may (a supervisor is a case worker too)
    assert basic.client("super@example.jp").get(url).status_code == 200
    # Another organisation's case worker: as if it did not exist
    npo = basic.client("npo@example.jp")
    assert npo.get("/api/v1/contacts").get_json()["items"] == []
    for method, path, body in (("get", url, None), ("post", f"{url}/further-contacts", {}),
                               ("post", f"{url}/link", {"person_id": jiro, "reason": REASON}),
                               ("post", f"{url}/unlink", {"reason": "x"})):
        r = getattr(npo, method)(path, json=body) if body is not None else npo.get(path)
        assert r.status_code == 404, (path, r.status_code)
    r = npo.post("/api/v1/cases", json={"intake_channel": "chat", "contact_id": contact["id"]})
    assert r.status_code == 422 and "contact_id" in r.get_json()["errors"]
    # Roles without case work: refused by the rules (403)
    for email in ("auditor@example.jp", "admin@example.jp"):
        assert basic.client(email).get(url).status_code == 403
        assert basic.client(email).post("/api/v1/contacts", json={"channel": "chat", "handle": "x"}).status_code == 403
    # The same organisation acting in another municipality: 404 there
    basic.municipality("zz-city", "隣市")
    basic.membership("zz-city", "kmk-chiiki")
    elsewhere = basic.client("coord@example.jp", municipality="zz-city")
    assert elsewhere.get(url).status_code == 404
    assert elsewhere.get("/api/v1/contacts").get_json()["items"] == []
    # Nothing changed
    assert coord.get(url).get_json()["contact_count"] == 1 and coord.get(url).get_json()["links"] == []


def test_the_link_discloses_the_person_only_on_a_basis(basic):
    coord = basic.client("coord@example.jp")
    case = open_anonymous_case(coord)
    contact = _contact_of(coord, case)
    jiro = _person(coord)
    assert coord.post(f"/api/v1/contacts/{contact['id']}/link",
                      json={"person_id": jiro, "reason": REASON}).status_code == 200
    r = coord.post("/api/v1/referrals", json={
        "case_id": case["id"], "to_org_id": str(basic.orgs["kmm-npo"]), "reason": "居場所支援の相談",
        "requested_support": "居場所活動への参加", "urgency": "normal"})
    assert r.status_code == 201, r.get_json()
    npo = basic.client("npo@example.jp")
    seen = npo.get(f"/api/v1/cases/{case['id']}")
    assert seen.status_code == 200
    assert "佐藤" not in seen.get_data(as_text=True) and "サトウ" not in seen.get_data(as_text=True)
    assert npo.get(f"/api/v1/contacts/{contact['id']}").status_code == 404
    # A case of the linked contact that the owner no longer sees is not listed on the contact either
    other = open_case(coord)
    assert other["id"] not in {c["id"] for c in coord.get(f"/api/v1/contacts/{contact['id']}").get_json()["cases"]}


def test_the_purge_takes_the_handle_and_the_link_reasons_with_the_case(app, db_url, basic):
    """保存年限: once the contact's only case is purged, its handle and the reasons of the person's link acts go;
    the rows (and the audit chain) stay."""
    coord = basic.client("coord@example.jp")
    case = open_anonymous_case(coord, label="LINE相談 #7777")
    kept = open_anonymous_case(coord, label="LINE相談 #8888")  # still open: its contact keeps its handle
    contact = _contact_of(coord, case)
    assert coord.post(f"/api/v1/contacts/{contact['id']}/link",
                      json={"person_id": _person(coord), "reason": REASON}).status_code == 200
    assert move(coord, case["id"], "closed", reason="終結", closure_reason="handed_over").status_code == 200
    env = {"CASEFLOW_DATABASE_URL": db_url, "CASEFLOW_RETENTION_YEARS": "default=0"}
    r = CliRunner().invoke(main, ["retention", "purge", "--yes", "--by", "privacy-officer"], env=env)
    assert r.exit_code == 0, r.output
    detail = coord.get(f"/api/v1/contacts/{contact['id']}").get_json()
    assert detail["handle"] == "" and [x["reason"] for x in detail["links"]] == [""]
    assert _contact_of(coord, kept)["handle"] == "LINE相談 #8888"
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contacts WHERE handle = 'LINE相談 #7777'")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM contact_links WHERE reason <> ''")).scalar() == 0
    engine.dispose()
    audit_verify(db_url)
