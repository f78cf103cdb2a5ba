"""Joint assessments (課題と対応策の詳細検討): numbered versions per case, life domains with risk levels, other
organisations' contributions. Never edited: a new version supersedes.

Support → results → assessment (the Kumamoto table's loop, docs/assessment-loop.md): a new version cites the plan
results it was based on -- the case's tasks finished (done or cancelled, each with its result note) and not yet
cited by an earlier version. By default it cites all of them; `based_on_task_ids` names exactly which (an empty
list: none), each of them one of that set, else 422 on the field. A task is cited by one version only."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from caseflow.access import trail
from caseflow.cases.models import Case
from caseflow.cases.rules import today_tokyo, touch_case
from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.errors import Problem, validation_problem
from caseflow.plans.guards import NOT_FOUND, require_involved
from caseflow.plans.models import (
    FINISHED_TASK_STATUSES,
    LIFE_DOMAINS,
    RISK_LEVELS,
    Assessment,
    AssessmentContribution,
    AssessmentDomain,
    AssessmentResult,
    PlanTask,
)


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


def uncited_results(case: Case) -> list[PlanTask]:
    """The case's tasks finished (done or cancelled) and not yet cited by a version: what the next version is
    based on. Oldest finished first."""
    cited = select(AssessmentResult.task_id).where(AssessmentResult.case_id == case.id)
    return list(db.session().scalars(
        select(PlanTask).where(PlanTask.case_id == case.id, PlanTask.status.in_(FINISHED_TASK_STATUSES),
                               PlanTask.id.not_in(cited))
        .order_by(PlanTask.finished_at, PlanTask.id)))


def _results_to_cite(case: Case, requested: list[uuid.UUID] | None) -> list[PlanTask]:
    """All uncited results, or exactly the requested ones (each must be one of them: 422 on the field
    otherwise, the same words for another case's task, an unfinished one, an unknown id or one already cited)."""
    eligible = uncited_results(case)
    if requested is None:
        return eligible
    by_id = {t.id: t for t in eligible}
    wrong = [str(i) for i in dict.fromkeys(requested) if i not in by_id]
    if wrong:
        raise validation_problem({"based_on_task_ids": [
            "このケースで前回の版以降に終了した（完了・取消の）タスクで、まだどの版にも引用されていないものを"
            f"指定してください: {', '.join(wrong)}"]})
    return [by_id[i] for i in dict.fromkeys(requested)]


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
    results = _results_to_cite(case, data.get("based_on_task_ids"))
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
            s.add_all(AssessmentResult(assessment_id=a.id, case_id=case.id, task_id=t.id, owner_org_id=t.owner_org_id,
                                       task_status=t.status, finished_at=t.finished_at or t.updated_at) for t in results)
            s.flush()
    except IntegrityError:  # another organisation wrote the same version number (or cited the same task) first
        raise Problem(409, detail="同時に別のアセスメントが記録されました。最新版を確認してからやり直してください。",
                      type_="stale-version") from None
    trail.record(s, action="assessments.create", resource_type="cases", resource_id=case.id, actor=actor,
                 detail={"assessment_id": str(a.id), "version_no": a.version_no,
                         "domains": sorted(e["domain"] for e in domains),
                         "based_on_task_ids": [str(t.id) for t in results]})
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
