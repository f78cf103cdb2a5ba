from __future__ import annotations

import csv
import io
import json

from flask import Response, stream_with_context
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from caseflow import audit, db
from caseflow.authz import requires
from caseflow.models import AuditEvent, AuditSubject
from caseflow.schemas.common import LIMIT_MAX

blp = Blueprint("audit_events", __name__, url_prefix="/api/v1/audit-events",
                description="The audit trail (auditors only; metadata, never case content)")


class AuditQuerySchema(Schema):
    actor_user_id = fields.UUID()
    actor_org_id = fields.UUID()
    person_id = fields.UUID()
    action = fields.String(validate=validate.Length(max=64))
    resource_type = fields.String(validate=validate.Length(max=64))
    resource_id = fields.String(validate=validate.Length(max=64))
    legal_basis = fields.String(validate=validate.Length(max=80))
    outcome = fields.String(validate=validate.OneOf(["allowed", "denied"]))
    flagged = fields.Boolean()
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    after_seq = fields.Integer(validate=validate.Range(min=0), metadata={"description": "cursor: seq of the last event of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=LIMIT_MAX))


class AuditEventSchema(Schema):
    seq = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor_user_id = fields.UUID(allow_none=True)
    actor_org_id = fields.UUID(allow_none=True)
    action = fields.String()
    resource_type = fields.String()
    resource_id = fields.String(allow_none=True)
    outcome = fields.String()
    legal_basis = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    flagged = fields.Boolean()
    disclosures = fields.Function(lambda e: json.loads(e.disclosures))
    detail = fields.Function(lambda e: json.loads(e.detail))


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    next_after_seq = fields.Integer(allow_none=True)


def _filtered(args) -> select:
    stmt = select(AuditEvent)
    for col in ("actor_user_id", "actor_org_id", "action", "resource_type", "resource_id", "legal_basis",
                "outcome", "flagged"):
        if col in args:
            stmt = stmt.where(getattr(AuditEvent, col) == args[col])
    if "person_id" in args:
        stmt = stmt.where(AuditEvent.seq.in_(
            select(AuditSubject.event_seq).where(AuditSubject.person_id == args["person_id"])))
    if "since" in args:
        stmt = stmt.where(AuditEvent.occurred_at >= args["since"])
    if "until" in args:
        stmt = stmt.where(AuditEvent.occurred_at < args["until"])
    return stmt


def _record_search(args, what: str) -> None:
    audit.record(db.session(), action=f"audit.{what}", resource_type="audit_events", actor=current_user,
                 detail={"filters": sorted(k for k in args if k not in ("limit", "after_seq"))})


@blp.route("")
@requires("audit", "read")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_audit_events(args):
    """Search the trail, oldest first; page with `after_seq`."""
    stmt = _filtered(args).order_by(AuditEvent.seq)
    if "after_seq" in args:
        stmt = stmt.where(AuditEvent.seq > args["after_seq"])
    rows = db.session().scalars(stmt.limit(args["limit"] + 1)).all()
    _record_search(args, "search")
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return {"items": rows, "next_after_seq": rows[-1].seq if more else None}


CSV_COLUMNS = ["seq", "occurred_at", "actor_user_id", "actor_org_id", "action", "resource_type", "resource_id",
               "outcome", "legal_basis", "request_id", "flagged", "disclosures", "detail", "hash"]


@blp.route("/export.csv")
@requires("audit", "read")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, content_type="text/csv")
def export_audit_events(args):
    """The filtered trail as CSV (UTF-8 with BOM for Excel), streamed in seq order."""
    _record_search(args, "export")
    db.session().commit()
    stmt = _filtered(args).order_by(AuditEvent.seq)
    engine = db.engine()

    def generate():
        buf = io.StringIO()
        writer = csv.writer(buf)
        buf.write("\ufeff")
        writer.writerow(CSV_COLUMNS)
        with engine.connect() as conn:
            result = conn.execution_options(yield_per=2000).execute(stmt)
            for n, row in enumerate(result, 1):
                ev = row._mapping
                writer.writerow([_csv_value(ev[c]) for c in CSV_COLUMNS])
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
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
