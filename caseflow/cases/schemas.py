from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from caseflow.cases.models import (
    CONTACT_PREFERENCES,
    GENDERS,
    HANDOVER_STATES,
    LEAVE_REASONS,
    MEMBER_RELATIONS,
    RELATIONSHIPS,
    STAGES,
    TRANSFER_STATES,
    URGENCIES,
)
from caseflow.core.refs import MunicipalityRefSchema, OrganizationRefSchema, UserRefSchema
from caseflow.core.schemas import Choice, Code, Day, PageArgs, Text, Timestamp, page_of


class SensitiveSchema(Schema):
    """要配慮個人情報, by kind (free text each)."""

    health = Text(max_length=2000)
    disability = Text(max_length=2000)
    abuse = Text(max_length=2000)
    addiction = Text(max_length=2000)
    criminal_history = Text(max_length=2000)
    other = Text(max_length=2000)


class PersonInSchema(Schema):
    DOC_RULES = {("birth_date",): "not in the future"}

    name = Text(max_length=100, allow_none=True)
    name_kana = Text(max_length=100, allow_none=True, metadata={"description": "フリガナ"})
    birth_date = Day(allow_none=True)
    estimated_age = fields.Integer(validate=validate.Range(min=0, max=120), allow_none=True,
                                   metadata={"description": "when the birth date is unknown"})
    gender = fields.String(validate=validate.OneOf(GENDERS), allow_none=True)
    address = Text(max_length=300, allow_none=True,
                   metadata={"description": "the person's own address; empty: the address of their household"})
    phone = Text(max_length=40, allow_none=True)
    email = Text(max_length=254, allow_none=True)
    line_id = Text(max_length=100, allow_none=True)
    contact_preferences = fields.List(fields.String(validate=validate.OneOf(CONTACT_PREFERENCES)),
                                      validate=validate.Length(max=len(CONTACT_PREFERENCES)))
    languages = fields.List(fields.String(validate=validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")),
                            validate=validate.Length(max=10))
    sensitive = fields.Nested(SensitiveSchema)
    notes = Text(max_length=20000, allow_none=True)


class MemberInSchema(Schema):
    DOC_RULES = {("person", "person_id"): "exactly one: a new person, or the id of a person you may use"}

    person = fields.Nested(PersonInSchema)
    person_id = fields.UUID()
    relationship = fields.String(required=True, validate=validate.OneOf(RELATIONSHIPS))
    in_need = fields.Boolean(load_default=False)
    since = Day()


class HouseholdInSchema(Schema):
    address = Text(max_length=300, allow_none=True)
    district = Code("district", allow_none=True)
    members = fields.List(fields.Nested(MemberInSchema), validate=validate.Length(max=30), load_default=list)


class HouseholdUpdateSchema(Schema):
    address = Text(max_length=300, allow_none=True)
    district = Code("district", allow_none=True)


class MemberEndSchema(Schema):
    until = Day(required=True, metadata={"description": "the day the member left"})
    reason_code = fields.String(validate=validate.OneOf(LEAVE_REASONS), allow_none=True, metadata={
        "description": "why: " + ", ".join(LEAVE_REASONS)})
    reason = Text(max_length=2000, allow_none=True, metadata={"description": "why, in words"})


class RelationshipInSchema(Schema):
    DOC_RULES = {("since",): "not in the future"}

    from_person_id = fields.UUID(required=True, metadata={"description": "a current member of the household"})
    to_person_id = fields.UUID(required=True, metadata={"description": "another current member"})
    relation = fields.String(required=True, validate=validate.OneOf(MEMBER_RELATIONS), metadata={
        "description": "from_person is the <relation> of to_person: " + ", ".join(MEMBER_RELATIONS)})
    since = Day(allow_none=True)


class RelationshipEndSchema(Schema):
    until = Day(allow_none=True, metadata={"description": "default: today"})
    reason = Text(required=True, min_length=1, max_length=2000, metadata={"description": "why it ends"})


class PersonNameSchema(Schema):
    id = fields.UUID()
    name = fields.String(allow_none=True)


class RelationshipOutSchema(Schema):
    """A relationship between two members; everything but `id` is withheld (`withheld`, `withheld_reason`)
    unless the caller has an identity basis for both persons."""

    id = fields.UUID()
    withheld = fields.Boolean()
    withheld_reason = fields.String(allow_none=True)
    from_person = fields.Nested(PersonNameSchema)
    to_person = fields.Nested(PersonNameSchema)
    relation = fields.String()
    relation_label = fields.String()
    phrase = fields.String(metadata={"description": "e.g. 「山田 花子は山田 太郎の母」"})
    since = Day(allow_none=True)
    until = Day(allow_none=True)
    end_reason = fields.String(allow_none=True)
    active = fields.Boolean()
    bases = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "from_person / to_person -> the identity basis used"})


class MembershipOutSchema(Schema):
    """A membership of a household, current or past; withheld (`withheld`) without an identity basis for the
    person."""

    member_id = fields.UUID()
    current = fields.Boolean()
    withheld = fields.Boolean()
    withheld_reason = fields.String(allow_none=True)
    household_id = fields.UUID()
    district = fields.String(allow_none=True)
    person_id = fields.UUID()
    name = fields.String(allow_none=True)
    name_kana = fields.String(allow_none=True)
    relationship = fields.String(metadata={"description": "relation to 本人 (as in the household view)"})
    relationship_label = fields.String()
    in_need = fields.Boolean()
    joined_on = Day(allow_none=True)
    left_on = Day(allow_none=True)
    left_reason_code = fields.String(allow_none=True)
    left_reason_label = fields.String(allow_none=True)
    left_reason = fields.String(allow_none=True)
    basis = fields.String()


class HouseholdHistorySchema(Schema):
    household_id = fields.UUID()
    memberships = fields.List(fields.Nested(MembershipOutSchema))
    relationships = fields.List(fields.Nested(RelationshipOutSchema))


class PersonHouseholdsSchema(Schema):
    person_id = fields.UUID()
    withheld = fields.Boolean()
    withheld_reason = fields.String(allow_none=True, metadata={"description": "`no_basis` or `secrecy`"})
    memberships = fields.List(fields.Nested(MembershipOutSchema))
    relationships = fields.List(fields.Nested(RelationshipOutSchema))


class CaseRelationshipsSchema(Schema):
    case_id = fields.UUID()
    household_withheld = fields.String(allow_none=True)
    relationships = fields.List(fields.Nested(RelationshipOutSchema))


class CaseCreateSchema(Schema):
    DOC_EXAMPLE = {
        "intake_channel": "counter", "issues": ["hikikomori"], "urgency": "normal", "opened_on": "2026-04-06",
        "summary": "80代の母と50代の長男の二人世帯。長男は10年以上ひきこもり状態。母の入院を機に民生委員から相談。",
        "household": {"address": "神奈川県鎌倉市○○1-2-3", "members": [
            {"relationship": "self", "in_need": True, "person": {"name": "鎌倉 一郎", "name_kana": "カマクラ イチロウ",
                                                                    "birth_date": "1974-05-10", "gender": "male"}},
            {"relationship": "parent", "person": {"name": "鎌倉 ハナ", "name_kana": "カマクラ ハナ",
                                                  "birth_date": "1944-02-01", "gender": "female"}}]}}
    DOC_RULES = {("household", "household_id", "primary_person_id", "anonymous_label"):
                 "household and household_id exclude each other; a case without a person (an anonymous "
                 "consultation) needs anonymous_label; primary_person_id is a member of the household",
                 ("opened_on",): "not in the future"}

    intake_channel = Code("intake_channel", required=True)
    issues = fields.List(Code("issue_category"), validate=validate.Length(max=30), load_default=list)
    urgency = fields.String(validate=validate.OneOf(URGENCIES), load_default="normal")
    summary = Text(max_length=20000, allow_none=True)
    district = Code("district", allow_none=True)
    opened_on = Day()
    household = fields.Nested(HouseholdInSchema)
    household_id = fields.UUID()
    primary_person_id = fields.UUID()
    anonymous_label = Text(max_length=100, allow_none=True)
    lead_worker_id = fields.UUID()
    contact_id = fields.UUID(metadata={"description": "an anonymous case of an existing contact (相談者) of your "
                                                      "organisation: a further contact; without it, an anonymous "
                                                      "case creates its contact"})

    @validates_schema
    def _one_household(self, data, **_):
        if data.get("household") and data.get("household_id"):
            raise ValidationError("household と household_id は同時に指定できません。", "household_id")


class CaseUpdateSchema(Schema):
    issues = fields.List(Code("issue_category"), validate=validate.Length(max=30))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    summary = Text(max_length=20000, allow_none=True)
    district = Code("district", allow_none=True)
    household_id = fields.UUID()
    primary_person_id = fields.UUID()
    anonymous_label = Text(max_length=100, allow_none=True)
    lead_worker_id = fields.UUID()


class TransitionSchema(Schema):
    DOC_EXAMPLE = {"to": "referral", "reason": "就労と家計の課題があり、生活困窮者自立相談支援機関につなぐため"}

    DOC_RULES = {("to",): "one of the steps allowed from the current stage (409 illegal-transition otherwise)",
                 ("closure_reason",): "required when `to` is closed",
                 ("reason",): "required to reopen a closed case"}

    to = fields.String(required=True, validate=validate.OneOf(STAGES))
    reason = Text(max_length=2000, allow_none=True)
    closure_reason = Code("closure_reason", allow_none=True)


class CaseQuerySchema(PageArgs):
    stage = fields.List(fields.String(validate=validate.OneOf(STAGES)))
    issue = fields.List(Code("issue_category"))
    district = fields.List(Code("district"))
    urgency = fields.List(fields.String(validate=validate.OneOf(URGENCIES)))
    owner_org_id = fields.UUID()
    lead_worker_id = fields.UUID()
    opened_from = Day()
    opened_to = Day()
    q = Text(max_length=100, metadata={"description": "case number, or name / reading (kana-insensitive)"})


class PersonOutSchema(Schema):
    """A person as the caller may see it: absent fields are withheld (see `withheld` and `bases`)."""

    id = fields.UUID()
    redacted = fields.Boolean()
    withheld = fields.List(fields.String())
    withheld_reasons = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "withheld category -> why: `no_basis`, or `secrecy` (a 秘匿決定 that does not name the "
                       "caller's organisation: address, contact and household are withheld whatever the basis)"})
    bases = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "category -> legal basis of what is shown"})
    age_band = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    is_primary = fields.Boolean()
    relationship = fields.String(allow_none=True)
    relationship_label = fields.String(allow_none=True)
    in_need = fields.Boolean()
    member_id = fields.UUID(metadata={"description": "household membership id (household views)"})
    name = fields.String(allow_none=True)
    name_kana = fields.String(allow_none=True)
    birth_date = Day(allow_none=True)
    gender = fields.String(allow_none=True)
    address = fields.String(allow_none=True, metadata={"description": "own address, else the household's"})
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    line_id = fields.String(allow_none=True)
    contact_preferences = fields.List(fields.String())
    sensitive = fields.Dict(keys=fields.String(), values=fields.String())
    notes = fields.String(allow_none=True)
    version = fields.Integer()


class PrimaryPersonRefSchema(Schema):
    id = fields.UUID()
    redacted = fields.Boolean()
    name = fields.String(allow_none=True)
    name_kana = fields.String(allow_none=True)


class LeadWorkerSchema(Schema):
    id = fields.UUID()
    display_name = fields.String()
    active = fields.Boolean()


class CaseItemSchema(Schema):
    id = fields.UUID()
    case_number = fields.String()
    stage = Choice(STAGES)
    issues = fields.List(Code("issue_category"))
    district = Code("district", allow_none=True)
    urgency = Choice(URGENCIES)
    intake_channel = Code("intake_channel")
    owner_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    opened_on = Day()
    updated_at = Timestamp()
    version = fields.Integer()
    relation = fields.List(fields.String())
    anonymous_label = fields.String(allow_none=True)
    age_band = fields.String(allow_none=True)
    primary_person = fields.Nested(PrimaryPersonRefSchema, allow_none=True)


class HouseholdRefSchema(Schema):
    id = fields.UUID()
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    address_withheld = fields.Boolean()
    version = fields.Integer()


class CaseDetailSchema(CaseItemSchema):
    DOC_EXAMPLE = {
        "id": "0d6f4f8e-3c41-4f7b-8a4e-9b8f5f0e2a11", "case_number": "KMK-2026-0042", "stage": "intake",
        "issues": ["hikikomori"], "district": "ofuna", "urgency": "normal", "intake_channel": "counter",
        "owner_org": {"id": "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "code": "kmk-chiiki", "name": "鎌倉市 地域共生課",
                      "kind": "department"},
        "summary": "80代の母と50代の長男の二人世帯。", "summary_withheld": False, "persons": [],
        "lead_worker": {"id": "3f2e1d0c-9b8a-4765-8432-10fedcba9876", "display_name": "佐藤 花子", "active": True},
        "closure_reason": None, "created_at": "2026-04-06T10:15:00+09:00"}

    summary = fields.String(allow_none=True)
    summary_withheld = fields.Boolean()
    persons = fields.List(fields.Nested(PersonOutSchema))
    household = fields.Nested(HouseholdRefSchema, allow_none=True)
    household_withheld = fields.String(allow_none=True, metadata={
        "description": "`secrecy` when the household is withheld because the primary person is secret (秘匿)"})
    lead_worker = fields.Nested(LeadWorkerSchema, allow_none=True, metadata={
        "description": "the lead worker (主担当者), shown to the owning organisation only"})
    closure_reason = fields.String(allow_none=True)
    created_at = Timestamp()


CasePageSchema = page_of(CaseItemSchema)


class StageChangeSchema(Schema):
    id = fields.UUID()
    from_stage = Choice(STAGES, allow_none=True)
    to_stage = Choice(STAGES)
    reason = fields.String(allow_none=True)
    closure_reason = Code("closure_reason", allow_none=True)
    actor_user_id = fields.UUID(allow_none=True)
    actor_org_id = fields.UUID(allow_none=True)
    actor = fields.Nested(UserRefSchema, allow_none=True, metadata={"description": "who moved it (none: the operator)"})
    at = Timestamp()


class ProgressInSchema(Schema):
    DOC_RULES = {("occurred_on",): "not in the future"}

    kind = Code("progress_kind", required=True)
    occurred_on = Day(required=True)
    body = Text(required=True, min_length=1, max_length=20000)


class ProgressOutSchema(Schema):
    id = fields.UUID()
    org = fields.Nested(OrganizationRefSchema)
    author = fields.Nested(UserRefSchema, allow_none=True)
    kind = Code("progress_kind")
    occurred_on = Day()
    body = fields.String(allow_none=True)
    body_withheld = fields.Boolean()
    created_at = Timestamp()


class HouseholdOutSchema(Schema):
    id = fields.UUID()
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    address_withheld = fields.Boolean()
    version = fields.Integer()
    members = fields.List(fields.Nested(PersonOutSchema))


class PersonQuerySchema(PageArgs):
    q = Text(max_length=100)


PersonPageSchema = page_of(PersonOutSchema)


class TransferInSchema(Schema):
    to_municipality = Text(required=True, max_length=32, metadata={"description": "the receiving municipality's code",
                                                                  "x-reference": True})
    to_org_id = fields.UUID(required=True, metadata={"description": "an organisation of the receiving municipality"})
    reason = Text(required=True, min_length=1, max_length=2000)


class TransferCaseSchema(Schema):
    id = fields.UUID()
    issues = fields.List(Code("issue_category"))
    stage = Choice(STAGES)
    urgency = Choice(URGENCIES)
    age_band = fields.String(allow_none=True)


class TransferSchema(Schema):
    id = fields.UUID()
    state = Choice(TRANSFER_STATES)
    state_label = fields.String()
    reason = fields.String()
    state_reason = fields.String(allow_none=True)
    requested_at = Timestamp()
    decided_at = Timestamp(allow_none=True)
    from_municipality = fields.Nested(MunicipalityRefSchema)
    to_municipality = fields.Nested(MunicipalityRefSchema)
    from_org = fields.Nested(OrganizationRefSchema)
    to_org = fields.Nested(OrganizationRefSchema)
    from_case_number = fields.String()
    to_case_number = fields.String(allow_none=True)
    case = fields.Nested(TransferCaseSchema, metadata={"description": "the de-identified view of the case"})


class TransferQuerySchema(PageArgs):
    box = fields.String(load_default="inbox", validate=validate.OneOf(["inbox", "outbox"]))


class TransferDecisionSchema(Schema):
    reason = Text(max_length=2000, allow_none=True)


# --- 主担当・副担当 ----------------------------------------------------------------------------------------

class CoLeadInSchema(Schema):
    org_id = fields.UUID(required=True, metadata={"description": "an organisation of the case's municipality"})


class CoLeadSchema(Schema):
    org = fields.Nested(OrganizationRefSchema)
    since = Timestamp()


class HandoverInSchema(Schema):
    to_org_id = fields.UUID(required=True, metadata={"description": "an organisation of the case's municipality"})
    reason = Text(required=True, min_length=1, max_length=2000)
    previous_lead_stays = fields.Boolean(load_default=True,
                                         metadata={"description": "the handing-over organisation stays as 副担当"})


class HandoverCaseSchema(TransferCaseSchema):
    """The de-identified case, with its number (the offer stays inside one municipality)."""

    case_number = fields.String()


class HandoverSchema(Schema):
    id = fields.UUID()
    case_id = fields.UUID()
    state = Choice(HANDOVER_STATES, metadata={"description": "pending | accepted | declined | withdrawn | lapsed"})
    state_label = fields.String()
    reason = fields.String()
    state_reason = fields.String(allow_none=True)
    previous_lead_stays = fields.Boolean()
    requested_at = Timestamp()
    decided_at = Timestamp(allow_none=True)
    from_org = fields.Nested(OrganizationRefSchema)
    to_org = fields.Nested(OrganizationRefSchema)
    case = fields.Nested(HandoverCaseSchema, metadata={"description": "the de-identified view of the case"})


class LeadsSchema(Schema):
    lead = fields.Nested(OrganizationRefSchema, metadata={"description": "主担当"})
    co_leads = fields.List(fields.Nested(CoLeadSchema), metadata={"description": "副担当, oldest first"})
    handovers = fields.List(fields.Nested(HandoverSchema), metadata={"description": "主担当の交代, oldest first"})


class HandoverQuerySchema(PageArgs):
    box = fields.String(load_default="inbox", validate=validate.OneOf(["inbox", "outbox"]))


class HandoverDecisionSchema(Schema):
    reason = Text(max_length=2000, allow_none=True)


# --- 住所秘匿 and third-party reporters ---------------------------------------------------------------------

class SecrecyInSchema(Schema):
    reason = Text(required=True, min_length=1, max_length=2000,
                  metadata={"description": "e.g. 住民基本台帳事務における支援措置（DV）"})
    recipient_org_ids = fields.List(fields.UUID(), validate=validate.Length(max=30), load_default=list, metadata={
        "description": "organisations that keep seeing the person's address and household (the deciding "
                       "organisation is always one)"})


class SecrecyEndSchema(Schema):
    reason = Text(required=True, min_length=1, max_length=2000)


class SecrecyDecisionSchema(Schema):
    id = fields.UUID()
    person_id = fields.UUID()
    reason = fields.String()
    decided_by_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    decided_by_user_id = fields.UUID()
    decided_by = fields.Nested(UserRefSchema, allow_none=True)
    decided_at = Timestamp()
    recipients = fields.List(fields.Nested(OrganizationRefSchema))
    active = fields.Boolean()
    ended_at = Timestamp(allow_none=True)
    ended_by_user_id = fields.UUID(allow_none=True)
    ended_by = fields.Nested(UserRefSchema, allow_none=True)
    end_reason = fields.String(allow_none=True)


class ReporterInSchema(Schema):
    name = Text(max_length=100, allow_none=True)
    contact = Text(max_length=300, allow_none=True)
    relationship_to_household = Text(max_length=100, allow_none=True, metadata={"description": "e.g. 近隣住民"})
    note = Text(max_length=2000, allow_none=True)
    wishes_anonymity = fields.Boolean(load_default=True, metadata={"description": "「情報元は言いません」"})


class ReporterSchema(Schema):
    id = fields.UUID()
    case_id = fields.UUID()
    received_by_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    recorded_by_user_id = fields.UUID()
    recorded_by = fields.Nested(UserRefSchema, allow_none=True)
    name = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)
    relationship_to_household = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    wishes_anonymity = fields.Boolean()
    created_at = Timestamp()


# --- 熊本市's stages and the handover of personal data (caseflow.cases.handover) --------------------------------

class DataHandoverRuleSchema(Schema):
    stage = fields.String(required=True)
    step = fields.Integer(allow_none=True, metadata={"description": "熊本市の4段階の何段階目か (closed: null)"})
    label = fields.String(required=True)
    recipients = fields.String(required=True, metadata={"description": "who typically joins the case at this stage"})
    passes = fields.String(required=True, metadata={"description": "what personal data passes to them, on what"})
    bases = fields.List(fields.String(), required=True, metadata={"description": "the sharing engine's bases"})
    needs = fields.List(fields.String(), required=True)


class DataHandoverNextSchema(DataHandoverRuleSchema):
    waiting_organisations = fields.List(fields.Nested(OrganizationRefSchema), required=True,
                                        metadata={"description": "organisations with a pending referral"})


class DataHandoverPassedSchema(Schema):
    org = fields.Nested(OrganizationRefSchema, allow_none=True)
    basis = fields.String(required=True, metadata={"description": "consent, support_meeting or emergency"})
    stage = fields.String(required=True, metadata={"description": "the case's stage when it passed"})
    categories = fields.List(fields.String(), required=True)
    times = fields.Integer(required=True)
    first_at = Timestamp(required=True)
    last_at = Timestamp(required=True)


class DataHandoverPersonSchema(Schema):
    person_id = fields.String(required=True)
    given = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                        metadata={"description": "category -> basis the sharing engine gives the organisation now"})
    withheld = fields.List(fields.String(), required=True)


class DataHandoverOrgSchema(Schema):
    org = fields.Nested(OrganizationRefSchema, required=True)
    relations = fields.List(fields.String(), required=True)
    collected_data = fields.Boolean(required=True)
    support_meeting_available = fields.Boolean(
        required=True, metadata={"description": "the case is on a sharing council's agenda this organisation sits on "
                                                "(reaches its attendees who signed the pledge)"})
    persons = fields.List(fields.Nested(DataHandoverPersonSchema), required=True)
    needs = fields.List(fields.String(), required=True)


class DataHandoverSchema(Schema):
    case_id = fields.UUID(required=True)
    stage = fields.String(required=True)
    rule = fields.Nested(DataHandoverRuleSchema, required=True)
    rules = fields.List(fields.Nested(DataHandoverRuleSchema), required=True)
    passed = fields.List(fields.Nested(DataHandoverPassedSchema), required=True)
    organisations = fields.List(fields.Nested(DataHandoverOrgSchema), required=True)
    next = fields.Nested(DataHandoverNextSchema, allow_none=True)
