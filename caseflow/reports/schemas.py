"""The KPI report's query and its JSON (at the edge: the figures are computed by caseflow.reports.rules)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from caseflow.core.schemas import Choice, Day

AUDIENCES = ("shared", "internal")
# A count, or null where the shared report suppresses it (a small cell, or one hidden with it).
COUNT = dict(allow_none=True, metadata={"description": "a count; null: suppressed (秘匿), never zero"})


def _counts(description: str) -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.Integer(**COUNT), required=True,
                       metadata={"description": description})


class KpiReportArgs(Schema):
    DOC_RULES = {("fiscal_year", "month", "from", "to", "period"):
                 "exactly one period: `fiscal_year`, `month`, or `from` and `to` together (`to` on or after `from`, "
                 "at most five years; 422 names `period` or `to`)",
                 ("audience",): "`internal` (no suppression) only for the municipality's lead department (else 403)",
                 ("org_id",): "an organisation of the municipality you act in (422 naming `org_id` otherwise)"}

    fiscal_year = fields.Integer(validate=validate.Range(min=2000, max=2100), metadata={"description": "年度 (April–March)"})
    month = fields.String(validate=validate.Regexp(r"^20\d{2}-(0[1-9]|1[0-2])$"), metadata={"description": "YYYY-MM"})
    start = Day(data_key="from")
    end = Day(data_key="to")
    org_id = fields.UUID(metadata={"description": "owner organisation of the cases (of the municipality you act in)"})
    district = fields.String(validate=validate.Length(max=64),
                             metadata={"description": "a code of the municipality's `district` list "
                                                      "(GET /api/v1/codes/district); cases of that district only"})
    audience = Choice(AUDIENCES, load_default="shared",
                      metadata={"description": "internal (no suppression) only for the lead department"})

    @validates_schema
    def _one_period(self, data, **_):
        given = [k for k in ("fiscal_year", "month") if k in data] + (["from/to"] if "start" in data or "end" in data else [])
        if len(given) != 1:
            raise ValidationError("fiscal_year、month、from/to のいずれか1つで期間を指定してください。", "period")
        if ("start" in data) != ("end" in data):
            raise ValidationError("from と to は両方指定してください。", "to")
        if "start" in data and data["end"] < data["start"]:
            raise ValidationError("to は from 以降の日付にしてください。", "to")
        if "start" in data and (data["end"] - data["start"]).days > 366 * 5:
            raise ValidationError("期間は5年以内にしてください。", "to")


class KpiPeriodSchema(Schema):
    label = fields.String(required=True, metadata={"description": "e.g. 令和7年度（2025年度）"})
    wareki = fields.String(required=True)
    start = fields.String(required=True, metadata={"description": "first day, YYYY-MM-DD"})
    end = fields.String(required=True, metadata={"description": "last day, YYYY-MM-DD"})


class KpiNamedSchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)


class NewConsultationsSchema(Schema):
    total = fields.Integer(required=True, **COUNT)
    by_channel = _counts("intake_channel code -> count")
    by_issue = _counts("issue_category code -> count (a case counts once per issue)")
    by_district = _counts("district code -> count")
    by_age_band = _counts("age band at intake (e.g. 15歳未満, 15〜17歳, 不明) -> count, youngest first")
    by_co_lead = _counts("co-led or single-lead -> count")


class ReferralFiguresSchema(Schema):
    by_receiving_org = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(),
                                                                            values=fields.Integer(**COUNT)),
                                   required=True, metadata={"description": "receiving organisation's name -> "
                                                                           "referral state -> count"})
    median_days_to_reply = fields.Float(allow_none=True, required=True)
    overdue_at_end = fields.Integer(required=True, **COUNT)


class MeetingFiguresSchema(Schema):
    held = fields.Integer(required=True, **COUNT)
    cases_discussed = fields.Integer(required=True, **COUNT)


class HeaderSchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)


class CrosstabSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    row_title = fields.String(required=True)
    column_title = fields.String(required=True)
    rows = fields.List(fields.Nested(HeaderSchema), required=True)
    columns = fields.List(fields.Nested(HeaderSchema), required=True)
    cells = fields.List(fields.List(fields.Integer(**COUNT)), required=True,
                        metadata={"description": "cells[row][column]; null: suppressed"})
    row_totals = fields.List(fields.Integer(**COUNT), required=True)
    column_totals = fields.List(fields.Integer(**COUNT), required=True)
    total = fields.Integer(required=True, **COUNT)


class KpiReportSchema(Schema):
    title = fields.String(required=True, metadata={"description": "e.g. 令和7年度（2025年度） 実績報告"})
    period = fields.Nested(KpiPeriodSchema, required=True)
    municipality = fields.Nested(KpiNamedSchema, required=True)
    organization = fields.Nested(KpiNamedSchema, allow_none=True, required=True)
    district = fields.String(allow_none=True, required=True)
    audience = Choice(AUDIENCES, required=True)
    suppressed_below = fields.Integer(allow_none=True, required=True, metadata={
        "description": "counts below this (and the cells hidden with them) are null; null: nothing suppressed"})
    new_consultations = fields.Nested(NewConsultationsSchema, required=True)
    multi_issue_cases = fields.Integer(required=True, **COUNT)
    cases_by_stage_at_end = _counts("stage -> cases in it at the end of the period")
    referrals = fields.Nested(ReferralFiguresSchema, required=True)
    meetings = fields.Nested(MeetingFiguresSchema, required=True)
    closures_by_reason = _counts("closure_reason code -> cases closed in the period")
    average_case_duration_days = fields.Float(allow_none=True, required=True)
    monthly_by_channel = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(),
                                                                              values=fields.Integer(**COUNT)),
                                     required=True, metadata={"description": "YYYY-MM -> channel -> count"})
    crosstabs = fields.Dict(keys=fields.String(), values=fields.Nested(CrosstabSchema), required=True, metadata={
        "description": "the 様式 tables by key: month_by_channel, issue_by_age_band, stage_at_end, closures"})
