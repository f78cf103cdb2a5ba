from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.access.refs import ActorsNamed, actor_field
from caseflow.core.schemas import Choice, Day, PageArgs, Timestamp
from caseflow.retention.models import DELETION_GROUNDS, DELETION_STATES

DECLINE_GROUNDS = ("legal_obligation", "not_identified", "other")


class DeletionRequestInSchema(Schema):
    person_id = fields.UUID(required=True)
    ground = fields.String(required=True, validate=validate.OneOf(DELETION_GROUNDS),
                           metadata={"description": "consent_withdrawn (同意の撤回), no_longer_needed (利用目的の達成), "
                                                    "unlawful (違法な取扱い), other"})
    received_on = Day(required=True, metadata={"description": "the day the person's request arrived"})


class DeclineSchema(Schema):
    ground = fields.String(required=True, validate=validate.OneOf(DECLINE_GROUNDS),
                           metadata={"description": "legal_obligation (法令による保存義務), not_identified (本人確認できず), other"})


class DeletionRequestQuerySchema(PageArgs):
    state = fields.String(validate=validate.OneOf(DELETION_STATES))


class DeletionRequestOutSchema(ActorsNamed, Schema):
    ACTORS = {"requested_by": "requested_by_user_id", "reviewed_by": "reviewed_by_user_id"}

    id = fields.UUID()
    person_id = fields.UUID()
    ground = Choice(DELETION_GROUNDS)
    state = Choice(DELETION_STATES, metadata={"description": "requested → approved | declined; approved → purged"})
    received_on = Day()
    requested_by_user_id = fields.UUID()
    requested_by_org_id = fields.UUID()
    requested_at = Timestamp()
    reviewed_by_user_id = fields.UUID(allow_none=True)
    requested_by = actor_field("who recorded the request")
    reviewed_by = actor_field("who decided it")
    reviewed_at = Timestamp(allow_none=True)
    decline_ground = fields.String(allow_none=True)
    purged_at = Timestamp(allow_none=True)
