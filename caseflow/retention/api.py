"""利用停止・消去請求 (deletion requests): filed by the collecting organisation, reviewed by a second person,
carried out by `caseflow retention purge` (docs/retention.md)."""
from __future__ import annotations

from flask_login import current_user

from caseflow.access.authz import requires
from caseflow.access.requests import viewer
from caseflow.core.blueprint import Blueprint
from caseflow.core.pagination import paginate
from caseflow.core.schemas import EmptySchema, page_of
from caseflow.retention import rules
from caseflow.retention.schemas import (
    DeclineSchema,
    DeletionRequestInSchema,
    DeletionRequestOutSchema,
    DeletionRequestQuerySchema,
)

blp = Blueprint("deletion_requests", __name__, url_prefix="/api/v1/deletion-requests",
                description="利用停止・消去請求 (a person's request to erase their data)")
DeletionRequestPageSchema = page_of(DeletionRequestOutSchema)


@blp.route("")
@requires("deletion_requests", "read")
@blp.arguments(DeletionRequestQuerySchema, location="query")
@blp.response(200, DeletionRequestPageSchema)
def list_requests(args):
    """Your organisation's requests (a supervisor or the secretariat: the municipality's), newest first."""
    return paginate(rules.visible_requests(current_user, args.get("state")), args["limit"], args["offset"])


@blp.route("", methods=["POST"])
@requires("deletion_requests", "create")
@blp.arguments(DeletionRequestInSchema)
@blp.response(201, DeletionRequestOutSchema)
def file_request(body):
    """Record a person's 利用停止・消去請求 (by the organisation that collected the data)."""
    return rules.file_request(viewer(), body, actor=current_user)


@blp.route("/<uuid:request_id>")
@requires("deletion_requests", "read")
@blp.response(200, DeletionRequestOutSchema)
def get_request(request_id):
    """One deletion request and its decision."""
    return rules.get_request(current_user, request_id)


@blp.route("/<uuid:request_id>/approve", methods=["POST"])
@requires("deletion_requests", "review")
@blp.arguments(EmptySchema, required=False)
@blp.response(200, DeletionRequestOutSchema)
def approve(_body, request_id):
    """Approve (a supervisor or the secretariat, never the one who filed it); the next purge carries it out."""
    return rules.review(current_user, request_id, approve=True)


@blp.route("/<uuid:request_id>/decline", methods=["POST"])
@requires("deletion_requests", "review")
@blp.arguments(DeclineSchema)
@blp.response(200, DeletionRequestOutSchema)
def decline(body, request_id):
    """Decline with a ground code (never free text about the person)."""
    return rules.review(current_user, request_id, approve=False, decline_ground=body["ground"])
