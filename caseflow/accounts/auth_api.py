from __future__ import annotations

import uuid

from flask import g
from flask_login import current_user
from sqlalchemy import select

from caseflow.access import trail
from caseflow.access import authz
from caseflow.core import db
from caseflow.access import sessions
from caseflow.core.blueprint import Blueprint
from caseflow.access.authz import public, requires
from caseflow.core.errors import Problem
from caseflow.accounts.models import ApiToken
from caseflow.core.schemas import EmptySchema
from caseflow.accounts import rules as accounts
from caseflow.access import tenancy
from caseflow.accounts.schemas import (LoginSchema, MeSchema, PasswordChangeSchema, TokenCreateSchema,
                                       TokenIssuedSchema, TokenSchema)

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Login, logout, API tokens")

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


@blp.route("/login", methods=["POST"])
@public
@blp.arguments(LoginSchema)
@blp.response(200, MeSchema)
def login(body):
    """Sign in with email and password; sets the session cookie and returns the CSRF token."""
    user = sessions.authenticate(body["email"], body["password"])
    sessions.start_login_session(user)
    g.auth_method = "session"
    trail.record(db.session(), action="auth.login", resource_type="users", resource_id=user.id, actor=user)
    return _me(user)


@blp.route("/logout", methods=["POST"])
@requires("account", "read")
@blp.arguments(EmptySchema, required=False)
@blp.response(204)
def logout(_body):
    """End this browser session (server-side)."""
    trail.record(db.session(), action="auth.logout", resource_type="users", resource_id=current_user.id,
                 actor=current_user)
    sessions.end_login_session()


@blp.route("/me")
@requires("account", "read")
@blp.response(200, MeSchema)
def me():
    """The caller, its organisation, roles and what it may do."""
    return _me(current_user)


@blp.route("/password", methods=["POST"])
@requires("account", "read")
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
def change_password(body):
    """Change your own password (the current one is required); your other sessions end."""
    accounts.change_own_password(current_user, body["current_password"], body["new_password"])


@blp.route("/tokens", methods=["POST"])
@requires("tokens", "manage")
@blp.arguments(TokenCreateSchema)
@blp.response(201, TokenIssuedSchema)
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


@blp.route("/tokens")
@requires("tokens", "manage")
@blp.response(200, TokenSchema(many=True))
def list_tokens():
    """The caller's own tokens (never the secrets)."""
    return db.session().scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at, ApiToken.id)
    ).all()


@blp.route("/tokens/<uuid:token_id>", methods=["DELETE"])
@requires("tokens", "manage")
@blp.response(204)
def revoke_token(token_id: uuid.UUID):
    """Revoke one of the caller's tokens; it stops working at once."""
    tok = db.session().get(ApiToken, token_id)
    if tok is None or tok.user_id != current_user.id:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    if tok.revoked_at is None:
        tok.revoked_at = db.utcnow()
    trail.record(db.session(), action="tokens.revoke", resource_type="api_tokens", resource_id=tok.id,
                 actor=current_user)
