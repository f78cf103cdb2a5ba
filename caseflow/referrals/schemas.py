"""Schemas of the referral workflow and the organisation directory."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.organizations.models import ORG_KINDS
from caseflow.referrals.models import REFERRAL_STATES
from caseflow.cases.models import URGENCIES
from caseflow.referrals.models import CAPACITY_STATES
from caseflow.cases.schemas import PersonOutSchema, PrimaryPersonRefSchema
from caseflow.core.schemas import Day, LIMIT_MAX, PageArgs, Text, Timestamp, page_of

CODE = dict(validate=validate.Length(min=1, max=64))


def _language() -> fields.String:
    return fields.String(validate=validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$",
                                                  error="ISO 639 の言語コード（例: en, zh, vi）で指定してください。"))


# --- directory -------------------------------------------------------------------------------

class DirectoryOrgSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    parent_id = fields.UUID(allow_none=True)


class DirectoryEntrySchema(Schema):
    """What an organisation offers (活動分野, 外国語対応, LGBTQ+, 対象, 対応地域, 受付時間, 連絡先, 受入状況)."""

    org_id = fields.UUID()
    org = fields.Nested(DirectoryOrgSchema)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields",
                          metadata={"description": "活動分野: issue_category codes"})
    languages = fields.List(fields.String(), metadata={"description": "外国語対応: ISO codes besides ja"})
    lgbtq = fields.Boolean(metadata={"description": "性的マイノリティに関する専門性・対応あり"})
    eligibility = fields.String(allow_none=True, metadata={"description": "対象 (e.g. 24歳以下の人とそのまわりの人)"})
    age_min = fields.Integer(allow_none=True)
    age_max = fields.Integer(allow_none=True)
    service_area = fields.List(fields.String(), metadata={"description": "district codes"})
    hours = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    line = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    takes_consultations = fields.Boolean(metadata={"description": "個別相談を受け付けるか"})
    joint_support = fields.Boolean(metadata={"description": "協同支援の可否"})
    capacity = fields.String(metadata={"description": "accepting (受入可) | full (満員) | paused (受入停止)"})
    updated_at = Timestamp()
    version = fields.Integer()


DirectoryPageSchema = page_of(DirectoryEntrySchema)


class DirectoryEntryInSchema(Schema):
    """The whole entry (PUT replaces it; omitted fields take their defaults)."""

    fields_ = fields.List(fields.String(**CODE), data_key="fields", attribute="fields",
                          validate=validate.Length(max=30), metadata={"description": "issue_category codes"})
    languages = fields.List(_language(), validate=validate.Length(max=20))
    lgbtq = fields.Boolean()
    eligibility = Text(max_length=300, allow_none=True)
    age_min = fields.Integer(validate=validate.Range(min=0, max=120), allow_none=True)
    age_max = fields.Integer(validate=validate.Range(min=0, max=120), allow_none=True)
    service_area = fields.List(fields.String(**CODE), validate=validate.Length(max=100),
                               metadata={"description": "district codes"})
    hours = Text(max_length=200, allow_none=True)
    phone = Text(max_length=40, allow_none=True, validate=[validate.Regexp(
        r"^[0-9+\-() ]*$", error="電話番号は数字・ハイフン・括弧で入力してください。")])
    email = fields.Email(validate=validate.Length(max=254), allow_none=True)
    line = Text(max_length=100, allow_none=True)
    website = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=300), allow_none=True)
    description = Text(max_length=4000, allow_none=True)
    takes_consultations = fields.Boolean()
    joint_support = fields.Boolean()
    capacity = fields.String(validate=validate.OneOf(CAPACITY_STATES))


class DirectoryQuerySchema(PageArgs):
    field = fields.List(fields.String(**CODE), metadata={"description": "活動分野 (any of)"})
    language = fields.List(_language(), metadata={"description": "対応言語 (any of)"})
    district = fields.List(fields.String(**CODE), metadata={"description": "対応地域 (any of)"})
    kind = fields.List(fields.String(validate=validate.OneOf(list(ORG_KINDS))))
    capacity = fields.List(fields.String(validate=validate.OneOf(CAPACITY_STATES)))
    lgbtq = fields.Boolean()
    takes_consultations = fields.Boolean()
    joint_support = fields.Boolean()
    age = fields.Integer(validate=validate.Range(min=0, max=120),
                         metadata={"description": "organisations whose age range includes this age"})
    q = Text(max_length=100, metadata={"description": "name, code, description or eligibility contains"})


# --- referrals -------------------------------------------------------------------------------

class ReferralCreateSchema(Schema):
    case_id = fields.UUID(required=True)
    to_org_id = fields.UUID(required=True)
    reason = Text(required=True, min_length=1, max_length=4000, metadata={
        "description": "なぜこの機関か. Shown to the receiving organisation before it accepts: write no names or "
                       "contact details here."})
    requested_support = Text(required=True, min_length=1, max_length=4000, metadata={
        "description": "依頼内容. Shown de-identified like `reason`."})
    urgency = fields.String(validate=validate.OneOf(URGENCIES), load_default="normal")
    reply_due = Day(metadata={"description": "回答期限; default by urgency (critical 1, high 3, normal 7, "
                                                     "low 14 days)"})


class ReferralActionSchema(Schema):
    reason = Text(max_length=4000, allow_none=True, metadata={
        "description": "why (required to decline; optional otherwise)"})


class ReferralOrgRefSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class ReferralUserRefSchema(Schema):
    id = fields.UUID()
    display_name = fields.String()


class ReferralCaseSchema(Schema):
    """The case as the receiving organisation may see it: de-identified facts, plus persons as allowed."""

    id = fields.UUID()
    case_number = fields.String()
    stage = fields.String()
    district = fields.String(allow_none=True)
    issues = fields.List(fields.String())
    age_band = fields.String(allow_none=True)
    languages_needed = fields.List(fields.String())
    primary_person = fields.Nested(PrimaryPersonRefSchema, allow_none=True,
                                   metadata={"description": "lists: name only with an identity basis"})
    persons = fields.List(fields.Nested(PersonOutSchema), metadata={"description": "detail views"})


class ReferralEventSchema(Schema):
    id = fields.UUID()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    reason = fields.String(allow_none=True)
    at = Timestamp()
    actor_user = fields.Nested(ReferralUserRefSchema, allow_none=True)
    actor_org = fields.Nested(ReferralOrgRefSchema, allow_none=True)


class ReferralSchema(Schema):
    id = fields.UUID()
    state = fields.String(metadata={"description": "pending | accepted | declined | withdrawn | completed"})
    state_label = fields.String()
    urgency = fields.String()
    reason = fields.String()
    requested_support = fields.String()
    reply_due = Day(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "pending and the reply is past due (Asia/Tokyo)"})
    state_reason = fields.String(allow_none=True)
    from_org = fields.Nested(ReferralOrgRefSchema)
    to_org = fields.Nested(ReferralOrgRefSchema)
    created_by = fields.Nested(ReferralUserRefSchema, allow_none=True)
    responded_by = fields.Nested(ReferralUserRefSchema, allow_none=True)
    responded_at = Timestamp(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()
    allowed_actions = fields.List(fields.String(), metadata={"description": "what your organisation may do now"})
    case = fields.Nested(ReferralCaseSchema)
    events = fields.List(fields.Nested(ReferralEventSchema), metadata={"description": "detail views: who/when/why"})


ReferralPageSchema = page_of(ReferralSchema)


class ReferralQuerySchema(PageArgs):
    box = fields.String(validate=validate.OneOf(["inbox", "outbox", "all"]), load_default="all",
                        metadata={"description": "inbox: to your organisation; outbox: from it; all: every "
                                                 "referral you may see"})
    state = fields.List(fields.String(validate=validate.OneOf(REFERRAL_STATES)))
    urgency = fields.List(fields.String(validate=validate.OneOf(URGENCIES)))
    case_id = fields.UUID()
    overdue = fields.Boolean()


class BoxCountsSchema(Schema):
    pending = fields.Integer()
    overdue = fields.Integer()
    accepted = fields.Integer()


class ReferralCountsSchema(Schema):
    inbox = fields.Nested(BoxCountsSchema)
    outbox = fields.Nested(BoxCountsSchema)


class SuggestionQuerySchema(Schema):
    case_id = fields.UUID(required=True)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=min(LIMIT_MAX, 50)))


class SuggestionSchema(Schema):
    org = fields.Nested(ReferralOrgRefSchema)
    score = fields.Integer()
    reasons = fields.List(fields.String(), metadata={"description": "why it fits (Japanese)"})
    caveats = fields.List(fields.String(), metadata={"description": "what speaks against it (Japanese)"})
    directory = fields.Nested(DirectoryEntrySchema)


class SuggestionListSchema(Schema):
    case_id = fields.UUID()
    items = fields.List(fields.Nested(SuggestionSchema))
