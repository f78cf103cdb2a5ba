from __future__ import annotations

import unicodedata
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate

from caseflow.core import mynumber
from caseflow.core.text import unsafe_characters

LIMIT_MAX = 200
# A code of a managed list (caseflow.codes): checked against the list by the rules, bounded here.
CODE = dict(validate=validate.Length(min=1, max=64))


MY_NUMBER_REFUSED = "x-my-number-refused"
"""The OpenAPI extension on every string property that refuses a 個人番号 (tests walk the document for it)."""


class Text(fields.String):
    """A user-entered string: NFKC-normalised, stripped, length-checked, no control or format characters
    (caseflow.core.text.unsafe_characters: zero-width and bidi-control characters are refused too), and no
    個人番号 (caseflow.core.mynumber: 番号法 forbids this system to keep one). `my_number_ok=True` only where a
    field's syntax already holds opaque digit strings (a URL); the document marks the fields that refuse."""

    def __init__(self, *, max_length: int, min_length: int = 0, my_number_ok: bool = False, **kwargs):
        validators = list(kwargs.pop("validate", []) or [])
        validators.insert(0, validate.Length(min=min_length, max=max_length))
        self.refuses_my_number = not my_number_ok
        if self.refuses_my_number:
            kwargs["metadata"] = {**(kwargs.get("metadata") or {}), MY_NUMBER_REFUSED: True}
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        value = unicodedata.normalize("NFKC", value).strip()
        problem = unsafe_characters(value)
        if problem:
            raise ValidationError(problem)
        # Before any validator, so that no validator's message can quote the value.
        if self.refuses_my_number and mynumber.contains_my_number(value):
            raise ValidationError(mynumber.MESSAGE)
        return value


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=LIMIT_MAX))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class PageMeta(Schema):
    limit = fields.Integer()
    offset = fields.Integer()
    has_more = fields.Boolean()


def page_of(item_schema):
    """A list envelope schema: {"items": [...], "limit", "offset", "has_more"}."""
    name = f"{item_schema.__name__.removesuffix('Schema')}Page"
    return type(name, (PageMeta,), {"items": fields.List(fields.Nested(item_schema))})


class EmptySchema(Schema):
    """For actions that take no body: anything sent is an unknown field (422)."""


class Timestamp(fields.AwareDateTime):
    """An aware datetime within years 2000–2099: older or later values are typos or attacks, and dates
    outside the calendar range break database conversions and 和暦 rendering."""

    def _deserialize(self, value, attr, data, **kwargs):
        dt = super()._deserialize(value, attr, data, **kwargs)
        try:
            year = dt.astimezone(timezone.utc).year
        except (OverflowError, ValueError):
            year = 0
        if not 2000 <= year <= 2099:
            raise ValidationError("2000年から2099年までの日時を指定してください。")
        return dt


class Day(fields.Date):
    """A calendar date within years 1900–2099 (birth dates included)."""

    def _deserialize(self, value, attr, data, **kwargs):
        d = super()._deserialize(value, attr, data, **kwargs)
        if not 1900 <= d.year <= 2099:
            raise ValidationError("1900年から2099年までの日付を指定してください。")
        return d
