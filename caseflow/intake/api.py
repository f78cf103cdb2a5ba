from __future__ import annotations

import functools

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy import select

from caseflow.access import authz, sessions, trail
from caseflow.access.authz import requires
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.errors import Problem
from caseflow.core.pagination import paginate
from caseflow.core.schemas import EmptySchema
from caseflow.intake import rules as intake
from caseflow.intake import weekly
from caseflow.intake.models import Notification
from caseflow.intake.schemas import (
    ConsultationInSchema,
    ConsultationReceivedSchema,
    DutyInSchema,
    DutySchema,
    IntakeClientInSchema,
    IntakeClientIssuedSchema,
    IntakeClientSchema,
    NotificationPageSchema,
    NotificationQuerySchema,
    WeeklyArgs,
    WeeklySchema,
)

clients_blp = Blueprint("intake_clients", __name__, url_prefix="/api/v1/intake-clients",
                        description="Intake clients: external consultation apps and their scoped tokens (事務局)")
intake_blp = Blueprint("intake", __name__, url_prefix="/api/v1/intake",
                       description="The intake API of an external app: anonymous consultations only, no reading")
duty_blp = Blueprint("duty", __name__, url_prefix="/api/v1/organizations",
                     description="The duty worker (当番) of an organisation: notified at once of critical cases")
notifications_blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                              description="Notifications to the caller (critical cases)")
weekly_blp = Blueprint("intake_reports", __name__, url_prefix="/api/v1/reports",
                       description="The weekly summary of app consultations (aggregate counts, small cells suppressed)")


def requires_intake_client(view):
    """Guard of the app's one route: a live intake client's bearer token, nothing else (a user is refused)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        client = intake.client_of_token(header[7:].strip()) if header.startswith("Bearer ") else None
        if client is None:
            if current_user.is_authenticated:
                raise authz.deny("create", "intake")
            raise Problem(401, detail="受付アプリのトークンが必要です（失効したトークンは使えません）。",
                          type_="unauthenticated")
        g.authz_checked = True
        g.intake_client = client
        return view(*args, **kwargs)

    setattr(wrapper, authz.GUARD_ATTR, ("intake", "create"))
    return wrapper


@clients_blp.route("", methods=["POST"])
@requires("intake_clients", "manage")
@clients_blp.arguments(IntakeClientInSchema)
@clients_blp.response(201, IntakeClientIssuedSchema)
def register_client(body):
    """Register an external app for a receiving organisation; its token is shown only in this response."""
    sessions.require_login_session("受付アプリの登録")
    client, raw = intake.register_client(body, actor=current_user)
    db.session().flush()
    client.token = raw  # transient: serialised once in this response, never stored
    return client


@clients_blp.route("")
@requires("intake_clients", "manage")
@clients_blp.response(200, IntakeClientSchema(many=True))
def list_clients():
    """The intake clients of the municipality the caller's organisation is the secretariat of (never the tokens)."""
    return db.session().scalars(intake.visible_clients(current_user)).all()


@clients_blp.route("/<uuid:intake_client_id>/revoke", methods=["POST"])
@requires("intake_clients", "manage")
@clients_blp.arguments(EmptySchema, required=False)
@clients_blp.response(200, IntakeClientSchema)
def revoke_client(_body, intake_client_id):
    """Revoke an intake client: its token stops working at once."""
    return intake.revoke_client(intake.get_client(current_user, intake_client_id), actor=current_user)


@intake_blp.route("/consultations", methods=["POST"])
@requires_intake_client
@intake_blp.arguments(ConsultationInSchema)
@intake_blp.response(201, ConsultationReceivedSchema)
def open_consultation(body):
    """Open an anonymous consultation (no person) for the app's receiving organisation."""
    case = intake.open_consultation(g.intake_client, body)
    db.session().flush()
    escalated = db.session().scalar(select(Notification.id).where(Notification.case_id == case.id).limit(1))
    contact_id = intake.contact_id_of(case)
    return {"case_id": case.id, "case_number": case.case_number, "contact_id": contact_id, "urgency": case.urgency,
            "escalated": escalated is not None}


@duty_blp.route("/<uuid:org_id>/duty", methods=["PUT"])
@requires("duty", "manage")
@duty_blp.arguments(DutyInSchema)
@duty_blp.response(200, DutySchema)
def set_duty(body, org_id):
    """Name the duty worker of the caller's own organisation (admin or supervisor)."""
    return intake.set_duty(org_id, body["user_id"], actor=current_user)


@duty_blp.route("/<uuid:org_id>/duty")
@requires("duty", "read")
@duty_blp.response(200, DutySchema)
def get_duty(org_id):
    """The duty worker of the caller's own organisation (user_id null: nobody on duty)."""
    duty = intake.get_duty(org_id, actor=current_user)
    return duty or {"org_id": org_id, "user_id": None, "set_by_user_id": None, "set_at": None}


@notifications_blp.route("")
@requires("notifications", "read")
@notifications_blp.arguments(NotificationQuerySchema, location="query")
@notifications_blp.response(200, NotificationPageSchema)
def list_notifications(args):
    """The caller's own notifications, newest first."""
    stmt = select(Notification).where(Notification.recipient_user_id == current_user.id)
    if args.get("delivered") is not None:
        stmt = stmt.where(Notification.delivered_at.is_not(None) if args["delivered"]
                          else Notification.delivered_at.is_(None))
    return paginate(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()), args["limit"],
                    args["offset"])


@weekly_blp.route("/intake-weekly")
@requires("reports", "read")
@weekly_blp.arguments(WeeklyArgs, location="query")
@weekly_blp.response(200, WeeklySchema)
def intake_weekly(args):
    """App consultations of one ISO week (Japan time) by urgency and issue, and escalations."""
    internal = args["audience"] == "internal"
    lead = current_user.org.code in current_app.config["REPORT_LEAD_ORGS"] and \
        current_user.org.municipality_id == current_user.municipality_id
    if internal and not lead:
        raise Problem(403, detail="秘匿処理なしの集計は主管課のみ出力できます。", type_="forbidden")
    exact = weekly.compute(args["week"], municipality_id=current_user.municipality_id)
    trail.record(db.session(), action="reports.intake_weekly", resource_type="reports", actor=current_user,
                 detail={"week": args["week"], "audience": args["audience"]})
    if internal:
        return {**exact, "suppressed_below": None}
    return weekly.suppress(exact, current_app.config["REPORT_SUPPRESS_BELOW"])
