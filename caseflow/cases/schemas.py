from __future__ import annotations

from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from caseflow.cases.models import STAGES
from caseflow.consents.models import CATEGORIES
from caseflow.organizations.models import ORG_KINDS
from caseflow.cases.models import CONTACT_PREFERENCES, GENDERS, RELATIONSHIPS, URGENCIES
from caseflow.consents.models import CONSENT_METHODS
from caseflow.core.schemas import CODE, Day, LIMIT_MAX, PageArgs, Text, Timestamp, page_of
from caseflow.core.refs import OrganizationRefSchema



class SensitiveSchema(Schema):
    """要配慮個人情報, by kind (free text each)."""

    health = Text(max_length=2000)
    disability = Text(max_length=2000)
    abuse = Text(max_length=2000)
    addiction = Text(max_length=2000)
    criminal_history = Text(max_length=2000)
    other = Text(max_length=2000)


class PersonInSchema(Schema):
    name = Text(max_length=100, allow_none=True)
    name_kana = Text(max_length=100, allow_none=True, metadata={"description": "フリガナ"})
    birth_date = Day(allow_none=True)
    estimated_age = fields.Integer(validate=validate.Range(min=0, max=120), allow_none=True,
                                   metadata={"description": "when the birth date is unknown"})
    gender = fields.String(validate=validate.OneOf(GENDERS), allow_none=True)
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
    person = fields.Nested(PersonInSchema)
    person_id = fields.UUID()
    relationship = fields.String(required=True, validate=validate.OneOf(RELATIONSHIPS))
    in_need = fields.Boolean(load_default=False)
    since = Day()


class HouseholdInSchema(Schema):
    address = Text(max_length=300, allow_none=True)
    district = fields.String(allow_none=True, **CODE)
    members = fields.List(fields.Nested(MemberInSchema), validate=validate.Length(max=30), load_default=list)


class HouseholdUpdateSchema(Schema):
    address = Text(max_length=300, allow_none=True)
    district = fields.String(allow_none=True, **CODE)


class MemberEndSchema(Schema):
    until = Day(required=True)


class CaseCreateSchema(Schema):
    intake_channel = fields.String(required=True, **CODE)
    issues = fields.List(fields.String(**CODE), validate=validate.Length(max=30), load_default=list)
    urgency = fields.String(validate=validate.OneOf(URGENCIES), load_default="normal")
    summary = Text(max_length=20000, allow_none=True)
    district = fields.String(allow_none=True, **CODE)
    opened_on = Day()
    household = fields.Nested(HouseholdInSchema)
    household_id = fields.UUID()
    primary_person_id = fields.UUID()
    anonymous_label = Text(max_length=100, allow_none=True)
    lead_worker_id = fields.UUID()

    @validates_schema
    def _one_household(self, data, **_):
        if data.get("household") and data.get("household_id"):
            raise ValidationError("household と household_id は同時に指定できません。", "household_id")


class CaseUpdateSchema(Schema):
    issues = fields.List(fields.String(**CODE), validate=validate.Length(max=30))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    summary = Text(max_length=20000, allow_none=True)
    district = fields.String(allow_none=True, **CODE)
    household_id = fields.UUID()
    primary_person_id = fields.UUID()
    anonymous_label = Text(max_length=100, allow_none=True)
    lead_worker_id = fields.UUID()


class TransitionSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(STAGES))
    reason = Text(max_length=2000, allow_none=True)
    closure_reason = fields.String(allow_none=True, **CODE)


class CaseQuerySchema(PageArgs):
    stage = fields.List(fields.String(validate=validate.OneOf(STAGES)))
    issue = fields.List(fields.String(**CODE))
    district = fields.List(fields.String(**CODE))
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


class CaseItemSchema(Schema):
    id = fields.UUID()
    case_number = fields.String()
    stage = fields.String()
    issues = fields.List(fields.String())
    district = fields.String(allow_none=True)
    urgency = fields.String()
    intake_channel = fields.String()
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
    summary = fields.String(allow_none=True)
    summary_withheld = fields.Boolean()
    persons = fields.List(fields.Nested(PersonOutSchema))
    household = fields.Nested(HouseholdRefSchema, allow_none=True)
    lead_worker = fields.Dict(allow_none=True)
    closure_reason = fields.String(allow_none=True)
    created_at = Timestamp()


CasePageSchema = page_of(CaseItemSchema)


class StageChangeSchema(Schema):
    id = fields.UUID()
    from_stage = fields.String(allow_none=True)
    to_stage = fields.String()
    reason = fields.String(allow_none=True)
    closure_reason = fields.String(allow_none=True)
    actor_user_id = fields.UUID(allow_none=True)
    actor_org_id = fields.UUID(allow_none=True)
    at = Timestamp()


class ProgressInSchema(Schema):
    kind = fields.String(required=True, **CODE)
    occurred_on = Day(required=True)
    body = Text(required=True, min_length=1, max_length=20000)


class ProgressOutSchema(Schema):
    id = fields.UUID()
    org = fields.Nested(OrganizationRefSchema)
    kind = fields.String()
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


class RecipientSchema(Schema):
    org_id = fields.UUID(allow_none=True)
    org_kind = fields.String(allow_none=True, validate=validate.OneOf(list(ORG_KINDS)))


class ConsentInSchema(Schema):
    person_id = fields.UUID(required=True)
    given_by = fields.String(validate=validate.OneOf(["self", "representative"]), load_default="self")
    representative_relationship = Text(max_length=50, allow_none=True)
    purpose = fields.String(required=True, **CODE)
    recipients = fields.List(fields.Nested(RecipientSchema), required=True, validate=validate.Length(min=1, max=100))
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), required=True,
                             validate=validate.Length(min=1, max=len(CATEGORIES)))
    method = fields.String(required=True, validate=validate.OneOf(CONSENT_METHODS))
    obtained_at = Timestamp(required=True)
    valid_from = Timestamp()
    valid_until = Timestamp(allow_none=True)
    form_reference = Text(max_length=200, allow_none=True, metadata={
        "description": "where the signed form or record is kept (evidence)"})
    obtained_place = Text(max_length=200, allow_none=True, metadata={
        "description": "where the worker met the person (evidence, with the recording worker)"})
    supersedes_id = fields.UUID()


class ConsentOutSchema(Schema):
    id = fields.UUID()
    person_id = fields.UUID()
    given_by = fields.String()
    representative_relationship = fields.String(allow_none=True)
    purpose = fields.String()
    recipients = fields.Method("_recipients")
    categories = fields.List(fields.String())
    method = fields.String()
    obtained_by_org_id = fields.UUID()
    obtained_by_user_id = fields.UUID()
    obtained_at = Timestamp()
    valid_from = Timestamp()
    valid_until = Timestamp(allow_none=True)
    form_reference = fields.String(allow_none=True)
    obtained_place = fields.String(allow_none=True)
    self_recipient = fields.Boolean(metadata={
        "description": "the recording organisation named itself or its kind as a recipient (flagged for audit)"})
    supersedes_id = fields.UUID(allow_none=True)
    revoked_at = Timestamp(allow_none=True)
    revoked_by_org_id = fields.UUID(allow_none=True, metadata={
        "description": "who revoked it; another organisation than the recorder may (it only restricts)"})
    revoke_reason = fields.String(allow_none=True)
    status = fields.Method("_status")

    def _recipients(self, c):
        return [{"org_id": str(r.org_id) if r.org_id else None, "org_kind": r.org_kind} for r in c.recipients]

    def _status(self, c):
        from caseflow.core.db import utcnow

        now = utcnow()
        if c.revoked_at:
            return "revoked"
        if c.valid_from > now:
            return "not_yet_valid"
        if c.valid_until and c.valid_until <= now:
            return "expired"
        return "active"


class ConsentQuerySchema(PageArgs):
    person_id = fields.UUID()
    revoked_by_other_org = fields.Boolean(metadata={
        "description": "only consents your organisation recorded that another organisation revoked"})


class RevokeSchema(Schema):
    reason = Text(required=True, min_length=1, max_length=2000)


class EmergencyInSchema(Schema):
    person_id = fields.UUID(required=True)
    justification = Text(required=True, min_length=1, max_length=4000)
    hours = fields.Integer(load_default=24)


class EmergencyOutSchema(Schema):
    id = fields.UUID()
    user_id = fields.UUID()
    org_id = fields.UUID()
    person_id = fields.UUID()
    case_id = fields.UUID()
    justification = fields.String()
    opened_at = Timestamp()
    expires_at = Timestamp()
    closed_at = Timestamp(allow_none=True)


class CodeSchema(Schema):
    code = fields.String()
    label = fields.String()
    active = fields.Boolean()
    scope = fields.String(allow_none=True)


class CodeInSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$"))
    label = Text(required=True, min_length=1, max_length=100)
    scope = fields.String(validate=validate.Length(max=32), allow_none=True)


class LimitArgs(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=LIMIT_MAX))
