"""Joint assessment, the support plan and its tasks, and the follow-up lists (stages 3 and 4)."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user
from sqlalchemy import select

from caseflow.access.authz import requires
from caseflow.access.disclosure import DisclosureLog
from caseflow.access.refs import org_refs, user_refs
from caseflow.access.requests import etag, record_read, require_if_match, viewer
from caseflow.cases import rules as case_domain
from caseflow.cases.models import Case
from caseflow.cases.rules import today_tokyo
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem
from caseflow.core.pagination import paginate
from caseflow.core.schemas import EmptySchema, PageArgs
from caseflow.plans import assessments as assessments
from caseflow.plans import followup
from caseflow.plans import rules as plan_rules
from caseflow.plans import tasks as tasks
from caseflow.plans import views as plan_views
from caseflow.plans.schemas import (
    AgreementOutSchema,
    AssessmentInSchema,
    AssessmentOutSchema,
    AssessmentPageSchema,
    ContributionInSchema,
    GoalInSchema,
    GoalUpdateSchema,
    OverdueQuerySchema,
    PlanInSchema,
    PlanOutSchema,
    PlanResultsOutSchema,
    PlanUpdateSchema,
    StalePageSchema,
    StaleQuerySchema,
    TaskInSchema,
    TaskOutSchema,
    TaskPageSchema,
    TaskQuerySchema,
    TaskTransitionSchema,
    TaskUpdateSchema,
    UnownedPageSchema,
    UnownedQuerySchema,
)
from caseflow.plans.views import NotesAccess, access_for, notes_bases

blp = Blueprint("plans", __name__, url_prefix="/api/v1/cases",
                description="Joint assessment (課題と対応策の詳細検討) and the support plan (役割分担・協働による支援)")
tasks_blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks",
                      description="Plan tasks: what each organisation does, by when, and the result")
followup_blp = Blueprint("followup", __name__, url_prefix="/api/v1/followup",
                         description="Follow-up lists: overdue tasks, cases without progress, cases without an owner")


# --- assessments ------------------------------------------------------------------------------

def _assessment_response(case, assessments, action="assessments.read"):
    access = access_for(viewer(), case)
    items = plan_views.present_assessments(access, assessments)
    record_read(action, "cases", case.id, access.log, detail={"assessments": [str(a.id) for a in assessments]})
    return items


@blp.route("/<uuid:case_id>/assessments")
@requires("plans", "read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, AssessmentPageSchema)
def list_assessments(args, case_id):
    """Every assessment version of the case, newest (current) first. Text needs a case_notes basis or
    authorship by the caller's organisation; domains, risk levels and dates are always shown."""
    case = case_domain.get_visible_case(viewer(), case_id)
    page = paginate(assessments.assessments_query(case), args["limit"], args["offset"])
    return {**page, "items": _assessment_response(case, page["items"])}


@blp.route("/<uuid:case_id>/assessments", methods=["POST"])
@requires("plans", "manage")
@blp.arguments(AssessmentInSchema)
@blp.response(201, AssessmentOutSchema)
def create_assessment(body, case_id):
    """Record a new assessment version (organisations working on the case); it becomes current."""
    case = case_domain.get_visible_case(viewer(), case_id)
    a = assessments.create_assessment(case, body, actor=current_user)
    return _assessment_response(case, [a])[0]


@blp.route("/<uuid:case_id>/assessments/current")
@requires("plans", "read")
@blp.response(200, AssessmentOutSchema)
def current_assessment(case_id):
    """The current (latest) assessment version."""
    case = case_domain.get_visible_case(viewer(), case_id)
    a = assessments.current_assessment(case)
    if a is None:
        raise Problem(404, detail="このケースにはまだアセスメントがありません。")
    return _assessment_response(case, [a])[0]


@blp.route("/<uuid:case_id>/assessments/<uuid:assessment_id>")
@requires("plans", "read")
@blp.response(200, AssessmentOutSchema)
def get_assessment(case_id, assessment_id):
    """One assessment version (earlier versions stay readable)."""
    case = case_domain.get_visible_case(viewer(), case_id)
    return _assessment_response(case, [assessments.get_assessment(case, assessment_id)])[0]


@blp.route("/<uuid:case_id>/assessments/<uuid:assessment_id>/contributions", methods=["POST"])
@requires("plans", "manage")
@blp.arguments(ContributionInSchema)
@blp.response(201, AssessmentOutSchema)
def add_contribution(body, case_id, assessment_id):
    """Add the caller's organisation's view (optionally on one life domain) to the current version."""
    case = case_domain.get_visible_case(viewer(), case_id)
    a = assessments.get_assessment(case, assessment_id)
    assessments.add_contribution(case, a, body, actor=current_user)
    return _assessment_response(case, [a])[0]


# --- the plan ---------------------------------------------------------------------------------

def _plan_response(case, plan, status=200):
    db.session().flush()
    access = access_for(viewer(), case)
    data = plan_views.present_plan(access, plan)
    record_read("plans.read", "cases", case.id, access.log, detail={"plan_id": str(plan.id)})
    return data, status, etag(plan.version)


@blp.route("/<uuid:case_id>/plan")
@requires("plans", "read")
@blp.response(200, PlanOutSchema)
def get_plan(case_id):
    """The support plan: goals, every task (others' in outline), which organisations agreed to their roles."""
    case = case_domain.get_visible_case(viewer(), case_id)
    return _plan_response(case, plan_rules.require_plan(case))


@blp.route("/<uuid:case_id>/plan/results")
@requires("plans", "read")
@blp.response(200, PlanResultsOutSchema)
def plan_results(case_id):
    """Per goal, what each organisation did (finished tasks and result notes) and what the next assessment concluded."""
    case = case_domain.get_visible_case(viewer(), case_id)
    plan = plan_rules.require_plan(case)
    access = access_for(viewer(), case)
    data = plan_views.present_plan_results(access, plan)
    record_read("plans.results_read", "cases", case.id, access.log,
                detail={"plan_id": str(plan.id), "finished_tasks": data["finished_tasks"]})
    return data


@blp.route("/<uuid:case_id>/plan", methods=["POST"])
@requires("plans", "manage")
@blp.arguments(PlanInSchema)
@blp.response(201, PlanOutSchema)
def create_plan(body, case_id):
    """Create the plan (the case's owner organisation), optionally taking the assessment's agreed goals."""
    case = case_domain.get_visible_case(viewer(), case_id)
    return _plan_response(case, plan_rules.create_plan(case, body, actor=current_user), 201)


@blp.route("/<uuid:case_id>/plan", methods=["PATCH"])
@requires("plans", "manage")
@blp.arguments(PlanUpdateSchema)
@blp.response(200, PlanOutSchema)
def update_plan(body, case_id):
    """Change the policy, the review date or the assessment the plan is based on (send If-Match)."""
    case = case_domain.get_visible_case(viewer(), case_id)
    plan = plan_rules.require_plan(case)
    require_if_match(plan.version)
    return _plan_response(case, plan_rules.update_plan(case, plan, body, actor=current_user))


@blp.route("/<uuid:case_id>/plan/goals", methods=["POST"])
@requires("plans", "manage")
@blp.arguments(GoalInSchema)
@blp.response(201, PlanOutSchema)
def add_goal(body, case_id):
    """Add a goal to the plan (creates the plan when there is none)."""
    case = case_domain.get_visible_case(viewer(), case_id)
    plan_rules.add_goal(case, body, actor=current_user)
    return _plan_response(case, plan_rules.require_plan(case), 201)


@blp.route("/<uuid:case_id>/plan/goals/<uuid:goal_id>", methods=["PATCH"])
@requires("plans", "manage")
@blp.arguments(GoalUpdateSchema)
@blp.response(200, PlanOutSchema)
def update_goal(body, case_id, goal_id):
    """Reword a goal or mark it achieved / dropped."""
    case = case_domain.get_visible_case(viewer(), case_id)
    plan_rules.update_goal(case, goal_id, body, actor=current_user)
    return _plan_response(case, plan_rules.require_plan(case))


@blp.route("/<uuid:case_id>/plan/tasks", methods=["POST"])
@requires("plans", "manage")
@blp.arguments(TaskInSchema)
@blp.response(201, TaskOutSchema)
def create_task(body, case_id):
    """Assign a task to an organisation (and optionally one of its workers) with a due date. The
    organisation becomes involved in the case. Creates the plan when there is none."""
    case = case_domain.get_visible_case(viewer(), case_id)
    task = tasks.create_task(case, body, actor=current_user)
    return _task_response(case, task, 201)


@blp.route("/<uuid:case_id>/plan/agreements", methods=["POST"])
@requires("plans", "manage")
@blp.arguments(EmptySchema, required=False)
@blp.response(201, AgreementOutSchema)
def agree_to_roles(_body, case_id):
    """The caller's organisation agrees to its role(s) in the plan (it must own a task)."""
    case = case_domain.get_visible_case(viewer(), case_id)
    a = plan_rules.record_agreement(case, actor=current_user)
    return {"id": a.id, "plan_id": a.plan_id, "org": org_refs([a.org_id])[a.org_id], "task_count": a.task_count,
            "agreed_at": a.agreed_at}


# --- tasks ------------------------------------------------------------------------------------

def _task_response(case, task, status=200):
    db.session().flush()
    access = access_for(viewer(), case)
    data = plan_views.present_task(task, access, org_refs([task.owner_org_id]), user_refs([task.worker_id]))
    record_read("tasks.read", "tasks", task.id, access.log, detail={"case_id": str(case.id)})
    return data, status, etag(task.version)


def _present_task_page(tasks, action: str) -> list[dict]:
    """A page of tasks across cases: bases set-wise for the page, one audit event for the page."""
    v = viewer()
    s = db.session()
    case_ids = {t.case_id for t in tasks}
    cases = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(case_ids)))} if case_ids else {}
    bases = notes_bases(v, list(cases.values()))
    log = DisclosureLog()
    orgs = org_refs({t.owner_org_id for t in tasks})
    users = user_refs({t.worker_id for t in tasks})
    today = today_tokyo()
    items = [plan_views.present_task(t, NotesAccess(v, cases[t.case_id], bases[t.case_id], log), orgs, users, today)
             for t in tasks]
    record_read(action, "tasks", None, log, detail={"count": len(items)})
    return items


@tasks_blp.route("")
@requires("plans", "read")
@tasks_blp.arguments(TaskQuerySchema, location="query")
@tasks_blp.response(200, TaskPageSchema)
def list_own_tasks(args):
    """Tasks owned by the caller's organisation, by due date."""
    page = paginate(tasks.own_tasks_query(viewer(), args), args["limit"], args["offset"])
    return {**page, "items": _present_task_page(page["items"], "tasks.list")}


@tasks_blp.route("/<uuid:task_id>")
@requires("plans", "read")
@tasks_blp.response(200, TaskOutSchema)
def get_task(task_id):
    """One task (404 unless the caller may see its case)."""
    task, case = tasks.get_task(viewer(), task_id)
    return _task_response(case, task)


@tasks_blp.route("/<uuid:task_id>", methods=["PATCH"])
@requires("plans", "manage")
@tasks_blp.arguments(TaskUpdateSchema)
@tasks_blp.response(200, TaskOutSchema)
def update_task(body, task_id):
    """Edit a task (case owner) or assign a worker (the task's organisation). Send If-Match."""
    task, case = tasks.get_task(viewer(), task_id)
    require_if_match(task.version)
    tasks.update_task(case, task, body, actor=current_user)
    return _task_response(case, task)


@tasks_blp.route("/<uuid:task_id>/transitions", methods=["POST"])
@requires("plans", "manage")
@tasks_blp.arguments(TaskTransitionSchema)
@tasks_blp.response(200, TaskOutSchema)
def transition_task(body, task_id):
    """open → in_progress → done | cancelled (an open task may be cancelled); done and cancelled need a
    result note. Illegal moves answer 409 with the allowed ones."""
    task, case = tasks.get_task(viewer(), task_id)
    tasks.transition_task(case, task, body["to"], result_note=body.get("result_note"), actor=current_user)
    return _task_response(case, task)


# --- follow-up --------------------------------------------------------------------------------

def _case_ref(case: Case, orgs: dict, users: dict) -> dict:
    lead = users.get(case.lead_worker_id)
    own = case.owner_org_id == current_user.org_id
    return {"id": case.id, "case_number": case.case_number, "stage": case.stage, "district": case.district_code,
            "urgency": case.urgency, "owner_org": orgs.get(case.owner_org_id),
            "lead_worker": {k: lead[k] for k in ("id", "display_name", "active")} if lead and own else None}


@followup_blp.route("/overdue-tasks")
@requires("plans", "read")
@followup_blp.arguments(OverdueQuerySchema, location="query")
@followup_blp.response(200, TaskPageSchema)
def overdue_tasks(args):
    """Open or in-progress tasks past their due date, on the cases the caller's organisation works on;
    filter by coordinator (`lead_worker_id`), task organisation or worker. Oldest due first."""
    stmt = followup.overdue_tasks_query(today=today_tokyo(), municipality_id=current_user.municipality_id,
                                        org_id=current_user.org_id,
                                        lead_worker_id=args.get("lead_worker_id"),
                                        owner_org_id=args.get("owner_org_id"), worker_id=args.get("worker_id"))
    page = paginate(stmt, args["limit"], args["offset"])
    return {**page, "items": _present_task_page(page["items"], "followup.overdue_tasks")}


@followup_blp.route("/stale-cases")
@requires("plans", "read")
@followup_blp.arguments(StaleQuerySchema, location="query")
@followup_blp.response(200, StalePageSchema)
def stale_cases(args):
    """Cases (not closed) the caller's organisation works on with no progress record and no other
    activity for `days` days (default: FOLLOWUP_STALE_DAYS, 30). Quietest first."""
    days = args.get("days")
    days = followup.default_stale_days(current_app.config) if days is None else days
    now = utcnow()
    stmt = followup.stale_cases_query(days=days, now=now, today=today_tokyo(), municipality_id=current_user.municipality_id,
                                      org_id=current_user.org_id,
                                      lead_worker_id=args.get("lead_worker_id"))
    page = paginate(stmt, args["limit"], args["offset"], scalars=False)
    cases = [row[0] for row in page["items"]]
    orgs = org_refs({c.owner_org_id for c in cases})
    users = user_refs({c.lead_worker_id for c in cases})
    items = [{"case": _case_ref(c, orgs, users), "last_activity_at": c.last_activity_at, "last_progress_on": last,
              "days_without_activity": (now - c.last_activity_at).days} for c, last in page["items"]]
    record_read("followup.stale_cases", "cases", None, DisclosureLog(), detail={"count": len(items), "days": days})
    return {**page, "items": items, "days": days}


@followup_blp.route("/unowned-cases")
@requires("plans", "read")
@followup_blp.arguments(UnownedQuerySchema, location="query")
@followup_blp.response(200, UnownedPageSchema)
def unowned_cases(args):
    """Cases (not closed) the caller's organisation works on whose lead worker is missing, deactivated or
    moved to another organisation, or whose owner organisation was deactivated."""
    stmt = followup.unowned_cases_query(municipality_id=current_user.municipality_id, org_id=current_user.org_id,
                                        lead_worker_id=args.get("lead_worker_id"))
    page = paginate(stmt, args["limit"], args["offset"], scalars=False)
    cases = [row[0] for row in page["items"]]
    orgs = org_refs({c.owner_org_id for c in cases})
    users = user_refs({c.lead_worker_id for c in cases})
    items = [{"case": _case_ref(c, orgs, users), "reason": reason, "reason_label": followup.UNOWNED_REASONS[reason]}
             for c, reason in page["items"]]
    record_read("followup.unowned_cases", "cases", None, DisclosureLog(), detail={"count": len(items)})
    return {**page, "items": items}
