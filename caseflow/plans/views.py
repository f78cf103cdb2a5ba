"""Assessments, plans and tasks as each viewer may see them: case notes (assessment text, task descriptions and
results) only on a basis."""
from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from caseflow.access.disclosure import DisclosureLog
from caseflow.access.refs import org_refs, user_refs
from caseflow.access.sharing import Viewer, bases_for_persons, case_notes_basis
from caseflow.cases.models import Case, Person
from caseflow.cases.rules import today_tokyo
from caseflow.core import db
from caseflow.plans.assessments import current_assessment
from caseflow.plans.models import (
    FINISHED_TASK_STATUSES,
    GOAL_STATUSES,
    LIFE_DOMAINS,
    LIVE_TASK_STATUSES,
    RISK_LEVELS,
    TASK_STATUSES,
    TASK_TRANSITIONS,
    Assessment,
    AssessmentContribution,
    AssessmentResult,
    PlanAgreement,
    PlanGoal,
    PlanTask,
    SupportPlan,
)


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


def _task_title(task: PlanTask, access: NotesAccess) -> tuple[str | None, bool]:
    """A task's title: its owner organisation's own assignment, otherwise case_notes like the rest."""
    if task.owner_org_id == access.viewer.org_id:
        return task.title, False
    return access.show(task.title, task.created_by_org_id)


def present_result(task: PlanTask, citation: AssessmentResult | None, access: NotesAccess, orgs: dict) -> dict:
    """A finished task as a plan result: who did it, how it ended, when; title and result note per `access`
    (the task's own visibility rules)."""
    title, title_hidden = _task_title(task, access)
    note, note_hidden = access.show(task.result_note, task.result_by_org_id)
    status = citation.task_status if citation else task.status
    return {"task_id": task.id, "goal_id": task.goal_id,
            "owner_org": orgs.get(citation.owner_org_id if citation else task.owner_org_id),
            "status": status, "status_label": TASK_STATUSES[status],
            "finished_at": citation.finished_at if citation else task.finished_at,
            "title": title, "title_withheld": title_hidden, "result_note": note, "result_withheld": note_hidden,
            "result_by_org": orgs.get(task.result_by_org_id)}


def _citations(assessment_ids: list) -> tuple[dict, dict]:
    """{assessment id: [citation]} and {task id: task} for these versions (two queries)."""
    s = db.session()
    cited: dict[uuid.UUID, list[AssessmentResult]] = defaultdict(list)
    if not assessment_ids:
        return cited, {}
    rows = list(s.scalars(select(AssessmentResult).where(AssessmentResult.assessment_id.in_(assessment_ids))
                          .order_by(AssessmentResult.finished_at, AssessmentResult.task_id)))
    for r in rows:
        cited[r.assessment_id].append(r)
    task_ids = [r.task_id for r in rows]
    tasks = {t.id: t for t in s.scalars(select(PlanTask).where(PlanTask.id.in_(task_ids)))} if task_ids else {}
    return cited, tasks


def present_assessments(access: NotesAccess, assessments: list[Assessment]) -> list[dict]:
    """Structure for every viewer; narrative text per `access`; the plan results each version cited."""
    s = db.session()
    current = current_assessment(access.case)
    ids = [a.id for a in assessments]
    contributions = defaultdict(list)
    if ids:
        for c in s.scalars(select(AssessmentContribution).where(AssessmentContribution.assessment_id.in_(ids))
                           .order_by(AssessmentContribution.created_at, AssessmentContribution.id)):
            contributions[c.assessment_id].append(c)
    cited, cited_tasks = _citations(ids)
    orgs = org_refs({a.created_by_org_id for a in assessments} |
                    {c.org_id for cs in contributions.values() for c in cs} |
                    {r.owner_org_id for rs in cited.values() for r in rs} |
                    {t.result_by_org_id for t in cited_tasks.values() if t.result_by_org_id})
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
        item["based_on_results"] = [present_result(cited_tasks[r.task_id], r, access, orgs)
                                    for r in cited.get(a.id, [])]
        out.append(item)
    return out


def present_task(task: PlanTask, access: NotesAccess, orgs: dict, users: dict, today: date | None = None,
                 case_number: str | None = None) -> dict:
    """A task: its owner organisation sees what to do; its narrative (description, result) is case_notes."""
    today = today or today_tokyo()
    v = access.viewer
    title, title_hidden = _task_title(task, access)
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


def _conclusion(a: Assessment, access: NotesAccess, orgs: dict) -> dict:
    """What a version concluded: its risk levels (structure) and its 課題の整理 and goals (case_notes)."""
    order = list(LIFE_DOMAINS)
    issues_note, note_hidden = access.show(a.issues_note, a.created_by_org_id)
    goal_list = json.loads(a.goals or "[]")
    _goals, goals_hidden = access.show(a.goals if goal_list else None, a.created_by_org_id)
    return {"id": a.id, "version_no": a.version_no, "assessed_on": a.assessed_on, "author_org": orgs.get(a.created_by_org_id),
            "domains": [{"domain": r.domain, "label": LIFE_DOMAINS.get(r.domain, r.domain), **_risk(r.risk_level)}
                        for r in sorted(a.domain_rows, key=lambda r: order.index(r.domain) if r.domain in order else 99)],
            "issues_note": issues_note, "goals": None if goals_hidden else goal_list,
            "text_withheld": note_hidden or goals_hidden}


def present_plan_results(access: NotesAccess, plan: SupportPlan) -> dict:
    """Per goal (and the tasks without one): what each organisation did -- its finished tasks with their result
    notes -- and what the next assessment concluded (the versions that cited those results)."""
    s = db.session()
    goals = list(s.scalars(select(PlanGoal).where(PlanGoal.plan_id == plan.id).order_by(PlanGoal.position, PlanGoal.id)))
    tasks = list(s.scalars(select(PlanTask).where(PlanTask.plan_id == plan.id,
                                                  PlanTask.status.in_(FINISHED_TASK_STATUSES))
                           .order_by(PlanTask.finished_at, PlanTask.id)))
    citations = {r.task_id: r for r in s.scalars(select(AssessmentResult).where(
        AssessmentResult.task_id.in_([t.id for t in tasks])))} if tasks else {}
    assessments = {a.id: a for a in s.scalars(select(Assessment).where(
        Assessment.id.in_({r.assessment_id for r in citations.values()})))} if citations else {}
    orgs = org_refs({t.owner_org_id for t in tasks} | {t.result_by_org_id for t in tasks if t.result_by_org_id} |
                    {a.created_by_org_id for a in assessments.values()})
    conclusions = {a_id: _conclusion(a, access, orgs) for a_id, a in assessments.items()}

    def section(goal_tasks: list[PlanTask]) -> dict:
        by_org: dict[uuid.UUID, list[PlanTask]] = defaultdict(list)
        for t in goal_tasks:
            by_org[t.owner_org_id].append(t)
        organisations = []
        for org_id, org_tasks in sorted(by_org.items(), key=lambda kv: (orgs[kv[0]]["code"], str(kv[0]))):
            items = []
            for t in org_tasks:
                c = citations.get(t.id)
                items.append({**present_result(t, c, access, orgs),
                              "cited_by": {"id": c.assessment_id, "version_no": assessments[c.assessment_id].version_no}
                              if c else None})
            organisations.append({"org": orgs[org_id], "results": items})
        cited_by = sorted({citations[t.id].assessment_id for t in goal_tasks if t.id in citations},
                          key=lambda a_id: assessments[a_id].version_no)
        return {"organisations": organisations, "next_assessments": [conclusions[a] for a in cited_by]}

    goal_ids = {g.id for g in goals}
    out_goals = []
    for g in goals:
        text, hidden = access.show(g.text, g.created_by_org_id)
        out_goals.append({"goal": {"id": g.id, "position": g.position, "text": text, "text_withheld": hidden,
                                   "status": g.status, "status_label": GOAL_STATUSES.get(g.status),
                                   "assessment_id": g.assessment_id},
                          **section([t for t in tasks if t.goal_id == g.id])})
    loose = [t for t in tasks if t.goal_id not in goal_ids]
    if loose:
        out_goals.append({"goal": None, **section(loose)})
    return {"plan_id": plan.id, "case_id": plan.case_id, "goals": out_goals,
            "finished_tasks": len(tasks), "uncited_tasks": sum(1 for t in tasks if t.id not in citations)}
