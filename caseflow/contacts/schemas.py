from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.access.refs import ActorsNamed, actor_field
from caseflow.cases.models import STAGES
from caseflow.core.schemas import Choice, Code, PageArgs, Text, Timestamp, page_of


class ContactInSchema(Schema):
    channel = Code("intake_channel", required=True)
    handle = Text(required=True, min_length=1, max_length=100,
                  metadata={"description": "pseudonymous handle, e.g. LINE相談 #0042 (never a real name)"})
    first_contact_at = Timestamp(metadata={"description": "default: now"})


class ContactQuerySchema(PageArgs):
    linked = fields.Boolean(metadata={"description": "only contacts linked (true) or still anonymous (false)"})
    channel = Code("intake_channel")


class ContactTouchSchema(Schema):
    at = Timestamp(metadata={"description": "when the further contact happened; default: now"})


class ContactLinkInSchema(Schema):
    person_id = fields.UUID(required=True, metadata={"description": "a person your organisation recorded"})
    reason = Text(required=True, min_length=1, max_length=2000,
                  metadata={"description": "why the contact is this person, e.g. 来所時に本人が名乗った"})


class ContactUnlinkSchema(Schema):
    reason = Text(required=True, min_length=1, max_length=2000)


class ContactPersonRefSchema(Schema):
    id = fields.UUID()
    redacted = fields.Boolean(metadata={"description": "true: the name is withheld (no identity basis)"})
    name = fields.String(allow_none=True)
    name_kana = fields.String(allow_none=True)


class ContactCaseRefSchema(Schema):
    id = fields.UUID()
    case_number = fields.String()
    stage = Choice(STAGES)


class ContactLinkOutSchema(ActorsNamed, Schema):
    ACTORS = {"actor": "actor_user_id"}

    id = fields.UUID()
    act = fields.String(validate=validate.OneOf(("link", "unlink")))
    person = fields.Nested(ContactPersonRefSchema)
    reason = fields.String()
    actor_user_id = fields.UUID()
    actor_org_id = fields.UUID()
    actor = actor_field("who linked or unlinked")
    at = Timestamp()


class ContactOutSchema(ActorsNamed, Schema):
    ACTORS = {"linked_by": "linked_by_user_id"}

    id = fields.UUID()
    channel = fields.String()
    handle = fields.String()
    first_contact_at = Timestamp()
    last_contact_at = Timestamp()
    contact_count = fields.Integer()
    municipality_id = fields.UUID()
    owner_org_id = fields.UUID()
    cases = fields.List(fields.Nested(ContactCaseRefSchema))
    linked = fields.Boolean()
    linked_person = fields.Nested(ContactPersonRefSchema, allow_none=True)
    linked_at = Timestamp(allow_none=True)
    linked_by_user_id = fields.UUID(allow_none=True)
    linked_by = actor_field("who made the current link")
    version = fields.Integer()


class ContactDetailSchema(ContactOutSchema):
    links = fields.List(fields.Nested(ContactLinkOutSchema), metadata={"description": "every link and unlink, oldest first"})


ContactPageSchema = page_of(ContactOutSchema)
