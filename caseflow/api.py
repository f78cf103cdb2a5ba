"""The HTTP API under /api/v1: every feature's blueprints, registered in one place, and the liveness probe.
Views validate with their feature's schemas, call its rules and serialise; they hold no business rules."""
from __future__ import annotations

from flask_smorest import Api
from marshmallow import Schema, fields, validate
from sqlalchemy import text

from caseflow import openapi
from caseflow.access.authz import public
from caseflow.accounts import api as accounts_api
from caseflow.audit import api as audit_api
from caseflow.cases import api as cases_api
from caseflow.codes import api as codes_api
from caseflow.consents import api as consents_api
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.meetings import api as meetings_api
from caseflow.organizations import api as organizations_api
from caseflow.plans import api as plans_api
from caseflow.referrals import api as referrals_api
from caseflow.reports import api as reports_api
from caseflow.retention import api as retention_api

api = Api()
class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]), metadata={"example": "ok"})


health_blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness")


@health_blp.route("/health")
@public
@health_blp.response(200, HealthSchema)
def health():
    """Liveness and database reachability (no data)."""
    db.session().execute(text("SELECT 1"))
    return {"status": "ok"}


BLUEPRINTS = (
    health_blp, accounts_api.auth_blp, organizations_api.municipalities_blp, organizations_api.blp, accounts_api.blp,
    accounts_api.roles_blp, codes_api.blp, cases_api.households_blp, cases_api.persons_blp, cases_api.blp,
    consents_api.blp, consents_api.emergency_blp, audit_api.blp, organizations_api.directory_blp, referrals_api.blp,
    cases_api.transfers_blp, cases_api.leads_blp,
    meetings_api.blp, plans_api.blp, plans_api.tasks_blp, plans_api.followup_blp, reports_api.blp,
    retention_api.blp,
)


def init_app(app) -> None:
    api.init_app(app, spec_kwargs={
        "info": {"description": "caseflow API. Errors are application/problem+json (RFC 9457)."},
    })
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    openapi.init_app(app, api)
