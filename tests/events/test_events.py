"""Events of 市原市's platform (issue 20; seed 001: the 官民連携モデル事業 of 2022年度 with their participation
counts): recording events and participants through the API, the yearly report per kind and per organisation
(JSON and CSV), and the refusals -- wrong role 403, another municipality 404, bad input 422 naming the field.

One app and database for the module; the report counts 2022年度 only, and the refusals work in 2024年度."""
from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from sqlalchemy import select

from caseflow import create_app
from caseflow.audit.models import AuditEvent
from caseflow.core import db

from conftest import PG_URL, TEST_CONFIG, World, _empty_postgres


@pytest.fixture(scope="module")
def world(template_db, tmp_path_factory):
    if PG_URL:
        _empty_postgres(template_db)
        url = template_db
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("events") / "db.sqlite3")
        shutil.copyfile(template_db.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    w = World(app)
    w.municipality("ichihara", "市原市")
    w.org("ich-fukushi", "department", "市原市 保健福祉課", municipality="ichihara")
    w.org("ich-yu", "npo", "NPO法人 ほっこりーの市原ゆう", municipality="ichihara")
    w.org("ich-ichihora", "other", "いちほら市民活動協議会", municipality="ichihara")
    w.org("ich-shakyo", "shakyo", "市原市社会福祉協議会", municipality="ichihara")
    w.secretariat("ichihara", "ich-fukushi")
    w.user("coord@ichihara.example.jp", "ich-fukushi", "coordinator")
    w.user("sec@ichihara.example.jp", "ich-fukushi", "secretariat")
    w.user("auditor@ichihara.example.jp", "ich-fukushi", "auditor")
    w.user("npo@ichihara.example.jp", "ich-yu", "npo_staff")
    w.user("coord@shakyo.example.jp", "ich-shakyo", "coordinator")
    w.municipality("kamakura", "鎌倉市")
    w.org("kmk-chiiki", "department", "鎌倉市 地域共生課", municipality="kamakura")
    w.user("coord@kamakura.example.jp", "kmk-chiiki", "coordinator")
    yield w
    with app.app_context():
        db.engine().dispose()


def event(client, world, kind, title, held_on, organiser):
    r = client.post("/api/v1/events", json={"kind": kind, "title": title, "held_on": held_on,
                                            "organiser_org_id": str(world.orgs[organiser])})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def join(client, world, event_id, org, headcount):
    r = client.post(f"/api/v1/events/{event_id}/participants", json={"org_id": str(world.orgs[org]),
                                                                     "headcount": headcount})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_the_model_events_of_2022_counted_per_kind_and_organisation(world):
    coord, sec = world.client("coord@ichihara.example.jp"), world.client("sec@ichihara.example.jp")
    hokkori = event(coord, world, "exchange", "ほっこり皆の集いの場", "2022-12-11", "ich-yu")
    assert hokkori["kind_label"] == "交流会" and hokkori["fiscal_year"] == 2022
    assert hokkori["organiser"]["code"] == "ich-yu" and hokkori["participants"] == []
    join(coord, world, hokkori["id"], "ich-yu", 4)
    welcan = event(sec, world, "study", "ウェルキャンオンライン", "令和5年2月11日", "ich-ichihora")
    assert welcan["held_on"] == "2023-02-11" and welcan["fiscal_year"] == 2022
    join(sec, world, welcan["id"], "ich-ichihora", 45)
    body = join(sec, world, welcan["id"], "ich-shakyo", 15)
    assert body["total_headcount"] == 60 and [p["org"]["code"] for p in body["participants"]] == [
        "ich-ichihora", "ich-shakyo"]
    grandpa = event(coord, world, "exchange", "グランパ・フェスタ", "2023-03-31", "ich-fukushi")
    join(coord, world, grandpa["id"], "ich-shakyo", 98)
    event(coord, world, "workshop", "PFコアメンバー ワークショップ", "2023-04-01", "ich-fukushi")  # 2023年度
    # everyone of the platform reads the events, by fiscal year
    npo = world.client("npo@ichihara.example.jp")
    listed = npo.get("/api/v1/events?fiscal_year=2022").get_json()
    assert [e["title"] for e in listed["items"]] == ["ほっこり皆の集いの場", "ウェルキャンオンライン", "グランパ・フェスタ"]
    assert npo.get(f"/api/v1/events/{welcan['id']}").get_json()["total_headcount"] == 60
    assert [e["title"] for e in npo.get("/api/v1/events?kind=workshop").get_json()["items"]] == [
        "PFコアメンバー ワークショップ"]
    # the year's report: per kind, per organisation
    report = coord.get("/api/v1/reports/events?fiscal_year=2022").get_json()
    assert report["period"] == {"from": "2022-04-01", "to": "2023-03-31"}
    assert report["by_kind"] == [
        {"kind": "exchange", "label": "交流会", "events": 2, "participating_organisations": 2, "headcount": 102},
        {"kind": "study", "label": "勉強会", "events": 1, "participating_organisations": 2, "headcount": 60}]
    by_org = {row["org"]["code"]: (row["organised"], row["participated"], row["headcount"])
              for row in report["by_organisation"]}
    assert by_org == {"ich-fukushi": (1, 0, 0), "ich-ichihora": (1, 1, 45), "ich-shakyo": (0, 2, 113),
                      "ich-yu": (1, 1, 4)}
    assert report["totals"] == {"events": 3, "headcount": 162}
    # auditors read the report too; CSV with Japanese headers
    r = world.client("auditor@ichihara.example.jp").get("/api/v1/reports/events.csv?fiscal_year=2022")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["区分", "名称", "行事数（主催）", "参加（組織数・回数）", "参加人数"]
    assert ["種別", "交流会", "2", "2", "102"] in rows and ["組織", "市原市社会福祉協議会", "0", "2", "113"] in rows
    assert rows[-1] == ["合計", "2022年度", "3", "", "162"]
    assert coord.get("/api/v1/reports/events?fiscal_year=2023").get_json()["totals"] == {"events": 1, "headcount": 0}
    # every write and every report is on the audit trail (no personal data: ids and counts)
    with world.app.app_context():
        actions = [a for a in db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.municipality_id == world.municipalities["ichihara"], AuditEvent.action.like("%events%"),
            AuditEvent.outcome == "allowed").order_by(AuditEvent.seq))]
        details = [json.loads(d) if isinstance(d, str) else d for d in db.session().scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "events.participation"))]
    assert actions.count("events.create") >= 4 and actions.count("events.participation") >= 4
    assert actions.count("reports.events") >= 3
    assert {"org_id": str(world.orgs["ich-shakyo"]), "headcount": 98} in details


def test_refusals(world):
    coord = world.client("coord@ichihara.example.jp")
    fy2024 = event(coord, world, "training", "ゲートキーパー研修", "2024-06-01", "ich-fukushi")
    path = f"/api/v1/events/{fy2024['id']}"
    # wrong role: 403 (problem+json)
    npo = world.client("npo@ichihara.example.jp")
    for r in (npo.post("/api/v1/events", json={"kind": "study", "title": "勉強会", "held_on": "2024-07-01",
                                                 "organiser_org_id": str(world.orgs["ich-yu"])}),
              npo.post(f"{path}/participants", json={"org_id": str(world.orgs["ich-yu"]), "headcount": 3}),
              npo.get("/api/v1/reports/events?fiscal_year=2024")):
        assert r.status_code == 403 and r.mimetype == "application/problem+json", r.get_json()
    # a coordinator of another organisation of the platform reads the event, but keeps no participants of it
    other = world.client("coord@shakyo.example.jp")
    assert other.get(path).status_code == 200
    r = other.post(f"{path}/participants", json={"org_id": str(world.orgs["ich-shakyo"]), "headcount": 3})
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    # another municipality: the event does not exist there (404), nor in its lists and reports
    kmk = world.client("coord@kamakura.example.jp")
    assert kmk.get(path).status_code == 404
    r = kmk.post(f"{path}/participants", json={"org_id": str(world.orgs["kmk-chiiki"]), "headcount": 3})
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert kmk.get("/api/v1/events?fiscal_year=2024").get_json()["items"] == []
    assert kmk.get("/api/v1/reports/events?fiscal_year=2024").get_json()["totals"] == {"events": 0, "headcount": 0}
    # nor may an organisation of another municipality organise or take part here (422 naming the field)
    r = coord.post("/api/v1/events", json={"kind": "study", "title": "勉強会", "held_on": "2024-07-01",
                                           "organiser_org_id": str(world.orgs["kmk-chiiki"])})
    assert r.status_code == 422 and "organiser_org_id" in r.get_json()["errors"]
    r = coord.post(f"{path}/participants", json={"org_id": str(world.orgs["kmk-chiiki"]), "headcount": 3})
    assert r.status_code == 422 and "org_id" in r.get_json()["errors"]
    # bad input, field by field
    good = {"kind": "study", "title": "勉強会", "held_on": "2024-07-01", "organiser_org_id": str(world.orgs["ich-yu"])}
    for field, value in (("kind", "party"), ("title", ""), ("held_on", "2024-13-01"), ("organiser_org_id", "x")):
        r = coord.post("/api/v1/events", json={**good, field: value})
        assert r.status_code == 422 and field in r.get_json()["errors"], (field, r.get_json())
    r = coord.post("/api/v1/events", json={k: v for k, v in good.items() if k != "title"})
    assert r.status_code == 422 and "title" in r.get_json()["errors"]
    assert coord.post("/api/v1/events").status_code == 422
    r = coord.post(f"{path}/participants", json={"org_id": str(world.orgs["ich-yu"]), "headcount": -1})
    assert r.status_code == 422 and "headcount" in r.get_json()["errors"]
    join(coord, world, fy2024["id"], "ich-yu", 12)
    r = coord.post(f"{path}/participants", json={"org_id": str(world.orgs["ich-yu"]), "headcount": 13})
    assert r.status_code == 409 and "org_id" in r.get_json()["errors"]
    assert coord.get(path).get_json()["total_headcount"] == 12
    r = coord.get("/api/v1/reports/events")
    assert r.status_code == 422 and "fiscal_year" in r.get_json()["errors"]
    assert coord.post("/api/v1/events/00000000-0000-4000-8000-000000000000/participants",
                      json={"org_id": str(world.orgs["ich-yu"]), "headcount": 1}).status_code == 404
