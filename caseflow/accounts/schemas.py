from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.access.refs import ActorsNamed, actor_field
from caseflow.accounts.models import ROLE_REQUEST_STATES, ROLES
from caseflow.core.refs import MunicipalityRefSchema, OrganizationRefSchema
from caseflow.core.schemas import Choice, PageArgs, Text, Timestamp, page_of


class LoginSchema(Schema):
    DOC_EXAMPLE = {"email": "sato.hanako@kamakura-chiiki.example.jp", "password": "a long passphrase of yours"}

    email = Text(required=True, max_length=254)
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class UserSchema(Schema):
    id = fields.UUID()
    email = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    active = fields.Boolean()
    org = fields.Nested(OrganizationRefSchema)
    created_at = Timestamp()


class MeSchema(UserSchema):
    municipality = fields.Nested(MunicipalityRefSchema, metadata={
        "description": "the municipality this request acts in (X-Caseflow-Municipality, default: home)"})
    municipalities = fields.List(fields.Nested(MunicipalityRefSchema), metadata={
        "description": "where you may act: your organisation's home first, then its memberships"})
    auth_method = fields.String(metadata={"description": "session or token"})
    csrf_token = fields.String(allow_none=True, metadata={"description": "send as X-CSRF-Token on cookie-authenticated writes"})
    permissions = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class UserCreateSchema(Schema):
    org_code = Text(required=True, max_length=64, metadata={"description": "the code of an organisation you may add users to",
                                                             "x-reference": True})
    email = Text(required=True, max_length=254)
    display_name = Text(required=True, min_length=1, max_length=100)
    password = fields.String(required=True, validate=validate.Length(max=1024), load_only=True)
    roles = fields.List(fields.String(validate=validate.OneOf(list(ROLES))), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))


class UserUpdateSchema(Schema):
    display_name = Text(min_length=1, max_length=100)
    roles = fields.List(fields.String(validate=validate.OneOf(list(ROLES))), validate=validate.Length(min=1, max=len(ROLES)))
    active = fields.Boolean()
    password = fields.String(validate=validate.Length(max=1024), load_only=True)


class PasswordChangeSchema(Schema):
    DOC_RULES = {("current_password",): "the account's password now", ("new_password",): "the password policy "
                 "(length, not a common or breached password, not like the e-mail address)"}

    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)
    new_password = fields.String(required=True, validate=validate.Length(max=1024), load_only=True)


class RoleRequestSchema(ActorsNamed, Schema):
    ACTORS = {"user": "user_id", "requested_by": "requested_by_user_id", "decided_by": "decided_by_user_id"}

    id = fields.UUID()
    user_id = fields.UUID()
    role = Choice(ROLES)
    state = Choice(ROLE_REQUEST_STATES)
    requested_by_user_id = fields.UUID()
    requested_at = Timestamp()
    decided_by_user_id = fields.UUID(allow_none=True)
    user = actor_field("whose role it is")
    requested_by = actor_field("who asked")
    decided_by = actor_field("who decided")
    decided_at = Timestamp(allow_none=True)
    note = fields.String(allow_none=True)


class RoleDecisionSchema(Schema):
    note = Text(max_length=500, allow_none=True)


class UserQuerySchema(PageArgs):
    org_code = Text(max_length=64)
    active = fields.Boolean()


class TokenCreateSchema(Schema):
    DOC_EXAMPLE = {"name": "福祉総合システム連携", "days": 90}

    name = Text(required=True, min_length=1, max_length=100)
    days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=365))


class TokenSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    prefix = fields.String()
    created_at = Timestamp()
    expires_at = Timestamp()
    revoked_at = Timestamp(allow_none=True)
    last_used_at = Timestamp(allow_none=True)


class TokenIssuedSchema(TokenSchema):
    DOC_EXAMPLE = {"id": "5b0c8f3e-6a4d-4c1e-9a52-2f1d7c3b9e10", "name": "福祉総合システム連携", "prefix": "cf_8Kq2",
                   "created_at": "2026-04-01T09:00:00+09:00", "expires_at": "2026-06-30T09:00:00+09:00",
                   "revoked_at": None, "last_used_at": None, "token": "cf_8Kq2.invented-example-token-value"}

    token = fields.String(metadata={"description": "shown once; store it safely"})


UserPage = page_of(UserSchema)
RoleRequestPage = page_of(RoleRequestSchema)
