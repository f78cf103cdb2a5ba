"""Joint assessment (課題と対応策の詳細検討) and support plans (支援プラン: 役割分担・協働による支援).

- Assessments are immutable, numbered versions per case; the highest number is current. Organisations
  involved in the case (owner, accepted referral, task) write versions and add contributions to the
  current one.
- A case has one plan, kept through the assessment ⇄ support loop: goals, tasks owned by organisations
  (optionally one of their workers), and each task-owning organisation's agreement to its role.
- The stage guard `assessment -> support` (cases.signals.entering_support) is answered by `support_readiness_problem`.

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

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from caseflow.access import trail
from caseflow.cases import signals
from caseflow.cases.models import Case
from caseflow.cases.rules import today_tokyo, touch_case
from caseflow.core import db
from caseflow.core.errors import Problem, validation_problem
from caseflow.plans.assessments import current_assessment
from caseflow.plans.guards import NOT_FOUND, _flush_or_conflict, _require_open_case, require_case_owner
from caseflow.plans.models import GOAL_STATUSES, Assessment, PlanAgreement, PlanGoal, PlanTask, SupportPlan

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

@signals.entering_support.connect
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


