"""地域福祉計画の成果指標 through the HTTP API: who records them, the tenant boundary, Decimal achievement ratios,
the CSV report and the audit trail (issue 20)."""
import csv
import io

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.core import db

BASE = "/api/v1/indicators"


def put(client, url, json, headers=None):
    return client.http.put(url, json=json, headers=client._headers(headers))


@pytest.fixture
def cities(world, basic):
    world.org("kmk-fukushi", "department", "鎌倉市 福祉総務課")
    world.user("sup@example.jp", "kmk-fukushi", "supervisor")
    world.user("staff@example.jp", "kmk-fukushi", "staff")
    world.municipality("nabari", "名張市")
    world.org("nbr-hokatsu", "department", "名張市 地域包括支援センター", municipality="nabari")
    world.user("sup.nabari@example.jp", "nbr-hokatsu", "supervisor")
    return world


SHARE = {"name": "身近なところで相談できる人や場がある市民の割合", "unit": "%", "target": "58.8", "actual": "52.7",
         "source": "市民アンケート調査"}
CARE = {"name": "要支援・要介護認定率", "unit": "%", "direction": "lower", "target": "18.5", "actual": "17.9"}


def test_record_report_and_refusals(app, cities):
    sup, staff = cities.client("sup@example.jp"), cities.client("staff@example.jp")
    # a case worker reads but never records; the auditor reads the report
    assert put(staff, f"{BASE}/soudan-basho/years/2021", json=SHARE).status_code == 403
    r = put(sup, f"{BASE}/soudan-basho/years/2021", json=SHARE)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["target"] == "58.80" and r.headers["ETag"] == '"1"'
    assert put(sup, f"{BASE}/youkaigo-nintei/years/2021", json=CARE).status_code == 201
    assert put(sup, f"{BASE}/youkaigo-nintei/years/2025", json={**CARE, "actual": None}).status_code == 201
    # replacing needs If-Match (428), a stale one is refused (412)
    again = {**SHARE, "actual": "53.2"}
    assert put(sup, f"{BASE}/soudan-basho/years/2021", json=again).status_code == 428
    assert put(sup, f"{BASE}/soudan-basho/years/2021", json=again, headers={"If-Match": '"7"'}).status_code == 412
    r = put(sup, f"{BASE}/soudan-basho/years/2021", json=SHARE, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    # validation names the field
    bad = put(sup, f"{BASE}/soudan-basho/years/2021", json={**SHARE, "target": "abc", "unit": ""})
    assert bad.status_code == 422 and bad.content_type.startswith("application/problem+json")
    assert {"target", "unit"} <= set(bad.get_json()["errors"])
    bad = put(sup, f"{BASE}/Bad Code/years/1999", json=SHARE)
    assert bad.status_code == 422 and {"code", "fiscal_year"} <= set(bad.get_json()["errors"])
    assert put(sup, f"{BASE}/x/years/2021", json={"name": "x", "unit": "%"}).status_code == 422

    items = staff.get(f"{BASE}?fiscal_year=2021").get_json()["items"]
    assert [(i["code"], i["actual"]) for i in items] == [("soudan-basho", "52.70"), ("youkaigo-nintei", "17.90")]

    report = cities.client("auditor@example.jp").get("/api/v1/reports/indicators?fiscal_year=2021")
    assert report.status_code == 200, report.get_json()
    rows = {r["code"]: r for r in report.get_json()["items"]}
    # as the 行政評価シート: 52.7 / 58.8 = 89.6 %; 18.5 / 17.9 = 103.4 % (lower is better)
    assert rows["soudan-basho"]["achievement_ratio"] == "0.896" and rows["soudan-basho"]["achievement_percent"] == "89.6"
    assert rows["soudan-basho"]["met"] is False
    assert rows["youkaigo-nintei"]["achievement_percent"] == "103.4" and rows["youkaigo-nintei"]["met"] is True
    missing = sup.get("/api/v1/reports/indicators?fiscal_year=2025").get_json()["items"]
    assert [(r["code"], r["actual"], r["achievement_ratio"]) for r in missing] == [("youkaigo-nintei", None, None)]
    assert sup.get("/api/v1/reports/indicators").status_code == 422
    assert staff.get("/api/v1/reports/indicators?fiscal_year=2021").status_code == 403  # staff: no reports

    out = sup.get("/api/v1/reports/indicators.csv?fiscal_year=2021")
    assert out.status_code == 200 and out.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(out.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:5] == ["指標コード", "指標名", "単位", "年度", "目標値"]
    assert ["soudan-basho", SHARE["name"], "%", "2021", "58.80", "52.70", "89.6", "市民アンケート調査"] in table

    # another municipality sees none of it, and its supervisor's values are its own
    other = cities.client("sup.nabari@example.jp")
    assert other.get(BASE).get_json()["items"] == []
    assert other.get("/api/v1/reports/indicators?fiscal_year=2021").get_json()["items"] == []
    assert put(other, f"{BASE}/soudan-basho/years/2021", json=SHARE).status_code == 201  # not Kamakura's row
    assert len(sup.get(f"{BASE}?fiscal_year=2021").get_json()["items"]) == 2

    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.action.in_(["indicators.put", "reports.indicators"]))).all()
    assert actions.count("indicators.put") == 5 and actions.count("reports.indicators") >= 3
