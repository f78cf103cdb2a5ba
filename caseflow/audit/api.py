"""The audit trail for auditors: search, per-person reports, anomaly reports, reviews, exports and
the chain's verification status. Metadata only (who, when, which action, on what basis), never
case content or a person's name. Every call here is itself audited."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

from flask import Response, current_app, stream_with_context
from flask_login import current_user
from marshmallow import Schema, fields, validate

from caseflow.access import trail
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.access.authz import requires
from caseflow.core.db import utcnow
from caseflow.audit import reports
from caseflow.core.errors import Problem
from caseflow.access.trail import AuditEvent
from caseflow.organizations.models import Municipality
from caseflow.core.schemas import Day, LIMIT_MAX, Text, Timestamp

blp = Blueprint("audit_events", __name__, url_prefix="/api/v1/audit-events",
                description="The audit trail (auditors only; metadata, never case content)")

_SEQ = re.compile(r"^[1-9][0-9]{0,17}$")


# --- schemas ----------------------------------------------------------------------------------

# The trail starts with the platform; bounding periods keeps dates printable (和暦 needs >= 1873).
_PERIOD_RANGE = validate.Range(min=datetime(2000, 1, 1, tzinfo=UTC), max=datetime(2100, 1, 1, tzinfo=UTC),
                               error="2000年から2099年までの日時を指定してください。")
_SEQ_RANGE = validate.Range(min=0, max=2**62)


class PeriodSchema(Schema):
    since = Timestamp(validate=_PERIOD_RANGE,
                                 metadata={"description": "from (inclusive), e.g. 2026-04-01T00:00:00+09:00"})
    until = Timestamp(validate=_PERIOD_RANGE, metadata={"description": "to (exclusive)"})


class AuditQuerySchema(PeriodSchema):
    actor_user_id = fields.UUID()
    actor_org_id = fields.UUID()
    person_id = fields.UUID(metadata={"description": "events that disclosed this person's data"})
    case_id = fields.UUID(metadata={"description": "events about this case (its resource, or detail.case_id)"})
    action = fields.String(validate=validate.Length(max=64),
                           metadata={"description": "exact (cases.read) or every action of an area (cases.*)"})
    resource_type = fields.String(validate=validate.Length(max=64))
    resource_id = fields.String(validate=validate.Length(max=64))
    legal_basis = fields.String(validate=validate.Length(max=80),
                                metadata={"description": "exact (consent:<id>) or a kind: own_collection, consent, "
                                                         "support_meeting, emergency, none"})
    outcome = fields.String(validate=validate.OneOf(["allowed", "denied"]))
    flagged = fields.Boolean()
    reviewed = fields.Boolean(metadata={"description": "only events with (true) or without (false) a review"})
    order = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]),
                          metadata={"description": "asc: oldest first; desc: newest first"})
    after_seq = fields.Integer(validate=_SEQ_RANGE,
                               metadata={"description": "cursor: next_after_seq of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=LIMIT_MAX))


class AuditEventSchema(Schema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    actor_user_id = fields.UUID(allow_none=True)
    actor_org_id = fields.UUID(allow_none=True)
    action = fields.String()
    resource_type = fields.String()
    resource_id = fields.String(allow_none=True)
    outcome = fields.String()
    legal_basis = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    flagged = fields.Boolean()
    disclosures = fields.Raw(metadata={"description": "[{person, basis, categories}] (ids only)"})
    detail = fields.Raw()
    hash = fields.String()
    reviewed = fields.Boolean()
    reviews = fields.Integer()
    last_reviewed_at = Timestamp(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    next_after_seq = fields.Integer(allow_none=True)


class ReviewCreateSchema(Schema):
    comment = Text(required=True, min_length=1, max_length=4000,
                   metadata={"description": "what was checked and concluded (e.g. the justification was adequate)"})


class ReviewSchema(Schema):
    id = fields.UUID()
    event_seq = fields.Integer()
    reviewer_user_id = fields.UUID()
    reviewer_org_id = fields.UUID()
    comment = fields.String()
    reviewed_at = Timestamp()


class ReviewListSchema(Schema):
    items = fields.List(fields.Nested(ReviewSchema))


class AuditEventDetailSchema(AuditEventSchema):
    review_list = fields.List(fields.Nested(ReviewSchema), data_key="review_items")


class ActorSchema(Schema):
    actor_user_id = fields.UUID(allow_none=True)
    actor_name = fields.String(allow_none=True)
    actor_email = fields.String(allow_none=True)
    actor_org_id = fields.UUID(allow_none=True)
    actor_org_code = fields.String(allow_none=True)
    actor_org_name = fields.String(allow_none=True)


class BasisGroupSchema(Schema):
    basis = fields.String()
    basis_kind = fields.String()
    basis_label = fields.String()
    disclosures = fields.Integer()
    users = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()
    first_seq = fields.Integer()
    last_seq = fields.Integer()
    categories = fields.List(fields.String())
    actions = fields.Dict(keys=fields.String(), values=fields.Integer())


class OrgDisclosureSchema(Schema):
    org_id = fields.UUID(allow_none=True)
    org_code = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)
    org_kind = fields.String(allow_none=True)
    disclosures = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()
    bases = fields.List(fields.Nested(BasisGroupSchema))


class BasisKindCountSchema(Schema):
    basis_kind = fields.String()
    basis_label = fields.String()
    disclosures = fields.Integer()


class PersonReportSchema(Schema):
    person_id = fields.UUID()
    since = Timestamp(allow_none=True)
    until = Timestamp(allow_none=True)
    total_disclosures = fields.Integer()
    organisations = fields.List(fields.Nested(OrgDisclosureSchema))
    by_basis_kind = fields.List(fields.Nested(BasisKindCountSchema))


class ReportBase(Schema):
    kind = fields.String()
    since = Timestamp()
    until = Timestamp()
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    truncated = fields.Boolean()


class GrantUseSchema(Schema):
    events = fields.Integer()
    persons = fields.Integer()


class EmergencyItemSchema(ActorSchema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    action = fields.String()
    resource_type = fields.String()
    resource_id = fields.String(allow_none=True)
    legal_basis = fields.String(allow_none=True)
    outcome = fields.String()
    reviewed = fields.Boolean()
    reviews = fields.Integer()
    last_reviewed_at = Timestamp(allow_none=True)
    grant_use = fields.Nested(GrantUseSchema, allow_none=True)


class EmergencyReportSchema(ReportBase):
    items = fields.List(fields.Nested(EmergencyItemSchema))


class DeniedItemSchema(ActorSchema):
    denied = fields.Integer()
    distinct_actions = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()
    actions = fields.Dict(keys=fields.String(), values=fields.Integer())


class FailedLoginSchema(Schema):
    user_id = fields.UUID(allow_none=True)
    display_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    failures = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()


class DeniedReportSchema(ReportBase):
    min_count = fields.Integer()
    items = fields.List(fields.Nested(DeniedItemSchema))
    failed_logins = fields.List(fields.Nested(FailedLoginSchema))


class BulkItemSchema(ActorSchema):
    since = Timestamp()
    until = Timestamp()
    persons = fields.Integer(metadata={"description": "distinct persons over the whole incident"})
    events = fields.Integer()
    peak_persons = fields.Integer(metadata={"description": "most distinct persons within one window"})
    peak_events = fields.Integer()
    peak_window_start = Timestamp()
    windows = fields.Integer()


class BulkReportSchema(ReportBase):
    threshold = fields.Dict(keys=fields.String(), values=fields.Integer())
    items = fields.List(fields.Nested(BulkItemSchema))


class WorkingHoursSchema(Schema):
    start = fields.String()
    end = fields.String()
    timezone = fields.String()
    weekends_off = fields.Boolean()
    holidays = fields.List(Day())


class AfterHoursUserSchema(ActorSchema):
    events = fields.Integer()
    persons = fields.Integer()
    first_at = Timestamp()
    last_at = Timestamp()


class AfterHoursReportSchema(ReportBase):
    working_hours = fields.Nested(WorkingHoursSchema)
    personal_data_only = fields.Boolean()
    by_user = fields.List(fields.Nested(AfterHoursUserSchema))
    items = fields.List(fields.Nested(AuditEventSchema))
    next_after_seq = fields.Integer(allow_none=True)


class UninvolvedItemSchema(ActorSchema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    action = fields.String()
    case_id = fields.String()
    involved_until = Timestamp()
    personal_data = fields.Boolean()


class UninvolvedReportSchema(ReportBase):
    items = fields.List(fields.Nested(UninvolvedItemSchema))


class EmergencyQuerySchema(PeriodSchema):
    reviewed = fields.Boolean()
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class DeniedQuerySchema(PeriodSchema):
    min_count = fields.Integer(validate=validate.Range(min=1, max=100000))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class BulkQuerySchema(PeriodSchema):
    persons = fields.Integer(validate=validate.Range(min=1, max=100000),
                             metadata={"description": "more than this many distinct persons …"})
    minutes = fields.Integer(validate=validate.Range(min=1, max=1440), metadata={"description": "… within this window"})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class AfterHoursQuerySchema(PeriodSchema):
    work_start = fields.String(validate=validate.Regexp(r"^\d{1,2}:\d{2}$"), metadata={"description": "HH:MM, Japan time"})
    work_end = fields.String(validate=validate.Regexp(r"^\d{1,2}:\d{2}$"))
    weekends_off = fields.Boolean()
    holidays = fields.List(Day(), metadata={"description": "closed days (repeat the parameter)"})
    scope = fields.String(load_default="personal_data", validate=validate.OneOf(["personal_data", "all"]))
    after_seq = fields.Integer(validate=_SEQ_RANGE)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=LIMIT_MAX))


class UninvolvedQuerySchema(PeriodSchema):
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class VerificationRunSchema(Schema):
    id = fields.Integer()
    mode = fields.String()
    ok = fields.Boolean()
    started_at = Timestamp()
    finished_at = Timestamp()
    from_seq = fields.Integer()
    to_seq = fields.Integer()
    to_hash = fields.String()
    checked = fields.Integer()
    first_bad_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)
    seconds = fields.Float()
    events_per_second = fields.Float()
    signature_valid = fields.Boolean()


class SealStatusSchema(Schema):
    seal_no = fields.Integer()
    from_seq = fields.Integer()
    to_seq = fields.Integer()
    sealed_at = Timestamp()
    key_fingerprint = fields.String()
    unsealed_events = fields.Integer()
    signature_valid = fields.Boolean(allow_none=True,
                                     metadata={"description": "null when no trusted public key is configured"})


class VerificationStatusSchema(Schema):
    head_seq = fields.Integer()
    unverified_events = fields.Integer()
    last = fields.Nested(VerificationRunSchema, allow_none=True)
    last_full = fields.Nested(VerificationRunSchema, allow_none=True)
    checkpoint = fields.Nested(VerificationRunSchema, allow_none=True,
                               metadata={"description": "the latest signed successful run"})
    seal = fields.Nested(SealStatusSchema, allow_none=True,
                         metadata={"description": "the latest seal signed with an auditor's key"})


class ConsentFlagItemSchema(ActorSchema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    action = fields.String()
    kind = fields.String(metadata={"description": "self_recipient | revoked_by_other_org"})
    consent_id = fields.String(allow_none=True)
    person_id = fields.String(allow_none=True)
    categories = fields.List(fields.String())
    purpose = fields.String(allow_none=True)
    reviewed = fields.Boolean()
    reviews = fields.Integer()


class ConsentFlagReportSchema(ReportBase):
    items = fields.List(fields.Nested(ConsentFlagItemSchema))


class RoleChangeItemSchema(ActorSchema):
    seq = fields.Integer()
    occurred_at = Timestamp()
    action = fields.String()
    target_user_id = fields.String(allow_none=True)
    target_name = fields.String(allow_none=True)
    roles_before = fields.List(fields.String(), allow_none=True)
    roles_after = fields.List(fields.String(), allow_none=True)
    requested = fields.List(fields.String())
    via = fields.String(allow_none=True)
    org = fields.String(allow_none=True)


class RoleChangeReportSchema(ReportBase):
    items = fields.List(fields.Nested(RoleChangeItemSchema))


class RoleChangeQuerySchema(PeriodSchema):
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))


# --- helpers ----------------------------------------------------------------------------------

def _tenant() -> reports.Tenant:
    """The municipality the auditor acts in: only its events are searched, reported and reviewed."""
    m = db.session().get(Municipality, current_user.municipality_id)
    return reports.Tenant(m.id, legacy=m.holds_legacy_events)


def _record(action: str, *, resource_type: str = "audit_events", resource_id=None, detail: dict | None = None):
    trail.record(db.session(), action=f"trail.{action}", resource_type=resource_type, resource_id=resource_id,
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
    status = reports.review_status(db.session(), [e.seq for e in events])
    return [_event_dict(e, status.get(e.seq)) for e in events]


def _seq(value: str) -> int:
    if not _SEQ.match(value):
        raise Problem(404, detail="指定された監査記録は存在しません。")
    return int(value)


def _period(args):
    return reports.period(args.get("since"), args.get("until"), current_app.config["AUDIT_REPORT_DAYS"])


# --- search and export --------------------------------------------------------------------------

@blp.route("")
@requires("audit", "read")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_audit_events(args):
    """Search the trail in seq order; page with `after_seq` (the previous page's `next_after_seq`)."""
    rows, nxt = reports.search(db.session(), reports.Filters.of(args, _tenant()), limit=args["limit"],
                               after_seq=args.get("after_seq"), descending=args["order"] == "desc")
    _record("search", detail={"filters": _filter_names(args)})
    return {"items": _events_with_status(rows), "next_after_seq": nxt}


CSV_COLUMNS = ["seq", "occurred_at", "actor_user_id", "actor_org_id", "action", "resource_type", "resource_id",
               "outcome", "legal_basis", "request_id", "flagged", "disclosures", "detail", "hash"]


@blp.route("/export.csv")
@requires("audit", "read")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, content_type="text/csv")
def export_audit_events(args):
    """The filtered trail as CSV (UTF-8 with BOM for Excel), streamed in seq order.

    Rows are read with a server-side cursor in batches, so a range of millions of events never sits
    in memory. `limit`, `after_seq` and `order` do not apply.
    """
    f = reports.Filters.of(args, _tenant())
    stmt = reports.search_statement(db.session(), f, [getattr(AuditEvent, c) for c in CSV_COLUMNS]).order_by(
        AuditEvent.seq)
    _record("export", detail={"filters": _filter_names(args), "format": "csv"})
    db.session().commit()
    engine = db.engine()

    def generate():
        buf = io.StringIO()
        writer = csv.writer(buf)
        buf.write("\ufeff")
        writer.writerow(CSV_COLUMNS)
        with engine.connect() as conn:
            result = conn.execution_options(yield_per=2000, stream_results=True).execute(stmt)
            for n, row in enumerate(result, 1):
                writer.writerow([_csv_value(v) for v in row])
                if n % 500 == 0:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
        yield buf.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'})


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@blp.route("/report.pdf")
@requires("audit", "read")
@blp.arguments(PeriodSchema, location="query")
@blp.response(200, content_type="application/pdf")
def period_report_pdf(args):
    """A PDF audit report for a period (default: the last AUDIT_REPORT_DAYS days) with summary tables."""
    from caseflow.core.pdf import FontsMissingError

    since, until = _period(args)
    s = db.session()
    summary = reports.period_summary(s, since, until, tenant=_tenant(), config=current_app.config)
    recipient = f"{current_user.org.name} {current_user.display_name}".strip()
    try:
        body = reports.render_period_pdf(summary, recipient=recipient, generated_at=utcnow())
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
    result = reports.person_report(db.session(), person_id, args.get("since"), args.get("until"), tenant=_tenant())
    _record("person_report", resource_type="persons", resource_id=person_id)
    return result


# --- anomaly reports ------------------------------------------------------------------------------

@blp.route("/anomalies/emergency")
@requires("audit", "read")
@blp.arguments(EmergencyQuerySchema, location="query")
@blp.response(200, EmergencyReportSchema)
def anomalies_emergency(args):
    """Break-glass (flagged) events in the period, with whether each was reviewed and how the grant was used."""
    since, until = _period(args)
    result = reports.emergency_uses(db.session(), since, until, tenant=_tenant(), reviewed=args.get("reviewed"),
                                    limit=args["limit"])
    _record("anomalies", detail={"kind": "emergency"})
    return result


@blp.route("/anomalies/denied")
@requires("audit", "read")
@blp.arguments(DeniedQuerySchema, location="query")
@blp.response(200, DeniedReportSchema)
def anomalies_denied(args):
    """Refused actions by user (at least `min_count`, default AUDIT_DENIED_MIN) and failed logins by account."""
    since, until = _period(args)
    n = args.get("min_count", current_app.config["AUDIT_DENIED_MIN"])
    result = reports.denied_attempts(db.session(), since, until, tenant=_tenant(), min_count=n, limit=args["limit"])
    _record("anomalies", detail={"kind": "denied"})
    return result


@blp.route("/anomalies/bulk")
@requires("audit", "read")
@blp.arguments(BulkQuerySchema, location="query")
@blp.response(200, BulkReportSchema)
def anomalies_bulk(args):
    """Users who touched more than `persons` distinct persons within `minutes` (AUDIT_BULK_PERSONS / _MINUTES)."""
    since, until = _period(args)
    cfg = current_app.config
    result = reports.bulk_access(db.session(), since, until, tenant=_tenant(), persons=args.get("persons", cfg["AUDIT_BULK_PERSONS"]),
                                 minutes=args.get("minutes", cfg["AUDIT_BULK_MINUTES"]), limit=args["limit"])
    _record("anomalies", detail={"kind": "bulk"})
    return result


@blp.route("/anomalies/after-hours")
@requires("audit", "read")
@blp.arguments(AfterHoursQuerySchema, location="query")
@blp.response(200, AfterHoursReportSchema)
def anomalies_after_hours(args):
    """Access outside working hours, Japan time (AUDIT_WORK_START/END, weekends, AUDIT_HOLIDAYS)."""
    since, until = _period(args)
    cfg = current_app.config
    hours = reports.WorkingHours.parse(args.get("work_start", cfg["AUDIT_WORK_START"]),
                                       args.get("work_end", cfg["AUDIT_WORK_END"]),
                                       args.get("weekends_off", cfg["AUDIT_WEEKENDS_OFF"]),
                                       args.get("holidays", cfg["AUDIT_HOLIDAYS"]))
    result = reports.after_hours(db.session(), since, until, tenant=_tenant(), hours=hours,
                                 personal_data_only=args["scope"] == "personal_data", limit=args["limit"],
                                 after_seq=args.get("after_seq"))
    result["items"] = _events_with_status(result["items"])
    _record("anomalies", detail={"kind": "after_hours"})
    return result


@blp.route("/anomalies/uninvolved")
@requires("audit", "read")
@blp.arguments(UninvolvedQuerySchema, location="query")
@blp.response(200, UninvolvedReportSchema)
def anomalies_uninvolved(args):
    """Access to a case by an organisation whose involvement in it had already ended."""
    periods = reports.involvement_periods_selectable()
    if periods is None:
        raise Problem(501, "まだ利用できません",
                      "ケースへの関与期間の記録がまだ提供されていないため、このレポートは利用できません。",
                      type_="not-available-yet")
    since, until = _period(args)
    result = reports.uninvolved_access(db.session(), periods, since, until, tenant=_tenant(), limit=args["limit"])
    _record("anomalies", detail={"kind": "uninvolved"})
    return result


@blp.route("/anomalies/consents")
@requires("audit", "read")
@blp.arguments(EmergencyQuerySchema, location="query")
@blp.response(200, ConsentFlagReportSchema)
def anomalies_consents(args):
    """Consents the recording organisation made out to itself (or its kind), and revocations by an organisation
    other than the recorder, with their review status."""
    since, until = _period(args)
    result = reports.consent_flags(db.session(), since, until, tenant=_tenant(), reviewed=args.get("reviewed"),
                                   limit=args["limit"])
    _record("anomalies", detail={"kind": "consents"})
    return result


@blp.route("/anomalies/role-changes")
@requires("audit", "read")
@blp.arguments(RoleChangeQuerySchema, location="query")
@blp.response(200, RoleChangeReportSchema)
def anomalies_role_changes(args):
    """Who gave whom which roles: users created with roles, role changes, privileged-role requests and their
    second approval, memberships granted or ended, the secretariat named."""
    since, until = _period(args)
    result = reports.role_changes(db.session(), since, until, tenant=_tenant(), limit=args["limit"])
    _record("anomalies", detail={"kind": "role_changes"})
    return result


# --- verification ---------------------------------------------------------------------------------

@blp.route("/verification")
@requires("audit", "read")
@blp.response(200, VerificationStatusSchema)
def verification_status():
    """The last chain verification (`caseflow audit verify`), the latest signed checkpoint, the latest seal
    (`caseflow audit seal`), and how many events were appended since."""
    cfg = current_app.config
    result = reports.verification_status(db.session(), reports.checkpoint_key(cfg), reports.trusted_public_keys(cfg))
    _record("verification")
    return result


# --- one event and its reviews ---------------------------------------------------------------------

@blp.route("/<seq>")
@requires("audit", "read")
@blp.response(200, AuditEventDetailSchema)
def get_audit_event(seq):
    """One event with its reviews."""
    n = _seq(seq)
    s = db.session()
    ev = reports.get_event(s, n, _tenant())
    out = _events_with_status([ev])[0]
    out["review_list"] = reports.reviews_of(s, n, tenant=_tenant())
    _record("read", resource_id=n)
    return out


@blp.route("/<seq>/reviews")
@requires("audit", "read")
@blp.response(200, ReviewListSchema)
def list_reviews(seq):
    """Reviews of one event, oldest first."""
    n = _seq(seq)
    items = reports.reviews_of(db.session(), n, tenant=_tenant())
    _record("read", resource_id=n)
    return {"items": items}


@blp.route("/<seq>/reviews", methods=["POST"])
@requires("audit", "review")
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewSchema)
def create_review(body, seq):
    """Mark an event reviewed, with a comment (auditors; not one's own actions). Itself audited."""
    return reports.add_review(db.session(), _seq(seq), current_user, body["comment"], tenant=_tenant())
