from __future__ import annotations

import uuid

from flask import g
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import select

from caseflow.access import authz, sessions, tenancy, trail
from caseflow.access.authz import public, requires
from caseflow.accounts import rules as accounts
from caseflow.accounts.models import ROLE_REQUEST_STATES, ApiToken, RoleRequest, User
from caseflow.accounts.schemas import (
    LoginSchema,
    MeSchema,
    PasswordChangeSchema,
    RoleDecisionSchema,
    RoleRequestPage,
    RoleRequestSchema,
    TokenCreateSchema,
    TokenIssuedSchema,
    TokenSchema,
    UserCreateSchema,
    UserPage,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.errors import Problem
from caseflow.core.pagination import paginate
from caseflow.core.schemas import EmptySchema, PageArgs
from caseflow.organizations import rules as org_rules
from caseflow.organizations.models import Organization

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
    org = org_rules.get_organization_by_code(body["org_code"], field="org_code")
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


auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Login, logout, API tokens")

# Shown in /auth/me so a client knows which actions to offer; decided by the same casbin policy.
_ADVERTISED = {
    "cases": ["read", "create", "update", "transition"],
    "referrals": ["read", "create", "respond"],
    "consents": ["read", "create", "revoke"],
    "meetings": ["read", "manage", "pledge"],
    "plans": ["read", "manage"],
    "emergency": ["request", "oversee"],
    "organizations": ["read", "create", "update"],
    "users": ["read", "create", "update", "approve"],
    "memberships": ["manage"],
    "audit": ["read", "review"],
    "reports": ["read"],
}


def _me(user) -> dict:
    places = tenancy.municipalities_of(user.org)
    return {
        "id": user.id, "email": user.email, "display_name": user.display_name, "roles": user.roles,
        "active": user.active, "org": user.org, "created_at": user.created_at,
        "municipality": next((m for m in places if m.id == user.municipality_id), places[0]),
        "municipalities": places,
        "auth_method": g.get("auth_method"),
        "csrf_token": g.login_session.csrf_token if g.get("auth_method") == "session" else None,
        "permissions": {res: [a for a in acts if authz.can(a, res)] for res, acts in _ADVERTISED.items()},
    }


@auth_blp.route("/login", methods=["POST"])
@public
@auth_blp.arguments(LoginSchema)
@auth_blp.response(200, MeSchema)
def login(body):
    """Sign in with email and password; sets the session cookie and returns the CSRF token."""
    user = sessions.authenticate(body["email"], body["password"])
    sessions.start_login_session(user)
    g.auth_method = "session"
    trail.record(db.session(), action="auth.login", resource_type="users", resource_id=user.id, actor=user)
    return _me(user)


@auth_blp.route("/logout", methods=["POST"])
@requires("account", "read")
@auth_blp.arguments(EmptySchema, required=False)
@auth_blp.response(204)
def logout(_body):
    """End this browser session (server-side)."""
    trail.record(db.session(), action="auth.logout", resource_type="users", resource_id=current_user.id,
                 actor=current_user)
    sessions.end_login_session()


@auth_blp.route("/me")
@requires("account", "read")
@auth_blp.response(200, MeSchema)
def me():
    """The caller, its organisation, roles and what it may do."""
    return _me(current_user)


@auth_blp.route("/password", methods=["POST"])
@requires("account", "read")
@auth_blp.arguments(PasswordChangeSchema)
@auth_blp.response(204)
def change_password(body):
    """Change your own password (the current one is required); your other sessions end."""
    accounts.change_own_password(current_user, body["current_password"], body["new_password"])


@auth_blp.route("/tokens", methods=["POST"])
@requires("tokens", "manage")
@auth_blp.arguments(TokenCreateSchema)
@auth_blp.response(201, TokenIssuedSchema)
def create_token(body):
    """Issue a bearer token for an integration (from a browser login only: a token cannot mint tokens).
    The token is shown only in this response."""
    sessions.require_login_session("APIトークンの発行")
    tok, raw = sessions.issue_token(current_user, body["name"], body["days"])
    db.session().flush()
    trail.record(db.session(), action="tokens.create", resource_type="api_tokens", resource_id=tok.id,
                 actor=current_user)
    tok.token = raw  # transient: serialised once in this response, never stored
    return tok


@auth_blp.route("/tokens")
@requires("tokens", "manage")
@auth_blp.response(200, TokenSchema(many=True))
def list_tokens():
    """The caller's own tokens (never the secrets)."""
    return db.session().scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at, ApiToken.id)
    ).all()


@auth_blp.route("/tokens/<uuid:token_id>", methods=["DELETE"])
@requires("tokens", "manage")
@auth_blp.response(204)
def revoke_token(token_id: uuid.UUID):
    """Revoke one of the caller's tokens; it stops working at once."""
    tok = db.session().get(ApiToken, token_id)
    if tok is None or tok.user_id != current_user.id:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    if tok.revoked_at is None:
        tok.revoked_at = db.utcnow()
    trail.record(db.session(), action="tokens.revoke", resource_type="api_tokens", resource_id=tok.id,
                 actor=current_user)
