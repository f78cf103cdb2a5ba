"""Plan tasks: who does what by when; the task owner works on the case while it has live tasks."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from caseflow.access import tenancy, trail
from caseflow.access.sharing import Viewer, visible_case_ids
from caseflow.accounts.models import User
from caseflow.cases.models import Case, CaseInvolvement
from caseflow.cases.rules import get_visible_case, today_tokyo, touch_case
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.organizations.models import Organization
from caseflow.plans.guards import NOT_FOUND, _flush_or_conflict, _require_open_case, require_case_owner
from caseflow.plans.models import LIVE_TASK_STATUSES, TASK_STATUSES, TASK_TRANSITIONS, PlanGoal, PlanTask
from caseflow.plans.rules import _ensure_plan


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

    task = db.session().get(PlanTask, task_id)
    if task is None:
        raise Problem(404, detail=NOT_FOUND)
    return task, get_visible_case(viewer, task.case_id)


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
