from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.cases.models import URGENCIES
from caseflow.core.schemas import CODE, PageArgs, Text, page_of


class IntakeClientInSchema(Schema):
    name = Text(required=True, min_length=1, max_length=100, metadata={"description": "the app's name, e.g. 府中市 相談アプリ"})
    org_id = fields.UUID(required=True, metadata={"description": "the organisation that receives the app's cases"})


class IntakeClientSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    org_id = fields.UUID()
    municipality_id = fields.UUID()
    prefix = fields.String(metadata={"description": "the token's first characters, to recognise it"})
    created_at = fields.AwareDateTime()
    created_by_user_id = fields.UUID()
    revoked_at = fields.AwareDateTime(allow_none=True)
    last_used_at = fields.AwareDateTime(allow_none=True)


class IntakeClientIssuedSchema(IntakeClientSchema):
    token = fields.String(metadata={"description": "the bearer token: shown only in this response"})


class ConsultationInSchema(Schema):
    """What an app may send: no person, no name -- a pseudonymous handle, issues, a summary, an urgency."""

    handle = Text(required=True, min_length=1, max_length=100,
                  metadata={"description": "the app's pseudonymous handle of the consulting pupil (never a name)"})
    issues = fields.List(fields.String(**CODE), load_default=list, validate=validate.Length(max=20),
                         metadata={"description": "codes of the issue_category list"})
    summary = Text(max_length=4000, allow_none=True, metadata={"description": "free-text summary of the consultation"})
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES),
                            metadata={"description": "critical notifies the receiving organisation's duty worker at once"})


class ConsultationReceivedSchema(Schema):
    case_id = fields.UUID()
    case_number = fields.String()
    contact_id = fields.UUID()
    urgency = fields.String()
    escalated = fields.Boolean(metadata={"description": "the duty worker was notified"})


class DutyInSchema(Schema):
    user_id = fields.UUID(required=True, metadata={"description": "an active case worker of the organisation"})


class DutySchema(Schema):
    org_id = fields.UUID()
    user_id = fields.UUID(allow_none=True)
    set_by_user_id = fields.UUID(allow_none=True)
    set_at = fields.AwareDateTime(allow_none=True)


class NotificationQuerySchema(PageArgs):
    delivered = fields.Boolean(metadata={"description": "only delivered (true) or undelivered (false) ones"})


class NotificationSchema(Schema):
    id = fields.UUID()
    case_id = fields.UUID()
    org_id = fields.UUID()
    reason = fields.String(metadata={"description": "critical: the case was opened or raised to urgency critical"})
    created_at = fields.AwareDateTime()
    delivered_at = fields.AwareDateTime(allow_none=True, metadata={"description": "when the e-mail was accepted"})
    attempts = fields.Integer()


NotificationPageSchema = page_of(NotificationSchema)


class WeeklyArgs(Schema):
    DOC_RULES = {("week",): "a week that exists (years 2000–2100; W53 only in a year that has one)",
                 ("audience",): "`internal` (no suppression) only for the municipality's lead department (else 403)"}

    week = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"),
                         metadata={"description": "ISO week, e.g. 2026-W48 (Monday to Sunday, Japan time)"})
    audience = fields.String(validate=validate.OneOf(["shared", "internal"]), load_default="shared",
                             metadata={"description": "internal (no suppression) only for the lead department"})


class WeeklySchema(Schema):
    week = fields.String()
    start = fields.Date()
    end = fields.Date()
    suppressed_below = fields.Integer(allow_none=True)
    consultations = fields.Integer(allow_none=True)
    by_urgency = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    by_issue = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    escalations = fields.Integer(allow_none=True)
