"""地域福祉計画の成果指標: a municipality's indicators per fiscal year, and the achievement report."""
from __future__ import annotations

import csv
import io

from flask import Response
from flask_login import current_user

from caseflow.access import trail
from caseflow.access.authz import requires
from caseflow.access.requests import etag, require_if_match
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.errors import validation_problem
from caseflow.indicators import rules as indicators
from caseflow.indicators.schemas import (
    CODE,
    FISCAL_YEAR,
    FiscalYearArgs,
    IndicatorInSchema,
    IndicatorListSchema,
    IndicatorReportSchema,
    IndicatorSchema,
    ReportArgs,
)
from caseflow.organizations.models import Municipality

blp = Blueprint("indicators", __name__, url_prefix="/api/v1/indicators",
                description="地域福祉計画の成果指標: targets and actuals per fiscal year (no personal data)")
report_blp = Blueprint("indicator_reports", __name__, url_prefix="/api/v1/reports",
                       description="The plan indicators' achievement report")


def _check_path(code: str, fiscal_year: str) -> int:
    """The path's indicator code and 年度, checked like a body's fields (422 naming them)."""
    errors = {}
    try:
        CODE(code)
    except Exception as exc:  # marshmallow.ValidationError
        errors["code"] = [str(getattr(exc, "messages", [exc])[0])]
    year = int(fiscal_year) if fiscal_year.isascii() and fiscal_year.isdigit() else None
    try:
        FISCAL_YEAR(year if year is not None else -1)
    except Exception as exc:
        errors["fiscal_year"] = [str(getattr(exc, "messages", [exc])[0])]
    if errors:
        raise validation_problem(errors)
    return year


@blp.route("")
@requires("indicators", "read")
@blp.arguments(FiscalYearArgs, location="query")
@blp.response(200, IndicatorListSchema)
def list_indicators(args):
    """The indicators of the municipality you act in, by code and fiscal year (optionally one year)."""
    return {"items": indicators.listing(current_user.municipality_id, args.get("fiscal_year"))}


@blp.route("/<code>/years/<fiscal_year>", methods=["PUT"])
@requires("indicators", "manage")
@blp.arguments(IndicatorInSchema)
@blp.response(200, IndicatorSchema)
@blp.alt_response(201, schema=IndicatorSchema, description="the year's values were created")
def put_indicator_year(body, code, fiscal_year):
    """Create or replace one indicator's target and actual for one fiscal year (supervisor or secretariat).

    Replacing existing values needs `If-Match` with the ETag you read (428 without it, 412 when someone changed
    them meanwhile). Values are decimals with at most two places, sent as strings or numbers."""
    fiscal_year = _check_path(code, fiscal_year)
    existing = indicators.get(current_user.municipality_id, code, fiscal_year)
    if existing is not None:
        require_if_match(existing.version)
    row, created = indicators.save(current_user.municipality_id, code, fiscal_year, body, actor=current_user)
    return row, 201 if created else 200, etag(row.version)


def _report(args) -> tuple[dict, list[dict]]:
    municipality = db.session().get(Municipality, current_user.municipality_id)
    rows = indicators.report(current_user.municipality_id, args["fiscal_year"])
    trail.record(db.session(), action="reports.indicators", resource_type="reports", actor=current_user,
                 detail={"fiscal_year": args["fiscal_year"], "indicators": len(rows)})
    return {"fiscal_year": args["fiscal_year"], "municipality": municipality.code, "items": rows}, rows


@report_blp.route("/indicators")
@requires("reports", "read")
@report_blp.arguments(ReportArgs, location="query")
@report_blp.response(200, IndicatorReportSchema)
def indicator_report(args):
    """The plan indicators of one fiscal year: target, actual and achievement ratio (decimal strings, never floats)."""
    body, _rows = _report(args)
    return body


@report_blp.route("/indicators.csv")
@requires("reports", "read")
@report_blp.arguments(ReportArgs, location="query")
@report_blp.response(200, content_type="text/csv")
def indicator_report_csv(args):
    """The same report as CSV (UTF-8 with BOM, Japanese headers)."""
    _body, rows = _report(args)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(indicators.CSV_HEADER)
    writer.writerows(indicators.csv_rows(rows))
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="indicators-{args["fiscal_year"]}.csv"'})
