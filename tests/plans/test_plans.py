"""Joint assessment and the support plan (issue 6): versions, contributions, tasks, roles, the stage guard,
and which text each organisation sees."""
import json
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from support import make_plan, move, open_anonymous_case, open_case, today_jst

SECRET_NOTES = ["昼夜逆転、通院中断", "母の年金で生活", "料理が得意", "外に出る練習をしたい", "家計の見直し",
                "支援方針、訪問を継続", "居場所に週1回通う"]


def _in(days: int) -> str:
    return (today_jst() + timedelta(days=days)).isoformat()


def _assessment(**extra):
    body = {
        "assessed_on": today_jst().isoformat(),
        "domains": [{"domain": "health", "risk_level": "high", "note": "昼夜逆転、通院中断"},
                    {"domain": "finance", "risk_level": "medium", "note": "母の年金で生活"}],
        "strengths": "料理が得意", "wishes": "外に出る練習をしたい", "issues_note": "家計の見直し",
        "issue_codes": ["hikikomori"], "goals": ["居場所に週1回通う"],
    }
    body.update(extra)
    return body


def _setup(basic, anonymous=False):
    coord = basic.client("coord@example.jp")
    case = open_anonymous_case(coord) if anonymous else open_case(coord)
    assert move(coord, case["id"], "assessment", reason="合同アセスメントへ").status_code == 200
    return coord, case


def _audit_events(app, action):
    from caseflow.audit.models import AuditEvent
    from caseflow.core import db

    with app.app_context():
        rows = db.session().scalars(select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.seq)).all()
        return [{"actor_org_id": r.actor_org_id, "disclosures": json.loads(r.disclosures),
                 "legal_basis": r.legal_basis, "detail": json.loads(r.detail)} for r in rows]


# --- assessments ------------------------------------------------------------------------------

def test_assessments_are_versioned_and_earlier_versions_stay_readable(basic):
    coord, case = _setup(basic)
    url = f"/api/v1/cases/{case['id']}/assessments"
    assert coord.get(f"{url}/current").status_code == 404
    r = coord.post(url, json=_assessment())
    assert r.status_code == 201, r.get_json()
    v1 = r.get_json()
    assert v1["version_no"] == 1 and v1["current"] is True and v1["text_withheld"] is False
    assert [(d["domain"], d["label"], d["risk_level"], d["risk_label"]) for d in v1["domains"]] == [
        ("health", "健康", "high", "高"), ("finance", "経済・家計", "medium", "中")]
    assert v1["wishes"] == "外に出る練習をしたい" and v1["goals"] == ["居場所に週1回通う"]
    assert v1["author_org"]["code"] == "kmk-chiiki"

    r = coord.post(url, json=_assessment(based_on_version=1, strengths="家族思い",
                                         domains=[{"domain": "health", "risk_level": "medium", "note": "通院再開"},
                                                  {"domain": "rights_safety", "risk_level": "none"}]))
    assert r.status_code == 201, r.get_json()
    v2 = r.get_json()
    assert v2["version_no"] == 2 and v2["current"] is True
    assert [d["domain"] for d in v2["domains"]] == ["health", "rights_safety"]

    # a writer who read version 1 is told a newer one exists
    r = coord.post(url, json=_assessment(based_on_version=1))
    assert r.status_code == 409 and r.get_json()["type"].endswith("stale-version")
    assert r.get_json()["current_version"] == 2

    listing = coord.get(url).get_json()
    assert [a["version_no"] for a in listing["items"]] == [2, 1]
    assert [a["current"] for a in listing["items"]] == [True, False]
    old = coord.get(f"{url}/{v1['id']}").get_json()
    assert old["current"] is False and old["strengths"] == "料理が得意"
    assert old["domains"][0]["risk_level"] == "high"
    assert coord.get(f"{url}/current").get_json()["id"] == v2["id"]
    assert coord.get(f"{url}/{uuid.uuid4()}").status_code == 404


def test_bad_assessment_input_names_the_field(basic):
    coord, case = _setup(basic)
    url = f"/api/v1/cases/{case['id']}/assessments"
    r = coord.post(url, json=_assessment(domains=[{"domain": "astrology", "risk_level": "high"}]))
    assert r.status_code == 422 and "domains" in r.get_json()["errors"]
    assert "未知の生活領域" in json.dumps(r.get_json()["errors"], ensure_ascii=False)
    r = coord.post(url, json=_assessment(domains=[{"domain": "health", "risk_level": "apocalyptic"}]))
    assert r.status_code == 422 and "domains" in r.get_json()["errors"]
    assert "未知のリスク水準" in json.dumps(r.get_json()["errors"], ensure_ascii=False)
    r = coord.post(url, json=_assessment(domains=[{"domain": "health", "risk_level": "low"},
                                                  {"domain": "health", "risk_level": "high"}]))
    assert r.status_code == 422 and "domains" in r.get_json()["errors"]
    r = coord.post(url, json=_assessment(issue_codes=["no-such-issue"]))
    assert r.status_code == 422 and "issue_codes" in r.get_json()["errors"]
    r = coord.post(url, json=_assessment(assessed_on="2999-01-01"))
    assert r.status_code == 422 and "assessed_on" in r.get_json()["errors"]
    r = coord.post(url, json=_assessment(mood="good"))
    assert r.status_code == 422 and "mood" in r.get_json()["errors"]
    assert coord.get(url).get_json()["items"] == []


def test_contributions_from_involved_organisations_only(basic):
    coord, case = _setup(basic)
    url = f"/api/v1/cases/{case['id']}/assessments"
    v1 = coord.post(url, json=_assessment()).get_json()
    npo = basic.client("npo@example.jp")
    body = {"domain": "work_learning", "risk_level": "low", "note": "就労体験の受け入れ先あり"}
    # not involved: the case does not exist for the NPO
    assert npo.post(f"{url}/{v1['id']}/contributions", json=body).status_code == 404
    make_plan(coord, case["id"], basic.orgs["kmm-npo"])  # a task makes the NPO a working organisation
    r = npo.post(f"{url}/{v1['id']}/contributions", json=body)
    assert r.status_code == 201, r.get_json()
    contrib = r.get_json()["contributions"]
    assert len(contrib) == 1 and contrib[0]["org"]["code"] == "kmm-npo"
    assert contrib[0]["note"] == "就労体験の受け入れ先あり" and contrib[0]["domain_label"] == "就労・学び"
    # the coordinator (own collection) reads the NPO's contribution
    seen = coord.get(f"{url}/current").get_json()["contributions"][0]
    assert seen["note"] == "就労体験の受け入れ先あり" and seen["risk_level"] == "low"

    for bad, field in (({"domain": "astrology", "note": "x"}, "domain"), ({"risk_level": "high"}, "domain"),
                       ({"domain": "health"}, "note"), ({"domain": "health", "risk_level": "extreme"}, "risk_level")):
        r = npo.post(f"{url}/{v1['id']}/contributions", json=bad)
        assert r.status_code == 422 and field in r.get_json()["errors"], (bad, r.get_json())

    # only the current version takes contributions; a new version by the NPO becomes current
    v2 = npo.post(url, json={"domains": [{"domain": "work_learning", "risk_level": "low"}]}).get_json()
    assert v2["version_no"] == 2 and v2["author_org"]["code"] == "kmm-npo"
    r = coord.post(f"{url}/{v1['id']}/contributions", json={"note": "追記"})
    assert r.status_code == 409 and r.get_json()["type"].endswith("not-current")


def test_assessment_text_follows_the_sharing_basis(basic, app):
    coord, case = _setup(basic)
    url = f"/api/v1/cases/{case['id']}/assessments"
    coord.post(url, json=_assessment())
    make_plan(coord, case["id"], basic.orgs["kmm-npo"])
    npo = basic.client("npo@example.jp")
    npo.post(f"{url}/{coord.get(url + '/current').get_json()['id']}/contributions",
             json={"domain": "social", "risk_level": "medium", "note": "NPOの所見"})

    # no basis: structure and risk levels, no narrative; the NPO's own note stays readable to it
    seen = npo.get(f"{url}/current")
    assert seen.status_code == 200
    a = seen.get_json()
    assert a["text_withheld"] is True
    assert [(d["domain"], d["risk_level"], d["note"], d["note_withheld"]) for d in a["domains"]] == [
        ("health", "high", None, True), ("finance", "medium", None, True)]
    assert a["strengths"] is None and a["wishes"] is None and a["issues_note"] is None and a["goals"] is None
    assert a["issue_codes"] == ["hikikomori"] and a["assessed_on"] == today_jst().isoformat()
    assert a["contributions"][0]["note"] == "NPOの所見"
    text = seen.get_data(as_text=True)
    assert not [s for s in SECRET_NOTES if s in text]

    # with consent (本人同意) to the NPO for case_notes the text is shown and audited with that basis
    person_id = next(p["id"] for p in case["persons"] if p["is_primary"])
    r = coord.post("/api/v1/consents", json={
        "person_id": person_id, "purpose": "support_coordination", "categories": ["case_notes"],
        "recipients": [{"org_id": str(basic.orgs["kmm-npo"])}], "method": "written",
        "obtained_at": datetime.now(timezone.utc).isoformat()})
    assert r.status_code == 201, r.get_json()
    consent_id = r.get_json()["id"]
    a = npo.get(f"{url}/current").get_json()
    assert a["text_withheld"] is False and a["wishes"] == "外に出る練習をしたい"
    assert a["domains"][0]["note"] == "昼夜逆転、通院中断"
    reads = [e for e in _audit_events(app, "assessments.read") if e["actor_org_id"] == basic.orgs["kmm-npo"]]
    assert reads[0]["disclosures"] == [{"person": person_id, "basis": "own_collection", "categories": ["case_notes"]}]
    assert {"person": person_id, "basis": f"consent:{consent_id}", "categories": ["case_notes"]} in \
        reads[-1]["disclosures"]


def test_anonymous_case_text_is_withheld_from_task_organisations(basic):
    coord, case = _setup(basic, anonymous=True)
    url = f"/api/v1/cases/{case['id']}/assessments"
    coord.post(url, json=_assessment())
    make_plan(coord, case["id"], basic.orgs["kmm-npo"], description="本人の居場所、駅前の公園")
    npo = basic.client("npo@example.jp")
    a = npo.get(f"{url}/current").get_json()
    assert a["text_withheld"] is True and a["domains"][0]["risk_level"] == "high"
    plan = npo.get(f"/api/v1/cases/{case['id']}/plan").get_json()
    task = plan["tasks"][0]
    assert task["title"] == "週1回の訪問と本人との面談"  # its own assignment
    assert task["description"] is None and task["description_withheld"] is True
    assert coord.get(f"/api/v1/cases/{case['id']}/plan").get_json()["tasks"][0]["description"] == "本人の居場所、駅前の公園"


# --- the plan and its tasks -------------------------------------------------------------------

def test_plan_and_task_lifecycle(basic):
    basic.user("npo2@example.jp", "kmm-npo", "npo_staff", name="佐藤 支援員")
    coord, case = _setup(basic)
    cid = case["id"]
    coord.post(f"/api/v1/cases/{cid}/assessments", json=_assessment())
    r = coord.post(f"/api/v1/cases/{cid}/plan", json={"goals_from_assessment": True, "goals": ["家計の安定"],
                                                      "policy": "支援方針、訪問を継続", "review_on": _in(30)})
    assert r.status_code == 201, r.get_json()
    plan = r.get_json()
    assert [g["text"] for g in plan["goals"]] == ["居場所に週1回通う", "家計の安定"]
    assert plan["goals"][0]["assessment_id"] is not None and plan["assessment"]["version_no"] == 1
    assert plan["ready_for_support"] is False and plan["tasks"] == []
    assert coord.post(f"/api/v1/cases/{cid}/plan", json={}).status_code == 409

    npo_id, worker = basic.orgs["kmm-npo"], basic.users["npo2@example.jp"]
    r = coord.post(f"/api/v1/cases/{cid}/plan/tasks", json={
        "owner_org_id": str(npo_id), "worker_id": str(worker), "title": "居場所への同行", "due_on": _in(7),
        "description": "初回は駅で待ち合わせ", "goal_id": plan["goals"][0]["id"]})
    assert r.status_code == 201, r.get_json()
    task = r.get_json()
    assert task["status"] == "open" and task["owner_org"]["code"] == "kmm-npo"
    assert task["worker"]["display_name"] == "佐藤 支援員" and task["allowed_transitions"] == ["in_progress", "cancelled"]
    own = make_plan(coord, cid, basic.orgs["kmk-chiiki"], title="家計相談窓口へのつなぎ")

    npo = basic.client("npo@example.jp")
    # the NPO's to-do list and its view of the plan: its own task in full, the rest in outline
    mine = npo.get("/api/v1/tasks").get_json()["items"]
    assert [t["id"] for t in mine] == [task["id"]] and mine[0]["title"] == "居場所への同行"
    outline = npo.get(f"/api/v1/cases/{cid}/plan").get_json()
    by_id = {t["id"]: t for t in outline["tasks"]}
    assert by_id[own["id"]]["title"] is None and by_id[own["id"]]["title_withheld"] is True
    assert by_id[own["id"]]["owner_org"]["code"] == "kmk-chiiki" and by_id[own["id"]]["status"] == "open"
    assert by_id[task["id"]]["title"] == "居場所への同行"
    assert by_id[task["id"]]["description"] is None  # written by the coordinator: case_notes
    assert outline["policy"] is None and outline["policy_withheld"] is True
    assert [g["text"] for g in outline["goals"]] == [None, None] and outline["goals"][0]["status"] == "active"
    assert not [s for s in SECRET_NOTES if s in json.dumps(outline, ensure_ascii=False)]

    t_url = f"/api/v1/tasks/{task['id']}"
    r = npo.post(f"{t_url}/transitions", json={"to": "done", "result_note": "x"})
    assert r.status_code == 409 and r.get_json()["allowed"] == ["in_progress", "cancelled"]
    assert r.get_json()["type"].endswith("illegal-transition")
    assert npo.post(f"{t_url}/transitions", json={"to": "limbo"}).status_code == 422
    # the task's organisation assigns its own worker, but edits nothing else
    etag = npo.get(t_url).headers["ETag"]
    assert npo.patch(t_url, json={"worker_id": None}).status_code == 428
    assert npo.patch(t_url, json={"title": "別のこと"}, headers={"If-Match": etag}).status_code == 403
    r = npo.patch(t_url, json={"worker_id": str(basic.users["npo@example.jp"])}, headers={"If-Match": etag})
    assert r.status_code == 200, r.get_json()
    assert npo.patch(t_url, json={"worker_id": None}, headers={"If-Match": etag}).status_code == 412
    r = npo.post(f"{t_url}/transitions", json={"to": "in_progress"})
    assert r.status_code == 200 and r.get_json()["status"] == "in_progress" and r.get_json()["started_at"]
    r = npo.post(f"{t_url}/transitions", json={"to": "done"})
    assert r.status_code == 422 and "result_note" in r.get_json()["errors"]
    r = npo.post(f"{t_url}/transitions", json={"to": "done", "result_note": "2回同行し、本人が一人で通えるようになった"})
    assert r.status_code == 200 and r.get_json()["status"] == "done"
    assert r.get_json()["result_note"] == "2回同行し、本人が一人で通えるようになった"
    r = npo.post(f"{t_url}/transitions", json={"to": "in_progress"})
    assert r.status_code == 409 and r.get_json()["allowed"] == []
    # the result is fed back to the coordinator's plan
    plan = coord.get(f"/api/v1/cases/{cid}/plan").get_json()
    fed = next(t for t in plan["tasks"] if t["id"] == task["id"])
    assert fed["result_note"] == "2回同行し、本人が一人で通えるようになった" and fed["finished_at"]
    assert plan["task_counts"] == {"open": 1, "in_progress": 0, "done": 1, "cancelled": 0}
    # the NPO cannot move the coordinator's task; the coordinator cancels it with a reason
    assert npo.post(f"/api/v1/tasks/{own['id']}/transitions", json={"to": "in_progress"}).status_code == 403
    r = coord.post(f"/api/v1/tasks/{own['id']}/transitions", json={"to": "cancelled", "result_note": "本人が辞退"})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    # goals move on too
    goal = plan["goals"][0]["id"]
    r = coord.patch(f"/api/v1/cases/{cid}/plan/goals/{goal}", json={"status": "achieved"})
    assert r.status_code == 200 and r.get_json()["goals"][0]["status"] == "achieved"
    assert coord.patch(f"/api/v1/cases/{cid}/plan/goals/{goal}", json={"status": "maybe"}).status_code == 422
    # the plan itself: If-Match, then the policy and review date
    r = coord.get(f"/api/v1/cases/{cid}/plan")
    assert coord.patch(f"/api/v1/cases/{cid}/plan", json={"review_on": _in(60)}).status_code == 428
    r = coord.patch(f"/api/v1/cases/{cid}/plan", json={"review_on": _in(60)}, headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200 and r.get_json()["review_on"] == _in(60)
    assert npo.post(f"/api/v1/cases/{cid}/plan/goals", json={"text": "NPOの目標"}).status_code == 403


def test_bad_task_input_names_the_field(basic):
    basic.org("kmk-other", "department")
    basic.user("other@example.jp", "kmk-other", "staff")
    coord, case = _setup(basic)
    url = f"/api/v1/cases/{case['id']}/plan/tasks"
    base = {"owner_org_id": str(basic.orgs["kmm-npo"]), "title": "訪問", "due_on": _in(7)}
    for patch, field in (({"owner_org_id": str(uuid.uuid4())}, "owner_org_id"),
                         ({"owner_org_id": "not-a-uuid"}, "owner_org_id"),
                         ({"due_on": (today_jst() - timedelta(days=2)).isoformat()}, "due_on"),
                         ({"due_on": "someday"}, "due_on"),
                         ({"worker_id": str(basic.users["coord@example.jp"])}, "worker_id"),
                         ({"goal_id": str(uuid.uuid4())}, "goal_id"),
                         ({"title": ""}, "title"),
                         ({"title": "あ" * 201}, "title"),
                         ({"priority": "high"}, "priority")):
        r = coord.post(url, json={**base, **patch})
        assert r.status_code == 422, (patch, r.get_json())
        assert field in r.get_json()["errors"], (patch, r.get_json())
    r = coord.post(url, json={k: v for k, v in base.items() if k != "due_on"})
    assert r.status_code == 422 and "due_on" in r.get_json()["errors"]
    # nothing was created by the refused requests
    assert coord.get(f"/api/v1/cases/{case['id']}/plan").status_code == 404
    # a case the organisation cannot see is 404; a visible case it does not own is 403
    other = basic.client("other@example.jp")
    assert other.post(url, json=base).status_code == 404
    make_plan(coord, case["id"], basic.orgs["kmm-npo"])
    npo = basic.client("npo@example.jp")
    r = npo.post(url, json=base)
    assert r.status_code == 403 and "主担当組織" in r.get_json()["detail"]
    task = npo.get("/api/v1/tasks").get_json()["items"][0]
    assert other.get(f"/api/v1/tasks/{task['id']}").status_code == 404
    assert other.post(f"/api/v1/tasks/{task['id']}/transitions", json={"to": "in_progress"}).status_code == 404


def test_role_agreement(basic):
    coord, case = _setup(basic)
    cid = case["id"]
    make_plan(coord, cid, basic.orgs["kmm-npo"])
    # the coordinator's organisation holds no task yet: nothing to agree to
    r = coord.post(f"/api/v1/cases/{cid}/plan/agreements")
    assert r.status_code == 409 and r.get_json()["type"].endswith("no-role")
    make_plan(coord, cid, basic.orgs["kmk-chiiki"], title="定期面談")
    roles = {r["org"]["code"]: r for r in coord.get(f"/api/v1/cases/{cid}/plan").get_json()["roles"]}
    assert set(roles) == {"kmk-chiiki", "kmm-npo"} and not any(r["agreed"] for r in roles.values())

    npo = basic.client("npo@example.jp")
    r = npo.post(f"/api/v1/cases/{cid}/plan/agreements")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["org"]["code"] == "kmm-npo" and r.get_json()["task_count"] == 1
    assert npo.post(f"/api/v1/cases/{cid}/plan/agreements", json={"note": "x"}).status_code == 422
    plan = coord.get(f"/api/v1/cases/{cid}/plan").get_json()
    roles = {r["org"]["code"]: r for r in plan["roles"]}
    assert roles["kmm-npo"]["agreed"] is True and roles["kmm-npo"]["agreed_at"]
    assert roles["kmk-chiiki"]["agreed"] is False and plan["all_roles_agreed"] is False
    assert coord.post(f"/api/v1/cases/{cid}/plan/agreements").status_code == 201
    assert coord.get(f"/api/v1/cases/{cid}/plan").get_json()["all_roles_agreed"] is True

    # a new role for the NPO needs its agreement again
    make_plan(coord, cid, basic.orgs["kmm-npo"], title="就労体験の調整")
    roles = {r["org"]["code"]: r for r in npo.get(f"/api/v1/cases/{cid}/plan").get_json()["roles"]}
    assert roles["kmm-npo"]["agreed"] is False and roles["kmm-npo"]["needs_reconfirmation"] is True
    assert roles["kmm-npo"]["tasks"]["open"] == 2
    assert npo.post(f"/api/v1/cases/{cid}/plan/agreements").get_json()["task_count"] == 2
    roles = {r["org"]["code"]: r for r in npo.get(f"/api/v1/cases/{cid}/plan").get_json()["roles"]}
    assert roles["kmm-npo"]["agreed"] is True


def test_stage_guard_needs_a_plan_with_a_task_and_the_loop_keeps_it(basic):
    coord, case = _setup(basic)
    cid = case["id"]
    r = move(coord, cid, "support", reason="支援開始")
    assert r.status_code == 409 and "支援プラン" in r.get_json()["detail"]
    assert r.get_json()["type"].endswith("precondition-failed")
    assert coord.post(f"/api/v1/cases/{cid}/plan", json={"goals": ["生活リズムを整える"]}).status_code == 201
    r = move(coord, cid, "support", reason="支援開始")
    assert r.status_code == 409 and "タスク" in r.get_json()["detail"]
    task = make_plan(coord, cid, basic.orgs["kmm-npo"])
    assert move(coord, cid, "support", reason="支援開始").status_code == 200
    # support -> assessment is the feedback loop: the plan and its tasks stay
    assert move(coord, cid, "assessment", reason="再アセスメント").status_code == 200
    plan = coord.get(f"/api/v1/cases/{cid}/plan").get_json()
    assert [t["id"] for t in plan["tasks"]] == [task["id"]] and plan["ready_for_support"] is True
    assert move(coord, cid, "support", reason="支援再開").status_code == 200
    assert move(coord, cid, "assessment", reason="見直し").status_code == 200
    # a cancelled task is no role: the guard applies again
    r = coord.post(f"/api/v1/tasks/{task['id']}/transitions", json={"to": "cancelled", "result_note": "担当変更"})
    assert r.status_code == 200
    r = move(coord, cid, "support", reason="支援再開")
    assert r.status_code == 409 and "タスク" in r.get_json()["detail"]


def test_cancelled_only_role_ends_the_involvement(basic):
    coord, case = _setup(basic)
    task = make_plan(coord, case["id"], basic.orgs["kmm-npo"])
    npo = basic.client("npo@example.jp")
    assert npo.get(f"/api/v1/cases/{case['id']}").get_json()["relation"] == ["task"]
    coord.post(f"/api/v1/tasks/{task['id']}/transitions", json={"to": "cancelled", "result_note": "不要になった"})
    assert npo.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert npo.get(f"/api/v1/tasks/{task['id']}").status_code == 404


def test_add_task_contract_for_meeting_decisions(basic, app):
    """The function another module (meeting decisions) calls: plan on demand, involvement once, validation."""
    from caseflow.accounts.models import User
    from caseflow.cases.models import Case, CaseInvolvement
    from caseflow.core import db
    from caseflow.core.errors import Problem
    from caseflow.plans import tasks as tasks
    from caseflow.plans.models import PlanTask, SupportPlan

    coord, case = _setup(basic)
    source = f"meeting_decision:{uuid.uuid4()}"
    with app.app_context():
        s = db.session()
        c = s.get(Case, uuid.UUID(case["id"]))
        actor = s.get(User, basic.users["super@example.jp"])
        npo_id = basic.orgs["kmm-npo"]
        due = today_jst() + timedelta(days=10)
        t1 = tasks.add_task(c, owner_org_id=npo_id, title="会議決定、訪問", due_on=due, actor=actor, source=source)
        t2 = tasks.add_task(c, owner_org_id=npo_id, title="会議決定、報告", due_on=due, actor=actor)
        for kwargs, field in (({"owner_org_id": uuid.uuid4()}, "owner_org_id"),
                              ({"due_on": today_jst() - timedelta(days=1)}, "due_on")):
            try:
                tasks.add_task(c, **{"owner_org_id": npo_id, "title": "x", "due_on": due, "actor": actor, **kwargs})
            except Problem as exc:
                assert exc.status == 422 and field in exc.errors
            else:
                raise AssertionError(field)
        s.commit()
        assert isinstance(t1, PlanTask) and t1.source == source and t1.status == "open"
        assert s.scalar(select(SupportPlan.id).where(SupportPlan.case_id == c.id)) == t1.plan_id == t2.plan_id
        inv = s.scalars(select(CaseInvolvement).where(CaseInvolvement.case_id == c.id,
                                                      CaseInvolvement.org_id == npo_id)).all()
        assert [(i.relation, i.source_id) for i in inv] == [("task", t1.id)]
        task_id = t1.id
    events = _audit_events(app, "tasks.create")
    assert [e["detail"].get("source") for e in events] == [source, None]
    task = basic.client("npo@example.jp").get(f"/api/v1/tasks/{task_id}").get_json()
    assert task["source"] == source and task["title"] == "会議決定、訪問"


def test_a_visible_but_not_working_organisation_reads_the_outline_only(basic, app):
    """An organisation with a pending referral sees the case (to decide on it), not as a contributor."""
    from caseflow.core import db
    from caseflow.referrals.models import Referral

    basic.org("kmk-koreisha", "department", "鎌倉市 高齢者いきいき課")
    basic.user("korei@example.jp", "kmk-koreisha", "staff")
    coord, case = _setup(basic)
    url = f"/api/v1/cases/{case['id']}/assessments"
    v1 = coord.post(url, json=_assessment()).get_json()
    make_plan(coord, case["id"], basic.orgs["kmm-npo"])
    korei = basic.client("korei@example.jp")
    assert korei.get(url).status_code == 404
    with app.app_context():
        db.session().add(Referral(case_id=uuid.UUID(case["id"]), from_org_id=basic.orgs["kmk-chiiki"],
                                  to_org_id=basic.orgs["kmk-koreisha"], created_by_user_id=basic.users["coord@example.jp"],
                                  reason="高齢の母の介護", requested_support="介護保険の申請支援", state="pending"))
        db.session().commit()
    r = korei.get(url)
    assert r.status_code == 200 and r.get_json()["items"][0]["domains"][0]["risk_level"] == "high"
    assert r.get_json()["items"][0]["text_withheld"] is True
    plan = korei.get(f"/api/v1/cases/{case['id']}/plan").get_json()
    assert plan["tasks"][0]["title"] is None and plan["roles"][0]["org"]["code"] == "kmm-npo"
    r = korei.post(url, json=_assessment())
    assert r.status_code == 403 and "関わる組織" in r.get_json()["detail"]
    assert korei.post(f"{url}/{v1['id']}/contributions", json={"note": "所見"}).status_code == 403
    assert korei.post(f"/api/v1/cases/{case['id']}/plan/agreements").status_code == 409  # holds no role
