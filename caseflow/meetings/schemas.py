"""Support meetings at the edge: what may come in (unknown fields rejected, lengths bounded), what goes out."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from caseflow.core.refs import OrganizationRefSchema, UserRefSchema
from caseflow.core.schemas import Day, PageArgs, PageMeta, Text, Timestamp
from caseflow.meetings.models import MEETING_KINDS, MEETING_STATUSES, PLEDGE_SCOPES

KINDS = validate.OneOf(list(MEETING_KINDS))
URL = validate.URL(schemes={"https", "http"}, require_tld=False)


class MeetingCreateSchema(Schema):
    kind = fields.String(required=True, validate=KINDS,
                         metadata={"description": "support_meeting (支援会議), isolation_council, multilayer_meeting "
                                                  "(重層的支援会議), case_conference (ケース会議), regular (定例会)"})
    title = Text(required=True, min_length=1, max_length=200)
    starts_at = Timestamp(required=True)
    place = Text(max_length=200, allow_none=True)
    online_url = Text(max_length=300, allow_none=True, validate=[URL])
    chair_user_id = fields.UUID(metadata={"description": "a supervisor of a member organisation; default: you"})
    member_org_ids = fields.List(fields.UUID(), validate=validate.Length(max=200), load_default=list,
                                 metadata={"description": "your organisation is always a member"})
    attendee_user_ids = fields.List(fields.UUID(), validate=validate.Length(max=500), load_default=list,
                                    metadata={"description": "users of member organisations; the chair attends"})
    window_start = Timestamp(metadata={"description": "sharing starts (preparation); default: now"})
    sharing_days_after = fields.Integer(validate=validate.Range(min=0, max=90), load_default=14,
                                        metadata={"description": "sharing ends this many days after the meeting"})
    pledge_scope = fields.String(validate=validate.OneOf(PLEDGE_SCOPES), load_default="meeting",
                                 metadata={"description": "a pledge covers this meeting, or the whole fiscal year"})

    @validates_schema
    def _place_or_link(self, data, **_):
        if not (data.get("place") or data.get("online_url")):
            raise ValidationError("開催場所かオンライン会議のURLのどちらかが必要です。", "place")


class MeetingUpdateSchema(Schema):
    kind = fields.String(validate=KINDS)
    title = Text(min_length=1, max_length=200)
    starts_at = Timestamp()
    place = Text(max_length=200, allow_none=True)
    online_url = Text(max_length=300, allow_none=True, validate=[URL])
    chair_user_id = fields.UUID()
    member_org_ids = fields.List(fields.UUID(), validate=validate.Length(max=200))
    attendee_user_ids = fields.List(fields.UUID(), validate=validate.Length(max=500))
    window_start = Timestamp()
    sharing_days_after = fields.Integer(validate=validate.Range(min=0, max=90))
    pledge_scope = fields.String(validate=validate.OneOf(PLEDGE_SCOPES))


class MeetingQuerySchema(PageArgs):
    upcoming = fields.Boolean(load_default=False, metadata={"description": "from now on, soonest first"})
    kind = fields.List(fields.String(validate=KINDS))
    status = fields.List(fields.String(validate=validate.OneOf(MEETING_STATUSES)))
    starts_from = Timestamp()
    starts_to = Timestamp()


class MeetingTransitionSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(MEETING_STATUSES),
                       metadata={"description": "planned → held → minutes_approved (the chair approves)"})






class AttendeeSchema(Schema):
    id = fields.UUID()
    display_name = fields.String()
    org = fields.Nested(OrganizationRefSchema, allow_none=True)
    is_chair = fields.Boolean()
    pledged = fields.Boolean()


class MyPledgeSchema(Schema):
    signed = fields.Boolean()
    signed_at = Timestamp(allow_none=True)
    scope = fields.String(allow_none=True)


class MeetingItemSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    kind_label = fields.String()
    title = fields.String()
    starts_at = Timestamp()
    place = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    organizer_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    chair = fields.Nested(UserRefSchema, allow_none=True)
    agenda_items = fields.Integer()
    cases_discussed = fields.Integer()
    window_open = fields.Boolean()
    can_manage = fields.Boolean()


class MeetingDetailSchema(MeetingItemSchema):
    shares_without_consent = fields.Boolean(metadata={"description": "支援会議: members share without consent"})
    fiscal_year = fields.Integer()
    members = fields.List(fields.Nested(OrganizationRefSchema))
    attendees = fields.List(fields.Nested(AttendeeSchema))
    window_start = Timestamp()
    window_end = Timestamp()
    sharing_days_after = fields.Integer()
    pledge_scope = fields.String()
    held_at = Timestamp(allow_none=True)
    minutes_approved_at = Timestamp(allow_none=True)
    minutes_approved_by = fields.Nested(UserRefSchema, allow_none=True)
    created_at = Timestamp()
    version = fields.Integer()
    my_pledge = fields.Nested(MyPledgeSchema)
    allowed_transitions = fields.List(fields.String())


class MeetingPageSchema(PageMeta):
    items = fields.List(fields.Nested(MeetingItemSchema))


class PledgeRecordSchema(Schema):
    id = fields.UUID()
    scope = fields.String()
    meeting_id = fields.UUID(allow_none=True)
    fiscal_year = fields.Integer(allow_none=True)
    signed_at = Timestamp()
    text_version = fields.String()


class PledgeSchema(Schema):
    meeting_id = fields.UUID()
    required = fields.Boolean(metadata={"description": "names on the agenda need the pledge (支援会議)"})
    scope = fields.String()
    fiscal_year = fields.Integer()
    text = fields.String()
    text_version = fields.String()
    signed = fields.Boolean()
    pledge = fields.Nested(PledgeRecordSchema, allow_none=True)


class AgendaItemInSchema(Schema):
    case_id = fields.UUID(metadata={"description": "a case your organisation can see"})
    topic = Text(min_length=1, max_length=200, metadata={"description": "a general topic instead of a case"})
    presenting_org_id = fields.UUID(allow_none=True)
    points = Text(max_length=4000, allow_none=True, metadata={"description": "協議事項 (case_notes-level)"})
    minutes_allotted = fields.Integer(validate=validate.Range(min=1, max=480), allow_none=True)
    position = fields.Integer(validate=validate.Range(min=1, max=1000))

    @validates_schema
    def _case_or_topic(self, data, **_):
        if bool(data.get("case_id")) == bool(data.get("topic")):
            raise ValidationError("case_id か topic のどちらか一方を指定してください。", "case_id")


class AgendaItemUpdateSchema(Schema):
    topic = Text(min_length=1, max_length=200)
    presenting_org_id = fields.UUID(allow_none=True)
    points = Text(max_length=4000, allow_none=True)
    minutes_allotted = fields.Integer(validate=validate.Range(min=1, max=480), allow_none=True)
    position = fields.Integer(validate=validate.Range(min=1, max=1000))


class AgendaOrderSchema(Schema):
    item_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=1000))


class AgendaCaseSchema(Schema):
    """De-identified case facts: shown to every member."""

    id = fields.UUID()
    case_number = fields.String()
    stage = fields.String()
    stage_label = fields.String(allow_none=True)
    issues = fields.List(fields.String())
    issue_labels = fields.List(fields.String())
    district = fields.String(allow_none=True)
    district_label = fields.String(allow_none=True)
    age_band = fields.String(allow_none=True)


class AgendaPersonSchema(Schema):
    """A person of an agenda case; the name only on an identity basis in the context of that case."""

    id = fields.UUID()
    is_primary = fields.Boolean()
    relationship = fields.String(allow_none=True)
    relationship_label = fields.String(allow_none=True)
    age_band = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    name_kana = fields.String(allow_none=True)
    basis = fields.String(metadata={"description": "legal basis of the name shown"})
    redacted = fields.Boolean()


class AgendaItemOutSchema(Schema):
    id = fields.UUID()
    position = fields.Integer()
    kind = fields.String(metadata={"description": "case or topic"})
    topic = fields.String(allow_none=True)
    case = fields.Nested(AgendaCaseSchema, allow_none=True)
    persons = fields.List(fields.Nested(AgendaPersonSchema))
    presenting_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    points = fields.String(allow_none=True)
    points_withheld = fields.Boolean()
    minutes_allotted = fields.Integer(allow_none=True)


class AgendaSchema(Schema):
    meeting = fields.Nested(MeetingDetailSchema)
    pledged = fields.Boolean()
    window_open = fields.Boolean()
    items = fields.List(fields.Nested(AgendaItemOutSchema))


class MinutesInSchema(Schema):
    body = Text(required=True, min_length=1, max_length=20000)


class CorrectionInSchema(Schema):
    body = Text(required=True, min_length=1, max_length=20000, metadata={"description": "the corrected text"})
    reason = Text(required=True, min_length=1, max_length=2000)


class CorrectionOutSchema(Schema):
    id = fields.UUID()
    body = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    withheld = fields.Boolean()
    previous_id = fields.UUID(allow_none=True)
    created_by = fields.Nested(UserRefSchema, allow_none=True)
    created_at = Timestamp()


class DecisionInSchema(Schema):
    agenda_item_id = fields.UUID(required=True)
    title = Text(required=True, min_length=1, max_length=200)
    owner_org_id = fields.UUID(required=True, metadata={"description": "a member organisation"})
    due_on = Day(required=True)


class DecisionOutSchema(Schema):
    id = fields.UUID()
    meeting_id = fields.UUID()
    agenda_item_id = fields.UUID()
    case_id = fields.UUID()
    case_number = fields.String(allow_none=True)
    title = fields.String(allow_none=True, metadata={"description": "case_notes-level"})
    title_withheld = fields.Boolean()
    owner_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    due_on = Day(allow_none=True)
    task_id = fields.UUID(allow_none=True, metadata={"description": "the plan task it became"})
    created_at = Timestamp()


class MinutesItemSchema(AgendaItemOutSchema):
    text = fields.String(allow_none=True, metadata={"description": "current text (the latest correction, if any)"})
    original_text = fields.String(allow_none=True)
    text_withheld = fields.Boolean()
    recorded_by = fields.Nested(UserRefSchema, allow_none=True)
    recorded_at = Timestamp(allow_none=True)
    entry_version = fields.Integer(allow_none=True)
    corrections = fields.List(fields.Nested(CorrectionOutSchema))
    decisions = fields.List(fields.Nested(DecisionOutSchema))


class MinutesSchema(Schema):
    meeting = fields.Nested(MeetingDetailSchema)
    pledged = fields.Boolean()
    window_open = fields.Boolean()
    status = fields.String()
    locked = fields.Boolean()
    approved_at = Timestamp(allow_none=True)
    approved_by = fields.Nested(UserRefSchema, allow_none=True)
    items = fields.List(fields.Nested(MinutesItemSchema))


class MinutesEntryOutSchema(Schema):
    id = fields.UUID()
    agenda_item_id = fields.UUID()
    body = fields.String()
    version = fields.Integer()
    updated_at = Timestamp()


class MeetingCaseSchema(AgendaCaseSchema):
    agenda_item_id = fields.UUID()
    position = fields.Integer()
    decisions = fields.Integer()


class MeetingRefSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    kind_label = fields.String()
    title = fields.String()
    starts_at = Timestamp()
    status = fields.String()
    status_label = fields.String()
    organizer_org = fields.Nested(OrganizationRefSchema, allow_none=True)


class CaseMeetingSchema(Schema):
    meeting = fields.Nested(MeetingRefSchema)
    agenda_item_id = fields.UUID()
    position = fields.Integer()
    presenting_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    decisions = fields.List(fields.Nested(DecisionOutSchema))
