from __future__ import annotations

import uuid

from flask_login import current_user
from sqlalchemy import select

from caseflow import authz, db
from caseflow.api.blueprint import Blueprint
from caseflow.authz import requires
from caseflow.domain import accounts
from caseflow.errors import Problem
from caseflow.models import Organization, User
from caseflow.pagination import paginate
from caseflow.schemas.accounts import UserCreateSchema, UserPage, UserQuerySchema, UserSchema, UserUpdateSchema

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Platform users and their roles")


def _visible_users():
    """Admins (secretariat) see every user; supervisors see their own organisation's."""
    stmt = select(User)
    if not authz.can("update", "users"):
        stmt = stmt.where(User.org_id == current_user.org_id)
    return stmt


def _get(user_id: uuid.UUID) -> User:
    user = db.session().scalar(_visible_users().where(User.id == user_id))
    if user is None:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    return user


@blp.route("")
@requires("users", "read")
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserPage)
def list_users(args):
    """Users, by email."""
    stmt = _visible_users().order_by(User.email, User.id)
    if "org_code" in args:
        stmt = stmt.join(Organization, User.org_id == Organization.id).where(Organization.code == args["org_code"])
    if "active" in args:
        stmt = stmt.where(User.active == args["active"])
    return paginate(stmt, args["limit"], args["offset"])


@blp.route("", methods=["POST"])
@requires("users", "create")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(body):
    """Create a user in an organisation with roles (secretariat only)."""
    org = accounts.get_organization_by_code(body["org_code"])
    return accounts.create_user(org=org, email=body["email"], password=body["password"],
                                display_name=body["display_name"], roles=body["roles"], actor=current_user)


@blp.route("/<uuid:user_id>")
@requires("users", "read")
@blp.response(200, UserSchema)
def get_user(user_id):
    """One user."""
    return _get(user_id)


@blp.route("/<uuid:user_id>", methods=["PATCH"])
@requires("users", "update")
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(body, user_id):
    """Change roles, name, password, or deactivate (ends the user's sessions at once)."""
    return accounts.update_user(_get(user_id), actor=current_user, **body)
