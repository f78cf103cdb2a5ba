"""Assessments, support plans, tasks and follow-up lists: request validation and response shapes."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.cases.models import STAGES, URGENCIES
from caseflow.core.refs import OrganizationRefSchema, UserRefSchema
from caseflow.core.schemas import Choice, Code, Day, PageArgs, PageMeta, Text, Timestamp
from caseflow.plans.models import FINISHED_TASK_STATUSES, GOAL_STATUSES, LIFE_DOMAINS, RISK_LEVELS, TASK_STATUSES

DOMAIN = validate.OneOf(list(LIFE_DOMAINS), error="未知の生活領域です: {input}（使えるもの: {choices}）")
RISK = validate.OneOf(list(RISK_LEVELS), error="未知のリスク水準です: {input}（使えるもの: {choices}）")
TASK_STATUS = validate.OneOf(list(TASK_STATUSES), error="未知の状態です: {input}（使えるもの: {choices}）")
GOAL_STATUS = validate.OneOf(list(GOAL_STATUSES), error="未知の状態です: {input}（使えるもの: {choices}）")


# --- requests ---------------------------------------------------------------------------------

class AssessmentDomainInSchema(Schema):
    domain = fields.String(required=True, validate=DOMAIN,
                           metadata={"description": ", ".join(f"{k}={v}" for k, v in LIFE_DOMAINS.items())})
    risk_level = fields.String(required=True, validate=RISK,
                               metadata={"description": ", ".join(f"{k}={v}" for k, v in RISK_LEVELS.items())})
    note = Text(max_length=4000, allow_none=True)


class AssessmentInSchema(Schema):
    DOC_RULES = {("domains",): "each life domain once", ("assessed_on",): "not in the future"}

    assessed_on = Day(metadata={"description": "default: today (Japan time)"})
    domains = fields.List(fields.Nested(AssessmentDomainInSchema), load_default=list,
                          validate=validate.Length(max=len(LIFE_DOMAINS)))
    strengths = Text(max_length=10000, allow_none=True, metadata={"description": "世帯の強み"})
    wishes = Text(max_length=10000, allow_none=True, metadata={"description": "本人の意向"})
    issues_note = Text(max_length=10000, allow_none=True, metadata={"description": "課題の整理"})
    issue_codes = fields.List(Code("issue_category"), load_default=list, validate=validate.Length(max=30),
                              metadata={"description": "identified issues (issue_category codes)"})
    goals = fields.List(Text(min_length=1, max_length=500), load_default=list, validate=validate.Length(max=20),
                        metadata={"description": "agreed goals"})
    based_on_version = fields.Integer(validate=validate.Range(min=0),
                                      metadata={"description": "the version you read; 409 if a newer one exists"})
    based_on_task_ids = fields.List(
        fields.UUID(), validate=validate.Length(max=500),
        metadata={"description": "the plan results this version is based on: tasks of the case finished (done or "
                                 "cancelled) and not cited by an earlier version. Default: all of them; [] cites "
                                 "none; any other id is refused (422)."})


class ContributionInSchema(Schema):
    domain = fields.String(validate=DOMAIN, allow_none=True)
    risk_level = fields.String(validate=RISK, allow_none=True)
    note = Text(max_length=4000, allow_none=True)


class PlanInSchema(Schema):
    assessment_id = fields.UUID(metadata={"description": "default: the current assessment"})
    policy = Text(max_length=10000, allow_none=True, metadata={"description": "支援方針"})
    review_on = Day(allow_none=True, metadata={"description": "next review (モニタリング) date"})
    goals = fields.List(Text(min_length=1, max_length=500), load_default=list, validate=validate.Length(max=20))
    goals_from_assessment = fields.Boolean(load_default=False,
                                           metadata={"description": "copy the assessment's agreed goals"})


class PlanUpdateSchema(Schema):
    assessment_id = fields.UUID(allow_none=True)
    policy = Text(max_length=10000, allow_none=True)
    review_on = Day(allow_none=True)


class GoalInSchema(Schema):
    text = Text(required=True, min_length=1, max_length=500)
    assessment_id = fields.UUID(allow_none=True)


class GoalUpdateSchema(Schema):
    text = Text(min_length=1, max_length=500)
    status = fields.String(validate=GOAL_STATUS)


class TaskInSchema(Schema):
    owner_org_id = fields.UUID(required=True)
    title = Text(required=True, min_length=1, max_length=200,
                 metadata={"description": "what to do; keep personal details for `description`"})
    description = Text(max_length=10000, allow_none=True)
    due_on = Day(required=True)
    worker_id = fields.UUID(allow_none=True)
    goal_id = fields.UUID(allow_none=True)
    source = Text(max_length=100, allow_none=True)


class TaskUpdateSchema(Schema):
    title = Text(min_length=1, max_length=200)
    description = Text(max_length=10000, allow_none=True)
    due_on = Day()
    worker_id = fields.UUID(allow_none=True)
    goal_id = fields.UUID(allow_none=True)


class TaskTransitionSchema(Schema):
    DOC_RULES = {("to",): "a status reachable from the current one", ("result_note",): "required with `to` done or cancelled"}

    to = fields.String(required=True, validate=TASK_STATUS)
    result_note = Text(max_length=10000, allow_none=True,
                       metadata={"description": "required for done and cancelled"})


class TaskQuerySchema(PageArgs):
    status = fields.List(fields.String(validate=TASK_STATUS))
    worker_id = fields.UUID()
    case_id = fields.UUID()


class OverdueQuerySchema(PageArgs):
    lead_worker_id = fields.UUID(metadata={"description": "one coordinator's cases"})
    owner_org_id = fields.UUID(metadata={"description": "tasks of one organisation"})
    worker_id = fields.UUID()


class StaleQuerySchema(PageArgs):
    days = fields.Integer(validate=validate.Range(min=0, max=3650),
                          metadata={"description": "no progress record for this many days (default 30)"})
    lead_worker_id = fields.UUID()


class UnownedQuerySchema(PageArgs):
    lead_worker_id = fields.UUID()


# --- responses --------------------------------------------------------------------------------



class AssessmentDomainOutSchema(Schema):
    domain = fields.String()
    label = fields.String()
    risk_level = fields.String()
    risk_label = fields.String()
    note = fields.String(allow_none=True)
    note_withheld = fields.Boolean()


class ContributionOutSchema(Schema):
    id = fields.UUID()
    org = fields.Nested(OrganizationRefSchema, allow_none=True)
    domain = fields.String(allow_none=True)
    domain_label = fields.String(allow_none=True)
    risk_level = fields.String(allow_none=True)
    risk_label = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    note_withheld = fields.Boolean()
    created_at = Timestamp()


class ResultOutSchema(Schema):
    """A finished task as a plan result. Title and result note follow the task's own visibility rules: null and
    *_withheld without a basis (an organisation always sees its own)."""

    task_id = fields.UUID()
    goal_id = fields.UUID(allow_none=True)
    owner_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    status = Choice(FINISHED_TASK_STATUSES, metadata={"description": "done or cancelled"})
    status_label = fields.String()
    finished_at = Timestamp(allow_none=True)
    title = fields.String(allow_none=True)
    title_withheld = fields.Boolean()
    result_note = fields.String(allow_none=True)
    result_withheld = fields.Boolean()
    result_by_org = fields.Nested(OrganizationRefSchema, allow_none=True)


class AssessmentOutSchema(Schema):
    """A version. Text fields are null and `text_withheld` true when the caller has no basis for them."""

    id = fields.UUID()
    case_id = fields.UUID()
    version_no = fields.Integer()
    current = fields.Boolean()
    assessed_on = Day()
    created_at = Timestamp()
    author_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    domains = fields.List(fields.Nested(AssessmentDomainOutSchema))
    issue_codes = fields.List(fields.String())
    strengths = fields.String(allow_none=True)
    wishes = fields.String(allow_none=True)
    issues_note = fields.String(allow_none=True)
    goals = fields.List(fields.String(), allow_none=True)
    text_withheld = fields.Boolean()
    contributions = fields.List(fields.Nested(ContributionOutSchema))
    based_on_results = fields.List(fields.Nested(ResultOutSchema),
                                   metadata={"description": "the plan results (finished tasks) this version cited"})


class AssessmentPageSchema(PageMeta):
    items = fields.List(fields.Nested(AssessmentOutSchema))


class TaskOutSchema(Schema):
    """A task. Others' task titles, descriptions and results are case_notes: null and *_withheld without a basis."""

    id = fields.UUID()
    case_id = fields.UUID()
    case_number = fields.String()
    plan_id = fields.UUID()
    goal_id = fields.UUID(allow_none=True)
    owner_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    worker = fields.Nested(UserRefSchema, allow_none=True)
    title = fields.String(allow_none=True)
    title_withheld = fields.Boolean()
    description = fields.String(allow_none=True)
    description_withheld = fields.Boolean()
    result_note = fields.String(allow_none=True)
    result_withheld = fields.Boolean()
    status = Choice(TASK_STATUSES)
    status_label = fields.String()
    due_on = Day()
    overdue = fields.Boolean()
    days_overdue = fields.Integer()
    allowed_transitions = fields.List(fields.String())
    source = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    started_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)
    version = fields.Integer()


class TaskPageSchema(PageMeta):
    items = fields.List(fields.Nested(TaskOutSchema))


class GoalOutSchema(Schema):
    id = fields.UUID()
    position = fields.Integer()
    text = fields.String(allow_none=True)
    text_withheld = fields.Boolean()
    status = Choice(GOAL_STATUSES)
    status_label = fields.String(allow_none=True)
    assessment_id = fields.UUID(allow_none=True)


class RoleOutSchema(Schema):
    org = fields.Nested(OrganizationRefSchema)
    tasks = fields.Dict(keys=fields.String(), values=fields.Integer(),
                        metadata={"description": "live and done tasks of the organisation by status"})
    agreed = fields.Boolean(metadata={"description": "agreed after its latest task was assigned"})
    agreed_at = Timestamp(allow_none=True)
    agreed_by = fields.String(allow_none=True, metadata={"description": "shown to the organisation itself"})
    needs_reconfirmation = fields.Boolean()


class AssessmentRefSchema(Schema):
    id = fields.UUID()
    version_no = fields.Integer()


class PlanOutSchema(Schema):
    id = fields.UUID()
    case_id = fields.UUID()
    version = fields.Integer()
    assessment = fields.Nested(AssessmentRefSchema, allow_none=True)
    review_on = Day(allow_none=True)
    policy = fields.String(allow_none=True)
    policy_withheld = fields.Boolean()
    created_by_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    goals = fields.List(fields.Nested(GoalOutSchema))
    tasks = fields.List(fields.Nested(TaskOutSchema))
    task_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    roles = fields.List(fields.Nested(RoleOutSchema))
    all_roles_agreed = fields.Boolean()
    ready_for_support = fields.Boolean(metadata={"description": "a task not cancelled exists (the stage guard)"})


class DomainRiskSchema(Schema):
    domain = fields.String()
    label = fields.String()
    risk_level = fields.String()
    risk_label = fields.String()


class ConclusionSchema(Schema):
    """What an assessment version that cited the results concluded: risk levels, 課題の整理 and goals."""

    id = fields.UUID()
    version_no = fields.Integer()
    assessed_on = Day()
    author_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    domains = fields.List(fields.Nested(DomainRiskSchema))
    issues_note = fields.String(allow_none=True)
    goals = fields.List(fields.String(), allow_none=True)
    text_withheld = fields.Boolean()


class CitedResultOutSchema(ResultOutSchema):
    cited_by = fields.Nested(AssessmentRefSchema, allow_none=True,
                             metadata={"description": "the version that cited this result; null until one does"})


class OrgResultsSchema(Schema):
    org = fields.Nested(OrganizationRefSchema)
    results = fields.List(fields.Nested(CitedResultOutSchema))


class GoalResultsSchema(Schema):
    goal = fields.Nested(GoalOutSchema, allow_none=True, metadata={"description": "null: tasks without a goal"})
    organisations = fields.List(fields.Nested(OrgResultsSchema))
    next_assessments = fields.List(fields.Nested(ConclusionSchema))


class PlanResultsOutSchema(Schema):
    plan_id = fields.UUID()
    case_id = fields.UUID()
    goals = fields.List(fields.Nested(GoalResultsSchema))
    finished_tasks = fields.Integer()
    uncited_tasks = fields.Integer(metadata={"description": "finished tasks no version has cited yet"})


class AgreementOutSchema(Schema):
    id = fields.UUID()
    plan_id = fields.UUID()
    org = fields.Nested(OrganizationRefSchema)
    task_count = fields.Integer()
    agreed_at = Timestamp()


class FollowupCaseSchema(Schema):
    """De-identified case facts: no person's data appears in follow-up lists."""

    id = fields.UUID()
    case_number = fields.String()
    stage = Choice(STAGES)
    district = fields.String(allow_none=True)
    urgency = Choice(URGENCIES)
    owner_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    lead_worker = fields.Nested(UserRefSchema, allow_none=True,
                                metadata={"description": "shown to the owner organisation"})


class StaleCaseSchema(Schema):
    case = fields.Nested(FollowupCaseSchema)
    last_activity_at = Timestamp()
    last_progress_on = Day(allow_none=True)
    days_without_activity = fields.Integer()


class StalePageSchema(PageMeta):
    days = fields.Integer()
    items = fields.List(fields.Nested(StaleCaseSchema))


class UnownedCaseSchema(Schema):
    case = fields.Nested(FollowupCaseSchema)
    reason = fields.String()
    reason_label = fields.String()


class UnownedPageSchema(PageMeta):
    items = fields.List(fields.Nested(UnownedCaseSchema))
