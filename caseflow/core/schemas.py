from __future__ import annotations

import unicodedata
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from caseflow.core import jpdate, mynumber
from caseflow.core.text import unsafe_characters

LIMIT_MAX = 200
# A code of a managed list (caseflow.codes): checked against the list by the rules, bounded here.
CODE = dict(validate=validate.Length(min=1, max=64))
CODE_LIST = "x-code-list"
"""The OpenAPI extension naming the managed list (GET /api/v1/codes/{list_name}) a code field takes its values from."""


def Code(list_name: str, **kwargs) -> fields.String:  # noqa: N802 -- a field, named like the field classes
    """A code of the managed list `list_name` (caseflow.codes; checked against the list by the rules): documented
    with `x-code-list` and where to read the list, so that a client can offer the active codes."""
    metadata = dict(kwargs.pop("metadata", None) or {})
    where = (f"a code of the managed list `{list_name}`: the active codes are at GET /api/v1/codes/{list_name} "
             "(others are refused with 422)")
    metadata["description"] = f"{metadata['description']} -- {where}" if metadata.get("description") else where
    metadata[CODE_LIST] = list_name
    return fields.String(metadata=metadata, **CODE, **kwargs)


def Choice(values, **kwargs) -> fields.String:  # noqa: N802 -- a field, named like the field classes
    """A string of a fixed set (a product constant: stages, states, kinds): on an output field it puts the enum
    into the document, from the same tuple the rules and the database CHECK use, so the two cannot drift."""
    return fields.String(validate=validate.OneOf(list(values)), **kwargs)


def _unsafe_class() -> str:
    """A regular-expression character class of what caseflow.core.text.unsafe_characters refuses in the Basic
    Multilingual Plane: control characters but newline and tab (Cc) and format characters (Cf), from the
    Unicode data of this Python, as \\uXXXX (ECMA-262 and Python read them alike). The few format characters
    above U+FFFF (tag characters U+E0001, U+E0020-E007F; Egyptian and shorthand format controls) are refused
    by the server too but left out of the pattern: without the `u` flag an ECMA-262 class cannot name them,
    and the fuzzer's generator cannot draw from such a class."""
    ranges, start = [], None
    for cp in range(0x10001):
        ch = chr(cp) if cp <= 0xFFFF else ""
        bad = bool(ch) and (unicodedata.category(ch) == "Cf" or (unicodedata.category(ch) == "Cc" and ch not in "\n\t"))
        if bad and start is None:
            start = cp
        elif not bad and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


_UNSAFE = _unsafe_class()
# The empty alternative `(?:...|)` matches nothing more: it keeps the pattern out of the shape (one repeated
# class) that generators such as schemathesis fold the maxLength into, as [^...]{0,20000}, a regular
# expression costly to compile for every operation, or too large to.
SAFE_TEXT = f"^(?:[^{_UNSAFE}]*|)$"
"""The `pattern` of every user-entered string: no control characters (newline and tab allowed) and no format
characters (zero-width and bidi controls); see caseflow.core.text.unsafe_characters."""
SAFE_NONBLANK_TEXT = f"^[^{_UNSAFE}]*[^\\s{_UNSAFE}](?:[^{_UNSAFE}]*|)$"
"""The same, for a string that must not be empty: one character at least that is not a space (the server
strips spaces before it checks the length)."""


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
        kwargs["metadata"] = dict(kwargs.get("metadata") or {})
        if not any(isinstance(v, validate.Regexp) for v in validators):  # else the (stricter) Regexp is the pattern
            kwargs["metadata"].setdefault("pattern", SAFE_NONBLANK_TEXT if min_length else SAFE_TEXT)
        if self.refuses_my_number:
            kwargs["metadata"][MY_NUMBER_REFUSED] = True
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


TIMESTAMP_PATTERN = r"^20[0-9]{2}-"
TIMESTAMP_DOC = "an ISO 8601 date-time with its UTC offset, in the years 2000-2099 (as written)"


class Timestamp(fields.AwareDateTime):
    """An aware datetime within years 2000–2099 as written (its own offset): older or later values are typos
    or attacks, and dates outside the calendar range break database conversions and 和暦 rendering. The year
    is read as written, as the document's pattern says (2000-01-01T05:00+09:00 is accepted although it is
    1999 in UTC): any of these years converts safely to UTC and to Japan time."""

    def __init__(self, *args, **kwargs):
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata.setdefault("pattern", TIMESTAMP_PATTERN)
        metadata["description"] = (f"{metadata['description']} -- {TIMESTAMP_DOC}" if metadata.get("description")
                                   else TIMESTAMP_DOC)
        super().__init__(*args, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        dt = super()._deserialize(value, attr, data, **kwargs)
        if not 2000 <= dt.year <= 2099:
            raise ValidationError("2000年から2099年までの日時を指定してください。")
        return dt


DAY_DOC = ("date: ISO 8601 (2025-04-01) or as typed in Japan -- 2025/4/1, 2025年4月1日, 和暦 令和7年4月1日, R7.4.1, "
           "H30/6/1, 平成元年1月8日 (full-width digits too); an era date must exist (平成31年5月1日 does not). "
           "Years 1900-2099. Always answered as ISO 8601. The pattern is the ISO form a client sends; the "
           "forms typed in Japan are read too.")
# ISO 8601 days of 1900-2099 that exist (29 February is left out of the pattern; the server takes it in leap years).
DAY_PATTERN = (r"^(19|20)[0-9]{2}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
               r"|(?:0[13578]|1[02])-31)$")


class Day(fields.String):
    """A calendar date within years 1900–2099 (birth dates included), read as ISO 8601 or as people type it
    in Japan, 和暦 included (caseflow.core.jpdate.parse_date); written as ISO 8601. Documented as a string
    (no `format: date`, which would forbid the 和暦 forms) with DAY_DOC in its description."""

    def __init__(self, **kwargs):
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata["description"] = f"{metadata['description']} -- {DAY_DOC}" if metadata.get("description") else DAY_DOC
        metadata.setdefault("example", "2025-04-01")
        metadata.setdefault("pattern", DAY_PATTERN)
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
