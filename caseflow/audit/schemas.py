from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.access.refs import ActorsNamed, actor_field
from caseflow.audit.queries import MAX_REPORT_DAYS
from caseflow.consents.models import CATEGORIES
from caseflow.core.schemas import LIMIT_MAX, Choice, Day, Text, Timestamp

# The trail starts with the platform; Timestamp bounds periods to 2000-2099 (和暦 needs >= 1873).


_SEQ_RANGE = validate.Range(min=0, max=2**62)


class PeriodSchema(Schema):
    DOC_RULES = {("since", "until"): f"`since` before `until` and at most {MAX_REPORT_DAYS} days before it; "
                 "without `until`: now; without `since`: the report's default window before `until`"}

    since = Timestamp(metadata={"description": "from (inclusive), e.g. 2026-04-01T00:00:00+09:00"})
    until = Timestamp(metadata={"description": "to (exclusive)"})


class AuditQuerySchema(PeriodSchema):
    DOC_RULES = {**PeriodSchema.DOC_RULES,
                 ("action",): "an action (cases.read), or an area's every action (cases.*); `*` only at the end",
                 ("legal_basis",): "a basis (consent:<id>) or a kind: own_collection, consent, support_meeting, "
                                   "emergency, none"}

    actor_user_id = fields.UUID()
    actor_org_id = fields.UUID()
    person_id = fields.UUID(metadata={"description": "events that disclosed this person's data"})
    case_id = fields.UUID(metadata={"description": "events about this case (its resource, or detail.case_id)"})
    action = fields.String(validate=validate.Length(max=64),
                           metadata={"description": "exact (cases.read) or every action of an area (cases.*)"})
    resource_type = fields.String(validate=validate.Length(max=64))
    resource_id = fields.String(validate=validate.Length(max=64))
    legal_basis = fields.String(validate=validate.Length(max=80),
                                metadata={"description": "exact (consent:<id>) or a kind: own_collection, consent, "
                                                         "support_meeting, emergency, none"})
    outcome = fields.String(validate=validate.OneOf(["allowed", "denied"]))
    flagged = fields.Boolean()
    reviewed = fields.Boolean(metadata={"description": "only events with (true) or without (false) a review"})
    order = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]),
                          metadata={"description": "asc: oldest first; desc: newest first"})
    after_seq = fields.Integer(validate=_SEQ_RANGE,
                               metadata={"description": "cursor: next_after_seq of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=LIMIT_MAX))


class AuditExportQuerySchema(AuditQuerySchema):
    header = fields.String(load_default="ja", validate=validate.OneOf(["ja", "en"]),
                           metadata={"description": "column headers: ja (default) or en (stable English keys)"})


class DisclosureSchema(Schema):
    """One person's data shown by an event, and the legal basis used."""

    person = fields.UUID(metadata={"description": "the person's id"})
    basis = fields.String(metadata={"description": "the basis used, e.g. own_collection, consent:<consent id>, "
                                                   "support_meeting:<meeting id>"})
    categories = fields.List(Choice(CATEGORIES))
    council = fields.UUID(metadata={"description": "the council of a support_meeting basis"})


class AuditEventSchema(ActorsNamed, Schema):
    ACTORS = {"actor": "actor_user_id"}

    seq = fields.Integer()
    occurred_at = Timestamp()
    actor_user_id = fields.UUID(allow_none=True)
    actor_org_id = fields.UUID(allow_none=True)
    actor = actor_field("who acted (none: the system or the operator)")
    action = fields.String()
    resource_type = fields.String()
    resource_id = fields.String(allow_none=True)
    outcome = fields.String()
    legal_basis = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    flagged = fields.Boolean()
    disclosures = fields.List(fields.Nested(DisclosureSchema), allow_none=True,
                              metadata={"description": "the personal data shown, by person (ids only)"})
    detail = fields.Dict(allow_none=True, metadata={
        "description": "what the action adds, by action (e.g. a transition's from/to, an export's filters): ids and "
                       "codes, never personal data"})
    hash = fields.String()
    reviewed = fields.Boolean()
    reviews = fields.Integer()
    last_reviewed_at = Timestamp(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    next_after_seq = fields.Integer(allow_none=True)


class ReviewCreateSchema(Schema):
    comment = Text(required=True, min_length=1, max_length=4000,
                   metadata={"description": "what was checked and concluded (e.g. the justification was adequate)"})


class ReviewSchema(ActorsNamed, Schema):
    ACTORS = {"reviewer": "reviewer_user_id"}

    id = fields.UUID()
    event_seq = fields.Integer()
    reviewer_user_id = fields.UUID()
    reviewer_org_id = fields.UUID()
    reviewer = actor_field("who reviewed")
    comment = fields.String()
    reviewed_at = Timestamp()


class ReviewListSchema(Schema):
    items = fields.List(fields.Nested(ReviewSchema))


class AuditEventDetailSchema(AuditEventSchema):
    review_list = fields.List(fields.Nested(ReviewSchema), data_key="review_items")


class ActorSchema(Schema):
    actor_user_id = fields.UUID(allow_none=True)
    actor_name = fields.String(allow_none=True)
    actor_email = fields.String(allow_none=True)
    actor_org_id = fields.UUID(allow_none=True)
    actor_org_code = fields.String(allow_none=True)
    actor_org_name = fields.String(allow_none=True)


class BasisGroupSchema(Schema):
    basis = fields.String()
    basis_kind = fields.String()
    basis_label = fields.String()
    disclosures = fields.Integer()
    users = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()
    first_seq = fields.Integer()
    last_seq = fields.Integer()
    categories = fields.List(fields.String())
    actions = fields.Dict(keys=fields.String(), values=fields.Integer())


class OrgDisclosureSchema(Schema):
    org_id = fields.UUID(allow_none=True)
    org_code = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)
    org_kind = fields.String(allow_none=True)
    disclosures = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()
    bases = fields.List(fields.Nested(BasisGroupSchema))


class BasisKindCountSchema(Schema):
    basis_kind = fields.String()
    basis_label = fields.String()
    disclosures = fields.Integer()


class CouncilOrgDisclosureSchema(Schema):
    org_id = fields.UUID(allow_none=True)
    org_name = fields.String(allow_none=True)
    disclosures = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()


class CouncilDisclosureSchema(Schema):
    """What one council (会議体) shared of the person on the 支援会議 basis, and with whom."""

    council_id = fields.UUID()
    council_name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    legal_basis = fields.String()
    meetings = fields.Integer()
    disclosures = fields.Integer()
    organisations = fields.List(fields.Nested(CouncilOrgDisclosureSchema))


class PersonReportSchema(Schema):
    person_id = fields.UUID()
    since = Timestamp(allow_none=True)
    until = Timestamp(allow_none=True)
    total_disclosures = fields.Integer()
    organisations = fields.List(fields.Nested(OrgDisclosureSchema))
    councils = fields.List(fields.Nested(CouncilDisclosureSchema),
                           metadata={"description": "the 支援会議-basis disclosures grouped by council"})
    by_basis_kind = fields.List(fields.Nested(BasisKindCountSchema))
    purged = fields.Boolean(metadata={"description": "the person's personal data was purged (保存年限経過・消去)"})
    purged_at = Timestamp(allow_none=True, metadata={"description": "when it was purged (caseflow.retention)"})
    purged_message = fields.String(allow_none=True)


class ReportBase(Schema):
    kind = fields.String()
    since = Timestamp()
    until = Timestamp()
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    truncated = fields.Boolean()


class GrantUseSchema(Schema):
    events = fields.Integer()
    persons = fields.Integer()


class SupervisorReviewSchema(Schema):
    state = fields.String(metadata={"description": "unreviewed, confirmed, not_confirmed (the latest review)"})
    reviews = fields.Integer()
    last_reviewed_at = Timestamp(allow_none=True)


class EmergencyItemSchema(ActorSchema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    action = fields.String()
    resource_type = fields.String()
    resource_id = fields.String(allow_none=True)
    legal_basis = fields.String(allow_none=True)
    outcome = fields.String()
    reviewed = fields.Boolean()
    reviews = fields.Integer()
    last_reviewed_at = Timestamp(allow_none=True)
    grant_use = fields.Nested(GrantUseSchema, allow_none=True)
    access_id = fields.String(allow_none=True)
    supervisor_review = fields.Nested(SupervisorReviewSchema, allow_none=True, metadata={
        "description": "the case organisation's supervisors' review of the access (beside the auditors' reviews)"})
    patterns = fields.List(fields.String(), metadata={"description": "ids of the repeated-opening patterns the "
                                                                     "access belongs to"})


class PatternOpeningSchema(ActorSchema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    access_id = fields.String(allow_none=True)
    case_id = fields.String(allow_none=True)
    person_id = fields.String(allow_none=True)
    supervisor_review = fields.Nested(SupervisorReviewSchema)


class EmergencyPatternSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "worker (one worker's openings) or person (openings for one "
                                                  "person, by anyone)"})
    user_id = fields.String(allow_none=True)
    person_id = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    first_at = Timestamp()
    last_at = Timestamp()
    count = fields.Integer()
    window_days = fields.Integer()
    min_openings = fields.Integer()
    openings = fields.List(fields.Nested(PatternOpeningSchema))


class EmergencyReportSchema(ReportBase):
    items = fields.List(fields.Nested(EmergencyItemSchema))
    patterns = fields.List(fields.Nested(EmergencyPatternSchema), metadata={
        "description": "repeated break-glass: pattern_rule.min_openings or more openings by one worker or for one "
                       "person within pattern_rule.window_days days, one entry with its openings"})
    pattern_rule = fields.Dict(keys=fields.String(), values=fields.Integer())


class DeniedItemSchema(ActorSchema):
    denied = fields.Integer()
    distinct_actions = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()
    actions = fields.Dict(keys=fields.String(), values=fields.Integer())


class FailedLoginSchema(Schema):
    user_id = fields.UUID(allow_none=True)
    display_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    failures = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()


class DeniedReportSchema(ReportBase):
    min_count = fields.Integer()
    items = fields.List(fields.Nested(DeniedItemSchema))
    failed_logins = fields.List(fields.Nested(FailedLoginSchema))


class BulkItemSchema(ActorSchema):
    since = Timestamp()
    until = Timestamp()
    persons = fields.Integer(metadata={"description": "distinct persons over the whole incident"})
    events = fields.Integer()
    peak_persons = fields.Integer(metadata={"description": "most distinct persons within one window"})
    peak_events = fields.Integer()
    peak_window_start = Timestamp()
    windows = fields.Integer()


class BulkReportSchema(ReportBase):
    threshold = fields.Dict(keys=fields.String(), values=fields.Integer())
    items = fields.List(fields.Nested(BulkItemSchema))


class WorkingHoursSchema(Schema):
    start = fields.String()
    end = fields.String()
    timezone = fields.String()
    weekends_off = fields.Boolean()
    national_holidays = fields.Boolean(metadata={"description": "Japan's national holidays count as closed days"})
    holidays = fields.List(Day(), metadata={"description": "the closed days in the period (national holidays and "
                                                           "those configured or asked for)"})


class AfterHoursUserSchema(ActorSchema):
    events = fields.Integer()
    persons = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()


class AfterHoursReportSchema(ReportBase):
    working_hours = fields.Nested(WorkingHoursSchema)
    personal_data_only = fields.Boolean()
    by_user = fields.List(fields.Nested(AfterHoursUserSchema))
    items = fields.List(fields.Nested(AuditEventSchema))
    next_after_seq = fields.Integer(allow_none=True)


class UninvolvedItemSchema(ActorSchema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    action = fields.String()
    case_id = fields.String()
    involved_until = Timestamp()
    personal_data = fields.Boolean()


class UninvolvedReportSchema(ReportBase):
    items = fields.List(fields.Nested(UninvolvedItemSchema))


class EmergencyQuerySchema(PeriodSchema):
    reviewed = fields.Boolean()
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class DeniedQuerySchema(PeriodSchema):
    min_count = fields.Integer(validate=validate.Range(min=1, max=100000))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class BulkQuerySchema(PeriodSchema):
    persons = fields.Integer(validate=validate.Range(min=1, max=100000),
                             metadata={"description": "more than this many distinct persons …"})
    minutes = fields.Integer(validate=validate.Range(min=1, max=1440), metadata={"description": "… within this window"})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


_HH_MM = validate.Regexp(r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$", error="HH:MM 形式で指定してください（例: 08:30）。")


class AfterHoursQuerySchema(PeriodSchema):
    DOC_RULES = {**PeriodSchema.DOC_RULES, ("work_end",): "after work_start"}

    work_start = fields.String(validate=_HH_MM, metadata={"description": "HH:MM, Japan time"})
    work_end = fields.String(validate=_HH_MM)
    weekends_off = fields.Boolean()
    holidays = fields.List(Day(), metadata={"description": "closed days besides the national holidays (repeat "
                                                           "the parameter)"})
    national_holidays = fields.Boolean(metadata={"description": "count Japan's national holidays as closed days "
                                                                "(default: CASEFLOW_AUDIT_NATIONAL_HOLIDAYS, on)"})
    scope = fields.String(load_default="personal_data", validate=validate.OneOf(["personal_data", "all"]))
    after_seq = fields.Integer(validate=_SEQ_RANGE)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=LIMIT_MAX))


class UninvolvedQuerySchema(PeriodSchema):
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class VerificationRunSchema(Schema):
    id = fields.Integer()
    mode = fields.String()
    ok = fields.Boolean()
    started_at = Timestamp()
    finished_at = Timestamp()
    from_seq = fields.Integer()
    to_seq = fields.Integer()
    to_hash = fields.String()
    checked = fields.Integer()
    first_bad_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)
    seconds = fields.Float()
    events_per_second = fields.Float()
    signature_valid = fields.Boolean()


class SealStatusSchema(Schema):
    seal_no = fields.Integer()
    from_seq = fields.Integer()
    to_seq = fields.Integer()
    sealed_at = Timestamp()
    key_fingerprint = fields.String()
    unsealed_events = fields.Integer()
    signature_valid = fields.Boolean(allow_none=True,
                                     metadata={"description": "null when no trusted public key is configured"})


class VerificationStatusSchema(Schema):
    head_seq = fields.Integer()
    unverified_events = fields.Integer()
    last = fields.Nested(VerificationRunSchema, allow_none=True)
    last_full = fields.Nested(VerificationRunSchema, allow_none=True)
    checkpoint = fields.Nested(VerificationRunSchema, allow_none=True,
                               metadata={"description": "the latest signed successful run"})
    seal = fields.Nested(SealStatusSchema, allow_none=True,
                         metadata={"description": "the latest seal signed with an auditor's key"})


class ConsentFlagItemSchema(ActorSchema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    action = fields.String()
    kind = fields.String(metadata={"description": "self_recipient | revoked_by_other_org"})
    consent_id = fields.String(allow_none=True)
    person_id = fields.String(allow_none=True)
    categories = fields.List(fields.String())
    purpose = fields.String(allow_none=True)
    reviewed = fields.Boolean()
    reviews = fields.Integer()


class ConsentFlagReportSchema(ReportBase):
    items = fields.List(fields.Nested(ConsentFlagItemSchema))


class RoleChangeItemSchema(ActorSchema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    action = fields.String()
    target_user_id = fields.String(allow_none=True)
    target_name = fields.String(allow_none=True)
    roles_before = fields.List(fields.String(), allow_none=True)
    roles_after = fields.List(fields.String(), allow_none=True)
    requested = fields.List(fields.String())
    via = fields.String(allow_none=True)
    org = fields.String(allow_none=True)


class RoleChangeReportSchema(ReportBase):
    items = fields.List(fields.Nested(RoleChangeItemSchema))


class RoleChangeQuerySchema(PeriodSchema):
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))
