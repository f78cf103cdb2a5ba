from __future__ import annotations

import uuid

from flask_login import current_user
from sqlalchemy import or_, select

from caseflow import audit, db
from caseflow.api.blueprint import Blueprint
from caseflow.authz import requires
from caseflow.domain import accounts
from caseflow.errors import Problem
from caseflow.models import Organization
from caseflow.pagination import paginate
from caseflow.schemas.accounts import (OrganizationCreateSchema, OrganizationPage, OrganizationQuerySchema,
                                       OrganizationSchema, OrganizationUpdateSchema)
from caseflow.text import like_pattern

blp = Blueprint("organizations", __name__, url_prefix="/api/v1/organizations",
                description="Organisations of the platform (departments, 社協, NPOs …)")


def _get(org_id: uuid.UUID) -> Organization:
    org = db.session().get(Organization, org_id)
    if org is None:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    return org


@blp.route("")
@requires("organizations", "read")
@blp.arguments(OrganizationQuerySchema, location="query")
@blp.response(200, OrganizationPage)
def list_organizations(args):
    """Organisations, by code."""
    stmt = select(Organization).order_by(Organization.code, Organization.id)
    if "kind" in args:
        stmt = stmt.where(Organization.kind == args["kind"])
    if args.get("q"):
        pat = like_pattern(args["q"])
        stmt = stmt.where(or_(Organization.name.like(pat, escape="\\"), Organization.code.like(pat, escape="\\")))
    return paginate(stmt, args["limit"], args["offset"])


@blp.route("", methods=["POST"])
@requires("organizations", "create")
@blp.arguments(OrganizationCreateSchema)
@blp.response(201, OrganizationSchema)
def create_organization(body):
    """Register an organisation (secretariat only)."""
    return accounts.create_organization(code=body["code"], name=body["name"], kind=body["kind"],
                                        parent_code=body.get("parent_code"), actor=current_user)


@blp.route("/<uuid:org_id>")
@requires("organizations", "read")
@blp.response(200, OrganizationSchema)
def get_organization(org_id):
    """One organisation."""
    return _get(org_id)


@blp.route("/<uuid:org_id>", methods=["PATCH"])
@requires("organizations", "update")
@blp.arguments(OrganizationUpdateSchema)
@blp.response(200, OrganizationSchema)
def update_organization(body, org_id):
    """Rename or (de)activate an organisation (secretariat only)."""
    org = _get(org_id)
    for key, value in body.items():
        setattr(org, key, value)
    audit.record(db.session(), action="organizations.update", resource_type="organizations", resource_id=org.id,
                 actor=current_user, detail={"changed": sorted(body)})
    return org
