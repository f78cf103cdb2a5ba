from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.core.refs import OrganizationRefSchema
from caseflow.core.schemas import CODE, Code, Day, PageArgs, Text, page_of

FISCAL_YEAR = dict(validate=validate.Range(min=2000, max=2100), metadata={"description": "年度 (April–March)"})


class EventInSchema(Schema):
    kind = Code("event_kind", required=True, metadata={"description": "the kind of event (勉強会, 交流会 …)"})
    title = Text(required=True, min_length=1, max_length=200)
    held_on = Day(required=True, metadata={"description": "the day it was held"})
    organiser_org_id = fields.UUID(required=True, metadata={"description": "an organisation of the platform"})
    description = Text(max_length=2000, allow_none=True)


class ParticipationInSchema(Schema):
    org_id = fields.UUID(required=True, metadata={"description": "an organisation of the platform"})
    headcount = fields.Integer(required=True, validate=validate.Range(min=0, max=100_000),
                               metadata={"description": "how many people came with or from it"})


class ParticipationSchema(Schema):
    id = fields.UUID()
    org = fields.Nested(OrganizationRefSchema)
    headcount = fields.Integer()


class EventSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    kind_label = fields.String()
    title = fields.String()
    held_on = fields.Date()
    fiscal_year = fields.Integer()
    organiser = fields.Nested(OrganizationRefSchema)
    description = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    participants = fields.List(fields.Nested(ParticipationSchema))
    total_headcount = fields.Integer()


EventPage = page_of(EventSchema)


class EventQuerySchema(PageArgs):
    fiscal_year = fields.Integer(**FISCAL_YEAR)
    kind = fields.String(**CODE)


class EventReportArgs(Schema):
    fiscal_year = fields.Integer(required=True, **FISCAL_YEAR)


class KindCountSchema(Schema):
    kind = fields.String()
    label = fields.String()
    events = fields.Integer()
    participating_organisations = fields.Integer(metadata={"description": "participations recorded"})
    headcount = fields.Integer()


class OrgCountSchema(Schema):
    org = fields.Nested(OrganizationRefSchema)
    organised = fields.Integer(metadata={"description": "events it organised"})
    participated = fields.Integer(metadata={"description": "events it took part in"})
    headcount = fields.Integer(metadata={"description": "people it brought, over those events"})


class PeriodSchema(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")


class TotalsSchema(Schema):
    events = fields.Integer()
    headcount = fields.Integer()


class EventReportSchema(Schema):
    fiscal_year = fields.Integer()
    period = fields.Nested(PeriodSchema)
    by_kind = fields.List(fields.Nested(KindCountSchema))
    by_organisation = fields.List(fields.Nested(OrgCountSchema))
    totals = fields.Nested(TotalsSchema)
