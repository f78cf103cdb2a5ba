"""The reference shapes: how a response names an organisation, a user or a municipality it points to. One shape
per concept, used by every schema (caseflow.access.refs builds them from the database)."""
from __future__ import annotations

from marshmallow import Schema, fields


class OrganizationRefSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class UserRefSchema(Schema):
    """A member of staff (an actor wherever one is shown): the platform's working data, not a supported person's
    personal data. Carries the display name and the organisation, so a client needs no read of users."""

    id = fields.UUID()
    display_name = fields.String()
    org_id = fields.UUID()
    organization = fields.Nested(OrganizationRefSchema, metadata={"description": "the user's organisation"})
    active = fields.Boolean()


class MunicipalityRefSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
