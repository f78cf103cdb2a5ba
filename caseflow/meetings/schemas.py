"""Support meetings at the edge: what may come in (unknown fields rejected, lengths bounded), what goes out."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from caseflow.cases.models import STAGES
from caseflow.cases.schemas import RelationshipOutSchema
from caseflow.core.refs import OrganizationRefSchema, UserRefSchema
from caseflow.core.schemas import Choice, Day, PageArgs, PageMeta, Text, Timestamp
from caseflow.meetings.models import COUNCIL_KINDS, MEETING_STATUSES, PLEDGE_SCOPES

KINDS = validate.OneOf(list(COUNCIL_KINDS))
KIND_DOC = ("support_meeting (支援会議), isolation_council (孤独・孤立対策地域協議会), child_protection_council "
            "(要保護児童対策地域協議会), youth_support_council (子ども・若者支援地域協議会), multilayer_meeting "
            "(重層的支援会議: consent), case_conference (ケース会議: consent), regular (定例会)")
URL = validate.URL(schemes={"https", "http"}, require_tld=False)


# --- councils ---------------------------------------------------------------------------------

class CouncilCreateSchema(Schema):
    DOC_RULES = {("name",): "unique in the municipality"}

    kind = fields.String(required=True, validate=KINDS, metadata={"description": KIND_DOC})
    name = Text(required=True, min_length=1, max_length=200)
    member_org_ids = fields.List(fields.UUID(), validate=validate.Length(max=200), load_default=list,
                                 metadata={"description": "your organisation (the secretariat) is always a member"})
    chair_user_id = fields.UUID(metadata={"description": "会長: a supervisor of a member organisation; default: you"})
    bylaws_title = Text(max_length=200, allow_none=True, metadata={"description": "設置要綱の名称"})
    bylaws_text = Text(max_length=20000, allow_none=True)
    quorum_percent = fields.Integer(validate=validate.Range(min=1, max=100), allow_none=True,
                                    metadata={"description": "定足数: share of member organisations present (50 = 半数)"})
    invites_non_members = fields.Boolean(load_default=False,
                                         metadata={"description": "the 要綱 lets non-members be invited to explain"})
    schedule = Text(max_length=200, allow_none=True, metadata={"description": "e.g. 毎月第2水曜"})
    pledge_scope = fields.String(validate=validate.OneOf(PLEDGE_SCOPES), load_default="fiscal_year",
                                 metadata={"description": "a member's pledge covers one meeting, or the council's "
                                                          "meetings of a fiscal year"})


class CouncilUpdateSchema(Schema):
    DOC_RULES = {("name",): "unique in the municipality"}

    name = Text(min_length=1, max_length=200)
    chair_user_id = fields.UUID()
    bylaws_title = Text(max_length=200, allow_none=True)
    bylaws_text = Text(max_length=20000, allow_none=True)
    quorum_percent = fields.Integer(validate=validate.Range(min=1, max=100), allow_none=True)
    invites_non_members = fields.Boolean()
    schedule = Text(max_length=200, allow_none=True)
    pledge_scope = fields.String(validate=validate.OneOf(PLEDGE_SCOPES))
    active = fields.Boolean()


class CouncilMemberInSchema(Schema):
    org_id = fields.UUID(required=True)


class CouncilQuerySchema(PageArgs):
    kind = fields.List(fields.String(validate=KINDS))
    include_inactive = fields.Boolean(load_default=False)


class CouncilMemberOutSchema(Schema):
    org = fields.Nested(OrganizationRefSchema, allow_none=True)
    since = Timestamp()
    until = Timestamp(allow_none=True)


class FiscalYearPledgeSchema(Schema):
    fiscal_year = fields.Integer()
    signed = fields.Boolean()


class CouncilSchema(Schema):
    id = fields.UUID()
    kind = Choice(COUNCIL_KINDS)
    kind_label = fields.String()
    name = fields.String()
    legal_basis = fields.String()
    shares_without_consent = fields.Boolean()
    secretariat_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    chair = fields.Nested(UserRefSchema, allow_none=True)
    bylaws_title = fields.String(allow_none=True)
    bylaws_text = fields.String(allow_none=True)
    quorum_percent = fields.Integer(allow_none=True)
    quorum_rule = fields.String(allow_none=True)
    quorum_now = fields.Integer(allow_none=True, metadata={"description": "member organisations needed today"})
    invites_non_members = fields.Boolean()
    schedule = fields.String(allow_none=True)
    pledge_scope = fields.String()
    active = fields.Boolean()
    member_count = fields.Integer()
    members = fields.List(fields.Nested(CouncilMemberOutSchema))
    former_members = fields.List(fields.Nested(CouncilMemberOutSchema))
    can_manage = fields.Boolean()
    my_fiscal_year_pledge = fields.Nested(FiscalYearPledgeSchema)
    version = fields.Integer()
    created_at = Timestamp()


class CouncilPageSchema(PageMeta):
    items = fields.List(fields.Nested(CouncilSchema))


class CouncilRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    kind = Choice(COUNCIL_KINDS)
    kind_label = fields.String()
    legal_basis = fields.String()
    quorum_percent = fields.Integer(allow_none=True)
    quorum_rule = fields.String(allow_none=True)
    invites_non_members = fields.Boolean()
    secretariat_org = fields.Nested(OrganizationRefSchema, allow_none=True,
                                    metadata={"description": "the council's secretariat (事務局); in a meeting's view"})


# --- meetings ---------------------------------------------------------------------------------

class MeetingCreateSchema(Schema):
    DOC_RULES = {("place", "online_url"): "one of them at least", ("window_start",): "before starts_at"}

    council_id = fields.UUID(required=True, metadata={"description": "the council (会議体) the meeting belongs to; its "
                                                                     "kind, members and pledge scope apply"})
    title = Text(required=True, min_length=1, max_length=200)
    starts_at = Timestamp(required=True)
    place = Text(max_length=200, allow_none=True)
    online_url = Text(max_length=300, allow_none=True, validate=[URL], my_number_ok=True)  # opaque meeting ids
    chair_user_id = fields.UUID(metadata={"description": "a supervisor of a member organisation; default: the "
                                                         "council's chair"})
    attendee_user_ids = fields.List(fields.UUID(), validate=validate.Length(max=500), load_default=list,
                                    metadata={"description": "users of member organisations; the chair attends"})
    window_start = Timestamp(metadata={"description": "sharing starts (preparation); default: now"})
    sharing_days_after = fields.Integer(validate=validate.Range(min=0, max=90), load_default=14,
                                        metadata={"description": "sharing ends this many days after the meeting"})

    @validates_schema
    def _place_or_link(self, data, **_):
        if not (data.get("place") or data.get("online_url")):
            raise ValidationError("開催場所かオンライン会議のURLのどちらかが必要です。", "place")


class MeetingUpdateSchema(Schema):
    DOC_RULES = {("place", "online_url"): "the meeting keeps one of them at least",
                 ("window_start",): "before the meeting's start",
                 ("window_reason",): "required to re-open a sharing window that has closed"}

    title = Text(min_length=1, max_length=200)
    starts_at = Timestamp()
    place = Text(max_length=200, allow_none=True)
    online_url = Text(max_length=300, allow_none=True, validate=[URL], my_number_ok=True)  # opaque meeting ids
    chair_user_id = fields.UUID()
    attendee_user_ids = fields.List(fields.UUID(), validate=validate.Length(max=500))
    window_start = Timestamp()
    sharing_days_after = fields.Integer(validate=validate.Range(min=0, max=90))
    window_reason = Text(min_length=1, max_length=2000, metadata={
        "description": "why the sharing window is changed; required to re-open a window that has closed (access "
                       "then resumes from the change, never for the gap). Kept in the audit trail with the window "
                       "before and after: write no names or other personal data here"})


class MeetingQuerySchema(PageArgs):
    upcoming = fields.Boolean(load_default=False, metadata={"description": "from now on, soonest first"})
    kind = fields.List(fields.String(validate=KINDS))
    council_id = fields.UUID()
    status = fields.List(fields.String(validate=validate.OneOf(MEETING_STATUSES)))
    starts_from = Timestamp()
    starts_to = Timestamp()


class MeetingTransitionSchema(Schema):
    DOC_RULES = {("to",): "the next status (planned → held → minutes_approved)",
                 ("present_user_ids",): "only with `to` held: attendees of the meeting",
                 ("ended_at",): "only with `to` held: after the meeting's start, not in the future"}

    to = fields.String(required=True, validate=validate.OneOf(MEETING_STATUSES),
                       metadata={"description": "planned → held → minutes_approved (the chair approves)"})
    present_user_ids = fields.List(fields.UUID(), validate=validate.Length(max=500),
                                   metadata={"description": "when held: the attendees present (default: all); the "
                                                            "quorum counts member organisations with one present"})
    ended_at = Timestamp(metadata={"description": "when held: the time the meeting closed (閉会), for the 議事録"})


class GuestInSchema(Schema):
    user_id = fields.UUID(required=True, metadata={"description": "a user of a non-member organisation"})


class QuorumSchema(Schema):
    required = fields.Integer(allow_none=True)
    present = fields.Integer(allow_none=True)
    met = fields.Boolean(allow_none=True)
    decisions_carried = fields.Boolean()
    note = fields.String(allow_none=True)






class AttendeeSchema(Schema):
    id = fields.UUID()
    display_name = fields.String()
    org = fields.Nested(OrganizationRefSchema, allow_none=True)
    is_chair = fields.Boolean()
    pledged = fields.Boolean()
    present = fields.Boolean(allow_none=True)


class GuestSchema(Schema):
    id = fields.UUID()
    display_name = fields.String()
    org = fields.Nested(OrganizationRefSchema, allow_none=True)


class MyPledgeSchema(Schema):
    signed = fields.Boolean()
    signed_at = Timestamp(allow_none=True)
    scope = fields.String(allow_none=True)


class MeetingItemSchema(Schema):
    id = fields.UUID()
    kind = Choice(COUNCIL_KINDS)
    kind_label = fields.String()
    title = fields.String()
    starts_at = Timestamp()
    council = fields.Nested(CouncilRefSchema, allow_none=True)
    place = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    status = Choice(MEETING_STATUSES)
    status_label = fields.String()
    organizer_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    chair = fields.Nested(UserRefSchema, allow_none=True)
    agenda_items = fields.Integer()
    cases_discussed = fields.Integer()
    window_open = fields.Boolean()
    can_manage = fields.Boolean()


class NextMeetingSchema(Schema):
    id = fields.UUID(required=True)
    starts_at = Timestamp(required=True)
    place = fields.String(allow_none=True)


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
    ended_at = Timestamp(allow_none=True, metadata={"description": "閉会: recorded when the meeting was marked held"})
    next_meeting = fields.Nested(NextMeetingSchema, allow_none=True,
                                 metadata={"description": "the council's next meeting after this one (次回開催予定)"})
    minutes_approved_at = Timestamp(allow_none=True)
    minutes_approved_by = fields.Nested(UserRefSchema, allow_none=True)
    created_at = Timestamp()
    version = fields.Integer()
    my_pledge = fields.Nested(MyPledgeSchema)
    allowed_transitions = fields.List(fields.String())
    quorum = fields.Nested(QuorumSchema)
    my_role = fields.String(metadata={"description": "member, or guest (sees only the items invited to)"})


class MeetingPageSchema(PageMeta):
    items = fields.List(fields.Nested(MeetingItemSchema))


class PledgeRecordSchema(Schema):
    id = fields.UUID()
    scope = fields.String()
    meeting_id = fields.UUID(allow_none=True)
    council_id = fields.UUID(allow_none=True)
    fiscal_year = fields.Integer(allow_none=True)
    signed_at = Timestamp()
    text_version = fields.String()


class PledgeSchema(Schema):
    meeting_id = fields.UUID()
    council_id = fields.UUID()
    required = fields.Boolean(metadata={"description": "names on the agenda need the pledge (支援会議)"})
    scope = fields.String()
    fiscal_year = fields.Integer()
    text = fields.String()
    text_version = fields.String()
    signed = fields.Boolean()
    pledge = fields.Nested(PledgeRecordSchema, allow_none=True)


class AgendaItemInSchema(Schema):
    DOC_EXAMPLE = {"case_id": "0d6f4f8e-3c41-4f7b-8a4e-9b8f5f0e2a11", "presenting_org_id": "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
                   "points": "母の退院後の生活と、長男の居場所への参加について役割分担を協議する。", "minutes_allotted": 20}

    DOC_RULES = {("case_id", "topic"): "exactly one of them"}

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
    DOC_RULES = {("topic",): "only on a topic item (a case item takes its title from the case)"}

    topic = Text(min_length=1, max_length=200)
    presenting_org_id = fields.UUID(allow_none=True)
    points = Text(max_length=4000, allow_none=True)
    minutes_allotted = fields.Integer(validate=validate.Range(min=1, max=480), allow_none=True)
    position = fields.Integer(validate=validate.Range(min=1, max=1000))


class AgendaOrderSchema(Schema):
    DOC_RULES = {("item_ids",): "every item of the meeting's agenda, each once"}

    item_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=1000))


class AgendaCaseSchema(Schema):
    """De-identified case facts: shown to every member."""

    id = fields.UUID()
    case_number = fields.String()
    stage = Choice(STAGES)
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
    kind = Choice(("case", "topic"), metadata={"description": "case or topic"})
    topic = fields.String(allow_none=True)
    case = fields.Nested(AgendaCaseSchema, allow_none=True)
    persons = fields.List(fields.Nested(AgendaPersonSchema))
    relationships = fields.List(fields.Nested(RelationshipOutSchema), metadata={
        "description": "relationships in force between the case's members (agenda only): in full on an identity "
                       "basis for both persons in this meeting's context, else withheld"})
    presenting_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    points = fields.String(allow_none=True)
    points_withheld = fields.Boolean()
    minutes_allotted = fields.Integer(allow_none=True)
    guests = fields.List(fields.Nested(GuestSchema), metadata={"description": "invited non-members of this item"})


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
    task_id = fields.UUID(allow_none=True, metadata={"description": "the plan task it became (none when not carried)"})
    carried = fields.Boolean(metadata={"description": "false when the meeting lacked its quorum"})
    carried_label = fields.String()
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
    status = Choice(MEETING_STATUSES)
    quorum = fields.Nested(QuorumSchema)
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
    kind = Choice(COUNCIL_KINDS)
    kind_label = fields.String()
    title = fields.String()
    council = fields.Nested(CouncilRefSchema, allow_none=True)
    starts_at = Timestamp()
    status = Choice(MEETING_STATUSES)
    status_label = fields.String()
    organizer_org = fields.Nested(OrganizationRefSchema, allow_none=True)


class CaseMeetingSchema(Schema):
    meeting = fields.Nested(MeetingRefSchema)
    agenda_item_id = fields.UUID()
    position = fields.Integer()
    presenting_org = fields.Nested(OrganizationRefSchema, allow_none=True)
    decisions = fields.List(fields.Nested(DecisionOutSchema))
