"""Case transfers between municipalities (転居)."""
from __future__ import annotations

from flask_login import current_user
from caseflow.core.blueprint import Blueprint
from marshmallow import Schema, fields, validate

from caseflow.access.requests import viewer
from caseflow.access.authz import requires
from caseflow.cases import rules as case_domain
from caseflow.cases import transfers
from caseflow.core.pagination import paginate
from caseflow.accounts.schemas import MunicipalityRefSchema, OrganizationRefSchema
from caseflow.core.schemas import PageArgs, Text, Timestamp, page_of

blp = Blueprint("transfers", __name__, url_prefix="/api/v1",
                description="Case transfers to another municipality (転居): requested by the owner, accepted by an "
                            "organisation of the receiving municipality")


class TransferInSchema(Schema):
    to_municipality = Text(required=True, max_length=32, metadata={"description": "the receiving municipality's code"})
    to_org_id = fields.UUID(required=True, metadata={"description": "an organisation of the receiving municipality"})
    reason = Text(required=True, min_length=1, max_length=2000)


class TransferCaseSchema(Schema):
    id = fields.UUID()
    issues = fields.List(fields.String())
    stage = fields.String()
    urgency = fields.String()
    age_band = fields.String(allow_none=True)


class TransferSchema(Schema):
    id = fields.UUID()
    state = fields.String()
    state_label = fields.String()
    reason = fields.String()
    state_reason = fields.String(allow_none=True)
    requested_at = Timestamp()
    decided_at = Timestamp(allow_none=True)
    from_municipality = fields.Nested(MunicipalityRefSchema)
    to_municipality = fields.Nested(MunicipalityRefSchema)
    from_org = fields.Nested(OrganizationRefSchema)
    to_org = fields.Nested(OrganizationRefSchema)
    from_case_number = fields.String()
    to_case_number = fields.String(allow_none=True)
    case = fields.Nested(TransferCaseSchema, metadata={"description": "the de-identified view of the case"})


class TransferQuerySchema(PageArgs):
    box = fields.String(load_default="inbox", validate=validate.OneOf(["inbox", "outbox"]))


class TransferDecisionSchema(Schema):
    reason = Text(max_length=2000, allow_none=True)


@blp.route("/cases/<uuid:case_id>/transfers", methods=["POST"])
@requires("cases", "transfer")
@blp.arguments(TransferInSchema)
@blp.response(201, TransferSchema)
def request_transfer(body, case_id):
    """Ask an organisation of another municipality to take the case over (the owner organisation)."""
    case = case_domain.get_visible_case(viewer(), case_id)
    return transfers.present(transfers.request_transfer(case, body, actor=current_user))


@blp.route("/transfers")
@requires("cases", "transfer")
@blp.arguments(TransferQuerySchema, location="query")
@blp.response(200, page_of(TransferSchema))
def list_transfers(args):
    """Transfers to your organisation in the municipality you act in (inbox), or from it (outbox), newest first."""
    page = paginate(transfers.box_query(viewer(), args["box"]), args["limit"], args["offset"])
    return {**page, "items": [transfers.present(t) for t in page["items"]]}


@blp.route("/transfers/<uuid:transfer_id>")
@requires("cases", "transfer")
@blp.response(200, TransferSchema)
def get_transfer(transfer_id):
    """One transfer (either side)."""
    return transfers.present(transfers.get_visible_transfer(viewer(), transfer_id))


def _decide(transfer_id, action: str, body: dict | None):
    t = transfers.get_visible_transfer(viewer(), transfer_id)
    return transfers.present(transfers.decide(t, action, actor=current_user, reason=(body or {}).get("reason")))


@blp.route("/transfers/<uuid:transfer_id>/accept", methods=["POST"])
@requires("cases", "transfer")
@blp.arguments(TransferDecisionSchema, required=False)
@blp.response(200, TransferSchema)
def accept_transfer(body, transfer_id):
    """Take the case over (the receiving organisation, acting in the receiving municipality)."""
    return _decide(transfer_id, "accept", body)


@blp.route("/transfers/<uuid:transfer_id>/decline", methods=["POST"])
@requires("cases", "transfer")
@blp.arguments(TransferDecisionSchema)
@blp.response(200, TransferSchema)
def decline_transfer(body, transfer_id):
    """Decline, with a reason (the receiving organisation)."""
    return _decide(transfer_id, "decline", body)


@blp.route("/transfers/<uuid:transfer_id>/withdraw", methods=["POST"])
@requires("cases", "transfer")
@blp.arguments(TransferDecisionSchema, required=False)
@blp.response(200, TransferSchema)
def withdraw_transfer(body, transfer_id):
    """Withdraw the request (the sending organisation)."""
    return _decide(transfer_id, "withdraw", body)
