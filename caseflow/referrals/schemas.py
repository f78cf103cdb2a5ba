"""Schemas of the referral workflow and the organisation directory."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.cases.models import STAGES, URGENCIES
from caseflow.cases.schemas import PersonOutSchema, PrimaryPersonRefSchema
from caseflow.core.refs import OrganizationRefSchema, UserRefSchema
from caseflow.core.schemas import LIMIT_MAX, Choice, Code, Day, PageArgs, Text, Timestamp, page_of
from caseflow.organizations.schemas import DirectoryEntrySchema
from caseflow.referrals.models import REFERRAL_STATES

# --- directory -------------------------------------------------------------------------------


# --- referrals -------------------------------------------------------------------------------

class ReferralCreateSchema(Schema):
    DOC_EXAMPLE = {"case_id": "0d6f4f8e-3c41-4f7b-8a4e-9b8f5f0e2a11", "to_org_id": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
                   "reason": "ひきこもりの方の居場所と就労準備の支援に実績があるため",
                   "requested_support": "本人との面談と、居場所活動への参加の調整をお願いします。", "urgency": "normal"}

    case_id = fields.UUID(required=True)
    to_org_id = fields.UUID(required=True)
    reason = Text(required=True, min_length=1, max_length=4000, metadata={
        "description": "なぜこの機関か. Shown to the receiving organisation before it accepts: write no names or "
                       "contact details here."})
    requested_support = Text(required=True, min_length=1, max_length=4000, metadata={
        "description": "依頼内容. Shown de-identified like `reason`."})
    urgency = fields.String(validate=validate.OneOf(URGENCIES), metadata={
        "description": "default: the case's urgency; may be raised, never lowered below it"})
    reply_due = Day(metadata={"description": "回答期限; default and latest by urgency: critical the same day, high "
                                             "the next business day (Mon-Fri, not a national holiday), normal 7 days, low 14 days"})


class ReferralActionSchema(Schema):
    reason = Text(max_length=4000, allow_none=True, metadata={
        "description": "why (required to decline; optional otherwise)"})






class ReferralCaseSchema(Schema):
    """The case as the receiving organisation may see it: de-identified facts, plus persons as allowed."""

    id = fields.UUID()
    case_number = fields.String()
    stage = Choice(STAGES)
    district = Code("district", allow_none=True)
    issues = fields.List(Code("issue_category"))
    age_band = fields.String(allow_none=True)
    languages_needed = fields.List(fields.String())
    primary_person = fields.Nested(PrimaryPersonRefSchema, allow_none=True,
                                   metadata={"description": "lists: name only with an identity basis"})
    persons = fields.List(fields.Nested(PersonOutSchema), metadata={"description": "detail views"})


class ReferralEventSchema(Schema):
    id = fields.UUID()
    from_state = Choice(REFERRAL_STATES, allow_none=True)
    to_state = Choice(REFERRAL_STATES)
    reason = fields.String(allow_none=True)
    at = Timestamp()
    actor_user = fields.Nested(UserRefSchema, allow_none=True)
    actor_org = fields.Nested(OrganizationRefSchema, allow_none=True)


class ReferralSchema(Schema):
    id = fields.UUID()
    state = Choice(REFERRAL_STATES, metadata={"description": "pending | accepted | declined | withdrawn | completed"})
    state_label = fields.String()
    urgency = Choice(URGENCIES)
    reason = fields.String()
    requested_support = fields.String()
    reply_due = Day(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "pending and the reply is past due (Asia/Tokyo)"})
    state_reason = fields.String(allow_none=True)
    from_org = fields.Nested(OrganizationRefSchema)
    to_org = fields.Nested(OrganizationRefSchema)
    created_by = fields.Nested(UserRefSchema, allow_none=True)
    responded_by = fields.Nested(UserRefSchema, allow_none=True)
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
    org = fields.Nested(OrganizationRefSchema)
    score = fields.Integer()
    reasons = fields.List(fields.String(), metadata={"description": "why it fits (Japanese)"})
    caveats = fields.List(fields.String(), metadata={"description": "what speaks against it (Japanese)"})
    directory = fields.Nested(DirectoryEntrySchema)


class SuggestionListSchema(Schema):
    case_id = fields.UUID()
    items = fields.List(fields.Nested(SuggestionSchema))
