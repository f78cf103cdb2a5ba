"""The API as an integrator sees it (issue 21): code-list fields refused in Japanese naming the field and the
list, consents for a purpose that would disclose nothing refused, a fresh municipality's empty district list
filled through the CLI, and actors named (display name and organisation) wherever a record shows one."""
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from caseflow.cli import main
from tests.support import move, now, open_case, today_jst

CASE = {"intake_channel": "counter", "issues": ["hikikomori"], "summary": "相談",
        "household": {"members": [{"person": {"name": "試験 太郎", "name_kana": "シケン タロウ"},
                                   "relationship": "self", "in_need": True}]}}


def execute(db_url, sql, **params):
    eng = create_engine(db_url)
    try:
        with eng.begin() as c:
            c.execute(text(sql), params)
    finally:
        eng.dispose()


def refused(r, field, list_name):
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert r.headers["Content-Type"].startswith("application/problem+json")
    message = " ".join(body["errors"][field])
    assert f"（{list_name}）" in message and f"/api/v1/codes/{list_name}" in message, message
    return message


def test_code_list_fields_are_refused_naming_field_and_list(basic, db_url):
    coord = basic.client("coord@example.jp")
    message = refused(coord.post("/api/v1/cases", json={**CASE, "intake_channel": "fax"}), "intake_channel",
                      "intake_channel")
    assert "相談経路リスト" in message and "fax" in message and "counter" in message
    refused(coord.post("/api/v1/cases", json={**CASE, "issues": ["hikikomori", "boredom"]}), "issues", "issue_category")
    refused(coord.post("/api/v1/cases", json={**CASE, "household": {**CASE["household"], "district": "atlantis"}}),
            "district", "district")
    case = open_case(coord)
    r = move(coord, case["id"], "closed", reason="終結", closure_reason="bored")
    refused(r, "closure_reason", "closure_reason")
    assert coord.get(f"/api/v1/cases/{case['id']}").get_json()["stage"] == "intake"

    # a consent for a purpose the sharing engine never reads for would be stored and disclose nothing
    person = next(p for p in case["persons"] if p["is_primary"])
    consent = {"person_id": person["id"], "method": "written", "categories": ["identity"],
               "recipients": [{"org_id": str(basic.orgs["kmm-npo"])}], "obtained_at": now().isoformat()}
    refused(coord.post("/api/v1/consents", json={**consent, "purpose": "marketing"}), "purpose", "consent_purpose")
    # even when an older install's list holds it (added by hand before the list was fixed)
    execute(db_url, "insert into managed_codes (list_name, code, label, sort_order, active) "
                    "values ('consent_purpose', 'marketing', '広報', 99, :t)", t=True)
    r = coord.post("/api/v1/consents", json={**consent, "purpose": "marketing"})
    assert r.status_code == 422 and "consent_purpose" in " ".join(r.get_json()["errors"]["purpose"])
    assert coord.get(f"/api/v1/consents?person_id={person['id']}").get_json()["items"] == []
    assert coord.post("/api/v1/consents", json={**consent, "purpose": "support_coordination"}).status_code == 201


def test_a_fresh_municipality_fills_its_empty_district_list_through_the_cli(world, db_url, tmp_path):
    world.municipality("ichihara", "市原市")
    world.org("ich-fukushi", "department", "市原市 保健福祉課", municipality="ichihara")
    world.user("ich@example.jp", "ich-fukushi", "coordinator", name="市原 一郎")
    coord = world.client("ich@example.jp")
    with_district = {**CASE, "household": {**CASE["household"], "district": "ich-goi"}}
    message = refused(coord.post("/api/v1/cases", json=with_district), "district", "district")
    assert "まだ空です" in message and "caseflow codes import" in message

    path = tmp_path / "地区.csv"
    path.write_bytes("地区コード,地区名\r\nich-goi,五井\r\nich-anesaki,姉崎\r\n".encode("cp932"))
    r = CliRunner().invoke(main, ["codes", "import", str(path), "--list", "district", "--municipality", "ichihara"],
                           env={"CASEFLOW_DATABASE_URL": db_url})
    assert r.exit_code == 0 and "追加 2 件" in r.output, r.output
    assert [c["code"] for c in coord.get("/api/v1/codes/district").get_json()] == ["ich-goi", "ich-anesaki"]
    r = coord.post("/api/v1/cases", json=with_district)
    assert r.status_code == 201 and r.get_json()["household"]["district"] == "ich-goi", r.get_json()
    # another municipality's districts stay out of reach
    world.org("kmk-x", "department", "鎌倉市 X課")
    world.user("kmk@example.jp", "kmk-x", "coordinator")
    refused(world.client("kmk@example.jp").post("/api/v1/cases", json=with_district), "district", "district")


def assert_actor(ref, name, org_name):
    assert ref["display_name"] == name and ref["organization"]["name"] == org_name, ref
    assert set(ref["organization"]) >= {"id", "name"}


def test_records_name_their_actors_with_display_name_and_organisation(basic):
    basic.user("coord2@example.jp", "kmk-chiiki", "coordinator", name="推進員 鎌倉")
    coord = basic.client("coord2@example.jp")
    assert coord.get(f"/api/v1/users/{basic.users['npo@example.jp']}").status_code in (403, 404)
    case = open_case(coord)
    assert move(coord, case["id"], "referral", reason="紹介へ").status_code == 200
    history = coord.get(f"/api/v1/cases/{case['id']}/history").get_json()
    assert history and all(h["actor"] for h in history)
    assert_actor(history[-1]["actor"], "推進員 鎌倉", "鎌倉市 地域共生課")

    person = next(p for p in case["persons"] if p["is_primary"])
    r = coord.post("/api/v1/consents", json={
        "person_id": person["id"], "purpose": "support_coordination", "method": "written", "categories": ["identity"],
        "recipients": [{"org_id": str(basic.orgs["kmm-npo"])}], "obtained_at": now().isoformat()})
    assert r.status_code == 201, r.get_json()
    assert_actor(r.get_json()["obtained_by"], "推進員 鎌倉", "鎌倉市 地域共生課")
    assert r.get_json()["revoked_by"] is None
    consent_id = r.get_json()["id"]
    r = coord.post(f"/api/v1/consents/{consent_id}/revoke", json={"reason": "本人の申し出"})
    assert r.status_code == 200 and r.get_json()["revoked_by"]["display_name"] == "推進員 鎌倉", r.get_json()
    listed = coord.get(f"/api/v1/consents?person_id={person['id']}").get_json()["items"]
    assert_actor(listed[0]["obtained_by"], "推進員 鎌倉", "鎌倉市 地域共生課")

    r = coord.post(f"/api/v1/cases/{case['id']}/progress",
                   json={"kind": "visit", "occurred_on": today_jst().isoformat(), "body": "訪問"})
    assert r.status_code == 201 and r.get_json()["author"]["display_name"] == "推進員 鎌倉", r.get_json()
    progress = coord.get(f"/api/v1/cases/{case['id']}/progress").get_json()
    assert_actor(progress[0]["author"], "推進員 鎌倉", "鎌倉市 地域共生課")

    # a referral's events name who acted, with the organisation, for the receiving NPO too
    r = coord.post("/api/v1/referrals", json={"case_id": case["id"], "to_org_id": str(basic.orgs["kmm-npo"]),
                                              "reason": "見守りのため", "requested_support": "訪問"})
    assert r.status_code == 201, r.get_json()
    referral = basic.client("npo@example.jp").get(f"/api/v1/referrals/{r.get_json()['id']}").get_json()
    assert_actor(referral["created_by"], "推進員 鎌倉", "鎌倉市 地域共生課")
