from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from caseflow.core.blueprint import Blueprint
from caseflow.access.authz import requires
from caseflow.accounts import rules as accounts
from caseflow.accounts.models import RoleRequest, User
from caseflow.organizations.models import Organization
from caseflow.accounts.models import ROLE_REQUEST_STATES
from caseflow.core.pagination import paginate
from caseflow.accounts.schemas import (RoleDecisionSchema, RoleRequestPage, RoleRequestSchema, UserCreateSchema,
                                       UserPage, UserQuerySchema, UserSchema, UserUpdateSchema)
from caseflow.core.schemas import PageArgs

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Platform users and their roles")
roles_blp = Blueprint("role_requests", __name__, url_prefix="/api/v1/role-requests",
                      description="Grants of privileged roles (admin, auditor, secretariat) waiting for a second "
                                  "approver")


@blp.route("")
@requires("users", "read")
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserPage)
def list_users(args):
    """Users you manage (an organisation admin: its own; a secretariat: its municipality's), by email."""
    stmt = accounts.visible_users_query(current_user).order_by(User.email, User.id)
    if "org_code" in args:
        stmt = stmt.where(Organization.code == args["org_code"])
    if "active" in args:
        stmt = stmt.where(User.active == args["active"])
    return paginate(stmt, args["limit"], args["offset"])


@blp.route("", methods=["POST"])
@requires("users", "create")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(body):
    """Create a user in an organisation you manage. Privileged roles (admin, auditor, secretariat) are
    requested, not granted: they take effect when another secretariat user approves (`/role-requests`)."""
    org = accounts.get_organization_by_code(body["org_code"], field="org_code")
    return accounts.create_user(org=org, email=body["email"], password=body["password"],
                                display_name=body["display_name"], roles=body["roles"], actor=current_user)


@blp.route("/<uuid:user_id>")
@requires("users", "read")
@blp.response(200, UserSchema)
def get_user(user_id):
    """One user."""
    return accounts.get_visible_user(current_user, user_id)


@blp.route("/<uuid:user_id>", methods=["PATCH"])
@requires("users", "update")
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(body, user_id):
    """Change roles, name, password, or deactivate (ends the user's sessions at once). Never your own roles."""
    return accounts.update_user(accounts.get_visible_user(current_user, user_id), actor=current_user, **body)


class RoleRequestQuerySchema(PageArgs):
    state = fields.String(load_default="pending", validate=validate.OneOf(ROLE_REQUEST_STATES))


@roles_blp.route("")
@requires("users", "approve")
@roles_blp.arguments(RoleRequestQuerySchema, location="query")
@roles_blp.response(200, RoleRequestPage)
def list_role_requests(args):
    """Role requests for the users of the municipality you administer, newest first."""
    return paginate(accounts.role_requests_query(current_user, state=args["state"]), args["limit"], args["offset"])


def _decide(request_id, decision: str, body: dict | None) -> RoleRequest:
    req = accounts.get_role_request(current_user, request_id)
    return accounts.decide_role_request(req, decision, actor=current_user, note=(body or {}).get("note"))


@roles_blp.route("/<uuid:request_id>/approve", methods=["POST"])
@requires("users", "approve")
@roles_blp.arguments(RoleDecisionSchema, required=False)
@roles_blp.response(200, RoleRequestSchema)
def approve_role_request(body, request_id):
    """Approve (a secretariat user other than the requester and the user concerned)."""
    return _decide(request_id, "approve", body)


@roles_blp.route("/<uuid:request_id>/reject", methods=["POST"])
@requires("users", "approve")
@roles_blp.arguments(RoleDecisionSchema, required=False)
@roles_blp.response(200, RoleRequestSchema)
def reject_role_request(body, request_id):
    """Reject (a secretariat user other than the requester and the user concerned)."""
    return _decide(request_id, "reject", body)


@roles_blp.route("/<uuid:request_id>/withdraw", methods=["POST"])
@requires("users", "approve")
@roles_blp.arguments(RoleDecisionSchema, required=False)
@roles_blp.response(200, RoleRequestSchema)
def withdraw_role_request(body, request_id):
    """Withdraw your own request."""
    return _decide(request_id, "withdraw", body)
