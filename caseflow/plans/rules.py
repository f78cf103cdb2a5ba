"""Joint assessment (課題と対応策の詳細検討) and support plans (支援プラン: 役割分担・協働による支援).

- Assessments are immutable, numbered versions per case; the highest number is current. Organisations
  involved in the case (owner, accepted referral, task) write versions and add contributions to the
  current one.
- A case has one plan, kept through the assessment ⇄ support loop: goals, tasks owned by organisations
  (optionally one of their workers), and each task-owning organisation's agreement to its role.
- The stage guard `assessment -> support` asks `support_readiness_problem`.

Who may change what: the case's owner organisation edits the plan and assigns tasks; a task's owner
organisation moves its task along and records its agreement. `add_task` itself does not check who assigns
(its callers do: the plan API, meeting decisions).

Visibility (see `NotesAccess`): structure -- dates, domains, risk levels, statuses, which organisation
holds which role -- is shown to everyone who sees the case; narrative text is `case_notes` data, shown when
the sharing engine gives a basis or the viewer's organisation wrote it.
"""
from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from caseflow.access import trail
from caseflow.access.refs import org_refs, user_refs
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.codes import rules as codes
from caseflow.access import tenancy
from caseflow.cases.rules import touch_case
from caseflow.access.disclosure import DisclosureLog
from caseflow.access.sharing import (Viewer, bases_for_persons, case_notes_basis, relations_to_cases,
                                     visible_case_ids)
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.jpdate import to_tokyo
from caseflow.accounts.models import User
from caseflow.cases.models import Case, CaseInvolvement, Person
from caseflow.organizations.models import Organization
from caseflow.plans.models import Assessment, AssessmentContribution, AssessmentDomain, PlanAgreement, PlanGoal, PlanTask, SupportPlan
from caseflow.plans.models import (GOAL_STATUSES, LIFE_DOMAINS, LIVE_TASK_STATUSES, RISK_LEVELS, TASK_STATUSES,
                                  TASK_TRANSITIONS)

WORKING_RELATIONS = {"owner", "referral", "task"}
NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


def today_tokyo() -> date:
    return to_tokyo(utcnow()).date()


def _relations(case: Case, actor) -> set[str]:
    return relations_to_cases(Viewer.of(actor), [case.id]).get(case.id, set())


def require_involved(case: Case, actor, what: str) -> None:
    """Only organisations working on the case write its assessment (a meeting member only reads)."""
    if not _relations(case, actor) & WORKING_RELATIONS:
        raise Problem(403, detail=f"{what}は、このケースに関わる組織（主担当・紹介を受けた組織・タスク担当）のみ行えます。",
                      type_="forbidden")


def require_case_owner(case: Case, actor, what: str) -> None:
    if case.owner_org_id != actor.org_id:
        raise Problem(403, detail=f"{what}は、ケースの主担当組織のみ行えます。", type_="forbidden")


def _require_open_case(case: Case) -> None:
    if case.stage == "closed":
        raise Problem(409, detail="終結したケースの支援プランは変更できません。再開してから行ってください。",
                      type_="case-closed", current_stage=case.stage)


# --- assessments ------------------------------------------------------------------------------

def current_assessment(case: Case) -> Assessment | None:
    return db.session().scalar(select(Assessment).where(Assessment.case_id == case.id)
                               .order_by(Assessment.version_no.desc()).limit(1))


def assessments_query(case: Case):
    return select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.version_no.desc())


def get_assessment(case: Case, assessment_id: uuid.UUID) -> Assessment:
    a = db.session().scalar(select(Assessment).where(Assessment.id == assessment_id, Assessment.case_id == case.id))
    if a is None:
        raise Problem(404, detail=NOT_FOUND)
    return a


def _check_domains(entries: list[dict], field: str) -> None:
    # The schema checks each code; a domain twice in one version is ambiguous.
    seen, dup = set(), []
    for e in entries:
        if e["domain"] not in LIFE_DOMAINS:
            raise validation_problem({field: [f"未知の生活領域です: {e['domain']}"]})
        if e["risk_level"] not in RISK_LEVELS:
            raise validation_problem({field: [f"未知のリスク水準です: {e['risk_level']}"]})
        if e["domain"] in seen:
            dup.append(e["domain"])
        seen.add(e["domain"])
    if dup:
        raise validation_problem({field: [f"同じ生活領域が重複しています: {', '.join(sorted(set(dup)))}"]})


def create_assessment(case: Case, data: dict, *, actor) -> Assessment:
    """A new version: it becomes the current assessment; earlier versions stay as they were."""
    require_involved(case, actor, "アセスメントの記録")
    s = db.session()
    domains = data.get("domains", [])
    _check_domains(domains, "domains")
    codes.check("issue_category", "issue_codes", data.get("issue_codes", []))
    assessed_on = data.get("assessed_on") or today_tokyo()
    if assessed_on > today_tokyo():
        raise validation_problem({"assessed_on": ["未来の日付は指定できません。"]})
    touch_case(case)  # first: the row lock orders concurrent writers of this case's versions
    latest = s.scalar(select(func.max(Assessment.version_no)).where(Assessment.case_id == case.id)) or 0
    based_on = data.get("based_on_version")
    if based_on is not None and based_on != latest:
        raise Problem(409, detail=f"アセスメントは第{latest}版に更新されています。最新版を確認してから記録してください。",
                      type_="stale-version", current_version=latest)
    a = Assessment(
        case_id=case.id, version_no=latest + 1, assessed_on=assessed_on, strengths=data.get("strengths"),
        wishes=data.get("wishes"), issues_note=data.get("issues_note"),
        goals=json.dumps(data.get("goals", []), ensure_ascii=False),
        issue_codes=",".join(sorted(set(data.get("issue_codes", [])))),
        created_by_org_id=actor.org_id, created_by_user_id=actor.id,
        domain_rows=[AssessmentDomain(domain=e["domain"], risk_level=e["risk_level"], note=e.get("note"))
                     for e in domains],
    )
    try:
        with s.begin_nested():
            s.add(a)
            s.flush()
    except IntegrityError:  # another organisation wrote the same version number first
        raise Problem(409, detail="同時に別のアセスメントが記録されました。最新版を確認してからやり直してください。",
                      type_="stale-version") from None
    trail.record(s, action="assessments.create", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"assessment_id": str(a.id), "version_no": a.version_no,
                         "domains": sorted(e["domain"] for e in domains)})
    return a


def add_contribution(case: Case, assessment: Assessment, data: dict, *, actor) -> AssessmentContribution:
    """Another organisation's view on the current version (optionally on one life domain)."""
    require_involved(case, actor, "アセスメントへの追記")
    current = current_assessment(case)
    if current is None or current.id != assessment.id:
        raise Problem(409, detail="追記できるのは最新版のアセスメントだけです。",
                      type_="not-current", current_version=current.version_no if current else None)
    domain, risk = data.get("domain"), data.get("risk_level")
    if domain is not None and domain not in LIFE_DOMAINS:
        raise validation_problem({"domain": [f"未知の生活領域です: {domain}"]})
    if risk is not None and risk not in RISK_LEVELS:
        raise validation_problem({"risk_level": [f"未知のリスク水準です: {risk}"]})
    if risk is not None and domain is None:
        raise validation_problem({"domain": ["リスク水準を記録するには生活領域を指定してください。"]})
    if not data.get("note") and risk is None:
        raise validation_problem({"note": ["所見（note）かリスク水準のどちらかを記録してください。"]})
    c = AssessmentContribution(assessment_id=assessment.id, org_id=actor.org_id, user_id=actor.id, domain=domain,
                               risk_level=risk, note=data.get("note"))
    s = db.session()
    s.add(c)
    s.flush()
    touch_case(case)
    trail.record(s, action="assessments.contribute", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"assessment_id": str(assessment.id), "contribution_id": str(c.id), "domain": domain})
    return c


# --- the plan ---------------------------------------------------------------------------------

def get_plan(case: Case) -> SupportPlan | None:
    return db.session().scalar(select(SupportPlan).where(SupportPlan.case_id == case.id))


def require_plan(case: Case) -> SupportPlan:
    plan = get_plan(case)
    if plan is None:
        raise Problem(404, detail="このケースにはまだ支援プランがありません。")
    return plan


def _assessment_of_case(case: Case, assessment_id, field: str = "assessment_id") -> Assessment:
    a = db.session().scalar(select(Assessment).where(Assessment.id == assessment_id, Assessment.case_id == case.id))
    if a is None:
        raise validation_problem({field: ["このケースのアセスメントを指定してください。"]})
    return a


def _ensure_plan(case: Case, actor) -> SupportPlan:
    """The case's plan; an empty one is created on first use (e.g. a task from a meeting decision)."""
    s = db.session()
    plan = get_plan(case)
    if plan is not None:
        return plan
    touch_case(case)  # before the SAVEPOINT, see touch_case
    current = current_assessment(case)
    try:
        with s.begin_nested():
            plan = SupportPlan(case_id=case.id, assessment_id=current.id if current else None,
                               created_by_org_id=actor.org_id, created_by_user_id=actor.id)
            s.add(plan)
            s.flush()
    except IntegrityError:  # created concurrently
        plan = get_plan(case)
    else:
        trail.record(s, action="plans.create", resource_type="cases", resource_id=case.id, actor=actor,
                     detail={"plan_id": str(plan.id)})
    return plan


def create_plan(case: Case, data: dict, *, actor) -> SupportPlan:
    require_case_owner(case, actor, "支援プランの作成")
    _require_open_case(case)
    if get_plan(case) is not None:
        raise Problem(409, detail="このケースにはすでに支援プランがあります。変更は PATCH で行ってください。",
                      type_="plan-exists")
    s = db.session()
    if data.get("assessment_id"):
        assessment = _assessment_of_case(case, data["assessment_id"])
    else:
        assessment = current_assessment(case)
    review_on = data.get("review_on")
    if review_on is not None and review_on < today_tokyo():
        raise validation_problem({"review_on": ["見直し日は今日以降の日付にしてください。"]})
    if data.get("goals_from_assessment") and assessment is None:
        raise validation_problem({"goals_from_assessment": ["目標を引き継ぐアセスメントがありません。"]})
    plan = _ensure_plan(case, actor)
    plan.assessment_id = assessment.id if assessment else None
    plan.review_on = review_on
    if data.get("policy") is not None:
        plan.policy, plan.policy_by_org_id = data["policy"], actor.org_id
    texts: list[tuple[str, uuid.UUID | None]] = []
    if data.get("goals_from_assessment"):
        texts += [(t, assessment.id) for t in json.loads(assessment.goals or "[]")]
    texts += [(t, None) for t in data.get("goals", [])]
    for position, (text, source) in enumerate(texts, start=1):
        s.add(PlanGoal(plan_id=plan.id, position=position, text=text, assessment_id=source,
                       created_by_org_id=actor.org_id))
    s.flush()
    touch_case(case)
    trail.record(s, action="plans.update", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"plan_id": str(plan.id), "goals": len(texts)})
    return plan


def update_plan(case: Case, plan: SupportPlan, data: dict, *, actor) -> SupportPlan:
    require_case_owner(case, actor, "支援プランの変更")
    _require_open_case(case)
    if "assessment_id" in data:
        plan.assessment_id = _assessment_of_case(case, data["assessment_id"]).id if data["assessment_id"] else None
    if "review_on" in data:
        if data["review_on"] is not None and data["review_on"] < today_tokyo():
            raise validation_problem({"review_on": ["見直し日は今日以降の日付にしてください。"]})
        plan.review_on = data["review_on"]
    if "policy" in data:
        plan.policy, plan.policy_by_org_id = data["policy"], actor.org_id
    _flush_or_conflict()
    touch_case(case)
    trail.record(db.session(), action="plans.update", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"plan_id": str(plan.id), "changed": sorted(data)})
    return plan


def add_goal(case: Case, data: dict, *, actor) -> PlanGoal:
    require_case_owner(case, actor, "目標の追加")
    _require_open_case(case)
    s = db.session()
    plan = _ensure_plan(case, actor)
    source = _assessment_of_case(case, data["assessment_id"]).id if data.get("assessment_id") else None
    last = s.scalar(select(func.max(PlanGoal.position)).where(PlanGoal.plan_id == plan.id)) or 0
    goal = PlanGoal(plan_id=plan.id, position=last + 1, text=data["text"], assessment_id=source,
                    created_by_org_id=actor.org_id)
    s.add(goal)
    s.flush()
    touch_case(case)
    trail.record(s, action="plans.goal_create", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"plan_id": str(plan.id), "goal_id": str(goal.id)})
    return goal


def update_goal(case: Case, goal_id: uuid.UUID, data: dict, *, actor) -> PlanGoal:
    require_case_owner(case, actor, "目標の変更")
    _require_open_case(case)
    plan = require_plan(case)
    goal = db.session().scalar(select(PlanGoal).where(PlanGoal.id == goal_id, PlanGoal.plan_id == plan.id))
    if goal is None:
        raise Problem(404, detail=NOT_FOUND)
    if "status" in data:
        if data["status"] not in GOAL_STATUSES:
            raise validation_problem({"status": [f"未知の状態です: {data['status']}"]})
        goal.status = data["status"]
    if "text" in data:
        goal.text, goal.created_by_org_id = data["text"], actor.org_id
    touch_case(case)
    trail.record(db.session(), action="plans.goal_update", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"goal_id": str(goal.id), "changed": sorted(data)})
    return goal


# --- tasks ------------------------------------------------------------------------------------

def _check_worker(worker_id, owner_org_id, errors: dict) -> None:
    if worker_id is None:
        return
    worker = db.session().get(User, worker_id)
    if worker is None or not worker.active or worker.org_id != owner_org_id:
        errors["worker_id"] = ["担当組織の有効な職員を指定してください。"]


def add_task(case: Case, *, owner_org_id, title, due_on, actor, worker_id=None, source=None,
             description=None, goal_id=None) -> PlanTask:
    """Add a task to the case's current plan (creating an empty plan if none exists).

    The owner organisation gets a `task` involvement in the case (and so sees it) unless it already has
    one. 422 naming the field for an unknown organisation (owner_org_id), a due date before today
    (due_on), a worker outside the owner organisation (worker_id), a goal of another plan (goal_id).
    The caller decides who may assign; this function does not.
    """
    s = db.session()
    _require_open_case(case)
    errors: dict[str, list[str]] = {}
    owner = s.get(Organization, owner_org_id) if owner_org_id else None
    if owner is None or not owner.active or not tenancy.is_member(owner.id, case.municipality_id):
        errors["owner_org_id"] = ["この自治体に登録されていない（または無効な）組織です。"]
    if not isinstance(due_on, date):
        errors["due_on"] = ["期限の日付を指定してください。"]
    elif due_on < today_tokyo():
        errors["due_on"] = ["期限は今日以降の日付にしてください。"]
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = ["やることを1〜200文字で入力してください。"]
    if source is not None and len(source) > 100:
        errors["source"] = ["100文字以内で指定してください。"]
    if owner is not None:
        _check_worker(worker_id, owner.id, errors)
    plan = _ensure_plan(case, actor) if not errors else None
    if plan is not None and goal_id is not None and s.scalar(
            select(PlanGoal.id).where(PlanGoal.id == goal_id, PlanGoal.plan_id == plan.id)) is None:
        errors["goal_id"] = ["このケースの支援プランの目標を指定してください。"]
    if errors:
        raise validation_problem(errors)
    task = PlanTask(plan_id=plan.id, case_id=case.id, goal_id=goal_id, owner_org_id=owner.id, worker_id=worker_id,
                    title=title, description=description, due_on=due_on, status="open", source=source,
                    created_by_org_id=actor.org_id, created_by_user_id=actor.id)
    s.add(task)
    s.flush()
    involved = s.scalar(select(CaseInvolvement.id).where(
        CaseInvolvement.case_id == case.id, CaseInvolvement.org_id == owner.id, CaseInvolvement.relation == "task",
        CaseInvolvement.until.is_(None)).limit(1))
    if involved is None:
        s.add(CaseInvolvement(case_id=case.id, org_id=owner.id, relation="task", source_id=task.id))
    touch_case(case)
    detail = {"case_id": str(case.id), "plan_id": str(plan.id), "owner_org_id": str(owner.id)}
    if source:
        detail["source"] = source
    trail.record(s, action="tasks.create", resource_type="tasks", resource_id=task.id, actor=actor, detail=detail)
    return task


def create_task(case: Case, data: dict, *, actor) -> PlanTask:
    """The plan API's way in: only the case's owner organisation divides the roles."""
    require_case_owner(case, actor, "タスクの割り当て")
    return add_task(case, owner_org_id=data["owner_org_id"], title=data["title"], due_on=data["due_on"],
                    actor=actor, worker_id=data.get("worker_id"), source=data.get("source"),
                    description=data.get("description"), goal_id=data.get("goal_id"))


def get_task(viewer: Viewer, task_id: uuid.UUID) -> tuple[PlanTask, Case]:
    """The task and its case, or 404 when the viewer may not see the case."""
    from caseflow.cases.rules import get_visible_case

    task = db.session().get(PlanTask, task_id)
    if task is None:
        raise Problem(404, detail=NOT_FOUND)
    return task, get_visible_case(viewer, task.case_id)


def _flush_or_conflict() -> None:
    try:
        db.session().flush()
    except StaleDataError:
        raise Problem(409, detail="ほかの人が先に更新しました。最新の内容を取得してからやり直してください。",
                      type_="stale-version") from None


def update_task(case: Case, task: PlanTask, data: dict, *, actor) -> PlanTask:
    """The case owner edits a task; the task's owner organisation may only (re)assign its own worker."""
    s = db.session()
    is_case_owner = case.owner_org_id == actor.org_id
    if not is_case_owner:
        if task.owner_org_id != actor.org_id or set(data) - {"worker_id"}:
            raise Problem(403, detail="タスクの内容の変更はケースの主担当組織のみ、担当者の指定は担当組織も行えます。",
                          type_="forbidden")
    _require_open_case(case)
    if task.status not in LIVE_TASK_STATUSES:
        raise Problem(409, detail=f"「{TASK_STATUSES[task.status]}」のタスクは変更できません。", type_="task-closed",
                      current_status=task.status)
    errors: dict[str, list[str]] = {}
    if "due_on" in data and data["due_on"] < today_tokyo():
        errors["due_on"] = ["期限は今日以降の日付にしてください。"]
    if "worker_id" in data:
        _check_worker(data["worker_id"], task.owner_org_id, errors)
    if data.get("goal_id") and s.scalar(select(PlanGoal.id).where(PlanGoal.id == data["goal_id"],
                                                                  PlanGoal.plan_id == task.plan_id)) is None:
        errors["goal_id"] = ["このケースの支援プランの目標を指定してください。"]
    if errors:
        raise validation_problem(errors)
    for key in ("title", "description", "due_on", "worker_id", "goal_id"):
        if key in data:
            setattr(task, key, data[key])
    if "description" in data:
        task.created_by_org_id = actor.org_id  # the description's author decides who reads it without a basis
    _flush_or_conflict()
    touch_case(case)
    trail.record(s, action="tasks.update", resource_type="tasks", resource_id=task.id, actor=actor,
                 detail={"case_id": str(case.id), "changed": sorted(data)})
    return task


def transition_task(case: Case, task: PlanTask, to: str, *, result_note: str | None, actor) -> PlanTask:
    """open → in_progress → done | cancelled. Done and cancelled carry a result note (fed back to the plan)."""
    s = db.session()
    if actor.org_id not in (task.owner_org_id, case.owner_org_id):
        raise Problem(403, detail="タスクの状態は担当組織かケースの主担当組織のみ変更できます。", type_="forbidden")
    allowed = TASK_TRANSITIONS[task.status]
    if to not in allowed:
        raise Problem(409, detail=f"「{TASK_STATUSES[task.status]}」から「{TASK_STATUSES.get(to, to)}」へは変更できません。",
                      type_="illegal-transition", current_status=task.status, allowed=list(allowed))
    if to in ("done", "cancelled"):
        if not result_note:
            raise validation_problem({"result_note": ["完了・取消には結果（result_note）の記録が必要です。"]})
    elif result_note:
        raise validation_problem({"result_note": ["結果は完了・取消のときに記録します。"]})
    now = utcnow()
    previous = task.status
    task.status = to
    if to == "in_progress":
        task.started_at = now
    else:
        task.finished_at = now
        task.result_note, task.result_by_org_id, task.result_by_user_id = result_note, actor.org_id, actor.id
    _flush_or_conflict()
    touch_case(case, now)
    if to == "cancelled":
        _end_task_involvement_if_idle(case, task.owner_org_id, now)
    trail.record(s, action="tasks.transition", resource_type="tasks", resource_id=task.id, actor=actor,
                 detail={"case_id": str(case.id), "from": previous, "to": to})
    return task


def _end_task_involvement_if_idle(case: Case, org_id: uuid.UUID, now) -> None:
    """An organisation whose every task on the case was cancelled no longer holds a role in it."""
    s = db.session()
    remaining = s.scalar(select(PlanTask.id).where(PlanTask.case_id == case.id, PlanTask.owner_org_id == org_id,
                                                   PlanTask.status != "cancelled").limit(1))
    if remaining is not None:
        return
    for inv in s.scalars(select(CaseInvolvement).where(
            CaseInvolvement.case_id == case.id, CaseInvolvement.org_id == org_id, CaseInvolvement.relation == "task",
            CaseInvolvement.until.is_(None))):
        inv.until = now


def own_tasks_query(viewer: Viewer, filters: dict):
    """Tasks owned by the viewer's organisation (its to-do list), by due date."""
    stmt = select(PlanTask).where(PlanTask.owner_org_id == viewer.org_id,
                                  PlanTask.case_id.in_(visible_case_ids(viewer)))
    if filters.get("status"):
        stmt = stmt.where(PlanTask.status.in_(filters["status"]))
    if filters.get("worker_id"):
        stmt = stmt.where(PlanTask.worker_id == filters["worker_id"])
    if filters.get("case_id"):
        stmt = stmt.where(PlanTask.case_id == filters["case_id"])
    return stmt.order_by(PlanTask.due_on, PlanTask.created_at, PlanTask.id)


# --- role agreement ---------------------------------------------------------------------------

def record_agreement(case: Case, *, actor) -> PlanAgreement:
    """The actor's organisation agrees to its current role(s) in the plan."""
    s = db.session()
    _require_open_case(case)
    plan = require_plan(case)
    count = s.scalar(select(func.count()).select_from(PlanTask).where(
        PlanTask.plan_id == plan.id, PlanTask.owner_org_id == actor.org_id, PlanTask.status != "cancelled"))
    if not count:
        raise Problem(409, detail="この組織が担当するタスクがないため、役割への合意は記録できません。", type_="no-role")
    agreement = PlanAgreement(plan_id=plan.id, org_id=actor.org_id, user_id=actor.id, task_count=count)
    s.add(agreement)
    s.flush()
    trail.record(s, action="plans.agree", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"plan_id": str(plan.id), "tasks": count})
    return agreement


# --- the stage guard --------------------------------------------------------------------------

def support_readiness_problem(case: Case) -> str | None:
    """Why the case cannot move to support yet, or None: it needs a current plan with at least one
    (not cancelled) task owned by some organisation. Going back to assessment keeps the plan."""
    plan = get_plan(case)
    if plan is None:
        return ("支援プランがありません。「役割分担・協働による支援」に進むには、支援プランを作成し、"
                "担当組織を決めたタスクを1件以上登録してください。")
    has_task = db.session().scalar(select(PlanTask.id).where(PlanTask.plan_id == plan.id,
                                                             PlanTask.status != "cancelled").limit(1))
    if has_task is None:
        return ("支援プランに担当組織のあるタスクがありません。「役割分担・協働による支援」に進むには、"
                "担当組織を決めたタスクを1件以上登録してください。")
    return None


# --- what the viewer may read -----------------------------------------------------------------

def notes_bases(viewer: Viewer, cases: list[Case]) -> dict[uuid.UUID, str | None]:
    """The case_notes basis per case, for a whole page: one set-wise query for the named persons; anonymous
    cases fall back to the sharing engine's owner / 支援会議 rule."""
    s = db.session()
    person_ids = {c.primary_person_id for c in cases if c.primary_person_id}
    collectors = dict(s.execute(select(Person.id, Person.collected_by_org_id)
                                .where(Person.id.in_(person_ids))).all()) if person_ids else {}
    bases = bases_for_persons(viewer, collectors) if collectors else {}
    out = {}
    for case in cases:
        primary = bases.get(case.primary_person_id) if case.primary_person_id else None
        out[case.id] = case_notes_basis(viewer, case, primary)
    return out


@dataclass
class NotesAccess:
    """Decides, field by field, whether narrative text of one case reaches the viewer, and logs it."""

    viewer: Viewer
    case: Case
    basis: str | None
    log: DisclosureLog

    def show(self, text: str | None, author_org_id) -> tuple[str | None, bool]:
        """(text or None, withheld?)"""
        if not text:
            return text, False
        if author_org_id == self.viewer.org_id:
            self._log("own_collection")
            return text, False
        if self.basis:
            self._log(self.basis)
            return text, False
        return None, True

    def _log(self, basis: str) -> None:
        if self.case.primary_person_id:
            self.log.add(self.case.primary_person_id, basis, "case_notes")


def access_for(viewer: Viewer, case: Case, log: DisclosureLog | None = None) -> NotesAccess:
    return NotesAccess(viewer, case, notes_bases(viewer, [case])[case.id], log or DisclosureLog())



def _risk(code: str | None) -> dict:
    return {"risk_level": code, "risk_label": RISK_LEVELS.get(code) if code else None}


def present_assessments(access: NotesAccess, assessments: list[Assessment]) -> list[dict]:
    """Structure for every viewer; narrative text per `access`."""
    s = db.session()
    current = current_assessment(access.case)
    ids = [a.id for a in assessments]
    contributions = defaultdict(list)
    if ids:
        for c in s.scalars(select(AssessmentContribution).where(AssessmentContribution.assessment_id.in_(ids))
                           .order_by(AssessmentContribution.created_at, AssessmentContribution.id)):
            contributions[c.assessment_id].append(c)
    orgs = org_refs({a.created_by_org_id for a in assessments} |
                    {c.org_id for cs in contributions.values() for c in cs})
    order = list(LIFE_DOMAINS)
    out = []
    for a in assessments:
        author = a.created_by_org_id
        withheld = False
        domains = []
        for row in sorted(a.domain_rows, key=lambda r: order.index(r.domain) if r.domain in order else 99):
            note, hidden = access.show(row.note, author)
            withheld |= hidden
            domains.append({"domain": row.domain, "label": LIFE_DOMAINS.get(row.domain, row.domain),
                            **_risk(row.risk_level), "note": note, "note_withheld": hidden})
        item = {"id": a.id, "case_id": a.case_id, "version_no": a.version_no,
                "current": current is not None and current.id == a.id, "assessed_on": a.assessed_on,
                "created_at": a.created_at, "author_org": orgs.get(author), "domains": domains,
                "issue_codes": [x for x in a.issue_codes.split(",") if x]}
        for key in ("strengths", "wishes", "issues_note"):
            item[key], hidden = access.show(getattr(a, key), author)
            withheld |= hidden
        goal_list = json.loads(a.goals or "[]")
        goals, hidden = access.show(a.goals if goal_list else None, author)
        item["goals"] = None if hidden else goal_list
        withheld |= hidden
        item["text_withheld"] = withheld
        item["contributions"] = []
        for c in contributions.get(a.id, []):
            note, hidden = access.show(c.note, c.org_id)
            item["contributions"].append({
                "id": c.id, "org": orgs.get(c.org_id), "domain": c.domain,
                "domain_label": LIFE_DOMAINS.get(c.domain) if c.domain else None, **_risk(c.risk_level),
                "note": note, "note_withheld": hidden, "created_at": c.created_at})
        out.append(item)
    return out


def present_task(task: PlanTask, access: NotesAccess, orgs: dict, users: dict, today: date | None = None,
                 case_number: str | None = None) -> dict:
    """A task: its owner organisation sees what to do; its narrative (description, result) is case_notes."""
    today = today or today_tokyo()
    v = access.viewer
    if task.owner_org_id == v.org_id:
        title, title_hidden = task.title, False  # the organisation's own assignment
    else:
        title, title_hidden = access.show(task.title, task.created_by_org_id)
    description, desc_hidden = access.show(task.description, task.created_by_org_id)
    result, result_hidden = access.show(task.result_note, task.result_by_org_id)
    worker = users.get(task.worker_id)
    overdue = task.status in LIVE_TASK_STATUSES and task.due_on < today
    mine = v.org_id in (task.owner_org_id, access.case.owner_org_id)
    return {
        "id": task.id, "case_id": task.case_id, "case_number": case_number or access.case.case_number,
        "plan_id": task.plan_id, "goal_id": task.goal_id, "owner_org": orgs.get(task.owner_org_id),
        "worker": {k: worker[k] for k in ("id", "display_name", "active")} if worker else None,
        "title": title, "title_withheld": title_hidden,
        "description": description, "description_withheld": desc_hidden,
        "result_note": result, "result_withheld": result_hidden,
        "status": task.status, "status_label": TASK_STATUSES[task.status], "due_on": task.due_on,
        "overdue": overdue, "days_overdue": (today - task.due_on).days if overdue else 0,
        "allowed_transitions": list(TASK_TRANSITIONS[task.status]) if mine else [],
        "source": task.source, "created_at": task.created_at, "updated_at": task.updated_at,
        "started_at": task.started_at, "finished_at": task.finished_at, "version": task.version,
    }


def present_plan(access: NotesAccess, plan: SupportPlan) -> dict:
    """The plan outline for everyone who sees the case; text per `access`; every task (others' in outline)."""
    s = db.session()
    goals = list(s.scalars(select(PlanGoal).where(PlanGoal.plan_id == plan.id)
                           .order_by(PlanGoal.position, PlanGoal.id)))
    tasks = list(s.scalars(select(PlanTask).where(PlanTask.plan_id == plan.id)
                           .order_by(PlanTask.due_on, PlanTask.created_at, PlanTask.id)))
    agreements = list(s.scalars(select(PlanAgreement).where(PlanAgreement.plan_id == plan.id)
                                .order_by(PlanAgreement.agreed_at, PlanAgreement.id)))
    orgs = org_refs({t.owner_org_id for t in tasks} | {a.org_id for a in agreements} | {plan.created_by_org_id})
    users = user_refs({t.worker_id for t in tasks} | {a.user_id for a in agreements})
    assessment = s.get(Assessment, plan.assessment_id) if plan.assessment_id else None
    policy, policy_hidden = access.show(plan.policy, plan.policy_by_org_id)
    goal_items = []
    for g in goals:
        text, hidden = access.show(g.text, g.created_by_org_id)
        goal_items.append({"id": g.id, "position": g.position, "text": text, "text_withheld": hidden,
                           "status": g.status, "status_label": GOAL_STATUSES.get(g.status),
                           "assessment_id": g.assessment_id})
    today = today_tokyo()
    task_items = [present_task(t, access, orgs, users, today) for t in tasks]
    roles = []
    by_org: dict[uuid.UUID, list[PlanTask]] = defaultdict(list)
    for t in tasks:
        if t.status != "cancelled":
            by_org[t.owner_org_id].append(t)
    latest_agreement = {a.org_id: a for a in agreements}  # ordered by time: the last one wins
    for org_id, org_tasks in sorted(by_org.items(), key=lambda kv: (orgs[kv[0]]["code"], str(kv[0]))):
        last_assigned = max(t.created_at for t in org_tasks)
        a = latest_agreement.get(org_id)
        counts = {st: sum(1 for t in org_tasks if t.status == st) for st in TASK_STATUSES if st != "cancelled"}
        roles.append({
            "org": orgs[org_id], "tasks": counts,
            "agreed": a is not None and a.agreed_at >= last_assigned,
            "agreed_at": a.agreed_at if a else None,
            "agreed_by": users.get(a.user_id, {}).get("display_name") if a and org_id == access.viewer.org_id else None,
            "needs_reconfirmation": a is not None and a.agreed_at < last_assigned,
        })
    counts = {st: sum(1 for t in tasks if t.status == st) for st in TASK_STATUSES}
    return {
        "id": plan.id, "case_id": plan.case_id, "version": plan.version,
        "assessment": {"id": assessment.id, "version_no": assessment.version_no} if assessment else None,
        "review_on": plan.review_on, "policy": policy, "policy_withheld": policy_hidden,
        "created_by_org": orgs.get(plan.created_by_org_id), "created_at": plan.created_at,
        "updated_at": plan.updated_at, "goals": goal_items, "tasks": task_items, "task_counts": counts,
        "roles": roles, "all_roles_agreed": bool(roles) and all(r["agreed"] for r in roles),
        "ready_for_support": any(t.status != "cancelled" for t in tasks),
    }
