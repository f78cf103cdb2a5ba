"""Follow-up lists (issue 6): overdue tasks, cases without progress, cases without an active owner, and the
daily digest command."""
import uuid
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import update

from caseflow.cli import main

from support import make_plan, move, open_anonymous_case, open_case, today_jst


def _db(app, *statements):
    """Age records the way time would (tests cannot wait 30 days)."""
    from caseflow.core import db

    with app.app_context():
        s = db.session()
        for stmt in statements:
            s.execute(stmt)
        s.commit()


def _overdue(app, task_id, days):
    from caseflow.plans.models import PlanTask

    _db(app, update(PlanTask).where(PlanTask.id == uuid.UUID(task_id))
        .values(due_on=today_jst() - timedelta(days=days)))


def _quiet(app, case_id, days):
    from caseflow.cases.models import Case
    from caseflow.core.db import utcnow

    _db(app, update(Case).where(Case.id == uuid.UUID(case_id))
        .values(last_activity_at=utcnow() - timedelta(days=days), version=Case.version + 1))


def _ids(r, key="id"):
    assert r.status_code == 200, r.get_json()
    return [item[key] if key == "id" else item["case"]["id"] for item in r.get_json()["items"]]


def test_overdue_tasks_per_organisation_and_coordinator(basic, app):
    basic.org("kmk-other", "department")
    basic.user("other@example.jp", "kmk-other", "coordinator")
    coord = basic.client("coord@example.jp")
    a = open_case(coord)
    b = open_anonymous_case(coord, lead_worker_id=str(basic.users["super@example.jp"]))
    npo_task = make_plan(coord, a["id"], basic.orgs["kmm-npo"], title="同行支援")
    own_task = make_plan(coord, b["id"], basic.orgs["kmk-chiiki"], title="家庭訪問")
    future = make_plan(coord, a["id"], basic.orgs["kmm-npo"], title="来月の面談", days=30)
    done = make_plan(coord, a["id"], basic.orgs["kmm-npo"], title="書類の確認")
    _overdue(app, npo_task["id"], 5)
    _overdue(app, own_task["id"], 2)
    npo = basic.client("npo@example.jp")
    npo.post(f"/api/v1/tasks/{done['id']}/transitions", json={"to": "in_progress"})
    npo.post(f"/api/v1/tasks/{done['id']}/transitions", json={"to": "done", "result_note": "確認済み"})
    _overdue(app, done["id"], 9)

    url = "/api/v1/followup/overdue-tasks"
    r = coord.get(url)
    assert _ids(r) == [npo_task["id"], own_task["id"]]  # oldest due first; done and future ones are not overdue
    first = r.get_json()["items"][0]
    assert first["overdue"] is True and first["days_overdue"] == 5 and first["case_number"] == a["case_number"]
    assert first["owner_org"]["code"] == "kmm-npo" and first["title"] == "同行支援"
    assert future["id"] not in _ids(r)
    # per organisation (the task's owner) and per coordinator (the case's lead worker)
    assert _ids(coord.get(url, query_string={"owner_org_id": str(basic.orgs["kmm-npo"])})) == [npo_task["id"]]
    assert _ids(coord.get(url, query_string={"lead_worker_id": str(basic.users["super@example.jp"])})) == [own_task["id"]]
    assert _ids(coord.get(url, query_string={"lead_worker_id": str(basic.users["coord@example.jp"])})) == [npo_task["id"]]
    # the NPO sees the cases it works on only
    assert _ids(npo.get(url)) == [npo_task["id"]]
    assert _ids(basic.client("other@example.jp").get(url)) == []
    assert coord.get(url, query_string={"lead_worker_id": "x"}).status_code == 422
    # a closed case leaves the list
    move(coord, b["id"], "closed", reason="転居", closure_reason="handed_over")
    assert _ids(coord.get(url)) == [npo_task["id"]]
    assert basic.client("auditor@example.jp").get(url).status_code == 403


def test_cases_without_progress_for_n_days(basic, app):
    coord = basic.client("coord@example.jp")
    quiet = open_case(coord)
    recorded = open_case(coord, with_parent=False)
    fresh = open_anonymous_case(coord)
    involved = open_anonymous_case(coord, label="NPOも関わる相談")
    make_plan(coord, involved["id"], basic.orgs["kmm-npo"])
    r = coord.post(f"/api/v1/cases/{recorded['id']}/progress",
                   json={"kind": "visit", "occurred_on": today_jst().isoformat(), "body": "訪問した"})
    assert r.status_code == 201
    for case in (quiet, recorded, involved):
        _quiet(app, case["id"], 40)

    url = "/api/v1/followup/stale-cases"
    r = coord.get(url)
    assert r.get_json()["days"] == 30
    assert _ids(r, "case") == [quiet["id"], involved["id"]]  # quietest first
    item = next(i for i in r.get_json()["items"] if i["case"]["id"] == quiet["id"])
    assert item["last_progress_on"] is None and item["days_without_activity"] >= 39
    assert item["case"]["case_number"] == quiet["case_number"] and item["case"]["lead_worker"]["active"] is True
    assert "山田" not in r.get_data(as_text=True)  # de-identified list
    assert _ids(coord.get(url, query_string={"days": 50}), "case") == []
    # days=0: everything without a progress record dated today
    assert set(_ids(coord.get(url, query_string={"days": 0}), "case")) == {quiet["id"], fresh["id"], involved["id"]}
    assert coord.get(url, query_string={"days": -1}).status_code == 422
    # the NPO sees the case it works on, without the coordinator's staff details
    npo_items = basic.client("npo@example.jp").get(url).get_json()["items"]
    assert [i["case"]["id"] for i in npo_items] == [involved["id"]] and npo_items[0]["case"]["lead_worker"] is None
    # configurable default
    app.config["FOLLOWUP_STALE_DAYS"] = 45
    r = coord.get(url)
    assert r.get_json()["days"] == 45 and _ids(r, "case") == []
    app.config["FOLLOWUP_STALE_DAYS"] = 30
    # a progress record takes the case off the list
    coord.post(f"/api/v1/cases/{quiet['id']}/progress",
               json={"kind": "phone", "occurred_on": today_jst().isoformat(), "body": "電話で様子を確認"})
    assert quiet["id"] not in _ids(coord.get(url), "case")


def test_deactivated_worker_leaves_the_case_without_an_active_owner(basic, app):
    basic.user("coord2@example.jp", "kmk-chiiki", "coordinator", name="鈴木 推進員")
    coord = basic.client("coord@example.jp")
    orphan = open_case(coord, lead_worker_id=str(basic.users["coord2@example.jp"]))
    kept = open_anonymous_case(coord)
    make_plan(coord, orphan["id"], basic.orgs["kmm-npo"])
    url = "/api/v1/followup/unowned-cases"
    assert _ids(coord.get(url), "case") == []

    admin = basic.client("admin@example.jp")
    r = admin.patch(f"/api/v1/users/{basic.users['coord2@example.jp']}", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False

    r = coord.get(url)
    assert _ids(r, "case") == [orphan["id"]]
    item = r.get_json()["items"][0]
    assert item["reason"] == "lead_worker_inactive" and item["reason_label"] == "主担当者のアカウントが無効"
    assert item["case"]["lead_worker"] == {"id": str(basic.users["coord2@example.jp"]),
                                           "display_name": "鈴木 推進員", "active": False}
    assert kept["id"] not in _ids(r, "case")
    # per coordinator
    assert _ids(coord.get(url, query_string={"lead_worker_id": str(basic.users["coord2@example.jp"])}), "case") == \
        [orphan["id"]]
    assert _ids(coord.get(url, query_string={"lead_worker_id": str(basic.users["coord@example.jp"])}), "case") == []
    # the NPO working on the case sees it too (without staff details); an uninvolved organisation does not
    npo_items = basic.client("npo@example.jp").get(url).get_json()["items"]
    assert [i["case"]["id"] for i in npo_items] == [orphan["id"]] and npo_items[0]["case"]["lead_worker"] is None
    basic.org("kmk-other", "department")
    basic.user("other@example.jp", "kmk-other", "coordinator")
    assert _ids(basic.client("other@example.jp").get(url), "case") == []

    # a new lead worker resolves it
    detail = coord.get(f"/api/v1/cases/{orphan['id']}")
    r = coord.patch(f"/api/v1/cases/{orphan['id']}", json={"lead_worker_id": str(basic.users["coord@example.jp"])},
                    headers={"If-Match": detail.headers["ETag"]})
    assert r.status_code == 200, r.get_json()
    assert _ids(coord.get(url), "case") == []


def test_worker_moved_to_another_organisation(basic, app):
    from caseflow.accounts.models import User

    basic.org("kmk-koreisha", "department")
    basic.user("mover@example.jp", "kmk-chiiki", "coordinator")
    coord = basic.client("coord@example.jp")
    case = open_anonymous_case(coord, lead_worker_id=str(basic.users["mover@example.jp"]))
    _db(app, update(User).where(User.id == basic.users["mover@example.jp"]).values(org_id=basic.orgs["kmk-koreisha"]))
    items = coord.get("/api/v1/followup/unowned-cases").get_json()["items"]
    assert [(i["case"]["id"], i["reason"]) for i in items] == [(case["id"], "lead_worker_moved")]


def test_daily_digest_command(basic, app, db_url):
    basic.user("coord2@example.jp", "kmk-chiiki", "coordinator", name="鈴木 推進員")
    coord = basic.client("coord@example.jp")
    a = open_case(coord)
    b = open_anonymous_case(coord, lead_worker_id=str(basic.users["coord2@example.jp"]))
    task = make_plan(coord, a["id"], basic.orgs["kmm-npo"], title="同行支援（山田さん宅）")
    _overdue(app, task["id"], 4)
    _quiet(app, a["id"], 35)
    basic.client("admin@example.jp").patch(f"/api/v1/users/{basic.users['coord2@example.jp']}",
                                           json={"active": False})

    def run(*args):
        return CliRunner().invoke(main, ["followup", "digest", *args], env={"CASEFLOW_DATABASE_URL": db_url})

    r = run("--org", "kmk-chiiki")
    assert r.exit_code == 0, r.output
    out = r.output
    assert "フォローアップ日報" in out and "鎌倉市 地域共生課" in out
    assert "期限を過ぎたタスク: 1件" in out and f"{a['case_number']}  期限" in out and "（4日超過）" in out
    assert "30日以上 支援経過の記録がないケース: 1件" in out
    assert "主担当が不在のケース: 1件" in out and b["case_number"] in out and "主担当者のアカウントが無効" in out
    assert "山田" not in out and "同行支援" not in out  # no personal data, no task text
    r = run("--org", "kmk-chiiki", "--days", "60")
    assert "60日以上 支援経過の記録がないケース: 0件" in r.output
    r = run("--org", "kmm-npo")
    assert r.exit_code == 0 and "期限を過ぎたタスク: 1件" in r.output and "主担当が不在のケース: 0件" in r.output
    r = run()
    assert r.exit_code == 0 and "全組織" in r.output
    r = run("--lead", "coord@example.jp")
    assert r.exit_code == 0 and "主担当が不在のケース: 0件" in r.output and "期限を過ぎたタスク: 1件" in r.output
    r = run("--org", "no-such-org")
    assert r.exit_code != 0 and "org" in r.output
    r = run("--days", "-3")
    assert r.exit_code != 0


def test_case_detail_names_the_lead_worker_to_the_owner_only(basic):
    coord = basic.client("coord@example.jp")
    case = open_case(coord)
    make_plan(coord, case["id"], basic.orgs["kmm-npo"])  # the NPO now works on the case (task)
    own = coord.get(f"/api/v1/cases/{case['id']}")
    assert own.status_code == 200
    lead = own.get_json()["lead_worker"]
    assert lead["id"] == str(basic.users["coord@example.jp"]) and lead["active"] is True
    assert set(lead) == {"id", "display_name", "active"} and lead["display_name"]
    npo = basic.client("npo@example.jp").get(f"/api/v1/cases/{case['id']}")
    assert npo.status_code == 200 and npo.get_json()["lead_worker"] is None
