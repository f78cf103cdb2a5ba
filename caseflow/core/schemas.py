from __future__ import annotations

import unicodedata
from datetime import date, timezone

from marshmallow import Schema, ValidationError, fields, validate

from caseflow.core import jpdate, mynumber
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


DAY_DOC = ("date: ISO 8601 (2025-04-01) or as typed in Japan -- 2025/4/1, 2025年4月1日, 和暦 令和7年4月1日, R7.4.1, "
           "H30/6/1, 平成元年1月8日 (full-width digits too); an era date must exist (平成31年5月1日 does not). "
           "Years 1900-2099. Always answered as ISO 8601.")


class Day(fields.String):
    """A calendar date within years 1900–2099 (birth dates included), read as ISO 8601 or as people type it
    in Japan, 和暦 included (caseflow.core.jpdate.parse_date); written as ISO 8601. Documented as a string
    (no `format: date`, which would forbid the 和暦 forms) with DAY_DOC in its description."""

    def __init__(self, **kwargs):
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata["description"] = f"{metadata['description']} -- {DAY_DOC}" if metadata.get("description") else DAY_DOC
        metadata.setdefault("example", "2025-04-01")
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return date.isoformat(value)  # as fields.Date: a datetime gives its day only

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            d = jpdate.parse_date(text)
        except jpdate.DateFormatError as exc:
            raise ValidationError(str(exc)) from None
        if not 1900 <= d.year <= 2099:
            raise ValidationError("1900年から2099年までの日付を指定してください。")
        return d
