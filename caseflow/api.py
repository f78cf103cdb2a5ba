"""The HTTP API under /api/v1: every feature's blueprints, registered in one place, and the liveness probe.
Views validate with their feature's schemas, call its rules and serialise; they hold no business rules."""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from flask import Response
from marshmallow import Schema, fields, validate
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from caseflow import migrate, openapi
from caseflow.access.authz import public
from caseflow.accounts import api as accounts_api
from caseflow.audit import api as audit_api
from caseflow.cases import api as cases_api
from caseflow.codes import api as codes_api
from caseflow.consents import api as consents_api
from caseflow.contacts import api as contacts_api
from caseflow.core import db, errors
from caseflow.core.blueprint import Blueprint
from caseflow.events import api as events_api
from caseflow.indicators import api as indicators_api
from caseflow.intake import api as intake_api
from caseflow.intake import escalation
from caseflow.meetings import api as meetings_api
from caseflow.organizations import api as organizations_api
from caseflow.plans import api as plans_api
from caseflow.referrals import api as referrals_api
from caseflow.reports import api as reports_api
from caseflow.retention import api as retention_api

log = logging.getLogger("caseflow")
api = openapi.Api()
class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]), metadata={"example": "ok"})


health_blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness and readiness")


@health_blp.route("/health")
@public
@health_blp.response(200, HealthSchema)
def health():
    """Liveness and database reachability (no data)."""
    db.session().execute(text("SELECT 1"))
    return {"status": "ok"}


@health_blp.route("/health/ready")
@public
@health_blp.response(200)
@health_blp.alt_response(503, description="Not ready: the database is unreachable or its schema is behind this "
                         "release (problem+json, type schema-behind or database-unavailable)")
def ready():
    """Readiness: the database answers and its schema is at this release's migration head (no data)."""
    state = readiness()
    if state:
        return not_ready(*state)
    return {"status": "ready", "schema": ", ".join(sorted(migrate.heads()))}


def readiness() -> tuple[str, str] | None:
    """None when the database answers and its schema is at this release's head; else (problem type, one line)."""
    try:
        behind = migrate.behind()
    except SQLAlchemyError as exc:
        return "database-unavailable", f"the database cannot be reached ({type(exc).__name__})"
    return ("schema-behind", behind) if behind else None


def not_ready(kind: str, reason: str):
    """The 503 problem document of a service that cannot serve yet; its reason goes to the log (no data)."""
    log.error("not ready: %s", reason)
    detail = ("データベースの構成が最新ではありません。管理者が caseflow db upgrade を実行するまでお待ちください。"
              if kind == "schema-behind" else "データベースに接続できません。しばらくしてからやり直してください。")
    return errors.problem_response(503, "サービスを利用できません", detail, type_=kind, headers={"Retry-After": "30"})


BLUEPRINTS = (
    health_blp, accounts_api.auth_blp, organizations_api.municipalities_blp, organizations_api.blp, accounts_api.blp,
    accounts_api.roles_blp, codes_api.blp, cases_api.households_blp, cases_api.persons_blp, cases_api.blp,
    consents_api.blp, consents_api.emergency_blp, audit_api.blp, organizations_api.directory_blp, referrals_api.blp,
    cases_api.transfers_blp, cases_api.leads_blp,
    meetings_api.blp, plans_api.blp, plans_api.tasks_blp, plans_api.followup_blp, reports_api.blp,
    retention_api.blp, contacts_api.blp, events_api.blp, events_api.reports_blp,
    intake_api.clients_blp, intake_api.intake_blp, intake_api.duty_blp,
    intake_api.notifications_blp, intake_api.weekly_blp, indicators_api.blp, indicators_api.report_blp,
)


# The docs page's script is served from the package, never from a CDN: /api/docs must work on a closed network
# (LGWAN). Redoc's standalone bundle, pinned (version, licence and origin in caseflow/vendor/redoc/README.md);
# the test suite checks the file against REDOC_SHA256.
REDOC_VERSION = "2.5.4"
REDOC_SHA256 = "dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b"
REDOC_FILE = Path(__file__).resolve().parent / "vendor" / "redoc" / "redoc.standalone.js"
REDOC_ROUTE = "/api/docs/redoc.standalone.js"
REDOC_ENDPOINT = "api-docs.redoc_script"


def redoc_script():
    """The vendored Redoc bundle for the docs page."""
    body = REDOC_FILE.read_bytes()
    etag = hashlib.sha256(body).hexdigest()
    return Response(body, mimetype="text/javascript", headers={"ETag": f'"{etag}"'})


def init_app(app) -> None:
    app.config["OPENAPI_REDOC_URL"] = REDOC_ROUTE
    app.add_url_rule(REDOC_ROUTE, endpoint=REDOC_ENDPOINT, view_func=public(redoc_script))
    api.init_app(app, spec_kwargs={
        "info": {"description": "caseflow API. Errors are application/problem+json (RFC 9457)."},
    })
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    escalation.init_app(app)  # notification e-mail once a request's unit of work is committed
    openapi.init_app(app, api)
