from __future__ import annotations

import csv
import io

from flask import Response, current_app
from flask_login import current_user

from caseflow.access import trail
from caseflow.access.authz import requires
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem
from caseflow.reports import rules as reports
from caseflow.reports import spreadsheet
from caseflow.reports.schemas import KpiReportArgs, KpiReportSchema

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="KPI reports (aggregate counts; small counts suppressed outside the lead department)")


def _build(args):
    period = reports.period_of(fiscal_year=args.get("fiscal_year"), month=args.get("month"), start=args.get("start"),
                               end=args.get("end"))
    threshold = current_app.config["REPORT_SUPPRESS_BELOW"]
    internal = args["audience"] == "internal"
    lead = current_user.org.code in current_app.config["REPORT_LEAD_ORGS"] and \
        current_user.org.municipality_id == current_user.municipality_id  # the lead department of this municipality
    if internal and not lead:
        raise Problem(403, detail="秘匿処理なしの集計は主管課のみ出力できます。", type_="forbidden")
    exact = reports.compute(period, municipality_id=current_user.municipality_id, org_id=args.get("org_id"),
                            district=args.get("district"))
    data = exact if internal else reports.suppress(exact, threshold)
    trail.record(db.session(), action="reports.kpi", resource_type="reports", actor=current_user,
                 detail={"period": period.label, "audience": args["audience"],
                         "org": str(args["org_id"]) if args.get("org_id") else None, "district": args.get("district")})
    return data, threshold, not internal


@blp.route("/kpi")
@requires("reports", "read")
@blp.arguments(KpiReportArgs, location="query")
@blp.response(200, KpiReportSchema)
def kpi(args):
    """KPI report as JSON; suppressed cells are null (see `suppressed_below`)."""
    data, threshold, suppressed = _build(args)
    return {**data, "title": reports.report_title(data), "suppressed_below": threshold if suppressed else None, "audience": args["audience"]}


@blp.route("/kpi.csv")
@requires("reports", "read")
@blp.arguments(KpiReportArgs, location="query")
@blp.response(200, content_type="text/csv")
def kpi_csv(args):
    """The same report as CSV (UTF-8 with BOM): one line per figure, cross-tab cells as 「行 × 列」; suppressed: *."""
    data, threshold, _ = _build(args)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["区分", "項目", "件数・値"])
    writer.writerows(reports.rows_for_export(data, threshold))
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="kpi-report.csv"'})


@blp.route("/kpi.xlsx")
@requires("reports", "read")
@blp.arguments(KpiReportArgs, location="query")
@blp.response(200, content_type=XLSX)
def kpi_xlsx(args):
    """The same report as an Excel workbook: one sheet per table, numbers as numbers, suppressed cells as *."""
    data, threshold, suppressed = _build(args)
    facts = reports.header_facts(data, generated_at=utcnow(), suppressed=suppressed, threshold=threshold)
    book = spreadsheet.workbook(data, title=reports.report_title(data), facts=facts,
                                others=reports.other_indicators(data),
                                note=reports.suppression_note(threshold) if suppressed else None)
    return Response(book, mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="kpi-report.xlsx"'})


@blp.route("/kpi.pdf")
@requires("reports", "read")
@blp.arguments(KpiReportArgs, location="query")
@blp.response(200, content_type="application/pdf")
def kpi_pdf(args):
    """The same report as a PDF 実績報告: 和暦 period, municipality, monthly chart and cross-tabs with totals."""
    data, threshold, suppressed = _build(args)
    pdf = reports.render_pdf_report(data, threshold, recipient=f"{current_user.display_name}（{current_user.org.name}）",
                                    generated_at=utcnow(), suppressed=suppressed)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="kpi-report.pdf"'})
