from __future__ import annotations

from marshmallow import Schema, fields, validate

from caseflow.core.schemas import Text


class CodeSchema(Schema):
    code = fields.String()
    label = fields.String()
    active = fields.Boolean()
    scope = fields.String(allow_none=True)


class CodeInSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$"))
    label = Text(required=True, min_length=1, max_length=100)
    scope = fields.String(validate=validate.Length(max=32), allow_none=True)
