"""The audit trail for auditors: search, per-person reports, anomaly reports, reviews, exports and
the chain's verification status. Metadata only (who, when, which action, on what basis), never
case content or a person's name. Every call here is itself audited."""
from __future__ import annotations

import json
import re

from flask import Response, current_app, stream_with_context
from flask_login import current_user
from sqlalchemy.orm import aliased

from caseflow.access import sharing, trail
from caseflow.access.authz import requires
from caseflow.accounts.models import User
from caseflow.audit import anomalies as audit_anomalies
from caseflow.audit import export as audit_export
from caseflow.audit import period_report as audit_period_report
from caseflow.audit import queries as audit_queries
from caseflow.audit import reviews as audit_reviews
from caseflow.audit import search as audit_search
from caseflow.audit import verification as audit_verification
from caseflow.audit.models import AuditEvent
from caseflow.audit.schemas import (
    AfterHoursQuerySchema,
    AfterHoursReportSchema,
    AuditEventDetailSchema,
    AuditExportQuerySchema,
    AuditPageSchema,
    AuditQuerySchema,
    BulkQuerySchema,
    BulkReportSchema,
    ConsentFlagReportSchema,
    DeniedQuerySchema,
    DeniedReportSchema,
    EmergencyQuerySchema,
    EmergencyReportSchema,
    PeriodSchema,
    PersonReportSchema,
    ReviewCreateSchema,
    ReviewListSchema,
    ReviewSchema,
    RoleChangeQuerySchema,
    RoleChangeReportSchema,
    UninvolvedQuerySchema,
    UninvolvedReportSchema,
    VerificationStatusSchema,
)
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem
from caseflow.core.pdf import FontsMissingError
from caseflow.organizations.models import Municipality, Organization

blp = Blueprint("audit_events", __name__, url_prefix="/api/v1/audit-events",
                description="The audit trail (auditors only; metadata, never case content)")

_SEQ = re.compile(r"^[1-9][0-9]{0,17}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"





# --- helpers ----------------------------------------------------------------------------------

def _tenant() -> audit_queries.Tenant:
    """The municipality the auditor acts in: only its events are searched, reported and reviewed."""
    m = db.session().get(Municipality, current_user.municipality_id)
    return audit_queries.Tenant(m.id, legacy=m.holds_legacy_events)


def _record(action: str, *, resource_type: str = "audit_events", resource_id=None, detail: dict | None = None):
    trail.record(db.session(), action=f"audit.{action}", resource_type=resource_type, resource_id=resource_id,
                 actor=current_user, detail=detail or {})


def _filter_names(args) -> list[str]:
    return sorted(k for k in args if k not in ("limit", "after_seq", "order"))


def _event_dict(ev: AuditEvent, status: dict | None) -> dict:
    status = status or {}
    return {c: getattr(ev, c) for c in ("seq", "occurred_at", "actor_user_id", "actor_org_id", "action",
                                          "resource_type", "resource_id", "outcome", "legal_basis", "request_id",
                                          "flagged", "hash")} | {
        "disclosures": json.loads(ev.disclosures), "detail": json.loads(ev.detail),
        "reviewed": bool(status.get("reviews")), "reviews": status.get("reviews", 0),
        "last_reviewed_at": status.get("last_reviewed_at")}


def _events_with_status(events) -> list[dict]:
    status = audit_search.review_status([e.seq for e in events])
    return [_event_dict(e, status.get(e.seq)) for e in events]


def _seq(value: str) -> int:
    if not _SEQ.match(value):
        raise Problem(404, detail="指定された監査記録は存在しません。")
    return int(value)


def _period(args):
    return audit_queries.period(args.get("since"), args.get("until"), current_app.config["AUDIT_REPORT_DAYS"])


def _anomaly(kind: str, args, report, **options) -> dict:
    """One anomaly report of the caller's municipality for the requested period; the look is itself audited."""
    since, until = _period(args)
    result = report(since, until, tenant=_tenant(), limit=args["limit"], **options)
    _record("anomalies", detail={"kind": kind})
    return result


# --- search and export --------------------------------------------------------------------------

@blp.route("")
@requires("audit", "read")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_audit_events(args):
    """Search the trail in seq order; page with `after_seq` (the previous page's `next_after_seq`)."""
    rows, nxt = audit_search.search(audit_search.Filters.of(args, _tenant()), limit=args["limit"],
                               after_seq=args.get("after_seq"), descending=args["order"] == "desc")
    _record("search", detail={"filters": _filter_names(args)})
    return {"items": _events_with_status(rows), "next_after_seq": nxt}


EXPORT_COLUMNS = ["seq", "occurred_at", "actor_user_id", "actor_org_id", "action", "resource_type", "resource_id",
                  "outcome", "legal_basis", "request_id", "flagged", "disclosures", "detail", "hash"]


def _export_events(args, fmt: str):
    """The filtered events in seq order with the actor's name and organisation, read in batches."""
    f = audit_search.Filters.of(args, _tenant())
    actor, org = aliased(User), aliased(Organization)
    stmt = (audit_search.search_statement(f, [*(getattr(AuditEvent, c) for c in EXPORT_COLUMNS),
                                              actor.display_name.label("actor_name"), org.name.label("actor_org")])
            .outerjoin(actor, actor.id == AuditEvent.actor_user_id)
            .outerjoin(org, org.id == AuditEvent.actor_org_id)
            .order_by(AuditEvent.seq))
    _record("export", detail={"filters": _filter_names(args), "format": fmt, "header": args["header"]})
    db.session().commit()
    engine = db.engine()

    def events():
        with engine.connect() as conn:
            result = conn.execution_options(yield_per=2000, stream_results=True).execute(stmt)
            for row in result.mappings():
                yield row
    return events


@blp.route("/export.csv")
@requires("audit", "read")
@blp.arguments(AuditExportQuerySchema(exclude=("limit", "after_seq", "order")), location="query")
@blp.response(200, content_type="text/csv")
def export_audit_events(args):
    """The filtered trail as CSV (UTF-8 with BOM), streamed in seq order; times in JST with the offset.

    Rows are read with a server-side cursor in batches, so a range of millions of events never sits
    in memory (no paging parameters: the whole filtered range, oldest first).
    """
    events = _export_events(args, "csv")
    return Response(stream_with_context(audit_export.csv_chunks(events(), args["header"])), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'})


@blp.route("/export.xlsx")
@requires("audit", "read")
@blp.arguments(AuditExportQuerySchema(exclude=("limit", "after_seq", "order")), location="query")
@blp.response(200, content_type=XLSX)
def export_audit_events_xlsx(args):
    """The filtered trail as an Excel workbook: the CSV's columns, the time as a date cell (JST)."""
    events = _export_events(args, "xlsx")
    return Response(audit_export.xlsx_bytes(events(), args["header"]), mimetype=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="audit-events.xlsx"'})


@blp.route("/report.pdf")
@requires("audit", "read")
@blp.arguments(PeriodSchema, location="query")
@blp.response(200, content_type="application/pdf")
def period_report_pdf(args):
    """A PDF audit report for a period (default: the last AUDIT_REPORT_DAYS days) with summary tables."""

    since, until = _period(args)
    summary = audit_period_report.period_summary(since, until, tenant=_tenant(), config=current_app.config)
    recipient = f"{current_user.org.name} {current_user.display_name}".strip()
    try:
        body = audit_period_report.render_period_pdf(summary, recipient=recipient, generated_at=utcnow())
    except FontsMissingError:
        current_app.logger.error("PDF fonts are not installed")
        raise Problem(503, "PDFを作成できません", "サーバーに日本語フォントがインストールされていません。",
                      type_="pdf-unavailable") from None
    _record("report_pdf", detail={"since": since.isoformat(), "until": until.isoformat()})
    name = f"audit-report-{since:%Y%m%d}-{until:%Y%m%d}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- per-person report ----------------------------------------------------------------------------

@blp.route("/persons/<uuid:person_id>/report")
@requires("audit", "read")
@blp.arguments(PeriodSchema, location="query")
@blp.response(200, PersonReportSchema)
def person_report(args, person_id):
    """開示対応: every disclosure of one person's data, by receiving organisation and legal basis.

    Ids, organisation names, bases, data categories, counts and times; no person names.
    """
    result = audit_search.person_report(person_id, args.get("since"), args.get("until"), tenant=_tenant())
    _record("person_report", resource_type="persons", resource_id=person_id)
    return result


# --- anomaly reports ------------------------------------------------------------------------------

@blp.route("/anomalies/emergency")
@requires("audit", "read")
@blp.arguments(EmergencyQuerySchema, location="query")
@blp.response(200, EmergencyReportSchema)
def anomalies_emergency(args):
    """Break-glass (flagged) events with auditor and supervisor review state and grant use; repeated openings as patterns."""
    return _anomaly("emergency", args, audit_anomalies.emergency_uses, reviewed=args.get("reviewed"))


@blp.route("/anomalies/denied")
@requires("audit", "read")
@blp.arguments(DeniedQuerySchema, location="query")
@blp.response(200, DeniedReportSchema)
def anomalies_denied(args):
    """Refused actions by user (at least `min_count`, default AUDIT_DENIED_MIN) and failed logins by account."""
    return _anomaly("denied", args, audit_anomalies.denied_attempts,
                    min_count=args.get("min_count", current_app.config["AUDIT_DENIED_MIN"]))


@blp.route("/anomalies/bulk")
@requires("audit", "read")
@blp.arguments(BulkQuerySchema, location="query")
@blp.response(200, BulkReportSchema)
def anomalies_bulk(args):
    """Users who touched more than `persons` distinct persons within `minutes` (AUDIT_BULK_PERSONS / _MINUTES)."""
    cfg = current_app.config
    return _anomaly("bulk", args, audit_anomalies.bulk_access, persons=args.get("persons", cfg["AUDIT_BULK_PERSONS"]),
                    minutes=args.get("minutes", cfg["AUDIT_BULK_MINUTES"]))


@blp.route("/anomalies/after-hours")
@requires("audit", "read")
@blp.arguments(AfterHoursQuerySchema, location="query")
@blp.response(200, AfterHoursReportSchema)
def anomalies_after_hours(args):
    """Access outside working hours, Japan time (AUDIT_WORK_START/END, weekends, national holidays, AUDIT_HOLIDAYS)."""
    cfg = current_app.config
    hours = audit_anomalies.WorkingHours.parse(args.get("work_start", cfg["AUDIT_WORK_START"]),
                                               args.get("work_end", cfg["AUDIT_WORK_END"]),
                                               args.get("weekends_off", cfg["AUDIT_WEEKENDS_OFF"]),
                                               args.get("holidays", cfg["AUDIT_HOLIDAYS"]),
                                               args.get("national_holidays", cfg["AUDIT_NATIONAL_HOLIDAYS"]))
    result = _anomaly("after_hours", args, audit_anomalies.after_hours, hours=hours,
                      personal_data_only=args["scope"] == "personal_data", after_seq=args.get("after_seq"))
    return {**result, "items": _events_with_status(result["items"])}


@blp.route("/anomalies/uninvolved")
@requires("audit", "read")
@blp.arguments(UninvolvedQuerySchema, location="query")
@blp.response(200, UninvolvedReportSchema)
def anomalies_uninvolved(args):
    """Access to a case by an organisation whose involvement in it had already ended."""
    return _anomaly("uninvolved", args, audit_anomalies.uninvolved_access, periods=sharing.involvement_periods())


@blp.route("/anomalies/consents")
@requires("audit", "read")
@blp.arguments(EmergencyQuerySchema, location="query")
@blp.response(200, ConsentFlagReportSchema)
def anomalies_consents(args):
    """Consents the recording organisation made out to itself (or its kind), and revocations by an organisation
    other than the recorder, with their review status."""
    return _anomaly("consents", args, audit_anomalies.consent_flags, reviewed=args.get("reviewed"))


@blp.route("/anomalies/role-changes")
@requires("audit", "read")
@blp.arguments(RoleChangeQuerySchema, location="query")
@blp.response(200, RoleChangeReportSchema)
def anomalies_role_changes(args):
    """Who gave whom which roles: users created with roles, role changes, privileged-role requests and their
    second approval, memberships granted or ended, the secretariat named."""
    return _anomaly("role_changes", args, audit_anomalies.role_changes)


# --- verification ---------------------------------------------------------------------------------

@blp.route("/verification")
@requires("audit", "read")
@blp.response(200, VerificationStatusSchema)
def verification_status():
    """The last chain verification (`caseflow audit verify`), the latest signed checkpoint, the latest seal
    (`caseflow audit seal`), and how many events were appended since."""
    cfg = current_app.config
    result = audit_verification.verification_status(audit_verification.checkpoint_key(cfg), audit_verification.trusted_public_keys(cfg))
    _record("verification")
    return result


# --- one event and its reviews ---------------------------------------------------------------------

@blp.route("/<seq>")
@requires("audit", "read")
@blp.response(200, AuditEventDetailSchema)
def get_audit_event(seq):
    """One event with its reviews."""
    n = _seq(seq)
    ev = audit_reviews.get_event(n, _tenant())
    out = _events_with_status([ev])[0]
    out["review_list"] = audit_reviews.reviews_of(n, tenant=_tenant())
    _record("read", resource_id=n)
    return out


@blp.route("/<seq>/reviews")
@requires("audit", "read")
@blp.response(200, ReviewListSchema)
def list_reviews(seq):
    """Reviews of one event, oldest first."""
    n = _seq(seq)
    items = audit_reviews.reviews_of(n, tenant=_tenant())
    _record("read", resource_id=n)
    return {"items": items}


@blp.route("/<seq>/reviews", methods=["POST"])
@requires("audit", "review")
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewSchema)
def create_review(body, seq):
    """Mark an event reviewed, with a comment (auditors; not one's own actions). Itself audited."""
    return audit_reviews.add_review(_seq(seq), current_user, body["comment"], tenant=_tenant())
