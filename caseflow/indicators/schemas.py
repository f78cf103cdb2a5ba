from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from caseflow.indicators.models import DIRECTIONS

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_\-]{0,31}$", error="英小文字・数字・-・_ の32文字以内で指定してください。")
FISCAL_YEAR = validate.Range(min=2000, max=2100, error="年度は2000〜2100で指定してください。")


def _in_range(value) -> None:
    if value is not None and not 0 <= value <= MAX_VALUE:
        raise ValidationError("0以上 999,999,999,999 以下の数値で指定してください。")


MAX_VALUE = 999_999_999_999
# Output decimals are strings ("70.00"), so that no client reads them through a float.
DECIMAL_OUT = {"type": "string", "format": "decimal", "example": "70.00"}


def _value(description: str):
    return fields.Decimal(places=2, as_string=True, allow_none=True, allow_nan=False, load_default=None,
                          validate=_in_range, metadata={"description": f"{description} (0 以上、小数2桁まで)"})


class IndicatorInSchema(Schema):
    DOC_RULES = {("target", "actual"): "each 0 to 999,999,999,999 with at most two decimals; at least one of them"}

    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"description": "指標名"})
    unit = fields.String(required=True, validate=validate.Length(min=1, max=16), metadata={"description": "単位 (%, 人 …)"})
    direction = fields.String(load_default="higher", validate=validate.OneOf(DIRECTIONS),
                              metadata={"description": "higher: 目標以上で達成; lower: 目標以下で達成 (認定率など)"})
    target = _value("目標値")
    actual = _value("実績値 (null: 未実施・未定)")
    source = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=300),
                           metadata={"description": "出典 (市民アンケート調査 …)"})

    @validates_schema
    def _something(self, data, **_):
        if data.get("target") is None and data.get("actual") is None:
            raise ValidationError("目標値か実績値のどちらかを指定してください。", "target")


class IndicatorSchema(Schema):
    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    direction = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    target = fields.Decimal(as_string=True, allow_none=True, metadata=DECIMAL_OUT)
    actual = fields.Decimal(as_string=True, allow_none=True, metadata=DECIMAL_OUT)
    source = fields.String(allow_none=True)
    updated_at = fields.DateTime(required=True)


class IndicatorListSchema(Schema):
    items = fields.List(fields.Nested(IndicatorSchema), required=True)


class FiscalYearArgs(Schema):
    fiscal_year = fields.Integer(validate=FISCAL_YEAR, metadata={"description": "年度 (April–March)"})


class ReportArgs(Schema):
    fiscal_year = fields.Integer(required=True, validate=FISCAL_YEAR, metadata={"description": "年度 (April–March)"})


class IndicatorReportRowSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    direction = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    target = fields.Decimal(as_string=True, allow_none=True, metadata=DECIMAL_OUT)
    actual = fields.Decimal(as_string=True, allow_none=True, metadata=DECIMAL_OUT)
    achievement_ratio = fields.Decimal(as_string=True, allow_none=True,
                                       metadata={**DECIMAL_OUT, "example": "1.043",
                                                 "description": "達成率 as a decimal string (1.000 = met exactly)"})
    achievement_percent = fields.Decimal(as_string=True, allow_none=True, metadata={**DECIMAL_OUT, "example": "104.3",
                                                                                             "description": "達成率（%）"})
    met = fields.Boolean(allow_none=True)
    source = fields.String(allow_none=True)


class IndicatorReportSchema(Schema):
    fiscal_year = fields.Integer(required=True)
    municipality = fields.String(required=True)
    items = fields.List(fields.Nested(IndicatorReportRowSchema), required=True)
