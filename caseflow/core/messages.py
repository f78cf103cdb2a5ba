"""Japanese validation messages, in one place: marshmallow's default (English) messages replaced by Japanese
ones for every field and validator, so that a problem document never mixes "Not a valid UUID." into Japanese.
install() runs when the caseflow.core package is first imported, before any schema is built (validators
and fields take their messages when they are made)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

FIELD_MESSAGES: dict[type, dict[str, str]] = {
    fields.Field: {"required": "必須の項目です。", "null": "空（null）にはできません。",
                   "validator_failed": "値が正しくありません。"},
    fields.String: {"invalid": "文字列で指定してください。", "invalid_utf8": "UTF-8 の文字列で指定してください。"},
    fields.Number: {"invalid": "数値で指定してください。", "too_large": "数値が大きすぎます。"},
    fields.Integer: {"invalid": "整数で指定してください。"},
    fields.Float: {"special": "NaN や無限大は指定できません。"},
    fields.Decimal: {"special": "NaN や無限大は指定できません。"},
    fields.Boolean: {"invalid": "true か false で指定してください。"},
    fields.UUID: {"invalid_uuid": "UUID の形式で指定してください。"},
    fields.Date: {"invalid": "日付（YYYY-MM-DD）で指定してください。", "format": "日付として出力できません。"},
    fields.DateTime: {"invalid": "日時（ISO 8601、時差つき）で指定してください。",
                      "invalid_awareness": "時差（タイムゾーン）つきの日時で指定してください。",
                      "format": "日時として出力できません。"},
    fields.Time: {"invalid": "時刻（HH:MM）で指定してください。", "format": "時刻として出力できません。"},
    fields.TimeDelta: {"invalid": "期間の形式が正しくありません。", "format": "期間として出力できません。"},
    fields.List: {"invalid": "配列で指定してください。"},
    fields.Tuple: {"invalid": "配列で指定してください。"},
    fields.Mapping: {"invalid": "オブジェクトで指定してください。"},
    fields.Nested: {"type": "オブジェクトで指定してください。"},
    fields.Email: {"invalid": "メールアドレスの形式が正しくありません。"},
    fields.URL: {"invalid": "URL の形式が正しくありません。"},
    fields.Enum: {"unknown": "次のいずれかを指定してください: {choices}。"},
    fields.IP: {"invalid_ip": "IP アドレスの形式が正しくありません。"},
}

SCHEMA_MESSAGES = {"type": "オブジェクトで指定してください。", "unknown": "この項目は受け付けていません。"}

VALIDATOR_MESSAGES: dict[type, dict[str, str]] = {
    validate.Length: {"message_min": "{min} 文字（件）以上にしてください。", "message_max": "{max} 文字（件）以内にしてください。",
                      "message_all": "{min}〜{max} 文字（件）にしてください。", "message_equal": "{equal} 文字（件）にしてください。"},
    validate.Range: {"message_min": "{{min}} {min_op}で指定してください。", "message_max": "{{max}} {max_op}で指定してください。",
                     "message_all": "{{min}} {min_op}、{{max}} {max_op}で指定してください。",
                     "message_gte": "以上", "message_gt": "より大きい値", "message_lte": "以下", "message_lt": "未満"},
    validate.OneOf: {"default_message": "次のいずれかを指定してください: {choices}。"},
    validate.ContainsOnly: {"default_message": "指定できない値が含まれています（指定できるもの: {choices}）。"},
    validate.ContainsNoneOf: {"default_message": "指定できない値が含まれています: {values}。"},
    validate.NoneOf: {"default_message": "この値は指定できません。"},
    validate.Predicate: {"default_message": "値が正しくありません。"},
    validate.Equal: {"default_message": "{other} を指定してください。"},
    validate.Regexp: {"default_message": "形式が正しくありません。"},
    validate.Email: {"default_message": "メールアドレスの形式が正しくありません。"},
    validate.URL: {"default_message": "URL の形式が正しくありません。"},
}


def install() -> None:
    for cls, messages in FIELD_MESSAGES.items():
        cls.default_error_messages = {**cls.__dict__.get("default_error_messages", {}), **messages}
    Schema._default_error_messages = {**Schema._default_error_messages, **SCHEMA_MESSAGES}
    for cls, messages in VALIDATOR_MESSAGES.items():
        for attribute, message in messages.items():
            setattr(cls, attribute, message)


install()
