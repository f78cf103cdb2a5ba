"""Results feed the next assessment (issue 24; the Kumamoto table's loop support → results → assessment): a new
assessment version cites the tasks finished since the previous one, the plan view shows per goal what each
organisation did and what the next assessment concluded, and result notes follow the tasks' visibility rules."""
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from support import move, open_case, today_jst

NPO_RESULT = "居場所に3回参加。本人から次回も行きたいと発言"
OWN_RESULT = "家計相談は本人の希望で見送り"
LATE_RESULT = "就労体験の見学を終えた"


def _in(days: int) -> str:
    return (today_jst() + timedelta(days=days)).isoformat()


def _assessment(**extra) -> dict:
    return {"domains": [{"domain": "social", "risk_level": "high", "note": "外出は月1回"}],
            "issues_note": "社会参加が課題", "goals": ["居場所に週1回通う"], **extra}


def _task(coord, cid, org_id, title, goal_id=None):
    r = coord.post(f"/api/v1/cases/{cid}/plan/tasks", json={
        "owner_org_id": str(org_id), "title": title, "due_on": _in(14), "goal_id": goal_id})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _finish(client, task_id, to="done", note="結果"):
    assert client.post(f"/api/v1/tasks/{task_id}/transitions", json={"to": "in_progress"}).status_code == 200
    r = client.post(f"/api/v1/tasks/{task_id}/transitions", json={"to": to, "result_note": note})
    assert r.status_code == 200, r.get_json()


def _loop(basic):
    """A case in support: assessment v1, a plan with two goals; the NPO's task (goal 1) done, the coordinator's
    own task (goal 2) cancelled, a task without a goal still open."""
    coord, npo = basic.client("coord@example.jp"), basic.client("npo@example.jp")
    case = open_case(coord)
    cid = case["id"]
    assert move(coord, cid, "assessment", reason="合同アセスメントへ").status_code == 200
    url = f"/api/v1/cases/{cid}/assessments"
    v1 = coord.post(url, json=_assessment())
    assert v1.status_code == 201, v1.get_json()
    plan = coord.post(f"/api/v1/cases/{cid}/plan", json={"goals_from_assessment": True, "goals": ["家計の安定"]})
    assert plan.status_code == 201, plan.get_json()
    g1, g2 = (g["id"] for g in plan.get_json()["goals"])
    ids = {"npo": _task(coord, cid, basic.orgs["kmm-npo"], "居場所への同行", g1),
           "own": _task(coord, cid, basic.orgs["kmk-chiiki"], "家計相談窓口へのつなぎ", g2),
           "open": _task(coord, cid, basic.orgs["kmm-npo"], "就労体験の見学")}
    assert move(coord, cid, "support", reason="役割分担を決めて支援開始").status_code == 200
    _finish(npo, ids["npo"], note=NPO_RESULT)
    _finish(coord, ids["own"], to="cancelled", note=OWN_RESULT)
    assert move(coord, cid, "assessment", reason="結果を踏まえて再アセスメント").status_code == 200
    return coord, npo, case, url, {"v1": v1.get_json()["id"], "g1": g1, "g2": g2, **ids}


def _audit(app, action):
    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    with app.app_context():
        return [json.loads(r.detail) for r in db.session().scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


def test_results_feed_the_next_assessment_and_the_plan_view(basic, app):
    coord, npo, case, url, ids = _loop(basic)
    cid = case["id"]
    # before the new version: the plan view shows what each organisation did, nothing cited yet
    view = coord.get(f"/api/v1/cases/{cid}/plan/results").get_json()
    assert (view["finished_tasks"], view["uncited_tasks"]) == (2, 2)

    # automatic: the new version cites every task finished since the last one (done and cancelled), not the open one
    r = coord.post(url, json=_assessment(based_on_version=1, issues_note="居場所が定着、次は就労体験",
                                         domains=[{"domain": "social", "risk_level": "medium"}]))
    assert r.status_code == 201, r.get_json()
    v2 = r.get_json()
    cited = {x["task_id"]: x for x in v2["based_on_results"]}
    assert set(cited) == {ids["npo"], ids["own"]}
    assert (cited[ids["npo"]]["status"], cited[ids["npo"]]["owner_org"]["code"], cited[ids["npo"]]["result_note"]) == \
        ("done", "kmm-npo", NPO_RESULT)
    assert (cited[ids["own"]]["status"], cited[ids["own"]]["result_note"], cited[ids["own"]]["goal_id"]) == \
        ("cancelled", OWN_RESULT, ids["g2"])
    assert cited[ids["npo"]]["finished_at"] and cited[ids["npo"]]["result_by_org"]["code"] == "kmm-npo"
    assert coord.get(f"{url}/{ids['v1']}").get_json()["based_on_results"] == []
    assert _audit(app, "assessments.create")[-1]["based_on_task_ids"] == [x["task_id"] for x in v2["based_on_results"]]

    # the last task finishes; an explicit empty list cites nothing, the next automatic version cites it
    _finish(npo, ids["open"], note=LATE_RESULT)
    v3 = coord.post(url, json=_assessment(based_on_task_ids=[])).get_json()
    assert v3["version_no"] == 3 and v3["based_on_results"] == []
    v4 = coord.post(url, json=_assessment(based_on_task_ids=[ids["open"]], issues_note="就労に向けて次の段階へ"))
    assert v4.status_code == 201, v4.get_json()
    assert [x["result_note"] for x in v4.get_json()["based_on_results"]] == [LATE_RESULT]
    assert coord.get(f"{url}/current").get_json()["based_on_results"][0]["task_id"] == ids["open"]

    # the plan view: per goal, what each organisation did and what the next assessment concluded
    view = coord.get(f"/api/v1/cases/{cid}/plan/results")
    assert view.status_code == 200
    view = view.get_json()
    assert (view["finished_tasks"], view["uncited_tasks"]) == (3, 0)
    goals = view["goals"]
    assert [g["goal"]["id"] if g["goal"] else None for g in goals] == [ids["g1"], ids["g2"], None]
    first = goals[0]
    assert [o["org"]["code"] for o in first["organisations"]] == ["kmm-npo"]
    result = first["organisations"][0]["results"][0]
    assert (result["title"], result["result_note"], result["cited_by"]["version_no"]) == ("居場所への同行", NPO_RESULT, 2)
    assert [(a["version_no"], a["issues_note"], a["domains"][0]["risk_level"]) for a in first["next_assessments"]] == [
        (2, "居場所が定着、次は就労体験", "medium")]
    assert goals[1]["organisations"][0]["org"]["code"] == "kmk-chiiki"
    assert goals[1]["organisations"][0]["results"][0]["status"] == "cancelled"
    assert [a["version_no"] for a in goals[2]["next_assessments"]] == [4]
    assert goals[2]["next_assessments"][0]["issues_note"] == "就労に向けて次の段階へ"
    assert _audit(app, "plans.results_read")[-1]["finished_tasks"] == 3


def test_result_notes_follow_the_task_visibility_today(basic, app):
    coord, npo, case, url, ids = _loop(basic)
    v2 = coord.post(url, json=_assessment()).get_json()
    # the NPO (task organisation, no basis for case notes): its own result in full, the coordinator's withheld
    seen = npo.get(f"{url}/{v2['id']}")
    assert seen.status_code == 200
    cited = {x["task_id"]: x for x in seen.get_json()["based_on_results"]}
    assert cited[ids["npo"]]["result_note"] == NPO_RESULT and cited[ids["npo"]]["title"] == "居場所への同行"
    own = cited[ids["own"]]
    assert (own["result_note"], own["result_withheld"], own["title"], own["title_withheld"]) == (None, True, None, True)
    assert own["owner_org"]["code"] == "kmk-chiiki" and own["status"] == "cancelled"  # structure is shown
    view = npo.get(f"/api/v1/cases/{case['id']}/plan/results").get_data(as_text=True)
    assert OWN_RESULT not in view and NPO_RESULT in view and "社会参加が課題" not in view

    # consent (本人同意) for case notes to the NPO: shown; revoked: withheld again from then on
    person_id = next(p["id"] for p in case["persons"] if p["is_primary"])
    r = coord.post("/api/v1/consents", json={
        "person_id": person_id, "purpose": "support_coordination", "categories": ["case_notes"],
        "recipients": [{"org_id": str(basic.orgs["kmm-npo"])}], "method": "written",
        "obtained_at": datetime.now(timezone.utc).isoformat()})
    assert r.status_code == 201, r.get_json()
    consent_id = r.get_json()["id"]
    assert OWN_RESULT in npo.get(f"{url}/{v2['id']}").get_data(as_text=True)
    assert OWN_RESULT in npo.get(f"/api/v1/cases/{case['id']}/plan/results").get_data(as_text=True)
    assert coord.post(f"/api/v1/consents/{consent_id}/revoke", json={"reason": "本人の申出"}).status_code == 200
    assert OWN_RESULT not in npo.get(f"{url}/{v2['id']}").get_data(as_text=True)
    assert OWN_RESULT not in npo.get(f"/api/v1/cases/{case['id']}/plan/results").get_data(as_text=True)


def test_refusals(basic, world, app):
    coord, npo, case, url, ids = _loop(basic)
    cid = case["id"]
    # another case of the same organisation with a finished task
    other = open_case(coord, summary="別の世帯")
    assert move(coord, other["id"], "assessment", reason="合同アセスメントへ").status_code == 200
    other_task = _task(coord, other["id"], basic.orgs["kmk-chiiki"], "別ケースの訪問")
    _finish(coord, other_task)
    unknown = "00000000-0000-4000-8000-000000000000"
    for bad in ([other_task], [ids["open"]], [unknown], [ids["npo"], other_task]):
        r = coord.post(url, json=_assessment(based_on_task_ids=bad))
        assert r.status_code == 422, (bad, r.get_json())
        assert r.headers["Content-Type"].startswith("application/problem+json")
        message = r.get_json()["errors"]["based_on_task_ids"][0]
        assert ids["npo"] not in message and all(b in message for b in bad if b != ids["npo"])
    r = coord.post(url, json=_assessment(based_on_task_ids=["not-a-uuid"]))
    assert r.status_code == 422 and "based_on_task_ids" in r.get_json()["errors"]
    assert coord.get(f"{url}/current").get_json()["version_no"] == 1  # nothing stored

    v2 = coord.post(url, json=_assessment(based_on_task_ids=[ids["npo"]]))
    assert v2.status_code == 201 and [x["task_id"] for x in v2.get_json()["based_on_results"]] == [ids["npo"]]
    r = coord.post(url, json=_assessment(based_on_task_ids=[ids["npo"]]))  # already cited by version 2
    assert r.status_code == 422 and ids["npo"] in r.get_json()["errors"]["based_on_task_ids"][0]
    # the one left out stays for the next version
    v3 = coord.post(url, json=_assessment()).get_json()
    assert [x["task_id"] for x in v3["based_on_results"]] == [ids["own"]]

    # another organisation of the municipality that does not work on the case: 404; with a pending referral it
    # sees the outline (no result text) and may not write a version
    basic.org("kmk-koreisha", "department", "鎌倉市 高齢者いきいき課")
    basic.user("korei@example.jp", "kmk-koreisha", "staff")
    korei = basic.client("korei@example.jp")
    for path in (f"/api/v1/cases/{cid}/plan/results", f"{url}/{v3['id']}"):
        assert korei.get(path).status_code == 404, path
    r = coord.post("/api/v1/referrals", json={"case_id": cid, "to_org_id": str(basic.orgs["kmk-koreisha"]),
                                              "reason": "高齢の母の介護", "requested_support": "介護保険の申請支援"})
    assert r.status_code == 201, r.get_json()
    view = korei.get(f"/api/v1/cases/{cid}/plan/results")
    assert view.status_code == 200
    text = view.get_data(as_text=True)
    assert NPO_RESULT not in text and OWN_RESULT not in text
    assert view.get_json()["goals"][0]["organisations"][0]["results"][0]["result_withheld"] is True
    r = korei.post(url, json=_assessment())
    assert r.status_code == 403 and r.headers["Content-Type"].startswith("application/problem+json")

    # another municipality's department: not found, whatever it asks
    world.municipality("zz-city", districts=[("zz-city-1", "一区")])
    world.org("zz-city-dept", "department", municipality="zz-city")
    world.user("far@example.jp", "zz-city-dept", "coordinator")
    far = world.client("far@example.jp")
    for path in (f"/api/v1/cases/{cid}/plan/results", f"{url}/{v3['id']}", f"{url}/current"):
        assert far.get(path).status_code == 404, path
    assert far.post(url, json=_assessment()).status_code == 404
    # a case without a plan has no results view
    assert coord.get(f"/api/v1/cases/{other['id']}/plan/results").status_code == 200
    bare = open_case(coord, summary="プランなし")
    assert coord.get(f"/api/v1/cases/{bare['id']}/plan/results").status_code == 404
