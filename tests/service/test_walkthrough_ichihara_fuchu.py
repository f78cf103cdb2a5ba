"""Walkthroughs on the demo world (issue 20): 市原市 finds its platform members through a directory import and
counts who takes part in its events; 府中市 takes anonymous consultations from a pupils' app, escalates a critical
one to the duty worker at once, reports weekly, and asks a child's own consent. Through the HTTP API as the
cities' demo users, on SQLite and PostgreSQL (the README shows the same steps with curl)."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

from test_seed_municipalities import _logged, demo  # noqa: F401  (one demo world for the module)

HEADER = ["団体名", "種別", "分野", "連絡先", "活動地域", "備考"]
ROWS = [
    ["ＮＰＯ法人　いちはら若者サポート", "NPO法人", "ひきこもり・不登校", "0436-00-1111 / info@wakamono.example.jp",
     "", "若者の居場所と就労体験。"],
    ["市原市子ども食堂ネットワーク", "任意団体", "子育て、生活困窮", "0436-00-2222", "", "市内の子ども食堂の連絡会。"],
    ["社会福祉法人 いちはら福祉会", "社会福祉法人", "障害", "fukushikai@example.jp", "", "障害者の就労継続支援。"],
]


def _csv(rows, encoding="utf-8-sig") -> bytes:
    return "\r\n".join(",".join(row) for row in [HEADER, *rows]).encode(encoding)


def _upload(client, data: bytes, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"/api/v1/organizations/directory-import?{query}",
                       data={"file": (io.BytesIO(data), "団体一覧.csv")}, content_type="multipart/form-data")


def test_ichihara_directory_import_and_events(demo):  # noqa: F811
    sec, coord = _logged(demo, "admin.ichihara"), _logged(demo, "coordinator.ichihara")
    district = coord.get("/api/v1/codes/district").get_json()[0]["label"]
    rows = [row[:4] + [district] + row[5:] for row in ROWS]
    # the city's list as Excel saves it (Shift_JIS): a dry run says what would happen and writes nothing
    r = _upload(sec, _csv(rows, "cp932"), dry_run="true")
    assert r.status_code == 200 and (r.get_json()["created"], r.get_json()["dry_run"]) == (3, True), r.get_json()
    names = {o["name"] for o in coord.get("/api/v1/organizations?limit=200").get_json()["items"]}
    assert "市原市子ども食堂ネットワーク" not in names
    r = _upload(sec, _csv(rows, "cp932"))
    assert r.status_code == 200 and r.get_json()["created"] == 3, r.get_json()
    # the same list again, now as UTF-8: nothing changes
    r = _upload(sec, _csv(rows))
    assert (r.get_json()["created"], r.get_json()["updated"], r.get_json()["unchanged"]) == (0, 0, 3)
    # a file with bad rows: every bad row named in Japanese, nothing imported
    bad = rows + [["", "NPO法人", "", "", "", ""], ["ふれあいサロン", "NPO法人", "宇宙開発", "", "", ""]]
    r = _upload(sec, _csv(bad))
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert sorted({e["row"] for e in r.get_json()["rows"]}) == [5, 6]
    assert "ふれあいサロン" not in {o["name"] for o in coord.get("/api/v1/organizations?limit=200").get_json()["items"]}
    # the coordinator finds the new members in the directory by field and refers to them
    found = coord.get("/api/v1/organizations/directory", query_string={"issue": "hikikomori"}).get_json()["items"]
    wakamono = next(e for e in found if e["org"]["name"].endswith("いちはら若者サポート"))
    # a 勉強会 of the platform, with the organisations that took part; the year's report per organisation
    held = (date.today() - timedelta(days=1)).isoformat()
    r = coord.post("/api/v1/events", json={"kind": "study", "title": "ひきこもり支援勉強会", "held_on": held,
                                           "organiser_org_id": coord.get("/api/v1/auth/me").get_json()["org"]["id"]})
    assert r.status_code == 201, r.get_json()
    event = r.get_json()
    r = coord.post(f"/api/v1/events/{event['id']}/participants",
                   json={"org_id": wakamono["org"]["id"], "headcount": 6})
    assert r.status_code == 201 and r.get_json()["total_headcount"] == 6, r.get_json()
    fy = event["fiscal_year"]
    report = coord.get(f"/api/v1/reports/events?fiscal_year={fy}").get_json()
    study = next(k for k in report["by_kind"] if k["kind"] == "study")
    assert study["events"] >= 1 and study["headcount"] >= 6
    assert any(row["org"]["id"] == wakamono["org"]["id"] and row["participated"] == 1
               for row in report["by_organisation"])
    # another municipality's secretariat cannot import into 市原市, nor see its events
    other = _logged(demo, "admin.fuchu")
    assert other.get(f"/api/v1/events/{event['id']}").status_code == 404
    assert coord.post("/api/v1/organizations/directory-import", data={}, content_type="multipart/form-data") \
        .status_code == 403


def test_fuchu_app_intake_escalation_weekly_summary_and_a_childs_consent(demo):  # noqa: F811
    sec, sup = _logged(demo, "admin.fuchu"), _logged(demo, "supervisor.fuchu")
    coord = _logged(demo, "coordinator.fuchu")
    me = coord.get("/api/v1/auth/me").get_json()
    org_id = me["org"]["id"]
    # the secretariat registers the pupils' app for the school education department; the token is shown once
    r = sec.post("/api/v1/intake-clients", json={"name": "府中市 相談アプリ", "org_id": org_id})
    assert r.status_code == 201, r.get_json()
    token = r.get_json()["token"]
    assert "token" not in sec.get("/api/v1/intake-clients").get_json()[0]
    # the supervisor names the coordinator as the department's duty worker
    r = sup.http.put(f"/api/v1/organizations/{org_id}/duty", json={"user_id": me["id"]}, headers=sup._headers(None))
    assert r.status_code == 200, r.get_json()
    # a pupil consults anonymously through the app; critical: escalated at once
    app = demo.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    r = app.post("/api/v1/intake/consultations", headers=bearer, json={
        "handle": "アプリ #b21c", "issues": ["bullying"], "urgency": "critical",
        "summary": "クラスでいじめを受けていて、もう学校に行きたくない。今日死にたいと思った。"})
    assert r.status_code == 201 and r.get_json()["escalated"] is True, r.get_json()
    case_id = r.get_json()["case_id"]
    notes = coord.get("/api/v1/notifications").get_json()["items"]
    assert notes[0]["case_id"] == case_id and notes[0]["reason"] == "critical"
    case = coord.get(f"/api/v1/cases/{case_id}").get_json()
    assert not case.get("primary_person") and not case.get("persons") and case["intake_channel"] == "app" and case["urgency"] == "critical"
    # the app's token reads nothing, not even the case it opened
    assert app.get(f"/api/v1/cases/{case_id}", headers=bearer).status_code == 401
    # the weekly summary for the city (small cells suppressed in the shared report)
    year, week, _ = date.today().isocalendar()
    r = coord.get(f"/api/v1/reports/intake-weekly?week={year}-W{week:02d}")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["week"] == f"{year}-W{week:02d}"
    # a 13-year-old's consent to share with the child and family department: the child's assent and a
    # guardian's consent, or the 支援会議 path
    details = [coord.get(f"/api/v1/cases/{c['id']}").get_json()
               for c in coord.get("/api/v1/cases?limit=50").get_json()["items"]]
    child = next(c for c in details if c.get("persons") and (c["summary"] or "").startswith("いじめを受けて"))
    person_id = next(p["id"] for p in child["persons"] if p["is_primary"])
    kodomo = next(o["id"] for o in coord.get("/api/v1/organizations?limit=200").get_json()["items"]
                  if o["code"] == "fch-kodomo")
    body = {"person_id": person_id, "purpose": "support_coordination", "method": "written",
            "recipients": [{"org_id": kodomo}], "categories": ["identity", "contact"],
            "obtained_at": datetime.now(timezone.utc).isoformat()}
    r = coord.post("/api/v1/consents", json={**body, "assent_by_subject": True})
    assert r.status_code == 422 and "guardian_consent" in r.get_json()["errors"], r.get_json()
    assert "支援会議" in r.get_json()["detail"]
    r = coord.post("/api/v1/consents", json={**body, "assent_by_subject": True, "guardian_consent": True})
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["subject_age"], r.get_json()["guardian_consent"]) == (13, True)
