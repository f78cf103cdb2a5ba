from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.codes.standard import CONSENT_PURPOSES
from caseflow.consents.models import CATEGORIES, CONSENT_METHODS, CONSENT_STATUSES, GIVERS, REVIEW_STATES
from caseflow.core.db import utcnow
from caseflow.core.refs import UserRefSchema
from caseflow.core.schemas import Choice, PageArgs, Text, Timestamp
from caseflow.organizations.models import ORG_KINDS


class RecipientSchema(Schema):
    org_id = fields.UUID(allow_none=True)
    org_kind = fields.String(allow_none=True, validate=validate.OneOf(list(ORG_KINDS)))


class ConsentInSchema(Schema):
    DOC_EXAMPLE = {"person_id": "6c5b4a39-2817-4f06-9e5d-4c3b2a190817", "given_by": "self",
                   "purpose": "support_coordination",
                   "recipients": [{"org_id": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"}, {"org_kind": "shakyo"}],
                   "categories": ["identity", "contact", "case_notes"], "method": "written",
                   "obtained_at": "2026-04-10T14:00:00+09:00", "form_reference": "同意書 第2026-015号（地域共生課 保管）"}

    person_id = fields.UUID(required=True)
    given_by = fields.String(validate=validate.OneOf(GIVERS), load_default="self")
    representative_relationship = Text(max_length=50, allow_none=True)
    purpose = fields.String(required=True, validate=validate.OneOf(
                                [code for code, _label in CONSENT_PURPOSES],
                                error="利用目的のリスト（consent_purpose）にないコードです: {input}。有効な値は "
                                      "GET /api/v1/codes/consent_purpose で確認できます（{choices}）。"),
                            metadata={"description": "the fixed list `consent_purpose` (GET /api/v1/codes/consent_purpose)",
                                      "x-code-list": "consent_purpose"})
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
    assent_by_subject = fields.Boolean(allow_none=True, metadata={
        "description": "the subject's own assent (本人の意思), required for a child under 15 (docs/app-intake.md)"})
    guardian_consent = fields.Boolean(allow_none=True, metadata={
        "description": "a guardian's consent (保護者の同意), required in addition for a child under 15"})


class RecipientOutSchema(Schema):
    """A recipient named by a consent: one organisation (`org_id`), or every organisation of a kind (`org_kind`)."""

    org_id = fields.UUID(allow_none=True)
    org_kind = Choice(ORG_KINDS, allow_none=True)


class ConsentOutSchema(Schema):
    id = fields.UUID()
    person_id = fields.UUID()
    given_by = Choice(GIVERS)
    representative_relationship = fields.String(allow_none=True)
    purpose = Choice([code for code, _label in CONSENT_PURPOSES])
    recipients = fields.List(fields.Nested(RecipientOutSchema))
    categories = fields.List(Choice(CATEGORIES))
    method = Choice(CONSENT_METHODS)
    subject_age = fields.Integer(allow_none=True, metadata={"description": "the subject's age when obtained"})
    assent_by_subject = fields.Boolean(allow_none=True)
    guardian_consent = fields.Boolean(allow_none=True)
    obtained_by_org_id = fields.UUID()
    obtained_by_user_id = fields.UUID()
    obtained_by = fields.Nested(UserRefSchema, allow_none=True, metadata={"description": "who recorded it"})
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
    revoked_by = fields.Nested(UserRefSchema, allow_none=True)
    revoke_reason = fields.String(allow_none=True)
    status = fields.Method("_status", metadata={"type": "string", "enum": list(CONSENT_STATUSES),
                                                "description": "now: revoked, not yet valid, expired or active"})

    def _status(self, c):

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
    DOC_RULES = {("justification",): "20 characters at least, spaces trimmed (a concrete reason)"}

    person_id = fields.UUID(required=True)
    justification = Text(required=True, min_length=1, max_length=4000)
    hours = fields.Integer(load_default=24, metadata={"minimum": 1, "maximum": 72, "description": "how long (1-72 hours)"})


class EmergencyReviewInSchema(Schema):
    reason_confirmed = fields.Boolean(required=True, metadata={
        "description": "the emergency given as the reason was real (true) or not (false)"})
    note = Text(required=True, min_length=1, max_length=4000)


class EmergencyReviewStateSchema(Schema):
    state = Choice(REVIEW_STATES, metadata={"description": "the supervisors' latest review: unreviewed, confirmed, "
                                                   "not_confirmed"})
    reviews = fields.Integer()
    last_reviewed_at = Timestamp(allow_none=True)
    audit_reviewed = fields.Boolean(metadata={"description": "an auditor reviewed the opening's audit event"})


class EmergencyReviewSchema(Schema):
    id = fields.UUID()
    access_id = fields.UUID()
    reason_confirmed = fields.Boolean()
    note = fields.String()
    reviewed_at = Timestamp()
    reviewer = fields.Nested(UserRefSchema, allow_none=True)
    reviewer_org_id = fields.UUID()


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
    review = fields.Nested(EmergencyReviewStateSchema)
    reviews = fields.List(fields.Nested(EmergencyReviewSchema), metadata={
        "description": "one access: the supervisors' reviews, oldest first"})
